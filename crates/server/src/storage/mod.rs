//! The storage trait of the server, and its two implementations.
//!
//! SQLite (embedded, zero set-up) and PostgreSQL implement the same trait and pass the same
//! conformance suite (`conformance.rs`). What to do with an operation is decided once, by the
//! pure planner [`crate::rules::Batch`]; a backend only loads what a batch needs and executes
//! the writes planned for it, in one transaction per push.

pub(crate) mod blob;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod pg_tls;
pub mod postgres;
pub mod sqlite;

pub use blob::{BlobChunk, MAX_BLOB_BYTES};
pub use loket_protocol::BlobStatus;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use loket_domain::workflow::{ApplicationKind, Status};
use loket_protocol::{
    ApplicantFields, ChangeBody, ChangeKind, ChangeRecord, OpResult, Operation, RawPayload,
};
use thiserror::Error;

/// The server schema, written once in SQL both backends accept; the PostgreSQL backend only
/// swaps SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT` for an identity column.
/// Schema migrations, in order; `MIGRATIONS[i]` takes a database from version `i` to `i + 1`.
/// Add-only: never edit a released one.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_2_blobs.sql"),
    include_str!("schema_3_keys.sql"),
    include_str!("schema_4_untrusted.sql"),
    include_str!("schema_5_epoch.sql"),
    include_str!("schema_6_wiped.sql"),
    include_str!("schema_7_access.sql"),
    include_str!("schema_8_retention.sql"),
    include_str!("schema_9_releases.sql"),
    include_str!("schema_10_holidays.sql"),
    include_str!("schema_11_catalogues.sql"),
    include_str!("schema_12_staff.sql"),
    include_str!("schema_13_account_staff.sql"),
    include_str!("schema_14_device_keys.sql"),
];

/// A staff record as the rules check an update against (see [`crate::rules::StaffState`]).
pub(crate) const SQL_STAFF: &str = "SELECT id, office_code, version, fields FROM staff_record WHERE id = $1";
/// Keep a staff record's version and fields.
pub(crate) const SQL_STAFF_UPSERT: &str =
    "INSERT INTO staff_record (id, office_code, version, fields, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET office_code = excluded.office_code, version = excluded.version,
         fields = excluded.fields, updated_at = excluded.updated_at";

/// A [`crate::rules::StaffState`] from its columns (an unreadable record is not kept).
pub(crate) fn staff_state(
    id: String,
    office: String,
    version: i64,
    fields: &str,
) -> Option<crate::rules::StaffState> {
    Some(crate::rules::StaffState { id, office, version, fields: serde_json::from_str(fields).ok()? })
}

/// The epoch: made once (the first call wins), replaced by a restore.
pub(crate) const SQL_EPOCH_INIT: &str =
    "INSERT INTO server_meta (name, value) VALUES ('epoch', $1) ON CONFLICT (name) DO NOTHING";
pub(crate) const SQL_EPOCH: &str = "SELECT value FROM server_meta WHERE name = 'epoch'";
pub(crate) const SQL_EPOCH_SET: &str = "INSERT INTO server_meta (name, value) VALUES ('epoch', $1)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";

/// A revoked device's wipe; the first report's time stays.
pub(crate) const SQL_RECORD_WIPE: &str =
    "UPDATE device SET wiped_at = COALESCE(wiped_at, $2) WHERE id = $1 AND revoked_at IS NOT NULL";
/// The device columns `device_row` reads, in order.
pub(crate) const DEVICE_COLUMNS: &str =
    "id, office_code, device_code, name, app_version, last_sync_at, pending_reported, revoked_at, wiped_at";

/// The key searched numbers are hashed with in the access record: made once (the first call
/// wins), kept with the data (a restored server answers for the records it restored).
pub(crate) const SQL_AUDIT_KEY_INIT: &str =
    "INSERT INTO server_meta (name, value) VALUES ('audit_key', $1) ON CONFLICT (name) DO NOTHING";
pub(crate) const SQL_AUDIT_KEY: &str = "SELECT value FROM server_meta WHERE name = 'audit_key'";
pub(crate) const SQL_ACCESS_INSERT: &str = "INSERT INTO access_log
     (op_id, office_code, username, action, application_id, attachment, subject_hash, hlc, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Access records about a number: searches for it (by its keyed hash, `$2`) and looks at the
/// applications whose applicant or household head's card holds it (`$1`), since `$3`.
pub(crate) const SQL_ACCESSES: &str = "SELECT a.received_at, a.office_code, d.device_code, a.username,
         a.action, a.application_id, app.registration_number, a.attachment, a.hlc
     FROM access_log a
     LEFT JOIN op_log o ON o.op_id = a.op_id
     LEFT JOIN device d ON d.id = o.device_id
     LEFT JOIN application app ON app.id = a.application_id
     WHERE a.received_at >= $3
       AND (a.subject_hash = $2
            OR a.application_id IN (SELECT id FROM application WHERE applicant_nik = $1 OR kk = $1))
     ORDER BY a.received_at, a.op_id";

/// A new audit key (256 random bits, hex).
pub(crate) fn new_audit_key() -> String {
    crate::auth::new_token()
}

/// The keyed hash of a searched NIK or KK under the audit key.
pub fn subject_hash(audit_key: &str, number: &str) -> String {
    loket_keys::keyed_hash(audit_key.as_bytes(), number)
}

/// One access record as IT reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    /// When the server received it.
    pub received_at: String,
    pub office_code: String,
    /// The device that sent it (`None` if unknown).
    pub device_code: Option<String>,
    pub username: String,
    pub action: String,
    pub application_id: Option<String>,
    pub registration_number: Option<String>,
    pub attachment: Option<String>,
    /// The device's hybrid logical clock when it happened (its wall-clock part is the
    /// laptop's, which may be wrong).
    pub hlc: String,
}

