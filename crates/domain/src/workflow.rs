//! The application workflow, shared by permits and aid applications.
//!
//! ```text
//! draft ──submit──▶ submitted ──start_review──▶ in_review ──approve──▶ approved ──complete──▶ completed
//!                      ▲                           │ reject ──▶ rejected
//!                      └──────resubmit── returned ◀┘ return
//! draft | submitted | returned ──cancel──▶ cancelled
//! ```
//!
//! Each transition is taken by a role and recorded as an append-only event (actor, time, note).
//! Rejecting and returning need a note: the applicant is owed a reason.

use std::fmt;

use thiserror::Error;

/// What an application is: a PATEN permit or letter, individual aid (bansos) or an
/// organisation's grant (hibah). One number space and one workflow for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ApplicationKind {
    Permit,
    Bansos,
    Hibah,
}

impl ApplicationKind {
    pub const ALL: [ApplicationKind; 3] =
        [ApplicationKind::Permit, ApplicationKind::Bansos, ApplicationKind::Hibah];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permit => "permit",
            Self::Bansos => "bansos",
            Self::Hibah => "hibah",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Aid applications (bansos, hibah) are decided by a supervisor with a fresh look at the
    /// applicant; permits follow their service standard.
    pub fn is_aid(self) -> bool {
        matches!(self, Self::Bansos | Self::Hibah)
    }
}

impl fmt::Display for ApplicationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Roles of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Role {
    /// Petugas loket.
    Clerk,
    /// Kasi, sekcam or camat.
    Supervisor,
    /// Provincial or office IT.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Clerk, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clerk => "clerk",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Clerk => "Petugas loket",
            Self::Supervisor => "Pemeriksa/pejabat (kasi, sekcam, camat)",
            Self::Admin => "Admin TI",
        }
    }
}

/// Where an application is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Status {
    Draft,
    Submitted,
    InReview,
    Approved,
    Rejected,
    Returned,
    Completed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::Submitted,
        Status::InReview,
        Status::Approved,
        Status::Rejected,
        Status::Returned,
        Status::Completed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::InReview => "in_review",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Returned => "returned",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No transition leaves a final status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Completed | Self::Cancelled)
    }

    /// Counts against the service-time standard (the clock stops while returned or final).
    pub fn sla_running(self) -> bool {
        matches!(self, Self::Submitted | Self::InReview)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Action {
    Submit,
    StartReview,
    Approve,
    Reject,
    Return,
    Resubmit,
    Complete,
    Cancel,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Submit,
        Action::StartReview,
        Action::Approve,
        Action::Reject,
        Action::Return,
        Action::Resubmit,
        Action::Complete,
        Action::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::StartReview => "start_review",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Return => "return",
            Self::Resubmit => "resubmit",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Decisions are the actions only a supervisor takes on a reviewed application.
    pub fn is_decision(self) -> bool {
        matches!(self, Self::Approve | Self::Reject | Self::Return)
    }
}

/// Why a transition is refused. Stable codes via [`WorkflowError::code`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    #[error("Tindakan ini tidak dapat dilakukan pada permohonan berstatus {from}.")]
    NotAllowedFrom { action: Action, from: Status },
    #[error("Peran Anda tidak berwenang melakukan tindakan ini.")]
    RoleNotAllowed { action: Action },
    #[error("Alasan wajib diisi untuk menolak atau mengembalikan permohonan.")]
    NoteRequired { action: Action },
    #[error("Catatan paling panjang {NOTE_MAX} karakter.")]
    NoteTooLong,
}

impl WorkflowError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowedFrom { .. } => "workflow.not_allowed_from",
            Self::RoleNotAllowed { .. } => "workflow.role_not_allowed",
            Self::NoteRequired { .. } => "workflow.note_required",
            Self::NoteTooLong => "workflow.note_too_long",
        }
    }
}

/// The transition table: (action, from) → to.
fn target(action: Action, from: Status) -> Option<Status> {
    use Action as A;
    use Status as S;
    Some(match (action, from) {
        (A::Submit, S::Draft) => S::Submitted,
        (A::StartReview, S::Submitted) => S::InReview,
        (A::Approve, S::InReview) => S::Approved,
        (A::Reject, S::InReview) => S::Rejected,
        (A::Return, S::InReview) => S::Returned,
        (A::Resubmit, S::Returned) => S::Submitted,
        (A::Complete, S::Approved) => S::Completed,
        (A::Cancel, S::Draft | S::Submitted | S::Returned) => S::Cancelled,
        _ => return None,
    })
}

/// Which roles may take an action.
pub fn roles_for(action: Action) -> &'static [Role] {
    match action {
        Action::Submit | Action::Resubmit | Action::Complete => &[Role::Clerk],
        Action::StartReview | Action::Approve | Action::Reject | Action::Return => &[Role::Supervisor],
        Action::Cancel => &[Role::Clerk, Role::Supervisor],
    }
}

