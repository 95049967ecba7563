//! Applying what the provincial server publishes: the other side of the outbox.
//!
//! A pulled page of changes is applied in one transaction together with the new checkpoint,
//! so after a crash the device either has the whole page and the checkpoint after it, or
//! neither — it never skips a change nor applies one twice. Remote changes never create outbox
//! operations (they came from the server); one audit entry per page records the pull.
//!
//! The server is authoritative: statuses, versions and edited fields are taken from its
//! changes, in its order. Applying is idempotent (a change already reflected is a no-op), so
//! the echo of this device's own operations is harmless.

use chrono::{DateTime, Utc};
use loket_domain::hlc::{Hlc, HlcTimestamp};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Deserialize;
use serde_json::Value;

use crate::remote_application::{self, ChangeData, RemoteApplication};
use crate::{audit, search, Store, StoreError};

/// Setting key of the pull checkpoint (the last server sequence applied).
const CHECKPOINT: &str = "sync.checkpoint";
const HLC_SETTING: &str = "hlc.last";

/// One change from the server, as the store needs it (the sync crate maps the wire type).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteChange {
    pub server_seq: i64,
    /// `application`, `event`, `edit`, `conflict`, `flag`, `user`, `record`.
    pub kind: String,
    pub entity_id: String,
    pub data: ChangeData,
    pub hlc: Option<String>,
    /// RFC 3339 server receipt time.
    pub received_at: String,
}

/// What applying a page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: usize,
    /// Changes of a kind this version does not know, or about an application it does not
    /// have: skipped, counted, logged.
    pub skipped: usize,
}

/// A user of the office, as synced from the server (for offline login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUser {
    pub username: String,
    pub full_name: String,
    pub roles: Vec<loket_domain::workflow::Role>,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub active: bool,
}

/// A duplicate-aid flag on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AidFlagRow {
    pub application_id: String,
    pub other_application_id: String,
    pub other_office_code: String,
    pub other_registration_number: Option<String>,
    pub reason: String,
}

/// A conflict kept by the server, shown until a supervisor resolves it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRow {
    pub server_seq: i64,
    pub application_id: String,
    pub op_id: Option<String>,
    pub data: Value,
    pub received_at: String,
}

const FLAG_COLUMNS: &str =
    "application_id, other_application_id, other_office_code, other_registration_number, reason";