/// Applications past retention (`Storage::retention_due`): `$1` kind, `$2` finished before,
/// `$3` drafts untouched since, `$4`..`$7` the finished statuses, `$8` draft, `$9` limit.
pub(crate) const SQL_RETENTION_DUE: &str = "SELECT id FROM application
     WHERE kind = $1 AND redacted_at IS NULL
       AND ((status IN ($4, $5, $6, $7) AND updated_at < $2) OR (status = $8 AND updated_at < $3))
     ORDER BY updated_at LIMIT $9";
/// Whether another application of the office, not redacted, still names an attachment content
/// (`$3` is `%<sha256>%`, `$4` the record change kind).
pub(crate) const SQL_BLOB_STILL_NAMED: &str = "SELECT count(*) FROM change_log c
     JOIN application a ON a.id = c.entity_id
     WHERE c.office_code = $1 AND c.kind = $4 AND a.id <> $2 AND a.redacted_at IS NULL AND c.data LIKE $3";
pub(crate) const SQL_ACCESS_PRUNE: &str = "DELETE FROM access_log WHERE received_at < $1";

/// The statuses after which an application's retention period runs.
pub(crate) const FINISHED: [Status; 4] =
    [Status::Approved, Status::Rejected, Status::Completed, Status::Cancelled];

/// What redacting one application writes, worked out from what it read (the same for both
/// backends): its data, every change of the feed and conflict about it with the personal data
/// removed, the attachment contents it named, and the `redacted` change for its office.
pub(crate) struct Redaction {
    pub data: String,
    pub changes: Vec<(i64, String)>,
    pub conflicts: Vec<(String, String)>,
    pub attachments: Vec<String>,
    pub change: String,
}

impl Redaction {
    pub(crate) fn plan(
        id: &str,
        data: &str,
        changes: Vec<(i64, String, String)>,
        conflicts: Vec<(String, String)>,
        now: &str,
    ) -> Self {
        use loket_protocol::redaction::scrub_personal_text;
        let mut attachments = Vec::new();
        for (_, kind, text) in &changes {
            if kind == ChangeKind::Record.as_str() {
                if let Ok(loket_protocol::RecordData { payload, .. }) =
                    serde_json::from_str::<loket_protocol::RecordData<serde_json::Value>>(text)
                {
                    if let Some(sha) = payload.get("sha256").and_then(|s| s.as_str()) {
                        attachments.push(sha.to_string());
                    }
                }
            }
        }
        let body = ChangeBody::Redacted(loket_protocol::RedactedData {
            application_id: id.to_string(),
            redacted_at: now.to_string(),
        });
        Self {
            data: scrub_personal_text(data),
            changes: changes.into_iter().map(|(seq, _, text)| (seq, scrub_personal_text(&text))).collect(),
            conflicts: conflicts.into_iter().map(|(cid, text)| (cid, scrub_personal_text(&text))).collect(),
            attachments,
            change: body.encode(),
        }
    }
}

