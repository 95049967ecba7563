//! The supervisor's desk: the queue of what waits for the user's decision, most urgent first,
//! filtered and paged (`Store::queue_rows`), and the decisions that are safe to take on many at
//! once.

use chrono::{NaiveDate, Utc};
use loket_domain::issue::{FieldIssue, Severity};
use loket_domain::workflow::{awaiting, Action, ApplicationKind};
use loket_store::QueueFilter;

use crate::dto::{BulkDecisionInput, BulkRefusalDto, BulkResultDto, DecisionInput, QueueInput, QueuePageDto};
use crate::{present, AppError, ErrorCode, Loket};

/// Rows per page of the queue.
pub const QUEUE_PAGE: u32 = 50;

fn day(field: &'static str, value: Option<&str>) -> Result<Option<NaiveDate>, FieldIssue> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| FieldIssue {
            field,
            code: "queue.date_invalid",
            message: "Tanggal tidak valid (contoh: 2026-12-01).".into(),
            severity: Severity::Error,
        }),
    }
}

impl Loket {
    /// A page of the queue of applications awaiting the user's decision: overdue first, then by
    /// due date, then the oldest (NIKs masked).
    pub fn queue(&self, input: QueueInput) -> Result<QueuePageDto, AppError> {
        let actor = self.reading()?;
        let mine = awaiting(&actor.roles);
        let (from, to) = match (day("from", input.from.as_deref()), day("to", input.to.as_deref())) {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                let issues: Vec<FieldIssue> = [f.err(), t.err()].into_iter().flatten().collect();
                return Err(AppError::Validation {
                    issues: present::issues(&issues),
                    needs_confirmation: false,
                });
            }
        };
        let filter = QueueFilter {
            statuses: match input.status {
                Some(s) => mine.iter().copied().filter(|m| *m == s).collect(),
                None => mine.clone(),
            },
            service_code: input.service_code.filter(|s| !s.is_empty()),
            village_code: input.village_code.filter(|s| !s.is_empty()),
            from,
            to,
        };
        let today = crate::today();
        let mut store = self.store();
        let page = store.queue_rows(&filter, today, QUEUE_PAGE, input.page.saturating_mul(QUEUE_PAGE))?;
        let mut items = present::application_rows(&store, &actor, page.rows, Utc::now())?;
        for row in &mut items {
            row.applicant_nik = None;
        }
        Ok(QueuePageDto {
            items,
            total: u32::try_from(page.total).unwrap_or(u32::MAX),
            overdue: u32::try_from(page.overdue).unwrap_or(u32::MAX),
            page: input.page,
            page_size: QUEUE_PAGE,
            statuses: mine,
        })
    }

    /// The same step on several applications, each its own decision (one durable change and
    /// one operation each). Only steps that need no note and no second look are taken in bulk:
    /// starting the review, and approving permits without open conflicts. The others are
    /// refused here, one by one, with why.
    pub fn decide_many(&self, input: BulkDecisionInput) -> Result<BulkResultDto, AppError> {
        if !matches!(input.action, Action::StartReview | Action::Approve) {
            return Err(AppError::Workflow("Tindakan ini hanya dapat dilakukan satu per satu.".into()));
        }
        use crate::dto::BulkRefusalReason as R;
        let mut result = BulkResultDto { done: Vec::new(), refused: Vec::new() };
        for id in input.application_ids {
            let row = self.store().application_row(&id);
            let refusal = match &row {
                Err(_) => Some((R::NotFound, ErrorCode::NotFound, "Permohonan tidak ditemukan.")),
                Ok(r) if input.action == Action::Approve && r.application.kind != ApplicationKind::Permit => {
                    Some((R::AidOneByOne, ErrorCode::Workflow, "Bantuan dan hibah diputuskan satu per satu."))
                }
                Ok(r)
                    if input.action == Action::Approve
                        && (!r.conflicts.is_empty() || !r.flags.is_empty()) =>
                {
                    let why = "Ada konflik atau tanda duplikasi: periksa satu per satu.";
                    Some((R::NeedsALook, ErrorCode::Workflow, why))
                }
                Ok(_) => None,
            };
            if let Some((reason, code, message)) = refusal {
                let message = message.to_string();
                result.refused.push(BulkRefusalDto { application_id: id, reason, code, message });
                continue;
            }
            let decision = DecisionInput {
                application_id: id.clone(),
                action: input.action,
                note: String::new(),
                password: None,
            };
            match self.decide(decision) {
                Ok(_) => result.done.push(id),
                Err(e) => result.refused.push(BulkRefusalDto {
                    application_id: id,
                    reason: R::Refused,
                    code: e.code(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use loket_domain::workflow::{Role, Status};

    use super::*;
    use crate::dto::{LoginInput, SlaStatus};
    use crate::test_support::{bansos, configured, permit, synced_user};

    const SKTM: &[&str] = &["ktp", "kk", "pengantar_rt", "pengantar_desa"];

    #[test]
    fn the_queue_puts_the_overdue_first_then_by_due_date_and_filters_and_pages() {
        let (_dir, loket) = configured();
        let aid = loket.register_bansos(bansos("3601011205900002")).unwrap();
        let fresh = loket.register_permit(permit("SKTM", SKTM)).unwrap();
        let old = loket.register_permit(permit("SKTM", SKTM)).unwrap();
        let draft = loket.register_permit(permit("SKTM", &["ktp"])).unwrap();
        // `old` was submitted three weeks ago: its clock ran out.
        {
            let store = loket.store();
            let weeks_ago = chrono::Utc::now().timestamp_millis() - 21 * 86_400_000;
            store
                .raw_connection()
                .execute(
                    "UPDATE workflow_event SET hlc = printf('%016d', ?2) || substr(hlc, 17) WHERE application_id = ?1",
                    (old.id.as_str(), weeks_ago),
                )
                .unwrap();
            store.raw_connection().execute("UPDATE application SET due_stale = 1", []).unwrap();
        }
        synced_user(&loket, "kasi", &[Role::Supervisor], "rahasia-panjang");
        loket.logout().unwrap();
        loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() }).unwrap();

        let q = loket.queue(QueueInput::default()).unwrap();
        assert_eq!(q.statuses, [Status::Submitted, Status::InReview]);
        let ids: Vec<&str> = q.items.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [old.id.as_str(), fresh.id.as_str(), aid.id.as_str()],
            "the draft waits for the clerk"
        );
        assert_eq!((q.total, q.overdue), (3, 1));
        assert_eq!(q.items[0].sla, Some(SlaStatus::Overdue));
        assert!(
            matches!(q.items[1].sla, Some(SlaStatus::OnTime | SlaStatus::DueSoon)),
            "{:?}",
            q.items[1].sla
        );
        assert_eq!(q.items[2].sla, None, "aid has no service-time standard");
        assert!(q.items.iter().all(|a| a.applicant_nik.is_none()), "NIKs masked");
        assert!(!ids.contains(&draft.id.as_str()));

        let only = |input: QueueInput| {
            loket.queue(input).unwrap().items.into_iter().map(|a| a.id).collect::<Vec<_>>()
        };
        assert_eq!(
            only(QueueInput { service_code: Some("PKH".into()), ..Default::default() }),
            [aid.id.as_str()]
        );
        assert!(
            only(QueueInput { village_code: Some("36.01.01.2002".into()), ..Default::default() }).is_empty()
        );
        assert_eq!(only(QueueInput { page: 1, ..Default::default() }), Vec::<String>::new());
        let today = crate::today().to_string();
        assert_eq!(
            only(QueueInput { from: Some(today.clone()), to: Some(today), ..Default::default() }).len(),
            3,
            "registered today (the back-dated history is not the registration day)"
        );
        let bad =
            loket.queue(QueueInput { from: Some("1 Desember".into()), ..Default::default() }).unwrap_err();
        assert_eq!(bad.code(), "validation");

        // Started in bulk; an approval of aid in bulk is refused, a permit's taken.
        let all = vec![old.id.clone(), fresh.id.clone(), aid.id.clone()];
        let started = loket
            .decide_many(BulkDecisionInput { application_ids: all.clone(), action: Action::StartReview })
            .unwrap();
        assert_eq!(started.done, all);
        let q = loket.queue(QueueInput { status: Some(Status::InReview), ..Default::default() }).unwrap();
        assert_eq!(q.total, 3);
        let approved = loket
            .decide_many(BulkDecisionInput { application_ids: all.clone(), action: Action::Approve })
            .unwrap();
        assert_eq!(approved.done, [old.id.clone(), fresh.id.clone()]);
        assert_eq!(approved.refused.len(), 1);
        assert_eq!(approved.refused[0].reason, crate::dto::BulkRefusalReason::AidOneByOne, "{approved:?}");
        assert_eq!(loket.queue(QueueInput::default()).unwrap().total, 1);
        let refused = loket
            .decide_many(BulkDecisionInput { application_ids: vec![aid.id.clone()], action: Action::Reject });
        assert!(refused.is_err(), "a rejection needs its own note");
    }
}