fn flag_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AidFlagRow> {
    Ok(AidFlagRow {
        application_id: r.get(0)?,
        other_application_id: r.get(1)?,
        other_office_code: r.get(2)?,
        other_registration_number: r.get(3)?,
        reason: r.get(4)?,
    })
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl Store {
    /// The last server sequence applied (0 before the first pull).
    pub fn checkpoint(&self) -> Result<i64, StoreError> {
        Ok(self.setting(CHECKPOINT)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Apply a page of server changes and move the checkpoint to `next`, atomically.
    pub fn apply_remote(
        &mut self,
        changes: &[RemoteChange],
        next: i64,
        now: DateTime<Utc>,
    ) -> Result<ApplyReport, StoreError> {
        let device = self.device_code()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
            .query_row([CHECKPOINT], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut report = ApplyReport::default();
        let mut newest: Option<HlcTimestamp> = None;
        for c in changes.iter().filter(|c| c.server_seq > current) {
            if apply_one(&tx, c)? {
                report.applied += 1;
            } else {
                report.skipped += 1;
                tracing::warn!(kind = %c.kind, seq = c.server_seq, "skipped a server change");
            }
            if let Some(h) = c.hlc.as_deref().and_then(|h| h.parse::<HlcTimestamp>().ok()) {
                newest = newest.max(Some(h));
            }
        }
        let next = next.max(current);
        tx.prepare_cached(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![CHECKPOINT, next.to_string()])?;
        // The local clock moves past everything it has seen, whatever the wall clock says.
        let last: Option<HlcTimestamp> = tx
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
            .query_row([HLC_SETTING], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|s| s.parse().ok());
        let mut clock = Hlc::new(device.clone(), last);
        let wall = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let stamp = match &newest {
            Some(remote) => clock.observe(remote, wall),
            None => clock.tick(wall),
        };
        tx.prepare_cached(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![HLC_SETTING, stamp.to_string()])?;
        if !changes.is_empty() {
            audit::append(
                &tx,
                &audit::NewEntry {
                    hlc: &stamp.to_string(),
                    actor: "server",
                    device: &device,
                    entity: "sync",
                    entity_id: "pull",
                    action: "pull",
                    change: &serde_json::json!({
                        "from": current, "to": next, "applied": report.applied, "skipped": report.skipped,
                    })
                    .to_string(),
                },
            )?;
        }
        // Pulled applications are indexed for search after the pull (the desktop's background
        // indexer), or by the next search, which always indexes what is missing first: one
        // catch-up for a whole initial pull instead of one FTS segment per page.
        tx.commit()?;
        Ok(report)
    }

    /// Duplicate-aid flags on an application.
    pub fn aid_flags(&self, application_id: &str) -> Result<Vec<AidFlagRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FLAG_COLUMNS} FROM aid_flag WHERE application_id = ?1 ORDER BY server_seq"
        ))?;
        let rows = stmt.query_map([application_id], flag_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every flag on this device, in server order.
    pub fn all_aid_flags(&self) -> Result<Vec<AidFlagRow>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {FLAG_COLUMNS} FROM aid_flag ORDER BY server_seq"))?;
        let rows = stmt.query_map([], flag_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A supervisor settles conflicts on an application: `fields` empty keeps the current
    /// (server) values; otherwise those values are taken, as an edit of the current version.
    /// Queued for the server like any change; shown resolved at once.
    pub fn resolve_conflicts(
        &mut self,
        application_id: &str,
        conflict_op_ids: &[String],
        fields: &serde_json::Map<String, Value>,
        actor: &crate::Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !actor.roles.contains(&loket_domain::workflow::Role::Supervisor) {
            return Err(StoreError::SupervisorOnly("resolve a sync conflict"));
        }
        self.write(actor, now, |w| {
            let version: i64 =
                w.tx.prepare_cached("SELECT version FROM application WHERE id = ?1")?
                    .query_row([application_id], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound {
                        entity: "application",
                        id: application_id.to_string(),
                    })?;
            if !fields.is_empty() {
                let hlc = w.tick().to_string();
                set_fields(&w.tx, application_id, Some(fields), version + 1, Some(&hlc))?;
            }
            for id in conflict_op_ids {
                w.tx.prepare_cached(
                    "UPDATE sync_conflict SET resolved = 1 WHERE op_id = ?1 AND application_id = ?2",
                )?
                .execute(params![id, application_id])?;
            }
            w.record(crate::writer::Change {
                entity: "application",
                entity_id: application_id,
                action: "resolve",
                audit: serde_json::json!({ "resolves": conflict_op_ids, "fields": fields }),
                op: "application.resolve",
                payload: serde_json::json!({
                    "application_id": application_id, "resolves": conflict_op_ids, "fields": fields,
                    "actor": actor.username,
                }),
                base_version: Some(version),
            })?;
            Ok(())
        })
    }

    /// A user of this office, by username.
    pub fn office_user(&self, username: &str) -> Result<Option<OfficeUser>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT username, full_name, roles, password_hash, active FROM office_user WHERE username = ?1",
            )?
            .query_row([username], |r| {
                let roles: String = r.get(2)?;
                Ok(OfficeUser {
                    username: r.get(0)?,
                    full_name: r.get(1)?,
                    roles: roles.split(',').filter_map(loket_domain::workflow::Role::parse).collect(),
                    password_hash: r.get(3)?,
                    active: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// How many users of this office are known (0 before the first sync).
    pub fn office_user_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM office_user WHERE active = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Every conflict this device knows: (losing operation id, resolved).
    pub fn all_conflicts(&self) -> Result<Vec<(String, bool)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT op_id, resolved FROM sync_conflict WHERE op_id IS NOT NULL ORDER BY op_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Unresolved conflicts, oldest first.
    pub fn open_conflicts(&self) -> Result<Vec<ConflictRow>, StoreError> {
        self.open_conflicts_where(None)
    }

    /// Unresolved conflicts on one application, oldest first.
    pub fn open_conflicts_of(&self, application_id: &str) -> Result<Vec<ConflictRow>, StoreError> {
        self.open_conflicts_where(Some(application_id))
    }

    fn open_conflicts_where(&self, application_id: Option<&str>) -> Result<Vec<ConflictRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT server_seq, application_id, op_id, data, received_at FROM sync_conflict
             WHERE resolved = 0 AND (?1 IS NULL OR application_id = ?1) ORDER BY server_seq",
        )?;
        let rows = stmt.query_map([application_id], |r| {
            let data: String = r.get(3)?;
            Ok(ConflictRow {
                server_seq: r.get(0)?,
                application_id: r.get(1)?,
                op_id: r.get(2)?,
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
                received_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Insert or update a staff record from another device; `false` when skipped.
fn staff_upsert(
    tx: &Transaction<'_>,
    f: &Value,
    id: Option<&str>,
    hlc: Option<&str>,
) -> Result<bool, StoreError> {
    let (Some(id), Some(status), Some(name), Some(jabatan), Some(unit)) =
        (id, str_of(f, "status"), str_of(f, "full_name"), str_of(f, "jabatan"), str_of(f, "unit_code"))
    else {
        return Ok(false);
    };
    let n = match tx
        .prepare_cached(
            "INSERT INTO staff (id, status, employee_number, full_name, golongan, jabatan, unit_code, active, updated_hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, employee_number = excluded.employee_number,
                 full_name = excluded.full_name, golongan = excluded.golongan, jabatan = excluded.jabatan,
                 unit_code = excluded.unit_code, active = excluded.active, updated_hlc = excluded.updated_hlc,
                 version = staff.version + 1
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            id,
            status,
            str_of(f, "employee_number"),
            name,
            str_of(f, "golongan"),
            jabatan,
            unit,
            f.get("active").and_then(Value::as_bool).unwrap_or(true),
            hlc.unwrap_or_default()
        ]) {
        Ok(n) => n,
        // An update giving a record a number another record holds: that statement only fails.
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => 0,
        Err(e) => return Err(e.into()),
    };
    Ok(n > 0)
}

/// The registration number of a stored application: `None` when there is no such application,
/// `Some(None)` while it has no number.
fn registration_number_of(tx: &Transaction<'_>, id: &str) -> Result<Option<Option<String>>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT registration_number FROM application WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Apply one change; `false` when it was skipped.
fn apply_one(tx: &Transaction<'_>, c: &RemoteChange) -> Result<bool, StoreError> {
    let d = c.data.json();
    match c.kind.as_str() {
        "application" => match &c.data {
            ChangeData::Application(a) => remote_application::insert(tx, a),
            ChangeData::Json(v) => match RemoteApplication::deserialize(v) {
                Ok(a) => remote_application::insert(tx, &a),
                Err(_) => Ok(false),
            },
        },
        "event" => {
            let app_id = str_of(d, "application_id").unwrap_or(&c.entity_id);
            let (Some(to), Some(version)) =
                (str_of(d, "status").or_else(|| str_of(d, "to")), d.get("version").and_then(Value::as_i64))
            else {
                return Ok(false);
            };
            let hlc = c.hlc.clone().unwrap_or_default();
            let Some(number_before) = registration_number_of(tx, app_id)? else { return Ok(false) };
            // The server's number wins: two devices that submitted the same draft offline each
            // numbered it; the server kept one (regression: seed 75 kept both).
            let number = str_of(d, "registration_number").map(str::to_string).or(number_before.clone());
            tx.prepare_cached(
                "UPDATE application SET status = ?2, version = ?3, updated_hlc = ?4, registration_number = ?5
                 WHERE id = ?1",
            )?
            .execute(params![app_id, to, version, hlc, number])?;
            if number != number_before {
                search::index(tx, app_id)?;
            }
            if let Some(event_id) = str_of(d, "event_id") {
                tx.prepare_cached(
                    "INSERT INTO workflow_event (id, application_id, action, from_status, to_status, actor, hlc, note)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    event_id,
                    app_id,
                    str_of(d, "action").unwrap_or_default(),
                    str_of(d, "from").unwrap_or_default(),
                    to,
                    str_of(d, "actor").unwrap_or_default(),
                    hlc,
                    str_of(d, "note").unwrap_or_default(),
                ])?;
            }
            Ok(true)
        }
        // The server's state after refusing an operation or keeping it as a conflict: the
        // device's optimistic change gives way to it.
        "state" => {
            let app_id = str_of(d, "application_id").unwrap_or(&c.entity_id);
            let (Some(status), Some(version)) =
                (str_of(d, "status"), d.get("version").and_then(Value::as_i64))
            else {
                return Ok(false);
            };
            let Some(number_before) = registration_number_of(tx, app_id)? else { return Ok(false) };
            // Authoritative, number included (none while the server holds a draft).
            let number = str_of(d, "registration_number").map(str::to_string);
            tx.prepare_cached(
                "UPDATE application SET status = ?2, version = ?3, registration_number = ?4 WHERE id = ?1",
            )?
            .execute(params![app_id, status, version, number])?;
            if number != number_before {
                search::index(tx, app_id)?;
            }
            set_fields(tx, app_id, d.get("fields").and_then(Value::as_object), version, c.hlc.as_deref())
        }
        "edit" => {
            let app_id = str_of(d, "application_id").unwrap_or(&c.entity_id);
            let (Some(fields), Some(version)) =
                (d.get("fields").and_then(Value::as_object), d.get("version").and_then(Value::as_i64))
            else {
                return Ok(false);
            };
            set_fields(tx, app_id, Some(fields), version, c.hlc.as_deref())
        }
        "resolved" => {
            let app_id = str_of(d, "application_id").unwrap_or(&c.entity_id);
            for id in
                d.get("resolves").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                tx.prepare_cached("UPDATE sync_conflict SET resolved = 1 WHERE op_id = ?1")?.execute([id])?;
            }
            match d.get("version").and_then(Value::as_i64) {
                Some(version) => set_fields(
                    tx,
                    app_id,
                    d.get("fields").and_then(Value::as_object),
                    version,
                    c.hlc.as_deref(),
                ),
                None => Ok(true),
            }
        }
        "conflict" => {
            tx.prepare_cached(
                "INSERT INTO sync_conflict (server_seq, application_id, op_id, data, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server_seq) DO NOTHING",
            )?
            .execute(params![
                c.server_seq,
                str_of(d, "application_id").unwrap_or(&c.entity_id),
                str_of(d, "op_id"),
                d.to_string(),
                c.received_at
            ])?;
            Ok(true)
        }
        "flag" => {
            let (Some(app), Some(other)) = (str_of(d, "application_id"), str_of(d, "other_application_id"))
            else {
                return Ok(false);
            };
            tx.prepare_cached(
                "INSERT INTO aid_flag (application_id, other_application_id, other_office_code,
                 other_registration_number, reason, server_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                app,
                other,
                str_of(d, "other_office_code").unwrap_or_default(),
                str_of(d, "other_registration_number"),
                str_of(d, "reason").unwrap_or_default(),
                c.server_seq
            ])?;
            Ok(true)
        }
        "user" => {
            let (Some(username), Some(id)) = (str_of(d, "username"), str_of(d, "id")) else {
                return Ok(false);
            };
            let roles: Vec<&str> = d
                .get("roles")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            tx.prepare_cached(
                "INSERT INTO office_user (username, id, full_name, roles, password_hash, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (username) DO UPDATE SET id = excluded.id, full_name = excluded.full_name,
                   roles = excluded.roles, password_hash = excluded.password_hash, active = excluded.active",
            )?
            .execute(params![
                username,
                id,
                str_of(d, "full_name").unwrap_or_default(),
                roles.join(","),
                str_of(d, "password_hash").unwrap_or_default(),
                d.get("active").and_then(Value::as_bool).unwrap_or(true)
            ])?;
            Ok(true)
        }
        "record" => match (str_of(d, "op"), d.get("payload")) {
            (Some("application.document"), Some(p)) => {
                let (Some(app), Some(code)) = (str_of(p, "application_id"), str_of(p, "code")) else {
                    return Ok(false);
                };
                let received = p.get("received").and_then(Value::as_bool).unwrap_or(false);
                tx.prepare_cached(
                    "UPDATE application_document SET received = ?3 WHERE application_id = ?1 AND code = ?2",
                )?
                .execute(params![app, code, received])?;
                Ok(true)
            }
            // Staff records kept by another device of the office. The server forwards them in
            // its order; the last update to arrive wins. A second record with a NIP/NI PPPK the
            // device already holds is skipped (and logged), never blocks the page.
            (Some("staff.create"), Some(p)) => staff_upsert(tx, p, str_of(p, "id"), c.hlc.as_deref()),
            (Some("staff.update"), Some(p)) => match p.get("fields") {
                Some(fields) => staff_upsert(tx, fields, str_of(p, "id"), c.hlc.as_deref()),
                None => Ok(false),
            },
            // An attachment registered on another device: metadata now, content on demand.
            (Some("application.attach"), Some(p)) => {
                let (Some(app), Some(sha)) = (str_of(p, "application_id"), str_of(p, "sha256")) else {
                    return Ok(false);
                };
                tx.prepare_cached(
                    "INSERT INTO attachment (sha256, size, media_type, created_at, uploaded, present)
                     VALUES (?1, ?2, ?3, ?4, 1, 0) ON CONFLICT (sha256) DO NOTHING",
                )?
                .execute(params![
                    sha,
                    p.get("size").and_then(Value::as_i64).unwrap_or(0),
                    str_of(p, "media_type").unwrap_or("application/pdf"),
                    c.received_at
                ])?;
                tx.prepare_cached(
                    "INSERT INTO application_attachment (application_id, sha256, document_code, file_name, added_hlc)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (application_id, sha256) DO NOTHING",
                )?
                .execute(params![
                    app,
                    sha,
                    str_of(p, "document_code").unwrap_or_default(),
                    str_of(p, "file_name").unwrap_or_default(),
                    c.hlc.clone().unwrap_or_default()
                ])?;
                Ok(true)
            }
            // Staff, user and holiday records travel too; this version keeps documents and
            // attachments.
            _ => Ok(false),
        },
        _ => Ok(false),
    }
}

/// Set editable applicant fields (those present) and the version; reindex for search when the
/// name changed.
fn set_fields(
    tx: &Transaction<'_>,
    app_id: &str,
    fields: Option<&serde_json::Map<String, Value>>,
    version: i64,
    hlc: Option<&str>,
) -> Result<bool, StoreError> {
    let empty = serde_json::Map::new();
    let fields = fields.unwrap_or(&empty);
    let field = |k: &str| fields.get(k).map(|v| v.as_str().map(str::to_string));
    let name = field("applicant_name").flatten();
    let address = field("applicant_address").flatten();
    let village = field("village_code").flatten();
    let (phone_set, phone) = match field("applicant_phone") {
        Some(p) => (true, p),
        None => (false, None),
    };
    let n = tx
        .prepare_cached(
            "UPDATE application SET applicant_name = coalesce(?2, applicant_name),
             applicant_address = coalesce(?3, applicant_address),
             village_code = coalesce(?4, village_code),
             applicant_phone = CASE WHEN ?5 THEN ?6 ELSE applicant_phone END,
             version = ?7, updated_hlc = coalesce(?8, updated_hlc) WHERE id = ?1",
        )?
        .execute(params![app_id, name, address, village, phone_set, phone, version, hlc])?;
    if n == 0 {
        return Ok(false);
    }
    // Of these fields only the name is searched (see `Store::edit_applicant`).
    if name.is_some() {
        search::index(tx, app_id)?;
    }
    Ok(true)
}
