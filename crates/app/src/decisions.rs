//! Workflow steps on an application (review, approve, reject, return, ...), the permit
//! checklist, and settling sync conflicts.

use chrono::Utc;
use loket_protocol::ApplicantFields;

use crate::dto::{ApplicationDto, DecisionInput, DocumentInput, Keep, ResolveInput};
use crate::{AppError, Loket};

impl Loket {
    /// Take a workflow step as the logged-in user. Approving or rejecting aid or a grant on a
    /// session whose password was entered a while ago needs the password again.
    pub fn decide(&self, input: DecisionInput) -> Result<ApplicationDto, AppError> {
        if input.action.is_decision() {
            let kind = self.store().application(&input.application_id)?.kind;
            if kind != loket_domain::workflow::ApplicationKind::Permit {
                self.recent_password(input.password.as_deref())?;
            }
        }
        self.change(|store, actor| {
            Ok(store.transition(&input.application_id, input.action, &input.note, actor, Utc::now())?)
        })
    }

    /// Tick (or untick) a document of a permit's checklist; a draft whose checklist is complete
    /// offers `submit`, which numbers it.
    pub fn set_document_received(&self, input: DocumentInput) -> Result<ApplicationDto, AppError> {
        self.change(|store, actor| {
            Ok(store.set_document_received(
                &input.application_id,
                &input.code,
                input.received,
                actor,
                Utc::now(),
            )?)
        })
    }

    /// A supervisor settles the open conflicts of an application: keep the server's values,
    /// or take the values the other device sent.
    pub fn resolve_conflicts(&self, input: ResolveInput) -> Result<ApplicationDto, AppError> {
        self.change(|store, actor| {
            let open = store.open_conflicts_of(&input.application_id)?;
            let ids: Vec<String> = open.iter().filter_map(|c| c.op_id.clone()).collect();
            let mut fields = ApplicantFields::default();
            if input.keep == Keep::Device {
                for c in &open {
                    fields.merge(&c.data.values.fields);
                }
            }
            store.resolve_conflicts(&input.application_id, &ids, &fields, actor, Utc::now())?;
            Ok(store.application(&input.application_id)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use loket_domain::workflow::{Action, Role, Status};

    use super::*;
    use crate::dto::LoginInput;
    use crate::test_support::{bansos, configured, synced_user};

    #[test]
    fn offline_login_with_synced_users_then_decisions_by_role() {
        let (_dir, loket) = configured();
        // Every aid decision asks for the password again here.
        let loket = loket.with_reauth_after(std::time::Duration::ZERO);
        assert!(!loket.session().unwrap().login_required, "the first local user is logged in");
        let saved = loket.register_bansos(bansos("3601011205900001")).unwrap();
        assert!(!saved.actions.contains(&Action::Approve));

        synced_user(&loket, "kasi", &[Role::Clerk, Role::Supervisor], "rahasia-panjang");
        loket.logout().unwrap();
        assert!(loket.session().unwrap().login_required);
        assert_eq!(loket.register_bansos(bansos("3601011205900002")).unwrap_err().code(), "login_required");
        let wrong = LoginInput { username: "kasi".into(), password: "salah".into() };
        assert_eq!(loket.login(wrong).unwrap_err().code(), "login_failed");
        let nobody = LoginInput { username: "siapa".into(), password: "rahasia-panjang".into() };
        assert_eq!(loket.login(nobody).unwrap_err().code(), "login_failed");

        let s =
            loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() }).unwrap();
        assert_eq!((s.login_required, s.username.as_deref()), (false, Some("kasi")));
        assert_eq!(s.roles, [Role::Clerk, Role::Supervisor]);
        let listed = &loket.list_applications().unwrap()[0];
        assert!(listed.actions.contains(&Action::StartReview), "{:?}", listed.actions);
        let step = |action: Action, note: &str| {
            loket.decide(DecisionInput {
                application_id: saved.id.clone(),
                action,
                note: note.into(),
                password: None,
            })
        };
        assert_eq!(step(Action::StartReview, "").unwrap().status, Status::InReview);
        assert_eq!(step(Action::Approve, "").unwrap_err().code(), "reauth_required");
        let with = |password: &str| {
            loket.decide(DecisionInput {
                application_id: saved.id.clone(),
                action: Action::Approve,
                note: String::new(),
                password: Some(password.into()),
            })
        };
        assert_eq!(with("salah").unwrap_err().code(), "login_failed");
        assert_eq!(loket.store().application(&saved.id).unwrap().status, Status::InReview, "nothing decided");
        let approved = with("rahasia-panjang").unwrap();
        assert_eq!(
            (approved.status, approved.actions.as_slice()),
            (Status::Approved, &[Action::Complete][..])
        );

        loket.logout().unwrap();
        assert_eq!(step(Action::Complete, "").unwrap_err().code(), "login_required");
    }
}
