//! An application's history for its detail view: every workflow step (from any device of the
//! office, with who took it and the note), and what this laptop recorded about it besides
//! (registration, documents received, scans attached, edits, conflicts settled).

use chrono::{DateTime, SecondsFormat};
use loket_domain::workflow::{Action, Status};
use loket_protocol::Entity;

use crate::dto::{TimelineEntryDto, TimelineKind};
use crate::{AppError, Loket};

/// The audit log's actions (`loket_store`'s names) that the timeline shows.
const AUDITED: [(&str, TimelineKind); 5] = [
    ("register", TimelineKind::Registered),
    ("document", TimelineKind::DocumentReceived),
    ("attach", TimelineKind::Attached),
    ("edit", TimelineKind::Edited),
    ("resolve", TimelineKind::ConflictResolved),
];

/// An HLC's wall time as RFC 3339.
fn time_of(hlc: &str) -> String {
    hlc.split('-')
        .next()
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl Loket {
    /// The application's timeline, oldest first.
    pub fn application_timeline(&self, id: &str) -> Result<Vec<TimelineEntryDto>, AppError> {
        self.reading()?;
        let store = self.store();
        store.application(id)?;
        let mut out: Vec<(String, TimelineEntryDto)> = store
            .workflow_events(id)?
            .into_iter()
            .map(|e| {
                let entry = TimelineEntryDto {
                    at: time_of(&e.hlc),
                    actor: e.actor,
                    kind: TimelineKind::Step,
                    action: Action::parse(&e.action),
                    status: Status::parse(&e.to_status),
                    note: e.note,
                };
                (e.hlc, entry)
            })
            .collect();
        for a in store.audit_for(Entity::Application.as_str(), id)? {
            // Steps are in the workflow events, from every device; the rest from this laptop's
            // audit log.
            let Some(kind) = AUDITED.iter().find(|(action, _)| *action == a.action).map(|(_, k)| *k) else {
                continue;
            };
            let entry = TimelineEntryDto {
                at: time_of(&a.hlc),
                actor: a.actor,
                kind,
                action: None,
                status: None,
                note: String::new(),
            };
            out.push((a.hlc, entry));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, permit};

    #[test]
    fn a_permits_timeline_holds_its_registration_documents_and_steps_in_order() {
        let (_dir, loket) = configured();
        let app = loket.register_permit(permit("SKTM", &["ktp", "kk", "pengantar_rt"])).unwrap();
        loket
            .set_document_received(crate::dto::DocumentInput {
                application_id: app.id.clone(),
                code: "pengantar_desa".into(),
                received: true,
            })
            .unwrap();
        loket
            .decide(crate::dto::DecisionInput {
                application_id: app.id.clone(),
                action: Action::Submit,
                note: String::new(),
                password: None,
            })
            .unwrap();
        let t = loket.application_timeline(&app.id).unwrap();
        let kinds: Vec<TimelineKind> = t.iter().map(|e| e.kind).collect();
        assert_eq!(kinds[0], TimelineKind::Registered);
        assert!(kinds.contains(&TimelineKind::DocumentReceived));
        let step =
            t.iter().find(|e| e.kind == TimelineKind::Step && e.action == Some(Action::Submit)).unwrap();
        assert_eq!((step.status, step.actor.as_str()), (Some(Status::Submitted), "petugas"));
        assert!(t.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(loket.application_timeline("nope").unwrap_err().code(), "not_found");
    }
}
