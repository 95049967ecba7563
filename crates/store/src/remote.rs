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
use loket_protocol::{
    ApplicantFields, AttachPayload, ChangeBody, ChangeKind, ConflictData, DocumentPayload, EventData,
    FlagData, OpBody, Relayed, ResolvePayload, ResolvedData, StaffFields, StateData, UserRecord,
};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::redaction::{self, Redacted};
use crate::registration_rows;
use crate::{audit, search, Store, StoreError};

/// Setting key of the pull checkpoint (the last server sequence applied).
const CHECKPOINT: &str = "sync.checkpoint";
const HLC_SETTING: &str = "hlc.last";

/// One change from the server, its data decoded by its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteChange {
    pub server_seq: i64,
    pub kind: ChangeKind,
    pub entity_id: String,
    /// `None` when the data does not decode as its kind: skipped, counted, logged.
    pub body: Option<ChangeBody>,
    pub hlc: Option<String>,
    /// RFC 3339 server receipt time.
    pub received_at: String,
}

impl RemoteChange {
    /// A change from the wire: its data text decoded by its kind.
    pub fn decode(record: loket_protocol::ChangeRecord) -> Self {
        let body = match ChangeBody::decode(record.kind, record.data.get()) {
            Ok(body) => Some(body),
            Err(e) => {
                tracing::warn!(kind = %record.kind, seq = record.server_seq, error = %e, "a server change does not decode");
                None
            }
        };
        Self {
            server_seq: record.server_seq,
            kind: record.kind,
            entity_id: record.entity_id,
            body,
            hlc: record.hlc,
            received_at: record.received_at,
        }
    }

    /// A change carrying `body`.
    pub fn of(
        server_seq: i64,
        entity_id: impl Into<String>,
        body: ChangeBody,
        received_at: impl Into<String>,
    ) -> Self {
        Self {
            server_seq,
            kind: body.kind(),
            entity_id: entity_id.into(),
            body: Some(body),
            hlc: None,
            received_at: received_at.into(),
        }
    }
}

/// What applying a page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: usize,
    /// Changes of a kind this version does not know, or about an application it does not
    /// have: skipped, counted, logged.
    pub skipped: usize,
}

/// A user of the office, as synced from the server (or created here before enrollment): what
/// offline login needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUser {
    pub username: String,
    pub full_name: String,
    pub roles: Vec<loket_domain::workflow::Role>,
    /// Ed25519, base64url.
    pub public_key: String,
    /// The private key wrapped by the user's password: logging in is opening it.
    pub wrapped_key: String,
    pub active: bool,
    /// Created on this laptop before enrollment, not yet linked to a server account.
    pub local: bool,
}

/// A duplicate-aid flag on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AidFlagRow {
    pub application_id: String,
    /// The pair's reference, to quote to the province (flags synced before protocol 4 hold
    /// the other application's id here).
    pub reference: String,
    pub other_office_code: String,
    /// `nik` or `kk` ([`loket_protocol::FlagReason`]).
    pub reason: String,
}

/// A conflict kept by the server, shown until a supervisor resolves it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRow {
    pub server_seq: i64,
    pub application_id: String,
    pub op_id: Option<String>,
    pub data: ConflictData,
    pub received_at: String,
}

// The pair's reference is kept in the `other_application_id` column (add-only migrations).
const FLAG_COLUMNS: &str = "application_id, other_application_id, other_office_code, reason";