/// Bytes of an artifact per stored chunk.
pub const ARTIFACT_CHUNK: usize = 1024 * 1024;
pub(crate) const SQL_RELEASE_INSERT: &str = "INSERT INTO app_release
     (version, notes, state, percent, regions, published_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
pub(crate) const SQL_ARTIFACT_INSERT: &str =
    "INSERT INTO app_artifact (version, target, sha256, size, signature, file_name) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const SQL_ARTIFACT_CHUNK_INSERT: &str =
    "INSERT INTO app_artifact_chunk (sha256, offset_bytes, data)
     VALUES ($1, $2, $3) ON CONFLICT (sha256, offset_bytes) DO NOTHING";
pub(crate) const SQL_RELEASES: &str =
    "SELECT version, notes, state, percent, regions, published_at, updated_at FROM app_release";
pub(crate) const SQL_RELEASE_UPDATE: &str = "UPDATE app_release
     SET state = coalesce($2, state), percent = coalesce($3, percent), updated_at = $4
     WHERE version = $1 AND state <> $5";
pub(crate) const SQL_ARTIFACTS: &str =
    "SELECT version, target, sha256, size, signature, file_name FROM app_artifact WHERE version = $1 ORDER BY target";
pub(crate) const SQL_ARTIFACT_BY_SHA: &str =
    "SELECT version, target, sha256, size, signature, file_name FROM app_artifact WHERE sha256 = $1 LIMIT 1";
/// The chunks overlapping bytes `$2` to `$3` (exclusive) of an artifact.
pub(crate) const SQL_ARTIFACT_CHUNKS: &str = "SELECT offset_bytes, data FROM app_artifact_chunk
     WHERE sha256 = $1 AND offset_bytes < $3 AND offset_bytes + $4 > $2 ORDER BY offset_bytes";
pub(crate) const SQL_ROLLOUT_EVENT: &str = "INSERT INTO rollout_event (version, device_id, event, at)
     VALUES ($1, $2, $3, $4) ON CONFLICT (version, device_id, event) DO NOTHING";
/// A laptop that syncs with a published release's version has installed it (`$1` device, `$2`
/// its app version, `$3` now, `$4` the step's name).
pub(crate) const SQL_ROLLOUT_INSTALLED: &str = "INSERT INTO rollout_event (version, device_id, event, at)
     SELECT version, $1, $4, $3 FROM app_release WHERE version = $2
     ON CONFLICT (version, device_id, event) DO NOTHING";
pub(crate) const SQL_ROLLOUT_COUNTS: &str =
    "SELECT event, count(*) FROM rollout_event WHERE version = $1 GROUP BY event ORDER BY event";
pub(crate) const SQL_MINIMUM: &str = "SELECT value FROM server_meta WHERE name = 'minimum_app_version'";
pub(crate) const SQL_MINIMUM_SET: &str =
    "INSERT INTO server_meta (name, value) VALUES ('minimum_app_version', $1)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";

pub(crate) const SQL_OFFICES: &str = "SELECT code, name FROM office ORDER BY code";
pub(crate) const SQL_HOLIDAYS: &str = "SELECT region, day, kind, name FROM holiday ORDER BY region, day";
pub(crate) const SQL_HOLIDAY_POLICIES: &str =
    "SELECT regency, cuti_bersama_is_working_day FROM holiday_policy ORDER BY regency";
/// `$1` region, `$2` first day of the year, `$3` first day of the next.
pub(crate) const SQL_HOLIDAY_DELETE_YEAR: &str =
    "DELETE FROM holiday WHERE region = $1 AND day >= $2 AND day < $3";
pub(crate) const SQL_HOLIDAY_INSERT: &str =
    "INSERT INTO holiday (region, day, kind, name, updated_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const SQL_HOLIDAY_POLICY_SET: &str =
    "INSERT INTO holiday_policy (regency, cuti_bersama_is_working_day, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (regency) DO UPDATE SET cuti_bersama_is_working_day = excluded.cuti_bersama_is_working_day,
     updated_at = excluded.updated_at";
/// A change for an office's laptops that no device's operation carries (`$1` office, `$2`
/// kind, `$3` entity, `$4` data, `$5` now).
pub(crate) const SQL_CHANGE_APPEND: &str =
    "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES ($1, $2, $3, $4, NULL, $5)";

pub(crate) const SQL_CATALOGUE_VERSIONS: &str =
    "SELECT region, version FROM catalogue ORDER BY region, version";
pub(crate) const SQL_CATALOGUE_FILE: &str = "SELECT file FROM catalogue WHERE region = $1 AND version = $2";
pub(crate) const SQL_CATALOGUE_INSERT: &str =
    "INSERT INTO catalogue (region, version, effective_from, file, published_at) VALUES ($1, $2, $3, $4, $5)";

/// A catalogue version IT publishes, with the `record` changes that tell the offices it covers
/// ((office, entity id, encoded change)); written at once.
#[derive(Debug, Clone)]
pub struct NewCatalogue {
    pub region: String,
    pub version: u32,
    pub effective_from: String,
    pub file: String,
    pub changes: Vec<(String, String, String)>,
}

/// A stored calendar day.
pub(crate) fn holiday_row(
    region: String,
    day: String,
    kind: &str,
    name: String,
) -> Result<crate::rules::holiday::Day, StorageError> {
    let kind = loket_domain::sla::HolidayKind::parse(kind)
        .ok_or_else(|| StorageError::Backend(format!("unknown holiday kind {kind:?}")))?;
    Ok(crate::rules::holiday::Day { region, day, kind, name })
}

/// A change of the holiday calendars, written at once (`holidays::load`, `holidays::policy`):
/// the days of `region` in `years` replaced by `days` (when `region` is set), a kabupaten/kota's
/// policy, and the `record` changes that tell the offices' laptops.
#[derive(Debug, Clone, Default)]
pub struct CalendarUpdate {
    pub region: Option<String>,
    pub years: Vec<i32>,
    pub days: Vec<crate::rules::holiday::Day>,
    /// (kabupaten/kota, cuti bersama is a working day).
    pub policy: Option<(String, bool)>,
    /// (office, entity id, encoded `ChangeBody`).
    pub changes: Vec<(String, String, String)>,
}

pub(crate) const SQL_RELEASE_KEY: &str = "SELECT value FROM server_meta WHERE name = 'release_public_key'";
pub(crate) const SQL_RELEASE_KEY_SET: &str =
    "INSERT INTO server_meta (name, value) VALUES ('release_public_key', $1)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";

/// A release IT publishes: its notes, rollout and one signed artifact per platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    pub version: String,
    pub notes: String,
    pub percent: u8,
    /// Dotted region codes (kabupaten/kota or office); empty for all.
    pub regions: Vec<String>,
    pub artifacts: Vec<NewArtifact>,
}

/// One platform's signed update bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    /// `linux-x86_64`, `windows-x86_64`, `darwin-aarch64`, …
    pub target: String,
    pub file_name: String,
    /// The content of the bundle's `.sig` file (minisign, from `tauri signer sign`).
    pub signature: String,
    pub bytes: Vec<u8>,
}

/// A published release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRow {
    pub version: String,
    pub notes: String,
    pub state: crate::rules::release::ReleaseState,
    pub percent: u8,
    pub regions: Vec<String>,
    pub published_at: String,
    pub updated_at: String,
}

/// A stored artifact (its bytes are read by range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRow {
    pub version: String,
    pub target: String,
    pub sha256: String,
    pub size: i64,
    pub signature: String,
    pub file_name: String,
}

/// How far a rollout got: devices per event (`offered`, `downloaded`, `installed`, `failed`).
pub type RolloutCounts = Vec<(String, i64)>;

