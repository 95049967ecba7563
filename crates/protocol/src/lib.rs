//! The wire protocol between a Loket office device and the provincial server.
//!
//! Plain serde types only: both sides depend on this crate, neither on the other.
//!
//! Every request carries the header [`PROTOCOL_HEADER`] with the client's protocol version. A
//! client older than [`MIN_PROTOCOL_VERSION`] gets `426 Upgrade Required` with an [`ApiError`]
//! whose `min_version` says what to update to. Devices authenticate with
//! `Authorization: Bearer <token>` from [`EnrollResponse`].
//!
//! Sync is push-then-pull:
//! - `POST /api/v1/sync/push` sends outbox [`Operation`]s in device sequence order. Each is
//!   idempotent by `op_id` and by `(device, seq)`: a re-sent operation gets its first result
//!   again and changes nothing.
//! - `GET /api/v1/sync/pull?after=N&limit=M` returns the office's [`ChangeRecord`]s after the
//!   checkpoint `N` (a monotonic server sequence), one consistent page at a time.
//!
//! The vocabulary is typed: an operation's `op` is an [`OpKind`] and its payload decodes into
//! the one type of that kind ([`OpBody`]); a change's `kind` is a [`ChangeKind`] and its data
//! decodes into [`ChangeBody`]. The wire names are written once, in `kinds.rs`.

mod bodies;
mod change;
mod details;
mod kinds;
mod payload;
mod raw;
mod receipt;
pub mod redaction;
mod signing;
pub mod validate;

pub use change::{
    ChangeBody, ConflictData, EditData, EventData, FlagData, FlagReason, RedactedData, ResolvedData,
    StaffConflictData, StateData, StepConflict, UserRecord, ValuesConflict,
};
pub use details::{BansosDetails, HibahDetails};
pub use kinds::{AccessAction, ChangeKind, Entity, OpKind};
pub use payload::{
    AccessPayload, ApplicantFields, AttachPayload, CataloguePayload, ChecklistEntry, DocumentPayload,
    EditPayload, HolidayPayload, HouseholdMember, OpBody, RecordData, RegisterPayload, Relayed,
    ResolvePayload, StaffCreatePayload, StaffFields, StaffUpdatePayload, TransitionPayload,
    UserCreatePayload, UserDeactivatePayload,
};
pub use raw::RawJson;
pub use receipt::{
    DeviceCertificate, DeviceKeyRequest, DeviceKeyResponse, ReceiptClaim, ReceiptVerdict,
    ReceiptVerifyRequest, ReceiptVerifyResponse,
};
pub use signing::Signed;

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks. Version 2: typed operation and change kinds, one
/// payload type per kind (`payload.rs`, `change.rs`). Version 3: operations carry the acting
/// user's [`Proof`]; users travel with their public and wrapped keys, not a password hash.
/// Version 4: payloads checked by the domain's validators ([`validate`]); duplicate-aid flags
/// carry a reference instead of the other office's record ids. Version 5: push and pull answers
/// carry the server data's `epoch`, which a restore from backup changes (a client that does not
/// understand it would miss what the restored server lost). Version 6: `access.record`
/// operations, and `redacted` changes (an application's personal data removed at the end of its
/// retention period), which an older client could not decode. Version 7: a holiday carries its
/// kind and whether it stops the office's service clock (the province's calendar, published
/// to every office), which an older client could not decode. Version 8: catalogue versions
/// published to offices (`catalogue.publish`), and a permit naming the version it was
/// registered under. Version 9: a staff record's update made on an old version is kept as a
/// `staff_conflict` for a supervisor to settle (it was applied last-writer-wins), settled by an
/// update that `resolves` it.
pub const PROTOCOL_VERSION: u32 = 9;
/// The oldest client protocol the server still serves.
pub const MIN_PROTOCOL_VERSION: u32 = 9;
/// Request header carrying the client's protocol version.
pub const PROTOCOL_HEADER: &str = "x-loket-protocol";
/// Largest number of operations in one push.
pub const MAX_PUSH_OPS: usize = 500;
/// Largest page of a pull.
pub const MAX_PULL_LIMIT: u32 = 1000;
/// Largest payload of one operation, in bytes of JSON (a bansos registration with a household
/// of twenty is about 3 KB).
pub const MAX_OP_PAYLOAD_BYTES: usize = 64 * 1024;
/// Largest push body once decoded (gzip), in bytes: [`MAX_PUSH_OPS`] operations of ordinary
/// size with room to spare.
pub const MAX_PUSH_BYTES: u64 = 8 * 1024 * 1024;

/// Every API error: a stable `code` to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// Set on `426 Upgrade Required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<u32>,
}

/// Exchange a one-time enrollment code for a device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    pub code: String,
    pub device_name: String,
    pub app_version: String,
    /// The laptop's first local user, created before enrollment, to link to the server account
    /// the enrollment code names (its work is signed with this key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_user: Option<LocalUser>,
}

/// A user created on a laptop before it was enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalUser {
    pub username: String,
    /// Ed25519, base64url.
    pub public_key: String,
    /// The private key wrapped by the user's password (opaque to the server).
    pub wrapped_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub device_id: String,
    /// Four characters, unique across the province; used in registration numbers.
    pub device_code: String,
    /// Bearer token. Shown once; the server keeps only its hash.
    pub token: String,
    /// Dotted kecamatan code of the office the device belongs to.
    pub office_code: String,
    pub office_name: String,
    /// RFC 3339.
    pub server_time: String,
}

/// Check a user's password online (offline login unwraps the user's synced key instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub username: String,
    pub full_name: String,
    pub office_code: String,
    pub roles: Vec<String>,
}