/// Longest note a step may carry, in characters.
pub const NOTE_MAX: usize = 1000;

/// Check a transition; returns the new status.
/// The statuses in which an application waits for a decision of someone with `roles`: those
/// from which they may take a step other than cancelling (a supervisor: submitted and in
/// review; a clerk: drafts and returned applications).
pub fn awaiting(roles: &[Role]) -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|s| {
            Action::ALL
                .into_iter()
                .any(|a| a != Action::Cancel && transition(*s, a, roles, "catatan").is_ok())
        })
        .collect()
}

pub fn transition(from: Status, action: Action, roles: &[Role], note: &str) -> Result<Status, WorkflowError> {
    let to = target(action, from).ok_or(WorkflowError::NotAllowedFrom { action, from })?;
    if !roles.iter().any(|r| roles_for(action).contains(r)) {
        return Err(WorkflowError::RoleNotAllowed { action });
    }
    if matches!(action, Action::Reject | Action::Return) && note.trim().is_empty() {
        return Err(WorkflowError::NoteRequired { action });
    }
    if note.chars().count() > NOTE_MAX {
        return Err(WorkflowError::NoteTooLong);
    }
    Ok(to)
}

/// The actions a user with `roles` can take from `from` (for showing buttons).
pub fn available(from: Status, roles: &[Role]) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| target(*a, from).is_some() && roles.iter().any(|r| roles_for(*a).contains(r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Role as R;
    use Status as S;

    /// Every allowed transition, with the roles that may take it.
    const ALLOWED: &[(S, A, S, &[R])] = &[
        (S::Draft, A::Submit, S::Submitted, &[R::Clerk]),
        (S::Submitted, A::StartReview, S::InReview, &[R::Supervisor]),
        (S::InReview, A::Approve, S::Approved, &[R::Supervisor]),
        (S::InReview, A::Reject, S::Rejected, &[R::Supervisor]),
        (S::InReview, A::Return, S::Returned, &[R::Supervisor]),
        (S::Returned, A::Resubmit, S::Submitted, &[R::Clerk]),
        (S::Approved, A::Complete, S::Completed, &[R::Clerk]),
        (S::Draft, A::Cancel, S::Cancelled, &[R::Clerk, R::Supervisor]),
        (S::Submitted, A::Cancel, S::Cancelled, &[R::Clerk, R::Supervisor]),
        (S::Returned, A::Cancel, S::Cancelled, &[R::Clerk, R::Supervisor]),
    ];

    #[test]
    fn every_pair_of_status_and_action_by_every_role() {
        for from in S::ALL {
            for action in A::ALL {
                for role in R::ALL {
                    let allowed = ALLOWED.iter().find(|(f, a, _, _)| *f == from && *a == action);
                    let got = transition(from, action, &[role], "alasan");
                    match allowed {
                        Some((_, _, to, roles)) if roles.contains(&role) => {
                            assert_eq!(got, Ok(*to), "{from:?} {action:?} by {role:?}")
                        }
                        Some(_) => assert_eq!(
                            got,
                            Err(WorkflowError::RoleNotAllowed { action }),
                            "{from:?} {action:?} by {role:?}"
                        ),
                        None => assert_eq!(
                            got,
                            Err(WorkflowError::NotAllowedFrom { action, from }),
                            "{from:?} {action:?} by {role:?}"
                        ),
                    }
                }
            }
        }
    }

    #[test]
    fn reject_and_return_need_a_note() {
        for action in [A::Reject, A::Return] {
            assert_eq!(
                transition(S::InReview, action, &[R::Supervisor], "  "),
                Err(WorkflowError::NoteRequired { action })
            );
        }
        assert_eq!(transition(S::InReview, A::Approve, &[R::Supervisor], ""), Ok(S::Approved));
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for s in S::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(available(s, &R::ALL).is_empty(), "{s:?}");
        }
    }

    #[test]
    fn available_actions_by_role() {
        assert_eq!(available(S::InReview, &[R::Supervisor]), vec![A::Approve, A::Reject, A::Return]);
        assert_eq!(available(S::InReview, &[R::Clerk]), vec![]);
        assert_eq!(available(S::Submitted, &[R::Clerk]), vec![A::Cancel]);
        assert_eq!(available(S::Submitted, &[R::Admin]), vec![]);
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        for a in A::ALL {
            assert_eq!(A::parse(a.as_str()), Some(a));
        }
        for r in R::ALL {
            assert_eq!(R::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn what_awaits_whom() {
        assert_eq!(awaiting(&[Role::Supervisor]), [Status::Submitted, Status::InReview]);
        assert!(awaiting(&[Role::Clerk]).contains(&Status::Returned));
        assert!(!awaiting(&[Role::Clerk]).contains(&Status::InReview));
    }
}