pub(crate) fn release_row(
    cols: [String; 5],
    percent: i64,
    published_at: String,
) -> Result<ReleaseRow, StorageError> {
    let [version, notes, state, regions, updated_at] = cols;
    Ok(ReleaseRow {
        state: crate::rules::release::ReleaseState::parse(&state)
            .ok_or_else(|| StorageError::Backend(format!("release state {state:?}")))?,
        version,
        notes,
        percent: percent.clamp(0, 100) as u8,
        regions: regions.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect(),
        published_at,
        updated_at,
    })
}

/// The bytes `start..end` of an artifact from its overlapping chunks.
pub(crate) fn assemble(chunks: Vec<(i64, Vec<u8>)>, start: i64, end: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity((end - start).max(0) as usize);
    for (offset, data) in chunks {
        let from = (start - offset).clamp(0, data.len() as i64) as usize;
        let to = (end - offset).clamp(0, data.len() as i64) as usize;
        out.extend_from_slice(&data[from..to]);
    }
    out
}

/// A new epoch value.
pub(crate) fn new_epoch() -> String {
    uuid::Uuid::now_v7().to_string()
}
/// The schema version this build creates and understands.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why a storage call failed. Callers branch on the variant.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("enrollment code is invalid")]
    CodeInvalid,
    #[error("enrollment code was already used")]
    CodeUsed,
    #[error("enrollment code has expired")]
    CodeExpired,
    /// The laptop has a local user but the code names no account to link it to.
    #[error("the laptop has a local user; the enrollment code must name the account to link")]
    LinkRequired,
    /// The code names an account whose username is not the laptop's local user.
    #[error("the enrollment code is for user {0}")]
    LinkMismatch(String),
    #[error("database schema is newer than this server (found {found}, known {known})")]
    SchemaTooNew { found: i64, known: i64 },
    /// An attachment chunk does not continue where the server is (`received` bytes so far).
    #[error("upload must continue at byte {received}")]
    BlobOffset { received: i64 },
    /// All bytes arrived but they do not hash to the name; the upload starts over.
    #[error("uploaded content does not match its SHA-256")]
    BlobMismatch,
    #[error("invalid upload: {0}")]
    BlobInvalid(&'static str),
    /// No accepted attach operation announced this content.
    #[error("no accepted attach operation announced this attachment")]
    BlobNotExpected,
    /// The content's first bytes are not of the type its attach operation declared.
    #[error("the content is not {0}")]
    BlobType(String),
    /// A write broke one of the database's constraints (unique, check, not null, foreign
    /// key): the operation that made it is rejected alone.
    #[error("database constraint: {0}")]
    Constraint(String),
    #[error("database: {0}")]
    Backend(String),
}

/// Count a device's refused operations by code.
pub(crate) const SQL_REFUSAL: &str = "INSERT INTO device_refusal (device_id, code, count, last_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (device_id, code) DO UPDATE SET count = device_refusal.count + excluded.count, last_at = excluded.last_at";

/// The columns of an application both backends read for the rules.
pub(crate) const APP_COLUMNS: &str =
    "id, office_code, kind, status, version, service_code, period, applicant_nik, kk, registration_number, data";

/// A row of either backend, read column by column.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<&str, StorageError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StorageError>;
    fn int(&self, i: usize) -> Result<i64, StorageError>;
}