fn flag_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AidFlagRow> {
    Ok(AidFlagRow {
        application_id: r.get(0)?,
        reference: r.get(1)?,
        other_office_code: r.get(2)?,
        reason: r.get(3)?,
    })
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
        let mut redacted = Redacted::default();
        for c in changes.iter().filter(|c| c.server_seq > current) {
            if apply_one(&tx, c, &mut redacted)? {
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
        redaction::finish(&tx, &mut redacted)?;
        if !redacted.ids.is_empty() {
            // Merge the search index's segments, so that no old one still holds the terms.
            tx.execute("INSERT INTO application_search (application_search) VALUES ('optimize')", [])?;
        }
        for (id, entries) in &redacted.audit {
            audit::append(
                &tx,
                &audit::NewEntry {
                    hlc: &stamp.to_string(),
                    actor: "server",
                    device: &device,
                    entity: loket_protocol::Entity::Application.as_str(),
                    entity_id: id,
                    action: audit::REDACT_ACTION,
                    change: &serde_json::json!({ "entries": entries }).to_string(),
                },
            )?;
        }
        // Pulled applications are indexed for search after the pull (the desktop's background
        // indexer), or by the next search, which always indexes what is missing first: one
        // catch-up for a whole initial pull instead of one FTS segment per page.
        tx.commit()?;
        // The scans of redacted applications, once the rows no longer name them.
        for sha in redacted.files {
            let path = self.attachment_path(&sha);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(%sha, error = %e, "a redacted attachment could not be deleted");
                }
            }
        }
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
        fields: &ApplicantFields,
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
                set_fields(&w.tx, application_id, fields, version + 1, Some(&hlc))?;
            }
            for id in conflict_op_ids {
                w.tx.prepare_cached(
                    "UPDATE sync_conflict SET resolved = 1 WHERE op_id = ?1 AND application_id = ?2",
                )?
                .execute(params![id, application_id])?;
            }
            w.record(crate::writer::Change {
                entity_id: application_id,
                action: "resolve",
                audit: serde_json::json!({ "resolves": conflict_op_ids, "fields": fields }),
                body: OpBody::Resolve(ResolvePayload {
                    application_id: application_id.to_string(),
                    resolves: conflict_op_ids.to_vec(),
                    fields: fields.clone(),
                    actor: actor.username.clone(),
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
                "SELECT username, full_name, roles, public_key, wrapped_key, active, local FROM office_user
                 WHERE username = ?1",
            )?
            .query_row([username], office_user_row)
            .optional()?)
    }

    /// The user created on this laptop before enrollment, while not linked yet.
    pub fn local_user(&self) -> Result<Option<OfficeUser>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT username, full_name, roles, public_key, wrapped_key, active, local FROM office_user
                 WHERE local = 1",
            )?
            .query_row([], office_user_row)
            .optional()?)
    }

    /// Create the laptop's first user before enrollment. Refused once any user is known: from
    /// then on users come from the server.
    pub fn create_local_user(&mut self, user: &OfficeUser) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let known: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM office_user)", [], |r| r.get(0))?;
        if known {
            return Err(StoreError::UsersExist);
        }
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        tx.execute(
            "INSERT INTO office_user (username, id, full_name, roles, password_hash, public_key, wrapped_key, active, local)
             VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, 1, 1)",
            params![
                user.username,
                uuid::Uuid::now_v7().to_string(),
                user.full_name,
                roles.join(","),
                user.public_key,
                user.wrapped_key
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// How many users of this office are known (0 before the first sync).
    pub fn office_user_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM office_user WHERE active = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Whether the server has told this device of any user of the office (active or not): from
    /// then on somebody must log in, even when every user has since been deactivated.
    pub fn office_users_known(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM office_user)")?
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
                data: serde_json::from_str(&data).unwrap_or_default(),
                received_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A staff record another device created; one this laptop holds already (its own, echoed)
/// keeps its version.
fn staff_create(
    tx: &Transaction<'_>,
    id: &str,
    f: &StaffFields,
    hlc: Option<&str>,
) -> Result<bool, StoreError> {
    let known: bool =
        tx.prepare_cached("SELECT count(*) FROM staff WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    if known {
        return Ok(true);
    }
    staff_upsert(tx, id, f, hlc, Some(1))
}

/// Insert or update a staff record from another device, at the server's `version` (`None`:
/// a relay from before the server numbered them); `false` when skipped.
fn staff_upsert(
    tx: &Transaction<'_>,
    id: &str,
    f: &StaffFields,
    hlc: Option<&str>,
    version: Option<i64>,
) -> Result<bool, StoreError> {
    let n = match tx
        .prepare_cached(
            "INSERT INTO staff (id, status, employee_number, full_name, golongan, jabatan, unit_code, active, updated_hlc,
                 version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, 1))
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, employee_number = excluded.employee_number,
                 full_name = excluded.full_name, golongan = excluded.golongan, jabatan = excluded.jabatan,
                 unit_code = excluded.unit_code, active = excluded.active, updated_hlc = excluded.updated_hlc,
                 version = coalesce(?10, staff.version + 1)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            id,
            f.status,
            f.employee_number,
            f.full_name,
            f.golongan,
            f.jabatan,
            f.unit_code,
            f.active,
            hlc.unwrap_or_default(),
            version
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
fn apply_one(tx: &Transaction<'_>, c: &RemoteChange, redacted: &mut Redacted) -> Result<bool, StoreError> {
    let hlc = c.hlc.as_deref();
    match &c.body {
        None => Ok(false),
        Some(ChangeBody::Application(a)) => registration_rows::insert(tx, a, ""),
        Some(ChangeBody::Event(e)) => apply_event(tx, e, hlc.unwrap_or_default()),
        // The server's state after refusing an operation or keeping it as a conflict: the
        // device's optimistic change gives way to it.
        Some(ChangeBody::State(s)) => apply_state(tx, s, hlc),
        Some(ChangeBody::Edit(e)) => set_fields(tx, &e.application_id, &e.fields, e.version, hlc),
        Some(ChangeBody::Resolved(r)) => apply_resolved(tx, r, hlc),
        Some(ChangeBody::Conflict(d)) => {
            tx.prepare_cached(
                "INSERT INTO sync_conflict (server_seq, application_id, op_id, data, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server_seq) DO NOTHING",
            )?
            .execute(params![
                c.server_seq,
                d.application_id,
                d.op_id,
                serde_json::to_string(d).unwrap_or_default(),
                c.received_at
            ])?;
            Ok(true)
        }
        Some(ChangeBody::Flag(f)) => apply_flag(tx, f, c.server_seq),
        Some(ChangeBody::User(u)) => apply_user(tx, u),
        Some(ChangeBody::Record(Relayed(op))) => apply_record(tx, op, c),
        Some(ChangeBody::Redacted(r)) => redaction::redact(tx, &r.application_id, redacted),
        // Kept for a supervisor; meanwhile the record is the server's.
        Some(ChangeBody::StaffConflict(d)) => {
            tx.prepare_cached(
                "INSERT INTO staff_conflict (server_seq, staff_id, op_id, data, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server_seq) DO NOTHING",
            )?
            .execute(params![
                c.server_seq,
                d.staff_id,
                d.op_id,
                serde_json::to_string(d).unwrap_or_default(),
                c.received_at
            ])?;
            staff_upsert(tx, &d.staff_id, &d.server_fields, hlc, Some(d.server_version))
        }
    }
}

fn apply_event(tx: &Transaction<'_>, e: &EventData, hlc: &str) -> Result<bool, StoreError> {
    let app_id = &e.step.application_id;
    let Some(number_before) = registration_number_of(tx, app_id)? else { return Ok(false) };
    // The server's number wins: two devices that submitted the same draft offline each
    // numbered it; the server kept one (regression: seed 75 kept both).
    let number = e.step.registration_number.clone().or(number_before.clone());
    tx.prepare_cached(
        "UPDATE application SET status = ?2, version = ?3, updated_hlc = ?4, registration_number = ?5
         WHERE id = ?1",
    )?
    .execute(params![app_id, e.status.as_str(), e.version, hlc, number])?;
    if number != number_before {
        search::index(tx, app_id)?;
    }
    tx.prepare_cached(
        "INSERT INTO workflow_event (id, application_id, action, from_status, to_status, actor, hlc, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        e.step.event_id,
        app_id,
        e.step.action.as_str(),
        e.step.from.as_str(),
        e.status.as_str(),
        e.step.actor,
        hlc,
        e.step.note,
    ])?;
    Ok(true)
}

