//! One data type per change kind of the server's feed, and [`ChangeBody`], a change's data
//! decoded by its kind. The server's rules build these; devices apply them.

pub use loket_domain::aid::FlagReason;
use loket_domain::workflow::{Action, Role, Status};
use serde::{Deserialize, Serialize};

use crate::kinds::ChangeKind;
use crate::payload::{ApplicantFields, RegisterPayload, Relayed, TransitionPayload};
use crate::typed_bodies;

/// `event`: a workflow step as the server accepted it. Devices take status, version and
/// registration number from here, so every device ends on the server's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    /// The step as the device took it; its `registration_number` is the server's.
    #[serde(flatten)]
    pub step: TransitionPayload,
    /// The server's status after the step.
    pub status: Status,
    pub version: i64,
}

/// `state`: the server's state of an application after it refused an operation on it or kept
/// one as a conflict: the device's optimistic change gives way to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateData {
    pub application_id: String,
    pub status: Status,
    pub version: i64,
    /// Authoritative: `None` while the server holds a draft.
    pub registration_number: Option<String>,
    #[serde(default)]
    pub fields: ApplicantFields,
}

/// `edit`: applicant fields as accepted, with the version they made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditData {
    pub application_id: String,
    pub fields: ApplicantFields,
    pub version: i64,
}

/// `resolved`: a supervisor settled conflicts (and perhaps took other field values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedData {
    pub application_id: String,
    pub resolves: Vec<String>,
    #[serde(default)]
    pub fields: ApplicantFields,
    pub version: i64,
    pub actor: Option<String>,
}

/// `conflict`: an operation the server kept for a person to settle: either a workflow step
/// that found the application in another status ([`StepConflict`]), or field values made on a
/// version the server had moved past ([`ValuesConflict`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictData {
    pub application_id: String,
    /// The losing operation: the conflict's id.
    pub op_id: String,
    #[serde(flatten)]
    pub step: StepConflict,
    #[serde(flatten)]
    pub values: ValuesConflict,
}

/// A workflow step that found the application in another status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepConflict {
    pub action: Option<Action>,
    pub from: Option<Status>,
    pub server_status: Option<Status>,
    /// The step as the device took it.
    pub payload: Option<TransitionPayload>,
}

/// Field values made on a version the server had moved past, and the server's (empty when
/// the conflict is about a step).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValuesConflict {
    pub fields: ApplicantFields,
    pub base_version: Option<i64>,
    pub server_version: i64,
    pub server_fields: ApplicantFields,
}

/// `flag`: an active bansos application of the same NIK or KK, programme and period in
/// another kecamatan. What the office needs and no more: which kecamatan, the programme and
/// period, and a reference to quote to the province — never the other office's record ids,
/// registration number or personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagData {
    pub application_id: String,
    /// The pair's reference (`DUP-` and eight characters), the same in both offices; the
    /// province looks the pair up by it (`loket-server aid duplicates --reference`).
    pub reference: String,
    pub other_office_code: String,
    pub programme: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    pub reason: FlagReason,
}

/// `user`: a user of the office, with the password hash for offline login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    pub roles: Vec<Role>,
    /// The user's current Ed25519 public key, base64url.
    pub public_key: String,
    /// The private key wrapped by the user's password: offline login unwraps it. No password
    /// hash the server accepts ever reaches a laptop.
    pub wrapped_key: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// `redacted`: the application's retention period is over and the server removed its personal
/// data (`loket-server retention run`); a device removes what it holds of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedData {
    pub application_id: String,
    pub redacted_at: String,
}

/// `staff_conflict`: two laptops updated one staff record offline; the later one to arrive was
/// made on a version the server had moved past. Kept for a supervisor to settle (a
/// `staff.update` on the server's version that `resolves` it); devices take the server's record
/// meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffConflictData {
    pub staff_id: String,
    /// The losing operation: the conflict's id.
    pub op_id: String,
    /// The losing update's values, and the version it was made on.
    pub fields: crate::StaffFields,
    pub base_version: i64,
    /// The server's record.
    pub server_fields: crate::StaffFields,
    pub server_version: i64,
    /// Who made the losing update.
    #[serde(default)]
    pub actor: String,
}

typed_bodies! {
    /// A change's data decoded by its kind: one variant per [`ChangeKind`].
    pub enum ChangeBody by ChangeKind {
        Application(Box<RegisterPayload>) = Application, Event(EventData) = Event, State(StateData) = State,
        Edit(EditData) = Edit, Resolved(ResolvedData) = Resolved, Conflict(Box<ConflictData>) = Conflict,
        Flag(FlagData) = Flag, User(UserRecord) = User, Record(Relayed) = Record,
        Redacted(RedactedData) = Redacted, StaffConflict(Box<StaffConflictData>) = StaffConflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_the_step_with_the_servers_verdict() {
        let text = r#"{"event_id":"e","application_id":"a","action":"approve","from":"in_review","to":"approved","note":"","registration_number":"360101-K7QX-000001","hlc":"h","actor":"kasi","status":"approved","version":4}"#;
        let body = ChangeBody::decode(ChangeKind::Event, text).unwrap();
        let ChangeBody::Event(e) = &body else { panic!("not an event") };
        assert_eq!((e.step.action, e.status, e.version), (Action::Approve, Status::Approved, 4));
        assert_eq!(ChangeBody::decode(ChangeKind::Event, &body.encode()).unwrap(), body);
    }

    #[test]
    fn a_change_of_the_wrong_shape_does_not_decode() {
        assert!(ChangeBody::decode(ChangeKind::Flag, r#"{"application_id":"a"}"#).is_err());
        assert!(ChangeBody::decode(ChangeKind::User, "not json").is_err());
        let record = r#"{"op":"application.document","payload":{"application_id":"a"}}"#;
        assert!(ChangeBody::decode(ChangeKind::Record, record).is_err(), "a document needs its code");
    }

    #[test]
    fn a_conflict_carries_only_what_it_is_about() {
        let c = ConflictData {
            application_id: "a".into(),
            op_id: "o".into(),
            step: StepConflict::default(),
            values: ValuesConflict {
                fields: ApplicantFields { applicant_name: Some("X".into()), ..Default::default() },
                base_version: Some(2),
                server_version: 3,
                server_fields: ApplicantFields::default(),
            },
        };
        let text = ChangeBody::Conflict(Box::new(c.clone())).encode();
        assert_eq!(
            text,
            r#"{"application_id":"a","op_id":"o","action":null,"from":null,"server_status":null,"payload":null,"fields":{"applicant_name":"X"},"base_version":2,"server_version":3,"server_fields":{}}"#
        );
        // As protocol 1 devices stored them: only what the conflict is about.
        let stored = r#"{"application_id":"a","op_id":"o","fields":{"applicant_name":"X"},"base_version":2,"server_version":3,"server_fields":{}}"#;
        assert_eq!(serde_json::from_str::<ConflictData>(stored).unwrap(), c);
        assert_eq!(
            ChangeBody::decode(ChangeKind::Conflict, &text).unwrap(),
            ChangeBody::Conflict(Box::new(c))
        );
    }
}