/// `Columns` for a backend's row type: how it reads text, and its getter.
macro_rules! columns {
    ($row:ty, $get:ident, |$r:ident, $i:ident| $text:expr) => {
        impl Columns for $row {
            fn text(&self, $i: usize) -> Result<&str, StorageError> {
                let $r = self;
                $text
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>, StorageError> {
                Ok(self.$get(i)?)
            }
            fn int(&self, i: usize) -> Result<i64, StorageError> {
                Ok(self.$get(i)?)
            }
        }
    };
}

columns!(rusqlite::Row<'_>, get, |r, i| r
    .get_ref(i)?
    .as_str()
    .map_err(|e| StorageError::Backend(e.to_string())));
columns!(tokio_postgres::Row, try_get, |r, i| Ok(r.try_get(i)?));

/// The rules' view of a stored application, from a row of [`APP_COLUMNS`] (an unknown kind or
/// status is corrupt data).
pub(crate) fn app_state(r: &impl Columns) -> Result<crate::rules::AppState, StorageError> {
    let corrupt = |what: &str, value: &str| StorageError::Backend(format!("application {what} {value:?}"));
    let (kind, status) = (r.text(2)?, r.text(3)?);
    let (fields, catalogue) = ApplicantFields::with_catalogue_of_record(r.text(10)?)
        .map_err(|e| corrupt("data", &e.to_string()))?;
    Ok(crate::rules::AppState {
        id: r.text(0)?.to_string(),
        office_code: r.text(1)?.to_string(),
        kind: ApplicationKind::parse(kind).ok_or_else(|| corrupt("kind", kind))?,
        status: Status::parse(status).ok_or_else(|| corrupt("status", status))?,
        version: r.int(4)?,
        service_code: r.text(5)?.to_string(),
        period: r.opt_text(6)?,
        applicant_nik: r.opt_text(7)?,
        kk: r.opt_text(8)?,
        registration_number: r.opt_text(9)?,
        fields,
        catalogue,
    })
}

/// A stored registration with edited `fields` merged in.
pub(crate) fn merge_fields(data: &str, fields: &ApplicantFields) -> String {
    let mut data: serde_json::Value = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
    if let (Some(obj), Ok(serde_json::Value::Object(fields))) =
        (data.as_object_mut(), serde_json::to_value(fields))
    {
        obj.extend(fields);
    }
    data.to_string()
}

/// Stored JSON text as a raw payload (`null` if the text is not JSON: a device skips it).
pub(crate) fn raw_json(text: String) -> RawPayload {
    serde_json::value::RawValue::from_string(text)
        .unwrap_or_else(|_| serde_json::value::RawValue::from_string("null".into()).expect("null is JSON"))
}

/// A stored change kind (one this build does not know is corrupt data).
pub(crate) fn change_kind(kind: &str) -> Result<loket_protocol::ChangeKind, StorageError> {
    loket_protocol::ChangeKind::parse(kind)
        .ok_or_else(|| StorageError::Backend(format!("change kind {kind:?}")))
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Self::Constraint(e.to_string())
            }
            _ => Self::Backend(e.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        // SQLSTATE class 23: integrity constraint violation.
        match e.code() {
            Some(c) if c.code().starts_with("23") => Self::Constraint(e.to_string()),
            _ => Self::Backend(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StorageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        // With its causes: "error performing TLS handshake" alone does not say that the
        // certificate was refused.
        let causes = std::iter::successors(std::error::Error::source(&e), |c| c.source());
        Self::Backend(
            std::iter::once(e.to_string())
                .chain(causes.map(|c| c.to_string()))
                .collect::<Vec<_>>()
                .join(": "),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub office_code: String,
    pub username: String,
    pub full_name: String,
    pub roles: Vec<String>,
    /// Argon2id PHC string for the online login; never leaves the server.
    pub password_hash: String,
    pub active: bool,
    /// The current Ed25519 public key (base64url).
    pub public_key: String,
    /// The private key wrapped by the user's password, for the office's laptops.
    pub wrapped_key: String,
    /// The NIP / NI PPPK of the staff member the account belongs to: deactivating that staff
    /// record deactivates the account.
    pub nip: Option<String>,
}

/// A user's credentials after a password change (same key, wrapped again) or a reset (a new
/// key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub password_hash: String,
    pub public_key: String,
    pub wrapped_key: String,
}

/// What [`Storage::update_user`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserUpdate {
    Credentials(Credentials),
    Active(bool),
    /// The same password hashed again with stronger parameters.
    PasswordHash(String),
    /// The account belongs to the staff member of this NIP / NI PPPK.
    Staff(String),
}

impl UserUpdate {
    /// The columns' new values (`None`: unchanged), for [`SQL_UPDATE_USER`]: password hash,
    /// active, public key, wrapped key, NIP.
    pub(crate) fn columns(&self) -> UserColumns<'_> {
        let none = UserColumns::default();
        match self {
            Self::Credentials(c) => UserColumns {
                password_hash: Some(&c.password_hash),
                public_key: Some(&c.public_key),
                wrapped_key: Some(&c.wrapped_key),
                ..none
            },
            Self::Active(active) => UserColumns { active: Some(*active), ..none },
            Self::PasswordHash(hash) => UserColumns { password_hash: Some(hash), ..none },
            Self::Staff(nip) => UserColumns { nip: Some(nip), ..none },
        }
    }
}

/// The new values of [`UserUpdate::columns`] (`None`: unchanged).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UserColumns<'a> {
    pub password_hash: Option<&'a str>,
    pub active: Option<bool>,
    pub public_key: Option<&'a str>,
    pub wrapped_key: Option<&'a str>,
    pub nip: Option<&'a str>,
}

/// The columns of a [`User`], in its field order.
pub(crate) const USER_COLUMNS: &str =
    "id, office_code, username, full_name, roles, password_hash, active, public_key, wrapped_key, nip";
/// Insert a [`User`] ([`USER_COLUMNS`], then `updated_at`).
pub(crate) const SQL_INSERT_USER: &str = "INSERT INTO app_user
     (id, office_code, username, full_name, roles, password_hash, active, public_key, wrapped_key, nip, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// Shared by both backends for [`Storage::update_user`].
pub(crate) const SQL_UPDATE_USER: &str =
    "UPDATE app_user SET password_hash = coalesce($2, password_hash), active = coalesce($3, active),
     public_key = coalesce($5, public_key), wrapped_key = coalesce($6, wrapped_key),
     nip = coalesce($7, nip), updated_at = $4 WHERE username = $1";
/// The active accounts of a staff member (office, NIP), for [`crate::rules::Write::DeactivateAccounts`].
pub(crate) const SQL_STAFF_ACCOUNTS: &str =
    "SELECT username FROM app_user WHERE office_code = $1 AND nip = $2 AND active ORDER BY username";
/// Register a key for a user (kept forever; registering it again changes nothing).
pub(crate) const SQL_ADD_USER_KEY: &str =
    "INSERT INTO user_key (user_id, key_id, public_key, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, key_id) DO NOTHING";
/// A user as the rules check proofs: one row per registered key (none: a user without keys).
pub(crate) const SQL_SIGNER: &str = "SELECT u.office_code, u.roles, u.active, k.key_id, k.public_key
     FROM app_user u LEFT JOIN user_key k ON k.user_id = u.id WHERE u.username = $1";
/// Adopt a linked laptop user's key as the account's current key.
pub(crate) const SQL_ADOPT_KEY: &str =
    "UPDATE app_user SET public_key = $2, wrapped_key = $3, updated_at = $4 WHERE id = $1";

/// One line of [`Storage::recap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecapRow {
    pub office_code: String,
    pub kind: String,
    pub service_code: String,
    pub status: String,
    pub count: i64,
    /// Rupiah.
    pub fees: i64,
}

/// See [`Storage::receipt_facts`].
#[derive(Debug, Clone, Default)]
pub struct ReceiptFacts {
    pub signer: Option<crate::rules::Signer>,
    /// `None`: the server does not hold the application; `Some(None)`: it does, without a number.
    pub registered: Option<Option<String>>,
    /// The enrolled device whose receipt key the receipt names.
    pub device: Option<crate::rules::receipt::KnownDevice>,
    /// Every key the province has certified devices with: key id → public key.
    pub province_keys: std::collections::BTreeMap<String, String>,
}

