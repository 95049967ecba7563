//! One data type per change kind of the server's feed, and [`ChangeBody`], a change's data
//! decoded by its kind. The server's rules build these; devices apply them.

pub use loket_domain::aid::FlagReason;
use loket_domain::workflow::{Action, Role, Status};
use serde::{Deserialize, Serialize};

use crate::kinds::ChangeKind;
use crate::payload::{ApplicantFields, OpBody, RecordData, RegisterPayload, TransitionPayload};

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
    #[serde(default)]
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
    #[serde(default)]
    pub actor: Option<String>,
}

/// `conflict`: an operation the server kept for a person to settle. A workflow step that found
/// the application in another status carries `action`, `from`, `server_status` and the step;
/// field values made on a version the server had moved past carry the fields and versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictData {
    pub application_id: String,
    /// The losing operation: the conflict's id.
    pub op_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<TransitionPayload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<ApplicantFields>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_fields: Option<ApplicantFields>,
}

/// `flag`: an active bansos application of the same NIK or KK, programme and period in
/// another kecamatan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagData {
    pub application_id: String,
    pub other_application_id: String,
    pub other_office_code: String,
    #[serde(default)]
    pub other_registration_number: Option<String>,
    pub programme: String,
    #[serde(default)]
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
    /// Argon2id PHC string.
    pub password_hash: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A change's data decoded by its kind: one variant per [`ChangeKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeBody {
    Application(Box<RegisterPayload>),
    Event(EventData),
    State(StateData),
    Edit(EditData),
    Resolved(ResolvedData),
    Conflict(ConflictData),
    Flag(FlagData),
    User(UserRecord),
    /// A relayed operation, decoded by its own kind.
    Record(OpBody),
}

impl ChangeBody {
    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::Application(_) => ChangeKind::Application,
            Self::Event(_) => ChangeKind::Event,
            Self::State(_) => ChangeKind::State,
            Self::Edit(_) => ChangeKind::Edit,
            Self::Resolved(_) => ChangeKind::Resolved,
            Self::Conflict(_) => ChangeKind::Conflict,
            Self::Flag(_) => ChangeKind::Flag,
            Self::User(_) => ChangeKind::User,
            Self::Record(_) => ChangeKind::Record,
        }
    }

    /// Decode the data text of a change of `kind`.
    pub fn decode(kind: ChangeKind, data: &str) -> Result<Self, serde_json::Error> {
        use serde_json::from_str as de;
        Ok(match kind {
            ChangeKind::Application => Self::Application(de(data)?),
            ChangeKind::Event => Self::Event(de(data)?),
            ChangeKind::State => Self::State(de(data)?),
            ChangeKind::Edit => Self::Edit(de(data)?),
            ChangeKind::Resolved => Self::Resolved(de(data)?),
            ChangeKind::Conflict => Self::Conflict(de(data)?),
            ChangeKind::Flag => Self::Flag(de(data)?),
            ChangeKind::User => Self::User(de(data)?),
            ChangeKind::Record => Self::Record(de::<RecordData>(data)?.body()?),
        })
    }

    /// The data as JSON text.
    pub fn encode(&self) -> String {
        let text = match self {
            Self::Application(d) => serde_json::to_string(d),
            Self::Event(d) => serde_json::to_string(d),
            Self::State(d) => serde_json::to_string(d),
            Self::Edit(d) => serde_json::to_string(d),
            Self::Resolved(d) => serde_json::to_string(d),
            Self::Conflict(d) => serde_json::to_string(d),
            Self::Flag(d) => serde_json::to_string(d),
            Self::User(d) => serde_json::to_string(d),
            Self::Record(body) => serde_json::to_string(&RecordData::of(body)),
        };
        text.expect("plain data always encodes")
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
            fields: Some(ApplicantFields { applicant_name: Some("X".into()), ..Default::default() }),
            base_version: Some(2),
            server_version: Some(3),
            server_fields: Some(ApplicantFields::default()),
            ..ConflictData::default()
        };
        let text = ChangeBody::Conflict(c.clone()).encode();
        assert_eq!(
            text,
            r#"{"application_id":"a","op_id":"o","fields":{"applicant_name":"X"},"base_version":2,"server_version":3,"server_fields":{}}"#
        );
        assert_eq!(ChangeBody::decode(ChangeKind::Conflict, &text).unwrap(), ChangeBody::Conflict(c));
    }
}