/// One outbox operation. The payload travels as the JSON text the device stored
/// ([`RawPayload`]), never parsed and encoded again on the way; [`Operation::body`] decodes it
/// by its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct Operation<P = RawPayload> {
    /// UUIDv7.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub op_id: String,
    /// Per-device sequence, from 1, without gaps.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub seq: i64,
    pub entity: Entity,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub entity_id: String,
    pub op: OpKind,
    /// The operation's payload, by its kind (at most 64 KiB of JSON).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: P,
    /// For edits: the version the edit was made on.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// Hybrid logical clock of the device when the operation was made.
    pub hlc: String,
    /// Who took the operation, and their signature over it ([`Signed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// A user's proof of having taken an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proof {
    pub user: String,
    /// Which of the user's keys signed (the first 8 bytes of its SHA-256, hex).
    pub key_id: String,
    /// Ed25519 over [`Operation::signed`]'s message, base64url.
    pub signature: String,
}

/// A payload kept as the JSON text it was stored as (checked to be JSON, never re-encoded).
pub type RawPayload = Box<serde_json::value::RawValue>;

impl Operation<RawPayload> {
    /// An operation carrying `body` (its kind and entity follow from the body).
    pub fn new(
        op_id: impl Into<String>,
        seq: i64,
        entity_id: impl Into<String>,
        body: &OpBody,
        hlc: impl Into<String>,
    ) -> Self {
        let op = body.kind();
        Self {
            op_id: op_id.into(),
            seq,
            entity: op.entity(),
            entity_id: entity_id.into(),
            op,
            payload: serde_json::value::RawValue::from_string(body.encode()).expect("encoded JSON"),
            base_version: None,
            hlc: hlc.into(),
            proof: None,
        }
    }

    /// The payload decoded by the operation's kind.
    pub fn body(&self) -> Result<OpBody, serde_json::Error> {
        OpBody::decode(self.op, self.payload.get())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct PushRequest<P = RawPayload> {
    #[cfg_attr(feature = "openapi", schema(max_items = 500, value_type = Vec<Operation>))]
    pub ops: Vec<Operation<P>>,
    /// Operations still pending on the device (reported for IT's device list).
    #[serde(default)]
    pub pending: i64,
    #[serde(default)]
    pub app_version: String,
}

/// The server's verdict on one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OpStatus {
    /// Applied (or already applied: re-sends get the same answer).
    Accepted,
    /// Refused for a reason a person must see (`code`); never retried.
    Rejected,
    /// Concurrent with another change; both sides are kept and shown until resolved.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpResult {
    pub op_id: String,
    pub seq: i64,
    pub status: OpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    /// RFC 3339; the device warns when its clock is more than 5 minutes off.
    pub server_time: String,
    /// The server data's generation: it changes when the server is restored from a backup,
    /// and then the device sends again what it had sent and pulls from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

/// One change the office must apply, in server order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct ChangeRecord<D = RawPayload> {
    /// Monotonic across the server; the pull checkpoint.
    pub server_seq: i64,
    pub kind: ChangeKind,
    pub entity_id: String,
    /// The server sends what it stored without re-encoding it ([`RawPayload`]); the device
    /// decodes it by its kind ([`ChangeBody::decode`]).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: D,
    /// The originating device's HLC, if the change came from a device.
    #[serde(default)]
    pub hlc: Option<String>,
    /// RFC 3339, server receipt time.
    pub received_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct PullResponse<D = RawPayload> {
    #[cfg_attr(feature = "openapi", schema(max_items = 1000, value_type = Vec<ChangeRecord>))]
    pub changes: Vec<ChangeRecord<D>>,
    /// The checkpoint to pull after next time.
    pub next: i64,
    pub has_more: bool,
    /// RFC 3339 (protocol 1 servers before this field: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
    /// The server data's generation (see [`PushResponse::epoch`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

/// How far an attachment upload is (`GET …/attachments/{sha256}/status`, and the answer to
/// every `PUT …/attachments/{sha256}?offset=N&size=S` chunk). Uploads resume at `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobStatus {
    pub size: i64,
    pub received: i64,
    pub complete: bool,
}

/// Largest chunk of an attachment upload.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// Health of the server (`/readyz`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub ready: bool,
    pub backend: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_result_omits_empty_fields() {
        let r = OpResult { op_id: "x".into(), seq: 1, status: OpStatus::Accepted, code: None, message: None };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"op_id":"x","seq":1,"status":"accepted"}"#);
    }

    #[test]
    fn operation_base_version_defaults_to_none() {
        let op: Operation = serde_json::from_str(
            r#"{"op_id":"a","seq":1,"entity":"holiday","entity_id":"b","op":"holiday.set","payload":{"day":"2026-03-20","name":"Idul Fitri","kind":"cuti_bersama","off":true},"hlc":"h"}"#,
        )
        .unwrap();
        assert_eq!(op.base_version, None);
        assert_eq!(op.op, OpKind::HolidaySet);
        assert!(matches!(op.body().unwrap(), OpBody::HolidaySet(h) if h.day == "2026-03-20"));
    }

    #[test]
    fn a_payload_is_kept_as_received() {
        let text = r#"{"op_id":"a","seq":1,"entity":"application","entity_id":"b","op":"application.document","payload":{"code":"KTP","application_id":"b","received":true},"base_version":null,"hlc":"h"}"#;
        let raw: Operation = serde_json::from_str(text).unwrap();
        assert_eq!(
            raw.payload.get(),
            r#"{"code":"KTP","application_id":"b","received":true}"#,
            "kept as received"
        );
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
    }

    #[test]
    fn an_unknown_kind_does_not_decode() {
        let text = r#"{"op_id":"a","seq":1,"entity":"application","entity_id":"b","op":"application.teleport","payload":{},"hlc":"h"}"#;
        assert!(serde_json::from_str::<Operation>(text).is_err());
    }
}