/// The province's signing key as kept (see [`Storage::province_key`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ProvinceKey {
    pub key_id: String,
    pub public_key: String,
    /// [`loket_keys::SigningKey::export_secret`].
    pub secret: String,
}

impl std::fmt::Debug for ProvinceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvinceKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// Keep a first province key (nothing when one is kept already).
pub(crate) const SQL_PROVINCE_KEY_INSERT: &str =
    "INSERT INTO province_key (key_id, public_key, secret, created_at)
     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM province_key)";
/// The province key in use.
pub(crate) const SQL_PROVINCE_KEY: &str =
    "SELECT key_id, public_key, secret FROM province_key ORDER BY created_at, key_id LIMIT 1";
pub(crate) const SQL_PROVINCE_PUBLIC_KEYS: &str = "SELECT key_id, public_key FROM province_key";
/// Register a device's receipt key unless it has one (the same key again changes nothing).
pub(crate) const SQL_SET_DEVICE_KEY: &str = "UPDATE device SET receipt_key = $3, receipt_key_id = $2
     WHERE id = $1 AND (receipt_key_id IS NULL OR receipt_key_id = $2)";
/// The device of a receipt key.
pub(crate) const SQL_DEVICE_BY_KEY: &str =
    "SELECT device_code, office_code, receipt_key, revoked_at FROM device WHERE receipt_key_id = $1";

/// The registration number of an application, for [`Storage::receipt_facts`].
pub(crate) const SQL_REGISTERED: &str = "SELECT registration_number FROM application WHERE id = $1";

/// Fold [`SQL_SIGNER`] rows (office, roles, active, key id, public key) into a signer.
pub(crate) fn signer(
    rows: impl IntoIterator<Item = (String, String, bool, Option<String>, Option<String>)>,
) -> Option<crate::rules::Signer> {
    let mut out: Option<crate::rules::Signer> = None;
    for (office, roles, active, key_id, public_key) in rows {
        let s = out.get_or_insert_with(|| crate::rules::Signer {
            office,
            roles: roles.split(',').filter_map(loket_domain::workflow::Role::parse).collect(),
            active,
            keys: Default::default(),
        });
        if let (Some(id), Some(key)) = (key_id, public_key) {
            s.keys.insert(id, key);
        }
    }
    out
}

/// The code's enrollment: the account it names (`(id, username)`) and the laptop's local user
/// decide what is linked. A laptop without a local user links nothing.
pub(crate) fn link(
    account: Option<(String, String)>,
    local: Option<&loket_protocol::LocalUser>,
) -> Result<Option<(String, loket_protocol::LocalUser)>, StorageError> {
    match (account, local) {
        (_, None) => Ok(None),
        (None, Some(_)) => Err(StorageError::LinkRequired),
        (Some((_, username)), Some(l)) if username != l.username => Err(StorageError::LinkMismatch(username)),
        (Some((id, _)), Some(l)) => Ok(Some((id, l.clone()))),
    }
}

/// Shared by both backends for [`Storage::list_users`].
pub(crate) fn sql_list_users() -> String {
    format!(
        "SELECT {USER_COLUMNS} FROM app_user
         WHERE CAST($1 AS TEXT) IS NULL OR office_code = $1 ORDER BY office_code, username"
    )
}

/// What [`Storage::create_enrollment_code`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollmentCode<'a> {
    pub code_hash: &'a str,
    pub office_code: &'a str,
    /// The account a laptop's first local user is linked to.
    pub user_id: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub id: String,
    pub device_code: String,
    pub token_hash: String,
    pub name: String,
    pub app_version: String,
    /// The laptop's first local user, to link to the account the code names.
    pub local_user: Option<loket_protocol::LocalUser>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub office_code: String,
    pub device_code: String,
    pub name: String,
    pub app_version: String,
    pub last_sync_at: Option<String>,
    pub pending_reported: i64,
    pub revoked: bool,
    /// When the device, revoked, reported that it deleted its key and local data.
    pub wiped_at: Option<String>,
}

/// How many operations of one device were refused with one code, and when last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusals {
    pub device_id: String,
    pub code: String,
    pub count: i64,
    pub last_at: String,
}

/// A duplicate-aid pair as the province sees it: both applications, their offices and numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AidFlagPair {
    pub application_id: String,
    pub office_code: String,
    pub registration_number: Option<String>,
    pub other_application_id: String,
    pub other_office_code: String,
    pub other_registration_number: Option<String>,
    pub programme: String,
    pub period: Option<String>,
    /// `nik` or `kk`.
    pub reason: String,
    pub created_at: String,
}

/// Every duplicate-aid pair, oldest first.
pub(crate) const SQL_AID_FLAGS: &str = "SELECT f.application_id, a.office_code, a.registration_number,
         f.other_application_id, b.office_code, b.registration_number, a.service_code, a.period, f.reason, f.created_at
     FROM aid_flag f JOIN application a ON a.id = f.application_id JOIN application b ON b.id = f.other_application_id
     ORDER BY f.created_at, f.application_id";

/// Every device's refusal counts, most frequent first.
pub(crate) const SQL_REFUSALS: &str =
    "SELECT device_id, code, count, last_at FROM device_refusal ORDER BY device_id, count DESC, code";

/// Durability settings as the backend reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    /// `PRAGMA synchronous` (2 = FULL) or `synchronous_commit`.
    pub setting: String,
    pub durable: bool,
}