fn apply_state(tx: &Transaction<'_>, s: &StateData, hlc: Option<&str>) -> Result<bool, StoreError> {
    let Some(number_before) = registration_number_of(tx, &s.application_id)? else { return Ok(false) };
    // Authoritative, number included (none while the server holds a draft).
    tx.prepare_cached(
        "UPDATE application SET status = ?2, version = ?3, registration_number = ?4 WHERE id = ?1",
    )?
    .execute(params![s.application_id, s.status.as_str(), s.version, s.registration_number])?;
    if s.registration_number != number_before {
        search::index(tx, &s.application_id)?;
    }
    set_fields(tx, &s.application_id, &s.fields, s.version, hlc)
}

fn apply_resolved(tx: &Transaction<'_>, r: &ResolvedData, hlc: Option<&str>) -> Result<bool, StoreError> {
    for id in &r.resolves {
        tx.prepare_cached("UPDATE sync_conflict SET resolved = 1 WHERE op_id = ?1")?.execute([id])?;
    }
    set_fields(tx, &r.application_id, &r.fields, r.version, hlc)
}

fn apply_flag(tx: &Transaction<'_>, f: &FlagData, server_seq: i64) -> Result<bool, StoreError> {
    tx.prepare_cached(
        "INSERT INTO aid_flag (application_id, other_application_id, other_office_code, reason, server_seq)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        f.application_id,
        f.reference,
        f.other_office_code,
        f.reason.as_str(),
        server_seq
    ])?;
    Ok(true)
}