/// The server's storage.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StorageError>;
    async fn durability(&self) -> Result<Durability, StorageError>;

    /// The data's generation (made on first use). Sent with every push and pull answer.
    async fn epoch(&self) -> Result<String, StorageError>;
    /// Start a new generation: called by `restore`, so devices send again what the restored
    /// data may lack and pull from the start. Returns the new epoch.
    async fn renew_epoch(&self) -> Result<String, StorageError>;

    async fn upsert_office(&self, code: &str, name: &str) -> Result<(), StorageError>;
    async fn office(&self, code: &str) -> Result<Option<Office>, StorageError>;

    /// Create a user; its record (with the hash) is queued for the office's devices.
    async fn create_user(&self, user: &User, now: DateTime<Utc>) -> Result<(), StorageError>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StorageError>;
    /// What checking a receipt needs: the user it names with every key ever registered for
    /// them, the registration number the server holds for the application (if it has it), the
    /// device whose receipt key has `key_id`, and the province's public keys.
    async fn receipt_facts(
        &self,
        username: &str,
        application_id: &str,
        key_id: &str,
    ) -> Result<ReceiptFacts, StorageError>;
    /// The province's signing key: `fresh` is kept if there is none yet; the one kept (the
    /// oldest) is returned.
    async fn province_key(
        &self,
        fresh: &ProvinceKey,
        now: DateTime<Utc>,
    ) -> Result<ProvinceKey, StorageError>;
    /// Register the device's receipt-signing key. `false`: it already has another one.
    async fn set_device_key(
        &self,
        device_id: &str,
        key_id: &str,
        public_key: &str,
    ) -> Result<bool, StorageError>;
    /// Applications registered between `from` and `to` (UTC, `YYYY-MM-DDTHH:MM:SS`, to
    /// excluded) in the offices whose code starts with `office_prefix`, counted by office, kind,
    /// service and status, with their fees (IT's `loket-server report`).
    async fn recap(&self, from: &str, to: &str, office_prefix: &str) -> Result<Vec<RecapRow>, StorageError>;
    /// Change a user's password hash or whether the user is active; the new record is queued
    /// for the office's devices (a deactivated user disappears from their logins).
    async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
        now: DateTime<Utc>,
    ) -> Result<User, StorageError>;
    /// Users, by office then username (all offices when `None`).
    async fn list_users(&self, office_code: Option<&str>) -> Result<Vec<User>, StorageError>;

    /// A one-time code for a device of an office (hashed), perhaps naming the account a
    /// laptop's first local user is linked to.
    async fn create_enrollment_code(&self, code: &NewEnrollmentCode<'_>) -> Result<(), StorageError>;
    /// Consume a one-time code and create the device, atomically; a local user is linked to
    /// the account the code names (its key registered and made the account's current key).
    async fn enroll_device(
        &self,
        code_hash: &str,
        device: &NewDevice,
        now: DateTime<Utc>,
    ) -> Result<Device, StorageError>;
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError>;
    async fn revoke_device(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError>;
    /// The key searched numbers are hashed with in the access record (made on first use).
    async fn audit_key(&self) -> Result<String, StorageError>;
    /// Access records about `number` (see [`SQL_ACCESSES`]) received since `since` (RFC 3339),
    /// oldest first; `subject_hash` is the number's [`subject_hash`].
    async fn accesses(
        &self,
        number: &str,
        subject_hash: &str,
        since: &str,
    ) -> Result<Vec<AccessRow>, StorageError>;
    /// Applications of `kind` whose personal data is past retention: finished (approved,
    /// rejected, completed, cancelled) before `finished_before`, or drafts untouched since
    /// `draft_before` (RFC 3339); not yet redacted; oldest first, at most `limit`.
    async fn retention_due(
        &self,
        kind: ApplicationKind,
        finished_before: &str,
        draft_before: &str,
        limit: u32,
    ) -> Result<Vec<String>, StorageError>;
    /// Remove an application's personal data everywhere the server keeps it — its row, every
    /// change of the feed and conflict about it, attachment contents no other application names
    /// — in one transaction, and tell its office's devices with a `redacted` change. `false`
    /// when there is no such application or it is redacted already.
    async fn redact_application(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError>;
    /// Delete access records received before `before` (RFC 3339); how many.
    async fn prune_access_log(&self, before: &str) -> Result<u64, StorageError>;
    /// Give deleted rows' space back so that what was deleted is no longer in the database
    /// files (SQLite: `VACUUM`; PostgreSQL: `VACUUM`, see docs/RETENTION.md).
    async fn compact(&self) -> Result<(), StorageError>;
    /// Publish a release with its artifacts (each content-addressed, stored in chunks), in one
    /// transaction. `Duplicate("release")` when the version exists (versions are never reused).
    async fn publish_release(&self, release: &NewRelease, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Every release, in no particular order.
    async fn releases(&self) -> Result<Vec<ReleaseRow>, StorageError>;
    /// Change a release's state and/or rollout percentage; a yanked release stays yanked.
    /// `false` when there is no such release, or it is yanked.
    async fn update_release(
        &self,
        version: &str,
        state: Option<crate::rules::release::ReleaseState>,
        percent: Option<u8>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// A release's artifacts.
    async fn artifacts(&self, version: &str) -> Result<Vec<ArtifactRow>, StorageError>;
    /// The artifact with this content.
    async fn artifact_by_sha(&self, sha256: &str) -> Result<Option<ArtifactRow>, StorageError>;
    /// Bytes `start..end` of an artifact's content.
    async fn artifact_bytes(&self, sha256: &str, start: i64, end: i64) -> Result<Vec<u8>, StorageError>;
    /// A device reached a step of a release's rollout (once per step).
    async fn rollout_event(
        &self,
        version: &str,
        device_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// A device synced with `app_version`: if that is a published release, it is installed.
    async fn rollout_installed(
        &self,
        device_id: &str,
        app_version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Devices per rollout step of a release.
    async fn rollout_counts(&self, version: &str) -> Result<RolloutCounts, StorageError>;
    /// The oldest app version allowed to sync, if IT set one.
    async fn minimum_app_version(&self) -> Result<Option<String>, StorageError>;
    async fn set_minimum_app_version(&self, version: &str) -> Result<(), StorageError>;
    /// Every office.
    async fn offices(&self) -> Result<Vec<Office>, StorageError>;
    /// The published holiday calendars, every region.
    async fn holidays(&self) -> Result<Vec<crate::rules::holiday::Day>, StorageError>;
    /// Per kabupaten/kota: whether cuti bersama is a working day (absent: it is not).
    async fn holiday_policies(&self) -> Result<Vec<(String, bool)>, StorageError>;
    /// The published catalogue versions (region, version).
    async fn catalogue_versions(&self) -> Result<Vec<(String, u32)>, StorageError>;
    /// A published catalogue version's file.
    async fn catalogue_file(&self, region: &str, version: u32) -> Result<Option<String>, StorageError>;
    /// Publish a catalogue version and tell its offices, in one transaction;
    /// `Duplicate("catalogue version")` when that version exists (a version never changes).
    async fn publish_catalogue(&self, c: &NewCatalogue, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Apply a [`CalendarUpdate`] in one transaction.
    async fn update_calendar(&self, update: &CalendarUpdate, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// The public key releases must be signed with (Tauri's base64 form), if IT set one.
    async fn release_key(&self) -> Result<Option<String>, StorageError>;
    async fn set_release_key(&self, key: &str) -> Result<(), StorageError>;
    /// Record that a revoked device deleted its key and local data (the first report's time is
    /// kept). `false` when the device is not revoked.
    async fn record_wipe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError>;
    async fn list_devices(&self) -> Result<Vec<Device>, StorageError>;
    /// How many operations of each device were refused, by code.
    async fn refusals(&self) -> Result<Vec<Refusals>, StorageError>;
    /// Every duplicate-aid pair, province-wide (for the provincial role, never for devices).
    async fn aid_flags(&self) -> Result<Vec<AidFlagPair>, StorageError>;
    async fn report_device(
        &self,
        id: &str,
        app_version: &str,
        pending: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;

    /// Apply a push: its operations in order, in one durable transaction; idempotent by op id and
    /// (device, seq).
    async fn push(
        &self,
        device: &Device,
        ops: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpResult>, StorageError>;
    /// Changes for an office after a checkpoint; `true` when more remain. The data is the JSON
    /// text as stored, passed to the device without being parsed and encoded again.
    async fn pull(
        &self,
        office_code: &str,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<ChangeRecord<RawPayload>>, bool), StorageError>;

    /// Number of applications (all offices when `None`).
    async fn count_applications(&self, office_code: Option<&str>) -> Result<i64, StorageError>;

    /// Everything the server holds for one office, in a stable order: for audits by IT and
    /// for checking that devices hold the same.
    async fn office_snapshot(&self, office_code: &str) -> Result<OfficeSnapshot, StorageError>;

    /// How far the upload of an office's attachment is, if it started.
    async fn blob_status(&self, office_code: &str, sha256: &str) -> Result<Option<BlobStatus>, StorageError>;
    /// Store the chunk at `offset` of an attachment of `size` bytes, durably. The chunk must
    /// continue where the upload is; the last one completes it if the content hashes right.
    async fn blob_append(&self, chunk: BlobChunk) -> Result<BlobStatus, StorageError>;
    /// The content of a complete attachment of the office.
    async fn blob_read(&self, office_code: &str, sha256: &str) -> Result<Option<Vec<u8>>, StorageError>;
}

/// SQL shared by both backends for [`Storage::office_snapshot`] (`$1` is the office code).
pub(crate) const SQL_SNAPSHOT_APPS: &str =
    "SELECT id, status, version, registration_number, data FROM application
     WHERE office_code = $1 ORDER BY id";
pub(crate) const SQL_SNAPSHOT_CONFLICTS: &str =
    "SELECT c.id, c.application_id, c.resolved_at IS NOT NULL FROM conflict c
     JOIN application a ON a.id = c.application_id WHERE a.office_code = $1 ORDER BY c.id";
pub(crate) const SQL_SNAPSHOT_FLAGS: &str = "SELECT f.application_id, f.other_application_id FROM aid_flag f
     JOIN application a ON a.id = f.application_id JOIN application b ON b.id = f.other_application_id
     WHERE a.office_code = $1 OR b.office_code = $1 ORDER BY 1, 2";

/// One application as the server holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotApplication {
    pub id: String,
    pub status: String,
    pub version: i64,
    pub registration_number: Option<String>,
    /// The registration payload with accepted edits merged in.
    pub data: serde_json::Value,
}

/// See [`Storage::office_snapshot`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfficeSnapshot {
    pub applications: Vec<SnapshotApplication>,
    /// Conflicts: (conflict id = the losing operation's id, application id, resolved).
    pub conflicts: Vec<(String, String, bool)>,
    /// Duplicate-aid pairs (application, other application) touching the office.
    pub flags: Vec<(String, String)>,
}