fn office_user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OfficeUser> {
    let roles: String = r.get(2)?;
    Ok(OfficeUser {
        username: r.get(0)?,
        full_name: r.get(1)?,
        roles: roles.split(',').filter_map(loket_domain::workflow::Role::parse).collect(),
        public_key: r.get(3)?,
        wrapped_key: r.get(4)?,
        active: r.get(5)?,
        local: r.get(6)?,
    })
}

/// A user as the server publishes it; a local user of the same name is now linked to it.
fn apply_user(tx: &Transaction<'_>, u: &UserRecord) -> Result<bool, StoreError> {
    let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
    tx.prepare_cached(
        "INSERT INTO office_user (username, id, full_name, roles, password_hash, public_key, wrapped_key, active, local)
         VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, 0)
         ON CONFLICT (username) DO UPDATE SET id = excluded.id, full_name = excluded.full_name,
           roles = excluded.roles, public_key = excluded.public_key, wrapped_key = excluded.wrapped_key,
           active = excluded.active, local = 0",
    )?
    .execute(params![u.username, u.id, u.full_name, roles.join(","), u.public_key, u.wrapped_key, u.active])?;
    Ok(true)
}

/// An operation of another device, relayed by the server as it accepted it.
fn apply_record(tx: &Transaction<'_>, op: &OpBody, c: &RemoteChange) -> Result<bool, StoreError> {
    let hlc = c.hlc.as_deref();
    match op {
        OpBody::Document(DocumentPayload { application_id, code, received }) => {
            tx.prepare_cached(
                "UPDATE application_document SET received = ?3 WHERE application_id = ?1 AND code = ?2",
            )?
            .execute(params![application_id, code, received])?;
            Ok(true)
        }
        // Staff records kept by another device of the office, as the server accepted them (an
        // update on a version it had moved past comes as a `staff_conflict` instead). A second
        // record with a NIP/NI PPPK the device already holds is skipped (and logged), never
        // blocks the page.
        OpBody::StaffCreate(p) => staff_create(tx, &p.id, &p.fields, hlc),
        // The server's numbering of the record's versions; the conflicts it settles are settled.
        OpBody::StaffUpdate(p) => {
            crate::staff::settle_conflicts(tx, &p.id, &p.resolves)?;
            staff_upsert(tx, &p.id, &p.fields, hlc, p.version)
        }
        // An attachment registered on another device: metadata now, content on demand.
        OpBody::Attach(AttachPayload {
            application_id,
            sha256,
            size,
            media_type,
            file_name,
            document_code,
        }) => {
            tx.prepare_cached(
                "INSERT INTO attachment (sha256, size, media_type, created_at, uploaded, present)
                 VALUES (?1, ?2, ?3, ?4, 1, 0) ON CONFLICT (sha256) DO NOTHING",
            )?
            .execute(params![sha256, size, media_type, c.received_at])?;
            tx.prepare_cached(
                "INSERT INTO application_attachment (application_id, sha256, document_code, file_name, added_hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (application_id, sha256) DO NOTHING",
            )?
            .execute(params![application_id, sha256, document_code, file_name, hlc.unwrap_or_default()])?;
            Ok(true)
        }
        // A catalogue version the province published for this office: kept, and known from now
        // on (new applications use it from its effective date).
        OpBody::CataloguePublish(p) => crate::catalogue::keep(tx, p),
        // The province's calendar (or an admin's day): due dates count it from now on.
        OpBody::HolidaySet(p) => {
            crate::holiday::upsert(tx, p)?;
            Ok(true)
        }
        // Users travel too; this version takes them from the server's own `user` records.
        // Access records are never relayed.
        OpBody::Register(_)
        | OpBody::Transition(_)
        | OpBody::Edit(_)
        | OpBody::Resolve(_)
        | OpBody::UserCreate(_)
        | OpBody::UserDeactivate(_)
        | OpBody::Access(_) => Ok(false),
    }
}

/// Set editable applicant fields (those present) and the version; reindex for search when the
/// name changed.
fn set_fields(
    tx: &Transaction<'_>,
    app_id: &str,
    fields: &ApplicantFields,
    version: i64,
    hlc: Option<&str>,
) -> Result<bool, StoreError> {
    let (phone_set, phone) = match &fields.applicant_phone {
        Some(p) => (true, p.as_deref()),
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
        .execute(params![
            app_id,
            fields.applicant_name,
            fields.applicant_address,
            fields.village_code,
            phone_set,
            phone,
            version,
            hlc
        ])?;
    if n == 0 {
        return Ok(false);
    }
    // Of these fields only the name is searched (see `Store::edit_applicant`).
    if fields.applicant_name.is_some() {
        search::index(tx, app_id)?;
    }
    Ok(true)
}
