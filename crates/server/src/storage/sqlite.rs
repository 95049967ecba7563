//! Embedded SQLite storage: the zero-set-up default.
//!
//! One connection behind a mutex: SQLite has one writer anyway, and serialising operations
//! makes the change log's sequence the commit order, so a pull can never skip a change that
//! commits later with a lower number. `synchronous=FULL`: an acknowledged push is on disk.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use loket_domain::workflow::{ApplicationKind, Status};
use loket_protocol::{BlobStatus, ChangeKind, ChangeRecord, OpResult, Operation, RawPayload};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;

use super::NewEnrollmentCode;
use super::{
    blob, Device, Durability, NewDevice, Office, Storage, StorageError, User, UserUpdate, APP_COLUMNS,
};
use crate::rules::{self, AppState, Batch, Loaded, Write};

use super::SCHEMA_VERSION;

/// The SQLite backend.
#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn is_unique(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl SqliteStorage {
    /// Open (creating) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StorageError::Backend(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A 32 MiB page cache (the default is 2 MiB: index probes went to the OS for every
        // page), and a WAL checkpoint every 16,384 pages instead of 1,000: a push of 500
        // registrations writes ~750 pages, so the default checkpointed on nearly every commit.
        // Durability is unchanged: every commit still fsyncs the WAL.
        conn.pragma_update(None, "cache_size", -32768)?;
        conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::SchemaTooNew { found: version, known: SCHEMA_VERSION });
        }
        for (i, sql) in super::MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!("BEGIN; {sql} PRAGMA user_version = {}; COMMIT;", i + 1))?;
        }
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Backend(format!("storage task: {e}")))?
    }

    /// The rows of a two-column `query` (no parameters).
    async fn pairs<
        A: rusqlite::types::FromSql + Send + 'static,
        B: rusqlite::types::FromSql + Send + 'static,
    >(
        &self,
        query: &'static str,
    ) -> Result<Vec<(A, B)>, StorageError> {
        self.run(move |c| {
            let mut stmt = c.prepare_cached(query)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// One `server_meta` value, read by `query` (no parameters).
    async fn meta(&self, query: &'static str) -> Result<Option<String>, StorageError> {
        self.run(move |c| Ok(c.query_row(query, [], |r| r.get(0)).optional()?)).await
    }

    /// One `server_meta` value, written by `statement` (`$1`: the value).
    async fn set_meta(&self, statement: &'static str, value: &str) -> Result<(), StorageError> {
        let value = value.to_string();
        self.run(move |c| {
            c.execute(&sql(statement), [value])?;
            Ok(())
        })
        .await
    }
}

/// `record` changes for offices' laptops: (office, entity id, encoded change).
fn append_records(
    tx: &Transaction<'_>,
    changes: &[(String, String, String)],
    now: &str,
) -> Result<(), StorageError> {
    for (office, entity, data) in changes {
        tx.prepare_cached(&sql(super::SQL_CHANGE_APPEND))?.execute(params![
            office,
            ChangeKind::Record.as_str(),
            entity,
            data,
            now
        ])?;
    }
    Ok(())
}

/// A unique constraint broken by an insert of `what` is a duplicate of it.
fn unique_as(what: &'static str) -> impl Fn(rusqlite::Error) -> StorageError {
    move |e| if is_unique(&e) { StorageError::Duplicate(what) } else { e.into() }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let roles: String = r.get(4)?;
    Ok(User {
        id: r.get(0)?,
        office_code: r.get(1)?,
        username: r.get(2)?,
        full_name: r.get(3)?,
        roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        password_hash: r.get(5)?,
        active: r.get(6)?,
        public_key: r.get(7)?,
        wrapped_key: r.get(8)?,
        nip: r.get(9)?,
    })
}

fn artifact_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<super::ArtifactRow> {
    Ok(super::ArtifactRow {
        version: r.get(0)?,
        target: r.get(1)?,
        sha256: r.get(2)?,
        size: r.get(3)?,
        signature: r.get(4)?,
        file_name: r.get(5)?,
    })
}

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    let revoked: Option<String> = r.get(7)?;
    Ok(Device {
        id: r.get(0)?,
        office_code: r.get(1)?,
        device_code: r.get(2)?,
        name: r.get(3)?,
        app_version: r.get(4)?,
        last_sync_at: r.get(5)?,
        pending_reported: r.get(6)?,
        revoked: revoked.is_some(),
        wiped_at: r.get(8)?,
    })
}

use super::DEVICE_COLUMNS;

fn app_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppState> {
    super::app_state(r)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, e.into()))
}

/// Register `public_key` for a user (kept forever; a key already known changes nothing).
fn add_key(tx: &Transaction<'_>, user_id: &str, public_key: &str, now: &str) -> Result<(), StorageError> {
    if public_key.is_empty() {
        return Ok(());
    }
    tx.prepare_cached(&sql(super::SQL_ADD_USER_KEY))?.execute(params![
        user_id,
        loket_keys::key_id(public_key),
        public_key,
        now
    ])?;
    Ok(())
}

fn user_change(tx: &Connection, u: &User, now: &str) -> Result<(), StorageError> {
    let data = crate::sync::user_change(u);
    tx.prepare_cached(
        "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
    )?
    .execute(params![u.office_code, ChangeKind::User.as_str(), u.id, data, now])?;
    Ok(())
}

/// Load what a batch needs: stored results, applications, actors, duplicate-aid candidates.
fn load(tx: &Connection, device: &Device, batch: &Batch<'_>) -> Result<Loaded, StorageError> {
    let needs = batch.needs();
    let mut loaded = Loaded::default();
    let mut previous = tx.prepare_cached(
        "SELECT result FROM op_log WHERE op_id = ?1 UNION ALL SELECT result FROM op_log WHERE device_id = ?2 AND seq = ?3 LIMIT 1",
    )?;
    for op in batch.ops() {
        let found: Option<String> =
            previous.query_row(params![op.op_id, device.id, op.seq], |r| r.get(0)).optional()?;
        if let Some(text) = found {
            let result: OpResult =
                serde_json::from_str(&text).map_err(|e| StorageError::Backend(format!("op_log: {e}")))?;
            loaded.previous_by_op_id.insert(op.op_id.clone(), result);
        }
    }
    let mut app = tx.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM application WHERE id = ?1"))?;
    for id in &needs.application_ids {
        if let Some(a) = app.query_row([id], app_row).optional()? {
            loaded.apps.insert(a.id.clone(), a);
        }
    }
    let mut actor = tx.prepare_cached(&sql(super::SQL_SIGNER))?;
    for username in &needs.actors {
        let rows = actor
            .query_map([username], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(found) = super::signer(rows) {
            loaded.actors.insert(username.to_string(), std::sync::Arc::new(found));
        }
    }
    let mut duplicates = tx.prepare_cached(&format!(
        "SELECT {APP_COLUMNS} FROM application WHERE service_code = ?1 AND period = ?2 AND applicant_nik = ?4
             AND kind = 'bansos' AND office_code <> ?3
         UNION
         SELECT {APP_COLUMNS} FROM application WHERE service_code = ?1 AND period = ?2 AND kk = ?5
             AND kind = 'bansos' AND office_code <> ?3"
    ))?;
    let mut number = tx.prepare_cached("SELECT id FROM application WHERE registration_number = ?1")?;
    for n in &needs.registration_numbers {
        if let Some(id) = number.query_row([n], |r| r.get::<_, String>(0)).optional()? {
            loaded.numbers.insert(n.to_string(), id);
        }
    }
    let mut staff = tx.prepare_cached(&sql(super::SQL_STAFF))?;
    for id in &needs.staff_ids {
        let row = staff
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?;
        if let Some(s) =
            row.and_then(|(id, office, version, fields)| super::staff_state(id, office, version, &fields))
        {
            loaded.staff.insert(s.id.clone(), s);
        }
    }
    for (i, key) in &needs.duplicate_keys {
        let found = duplicates
            .query_map(params![key.programme, key.period, device.office_code, key.nik, key.kk], app_row)?
            .collect::<Result<_, _>>()?;
        loaded.duplicates.insert(*i, found);
    }
    Ok(loaded)
}

/// Plan a batch and execute it inside `tx`; returns each operation's result.
fn apply_batch(
    tx: &Connection,
    device: &Device,
    ops: &[Operation],
    now: &str,
) -> Result<Vec<OpResult>, StorageError> {
    let batch = Batch::decode(ops);
    let loaded = load(tx, device, &batch)?;
    let mut results = Vec::with_capacity(ops.len());
    let steps = batch.plan(&device.office_code, loaded);
    for (code, count) in crate::rules::refusals(&device.id, &steps) {
        tx.prepare_cached(&sql(super::SQL_REFUSAL))?.execute(params![device.id, code, count, now])?;
    }
    for step in steps {
        if step.fresh {
            for w in &step.writes {
                execute(tx, w, step.op, now)?;
            }
            log_result(tx, device, step.op, &step.result, now)?;
        }
        results.push(step.result);
    }
    Ok(results)
}

/// Record an operation's final result, so that a re-send gets the same answer.
fn log_result(
    tx: &Connection,
    device: &Device,
    op: &Operation,
    result: &OpResult,
    now: &str,
) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT INTO op_log (op_id, device_id, seq, result, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        op.op_id,
        device.id,
        op.seq,
        serde_json::to_string(result).unwrap_or_default(),
        now
    ])?;
    Ok(())
}

fn execute(tx: &Connection, w: &Write, op: &Operation, now: &str) -> Result<(), StorageError> {
    match w {
        Write::InsertApplication { app, data } => {
            tx.prepare_cached(
                "INSERT INTO application (id, office_code, kind, service_code, period, status, applicant_nik, kk,
                     registration_number, data, version, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                app.id,
                app.office_code,
                app.kind.as_str(),
                app.service_code,
                app.period,
                app.status.as_str(),
                app.applicant_nik,
                app.kk,
                app.registration_number,
                &**data,
                app.version,
                now
            ])?;
        }
        Write::SetStatus { id, status, version, registration_number } => {
            tx.prepare_cached(
                "UPDATE application SET status = ?2, version = ?3, registration_number = ?4, updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, status.as_str(), version, registration_number, now])?;
        }
        Write::SetFields { id, fields, version } => {
            let data: String = tx
                .prepare_cached("SELECT data FROM application WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            tx.prepare_cached(
                "UPDATE application SET data = ?2, version = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, super::merge_fields(&data, fields), version, now])?;
        }
        Write::Change { office, kind, entity_id, data } => {
            tx.prepare_cached(
                "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![office, kind.as_str(), entity_id, &**data, op.hlc, now])?;
        }
        Write::Flag { application_id, other_application_id, reason } => {
            tx.prepare_cached(
                "INSERT INTO aid_flag (application_id, other_application_id, reason, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![application_id, other_application_id, reason.as_str(), now])?;
        }
        Write::ResolveConflicts { application_id, ids } => {
            for id in ids {
                tx.prepare_cached(
                    "UPDATE conflict SET resolved_at = ?3 WHERE id = ?1 AND application_id = ?2 AND resolved_at IS NULL",
                )?
                .execute(params![id, application_id, now])?;
            }
        }
        Write::Conflict { application_id, data } => {
            tx.prepare_cached(
                "INSERT INTO conflict (id, application_id, data, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![op.op_id, application_id, &**data, now])?;
        }
        Write::Staff(s) => {
            let fields = serde_json::to_string(&s.fields).unwrap_or_default();
            tx.prepare_cached(&sql(super::SQL_STAFF_UPSERT))?
                .execute(params![s.id, s.office, s.version, fields, now])?;
        }
        Write::DeactivateAccounts { office, nip } => {
            let usernames: Vec<String> = tx
                .prepare_cached(&sql(super::SQL_STAFF_ACCOUNTS))?
                .query_map(params![office, nip], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for username in usernames {
                let args =
                    params![username, None::<&str>, false, now, None::<&str>, None::<&str>, None::<&str>];
                tx.prepare_cached(&sql(super::SQL_UPDATE_USER))?.execute(args)?;
                let u = tx.query_row(
                    &format!("SELECT {} FROM app_user WHERE username = ?1", super::USER_COLUMNS),
                    [&username],
                    user_row,
                )?;
                user_change(tx, &u, now)?;
            }
        }
        Write::ExpectBlob { office, sha256, size, media_type } => {
            tx.prepare_cached(&sql(blob::SQL_EXPECT))?
                .execute(params![office, sha256, size, now, media_type])?;
        }
        Write::Access { office, username, payload: p } => {
            let subject = match &p.identifier {
                Some(number) => Some(super::subject_hash(&audit_key(tx)?, number)),
                None => None,
            };
            tx.prepare_cached(&sql(super::SQL_ACCESS_INSERT))?.execute(params![
                op.op_id,
                office,
                username,
                p.action.as_str(),
                p.application_id,
                p.attachment,
                subject,
                op.hlc,
                now
            ])?;
        }
    }
    Ok(())
}

/// The audit key, made on first use.
fn audit_key(c: &Connection) -> Result<String, StorageError> {
    c.prepare_cached(&sql(super::SQL_AUDIT_KEY_INIT))?.execute([super::new_audit_key()])?;
    Ok(c.prepare_cached(super::SQL_AUDIT_KEY)?.query_row([], |r| r.get(0))?)
}

/// Apply a push in one transaction; with `per_op`, each operation in its own savepoint, planned
/// alone against what the earlier ones committed, so one that breaks a constraint is rejected
/// alone (without, such an error fails the whole batch).
fn push_batch(
    c: &mut Connection,
    device: &Device,
    ops: &[Operation],
    now: &str,
    per_op: bool,
) -> Result<Vec<OpResult>, StorageError> {
    let mut tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !per_op {
        let results = apply_batch(&tx, device, ops, now)?;
        tx.commit()?;
        return Ok(results);
    }
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let sp = tx.savepoint()?;
        match apply_batch(&sp, device, std::slice::from_ref(op), now) {
            Ok(mut result) => {
                sp.commit()?;
                results.append(&mut result);
            }
            Err(StorageError::Constraint(_)) => {
                drop(sp);
                let result = rules::constraint_rejection(op);
                log_result(&tx, device, op, &result, now)?;
                results.push(result);
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit()?;
    Ok(results)
}

#[async_trait]
impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.run(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    async fn epoch(&self) -> Result<String, StorageError> {
        self.run(|c| {
            c.prepare_cached(&sql(super::SQL_EPOCH_INIT))?.execute([super::new_epoch()])?;
            Ok(c.prepare_cached(super::SQL_EPOCH)?.query_row([], |r| r.get(0))?)
        })
        .await
    }

    async fn renew_epoch(&self) -> Result<String, StorageError> {
        self.run(|c| {
            let epoch = super::new_epoch();
            c.execute(&sql(super::SQL_EPOCH_SET), [&epoch])?;
            Ok(epoch)
        })
        .await
    }

    async fn durability(&self) -> Result<Durability, StorageError> {
        self.run(|c| {
            let sync: i64 = c.pragma_query_value(None, "synchronous", |r| r.get(0))?;
            let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            Ok(Durability { setting: format!("journal_mode={mode} synchronous={sync}"), durable: sync >= 2 })
        })
        .await
    }

    async fn upsert_office(&self, code: &str, name: &str) -> Result<(), StorageError> {
        let (code, name) = (code.to_string(), name.to_string());
        self.run(move |c| {
            c.execute(
                "INSERT INTO office (code, name) VALUES (?1, ?2) ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                params![code, name],
            )?;
            Ok(())
        })
        .await
    }

    async fn office(&self, code: &str) -> Result<Option<Office>, StorageError> {
        let code = code.to_string();
        self.run(move |c| {
            Ok(c.query_row("SELECT code, name FROM office WHERE code = ?1", [code], |r| {
                Ok(Office { code: r.get(0)?, name: r.get(1)? })
            })
            .optional()?)
        })
        .await
    }

    async fn create_user(&self, user: &User, now: DateTime<Utc>) -> Result<(), StorageError> {
        let u = user.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = ts(now);
            tx.execute(
                &sql(super::SQL_INSERT_USER),
                params![
                    u.id,
                    u.office_code,
                    u.username,
                    u.full_name,
                    u.roles.join(","),
                    u.password_hash,
                    u.active,
                    u.public_key,
                    u.wrapped_key,
                    u.nip,
                    now
                ],
            )
            .map_err(unique_as("username"))?;
            add_key(&tx, &u.id, &u.public_key, &now)?;
            user_change(&tx, &u, &now)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        let username = username.to_string();
        self.run(move |c| {
            Ok(c.query_row(
                &format!("SELECT {} FROM app_user WHERE username = ?1", super::USER_COLUMNS),
                [username],
                user_row,
            )
            .optional()?)
        })
        .await
    }

    async fn receipt_facts(
        &self,
        username: &str,
        application_id: &str,
        key_id: &str,
    ) -> Result<super::ReceiptFacts, StorageError> {
        let (username, id, key_id) = (username.to_string(), application_id.to_string(), key_id.to_string());
        self.run(move |c| {
            let rows = c
                .prepare_cached(&sql(super::SQL_SIGNER))?
                .query_map([&username], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let registered =
                c.prepare_cached(&sql(super::SQL_REGISTERED))?.query_row([&id], |r| r.get(0)).optional()?;
            let device = c
                .prepare_cached(&sql(super::SQL_DEVICE_BY_KEY))?
                .query_row([&key_id], |r| {
                    Ok(crate::rules::receipt::KnownDevice {
                        device_code: r.get(0)?,
                        office: r.get(1)?,
                        public_key: r.get(2)?,
                        revoked_at: r.get(3)?,
                    })
                })
                .optional()?;
            let province_keys = c
                .prepare_cached(super::SQL_PROVINCE_PUBLIC_KEYS)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(super::ReceiptFacts { signer: super::signer(rows), registered, device, province_keys })
        })
        .await
    }

    async fn province_key(
        &self,
        fresh: &super::ProvinceKey,
        now: DateTime<Utc>,
    ) -> Result<super::ProvinceKey, StorageError> {
        let fresh = fresh.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                &sql(super::SQL_PROVINCE_KEY_INSERT),
                params![fresh.key_id, fresh.public_key, fresh.secret, ts(now)],
            )?;
            let kept = tx.query_row(super::SQL_PROVINCE_KEY, [], |r| {
                Ok(super::ProvinceKey { key_id: r.get(0)?, public_key: r.get(1)?, secret: r.get(2)? })
            })?;
            tx.commit()?;
            Ok(kept)
        })
        .await
    }

    async fn set_device_key(
        &self,
        device_id: &str,
        key_id: &str,
        public_key: &str,
    ) -> Result<bool, StorageError> {
        let (device_id, key_id, public_key) =
            (device_id.to_string(), key_id.to_string(), public_key.to_string());
        self.run(move |c| {
            Ok(c.execute(&sql(super::SQL_SET_DEVICE_KEY), params![device_id, key_id, public_key])
                .map_err(unique_as("receipt key"))?
                == 1)
        })
        .await
    }

    async fn recap(
        &self,
        from: &str,
        to: &str,
        office_prefix: &str,
    ) -> Result<Vec<super::RecapRow>, StorageError> {
        let (from, to, prefix) = (from.to_string(), to.to_string(), format!("{office_prefix}%"));
        self.run(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT office_code, kind, service_code, status, count(*),
                        coalesce(sum(json_extract(data, '$.fee')), 0)
                 FROM application
                 WHERE json_extract(data, '$.created_at') >= ?1 AND json_extract(data, '$.created_at') < ?2
                   AND office_code LIKE ?3
                 GROUP BY office_code, kind, service_code, status
                 ORDER BY office_code, kind, service_code, status",
            )?;
            let rows = stmt.query_map(params![from, to, prefix], |r| {
                Ok(super::RecapRow {
                    office_code: r.get(0)?,
                    kind: r.get(1)?,
                    service_code: r.get(2)?,
                    status: r.get(3)?,
                    count: r.get(4)?,
                    fees: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn update_user(&self, name: &str, u: UserUpdate, at: DateTime<Utc>) -> Result<User, StorageError> {
        let username = name.to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = ts(at);
            let c = u.columns();
            let args = params![username, c.password_hash, c.active, now, c.public_key, c.wrapped_key, c.nip];
            if tx.execute(&sql(super::SQL_UPDATE_USER), args)? == 0 {
                return Err(StorageError::NotFound("user"));
            }
            let u = tx.query_row(
                &format!("SELECT {} FROM app_user WHERE username = ?1", super::USER_COLUMNS),
                [&username],
                user_row,
            )?;
            add_key(&tx, &u.id, &u.public_key, &now)?;
            user_change(&tx, &u, &now)?;
            tx.commit()?;
            Ok(u)
        })
        .await
    }

    async fn list_users(&self, office_code: Option<&str>) -> Result<Vec<User>, StorageError> {
        let office = office_code.map(str::to_string);
        self.run(move |c| {
            Ok(c.prepare_cached(&sql(&super::sql_list_users()))?
                .query_map([office], user_row)?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn create_enrollment_code(&self, code: &NewEnrollmentCode<'_>) -> Result<(), StorageError> {
        let (h, o, user) =
            (code.code_hash.to_string(), code.office_code.to_string(), code.user_id.map(str::to_string));
        let expires = ts(code.expires_at);
        self.run(move |c| {
            c.execute(
                "INSERT INTO enrollment_code (code_hash, office_code, user_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![h, o, user, expires],
            )
            .map_err(|e| match &e {
                rusqlite::Error::SqliteFailure(f, _) if f.extended_code == 787 => {
                    StorageError::NotFound("office")
                }
                _ if is_unique(&e) => StorageError::Duplicate("enrollment code"),
                _ => e.into(),
            })?;
            Ok(())
        })
        .await
    }

    async fn enroll_device(
        &self,
        code_hash: &str,
        d: &NewDevice,
        now: DateTime<Utc>,
    ) -> Result<Device, StorageError> {
        let (h, d) = (code_hash.to_string(), d.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            type CodeRow = (String, String, Option<String>, Option<String>, Option<String>);
            let row: Option<CodeRow> = tx
                .query_row(
                    "SELECT c.office_code, c.expires_at, c.used_at, c.user_id, u.username
                     FROM enrollment_code c LEFT JOIN app_user u ON u.id = c.user_id WHERE c.code_hash = ?1",
                    [&h],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let (office, expires, used, user_id, username) = row.ok_or(StorageError::CodeInvalid)?;
            if used.is_some() {
                return Err(StorageError::CodeUsed);
            }
            if expires <= ts(now) {
                return Err(StorageError::CodeExpired);
            }
            let link = super::link(user_id.zip(username), d.local_user.as_ref())?;
            tx.execute("UPDATE enrollment_code SET used_at = ?2 WHERE code_hash = ?1", params![h, ts(now)])?;
            tx.execute(
                "INSERT INTO device (id, office_code, device_code, token_hash, name, app_version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![d.id, office, d.device_code, d.token_hash, d.name, d.app_version, ts(now)],
            )
            .map_err(unique_as("device code"))?;
            let device = tx.query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM device WHERE id = ?1"),
                [&d.id],
                device_row,
            )?;
            if let Some((user_id, local)) = link {
                let now = ts(now);
                add_key(&tx, &user_id, &local.public_key, &now)?;
                tx.execute(
                    &sql(super::SQL_ADOPT_KEY),
                    params![user_id, local.public_key, local.wrapped_key, now],
                )?;
                let u = tx.query_row(
                    &format!("SELECT {} FROM app_user WHERE id = ?1", super::USER_COLUMNS),
                    [&user_id],
                    user_row,
                )?;
                user_change(&tx, &u, &now)?;
            }
            tx.commit()?;
            Ok(device)
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError> {
        let h = token_hash.to_string();
        self.run(move |c| {
            Ok(c.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM device WHERE token_hash = ?1"))?
                .query_row([h], device_row)
                .optional()?)
        })
        .await
    }

    async fn revoke_device(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let id = id.to_string();
        self.run(move |c| {
            Ok(c.execute(
                "UPDATE device SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, ts(now)],
            )? == 1)
        })
        .await
    }

    async fn audit_key(&self) -> Result<String, StorageError> {
        self.run(|c| audit_key(c)).await
    }

    async fn accesses(
        &self,
        number: &str,
        subject_hash: &str,
        since: &str,
    ) -> Result<Vec<super::AccessRow>, StorageError> {
        let args = [number.to_string(), subject_hash.to_string(), since.to_string()];
        self.run(move |c| {
            let mut stmt = c.prepare(&sql(super::SQL_ACCESSES))?;
            let rows = stmt.query_map(params![args[0], args[1], args[2]], |r| {
                Ok(super::AccessRow {
                    received_at: r.get(0)?,
                    office_code: r.get(1)?,
                    device_code: r.get(2)?,
                    username: r.get(3)?,
                    action: r.get(4)?,
                    application_id: r.get(5)?,
                    registration_number: r.get(6)?,
                    attachment: r.get(7)?,
                    hlc: r.get(8)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn retention_due(
        &self,
        kind: ApplicationKind,
        finished_before: &str,
        draft_before: &str,
        limit: u32,
    ) -> Result<Vec<String>, StorageError> {
        let (finished_before, draft_before) = (finished_before.to_string(), draft_before.to_string());
        self.run(move |c| {
            let [a, b, d, e] = super::FINISHED.map(|s| s.as_str());
            let mut stmt = c.prepare_cached(&sql(super::SQL_RETENTION_DUE))?;
            let rows = stmt.query_map(
                params![
                    kind.as_str(),
                    finished_before,
                    draft_before,
                    a,
                    b,
                    d,
                    e,
                    Status::Draft.as_str(),
                    limit
                ],
                |r| r.get(0),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn redact_application(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let id = id.to_string();
        self.run(move |c| {
            let now = ts(now);
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT office_code, data FROM application WHERE id = ?1 AND redacted_at IS NULL",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((office, data)) = row else { return Ok(false) };
            let changes = tx
                .prepare("SELECT server_seq, kind, data FROM change_log WHERE entity_id = ?1")?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let conflicts = tx
                .prepare("SELECT id, data FROM conflict WHERE application_id = ?1")?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let plan = super::Redaction::plan(&id, &data, changes, conflicts, &now);
            tx.execute(
                "UPDATE application SET applicant_nik = NULL, kk = NULL, data = ?2, redacted_at = ?3 WHERE id = ?1",
                params![id, plan.data, now],
            )?;
            for (seq, text) in &plan.changes {
                tx.execute("UPDATE change_log SET data = ?2 WHERE server_seq = ?1", params![seq, text])?;
            }
            for (cid, text) in &plan.conflicts {
                tx.execute("UPDATE conflict SET data = ?2 WHERE id = ?1", params![cid, text])?;
            }
            for sha in &plan.attachments {
                let named: i64 = tx.query_row(
                    &sql(super::SQL_BLOB_STILL_NAMED),
                    params![office, id, format!("%{sha}%"), ChangeKind::Record.as_str()],
                    |r| r.get(0),
                )?;
                if named == 0 {
                    tx.execute("DELETE FROM blob_chunk WHERE office_code = ?1 AND sha256 = ?2", params![office, sha])?;
                    tx.execute("DELETE FROM blob WHERE office_code = ?1 AND sha256 = ?2", params![office, sha])?;
                }
            }
            tx.execute(
                "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
                params![office, ChangeKind::Redacted.as_str(), id, plan.change, now],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn prune_access_log(&self, before: &str) -> Result<u64, StorageError> {
        let before = before.to_string();
        self.run(move |c| Ok(c.execute(&sql(super::SQL_ACCESS_PRUNE), [before])? as u64)).await
    }

    async fn compact(&self) -> Result<(), StorageError> {
        self.run(|c| {
            c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
        .await
    }

    async fn publish_release(
        &self,
        release: &super::NewRelease,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let release = release.clone();
        self.run(move |c| {
            let now = ts(now);
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let inserted = tx.execute(
                &sql(super::SQL_RELEASE_INSERT),
                params![
                    release.version,
                    release.notes,
                    crate::rules::release::ReleaseState::Active.as_str(),
                    i64::from(release.percent),
                    release.regions.join(","),
                    now
                ],
            );
            match inserted {
                Err(e) if is_unique(&e) => return Err(StorageError::Duplicate("release")),
                other => other?,
            };
            for a in &release.artifacts {
                let sha = super::blob::sha256_hex(&a.bytes);
                tx.execute(
                    &sql(super::SQL_ARTIFACT_INSERT),
                    params![release.version, a.target, sha, a.bytes.len() as i64, a.signature, a.file_name],
                )?;
                for (i, chunk) in a.bytes.chunks(super::ARTIFACT_CHUNK).enumerate() {
                    let offset = (i * super::ARTIFACT_CHUNK) as i64;
                    tx.execute(&sql(super::SQL_ARTIFACT_CHUNK_INSERT), params![sha, offset, chunk])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn releases(&self) -> Result<Vec<super::ReleaseRow>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare(super::SQL_RELEASES)?;
            let rows = stmt.query_map([], |r| {
                Ok(([r.get(0)?, r.get(1)?, r.get(2)?, r.get(4)?, r.get(6)?], r.get::<_, i64>(3)?, r.get(5)?))
            })?;
            rows.map(|row| {
                let (cols, percent, published_at) = row?;
                super::release_row(cols, percent, published_at)
            })
            .collect()
        })
        .await
    }

    async fn update_release(
        &self,
        version: &str,
        state: Option<crate::rules::release::ReleaseState>,
        percent: Option<u8>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let version = version.to_string();
        self.run(move |c| {
            let yanked = crate::rules::release::ReleaseState::Yanked.as_str();
            let n = c.execute(
                &sql(super::SQL_RELEASE_UPDATE),
                params![version, state.map(|s| s.as_str()), percent.map(i64::from), ts(now), yanked],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn artifacts(&self, version: &str) -> Result<Vec<super::ArtifactRow>, StorageError> {
        let version = version.to_string();
        self.run(move |c| {
            let mut stmt = c.prepare(&sql(super::SQL_ARTIFACTS))?;
            let rows = stmt.query_map([version], artifact_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn artifact_by_sha(&self, sha256: &str) -> Result<Option<super::ArtifactRow>, StorageError> {
        let sha = sha256.to_string();
        self.run(move |c| {
            Ok(c.query_row(&sql(super::SQL_ARTIFACT_BY_SHA), [sha], artifact_row).optional()?)
        })
        .await
    }

    async fn artifact_bytes(&self, sha256: &str, start: i64, end: i64) -> Result<Vec<u8>, StorageError> {
        let sha = sha256.to_string();
        self.run(move |c| {
            let mut stmt = c.prepare(&sql(super::SQL_ARTIFACT_CHUNKS))?;
            let chunk = super::ARTIFACT_CHUNK as i64;
            let rows = stmt.query_map(params![sha, start, end, chunk], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(super::assemble(rows.collect::<Result<_, _>>()?, start, end))
        })
        .await
    }

    async fn rollout_event(
        &self,
        version: &str,
        device_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let args = [version.to_string(), device_id.to_string(), event.to_string(), ts(now)];
        self.run(move |c| {
            c.execute(&sql(super::SQL_ROLLOUT_EVENT), params![args[0], args[1], args[2], args[3]])?;
            Ok(())
        })
        .await
    }

    async fn rollout_installed(
        &self,
        device_id: &str,
        app_version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let args = [device_id.to_string(), app_version.to_string(), ts(now)];
        self.run(move |c| {
            c.prepare_cached(&sql(super::SQL_ROLLOUT_INSTALLED))?.execute(params![
                args[0],
                args[1],
                args[2],
                "installed"
            ])?;
            Ok(())
        })
        .await
    }

    async fn rollout_counts(&self, version: &str) -> Result<super::RolloutCounts, StorageError> {
        let version = version.to_string();
        self.run(move |c| {
            let mut stmt = c.prepare(&sql(super::SQL_ROLLOUT_COUNTS))?;
            let rows = stmt.query_map([version], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn minimum_app_version(&self) -> Result<Option<String>, StorageError> {
        self.meta(super::SQL_MINIMUM).await
    }

    async fn set_minimum_app_version(&self, version: &str) -> Result<(), StorageError> {
        self.set_meta(super::SQL_MINIMUM_SET, version).await
    }

    async fn offices(&self) -> Result<Vec<Office>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare_cached(super::SQL_OFFICES)?;
            let rows = stmt.query_map([], |r| Ok(Office { code: r.get(0)?, name: r.get(1)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn holidays(&self) -> Result<Vec<crate::rules::holiday::Day>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare_cached(super::SQL_HOLIDAYS)?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut days = Vec::new();
            for row in rows {
                let (region, day, kind, name) = row?;
                days.push(super::holiday_row(region, day, &kind, name)?);
            }
            Ok(days)
        })
        .await
    }

    async fn catalogue_versions(&self) -> Result<Vec<(String, u32)>, StorageError> {
        self.pairs(super::SQL_CATALOGUE_VERSIONS).await
    }

    async fn catalogue_file(&self, region: &str, version: u32) -> Result<Option<String>, StorageError> {
        let region = region.to_string();
        self.run(move |c| {
            Ok(c.prepare_cached(&sql(super::SQL_CATALOGUE_FILE))?
                .query_row(params![region, version], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn publish_catalogue(
        &self,
        cat: &super::NewCatalogue,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let cat = cat.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = ts(now);
            tx.prepare_cached(&sql(super::SQL_CATALOGUE_INSERT))?
                .execute(params![cat.region, cat.version, cat.effective_from, cat.file, now])
                .map_err(unique_as("catalogue version"))?;
            append_records(&tx, &cat.changes, &now)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn holiday_policies(&self) -> Result<Vec<(String, bool)>, StorageError> {
        self.pairs(super::SQL_HOLIDAY_POLICIES).await
    }

    async fn update_calendar(
        &self,
        update: &super::CalendarUpdate,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let u = update.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = ts(now);
            if let Some(region) = &u.region {
                for year in &u.years {
                    let (from, to) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
                    tx.prepare_cached(&sql(super::SQL_HOLIDAY_DELETE_YEAR))?
                        .execute(params![region, from, to])?;
                }
                for d in &u.days {
                    tx.prepare_cached(&sql(super::SQL_HOLIDAY_INSERT))?.execute(params![
                        region,
                        d.day,
                        d.kind.as_str(),
                        d.name,
                        now
                    ])?;
                }
            }
            if let Some((regency, working)) = &u.policy {
                tx.prepare_cached(&sql(super::SQL_HOLIDAY_POLICY_SET))?
                    .execute(params![regency, working, now])?;
            }
            append_records(&tx, &u.changes, &now)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn release_key(&self) -> Result<Option<String>, StorageError> {
        self.meta(super::SQL_RELEASE_KEY).await
    }

    async fn set_release_key(&self, key: &str) -> Result<(), StorageError> {
        self.set_meta(super::SQL_RELEASE_KEY_SET, key).await
    }

    async fn record_wipe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let id = id.to_string();
        self.run(
            move |c| Ok(c.execute(&super::SQL_RECORD_WIPE.replace('$', "?"), params![id, ts(now)])? == 1),
        )
        .await
    }

    async fn list_devices(&self) -> Result<Vec<Device>, StorageError> {
        self.run(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT {DEVICE_COLUMNS} FROM device ORDER BY office_code, created_at"))?;
            let rows = stmt.query_map([], device_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn aid_flags(&self) -> Result<Vec<super::AidFlagPair>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare(&sql(super::SQL_AID_FLAGS))?;
            let rows = stmt.query_map([], |r| {
                Ok(super::AidFlagPair {
                    application_id: r.get(0)?,
                    office_code: r.get(1)?,
                    registration_number: r.get(2)?,
                    other_application_id: r.get(3)?,
                    other_office_code: r.get(4)?,
                    other_registration_number: r.get(5)?,
                    programme: r.get(6)?,
                    period: r.get(7)?,
                    reason: r.get(8)?,
                    created_at: r.get(9)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn refusals(&self) -> Result<Vec<super::Refusals>, StorageError> {
        self.run(|c| {
            let mut stmt = c.prepare(&sql(super::SQL_REFUSALS))?;
            let rows = stmt.query_map([], |r| {
                Ok(super::Refusals {
                    device_id: r.get(0)?,
                    code: r.get(1)?,
                    count: r.get(2)?,
                    last_at: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn report_device(
        &self,
        id: &str,
        app_version: &str,
        pending: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let (id, v) = (id.to_string(), app_version.to_string());
        self.run(move |c| {
            c.prepare_cached(
                "UPDATE device SET app_version = CASE WHEN ?2 = '' THEN app_version ELSE ?2 END,
                     pending_reported = ?3, last_sync_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, v, pending, ts(now)])?;
            Ok(())
        })
        .await
    }

    async fn push(
        &self,
        device: &Device,
        ops: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpResult>, StorageError> {
        let device = device.clone();
        self.run(move |c| {
            let now = ts(now);
            // One durable commit per push. Only if an operation breaks a constraint is the batch
            // redone with a savepoint per operation, so that one is rejected alone (a savepoint
            // per operation copied every page it touched into a temporary file: ~21 writes per
            // operation, counted with strace).
            let results = match push_batch(c, &device, &ops, &now, false) {
                Err(StorageError::Constraint(_)) => push_batch(c, &device, &ops, &now, true),
                other => other,
            }?;
            // Freeing thousands of parsed payloads is not the answer's business.
            std::thread::spawn(move || drop(ops));
            Ok(results)
        })
        .await
    }

    async fn pull(
        &self,
        office_code: &str,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<ChangeRecord<RawPayload>>, bool), StorageError> {
        let office = office_code.to_string();
        self.run(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT server_seq, kind, entity_id, data, hlc, received_at FROM change_log
                 WHERE office_code = ?1 AND server_seq > ?2 ORDER BY server_seq LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![office, after, i64::from(limit) + 1])?;
            let mut changes: Vec<ChangeRecord<RawPayload>> = Vec::new();
            while let Some(r) = rows.next()? {
                changes.push(ChangeRecord {
                    server_seq: r.get(0)?,
                    kind: super::change_kind(super::Columns::text(r, 1)?)?,
                    entity_id: r.get(2)?,
                    data: super::raw_json(r.get(3)?),
                    hlc: r.get(4)?,
                    received_at: r.get(5)?,
                });
            }
            let more = changes.len() > limit as usize;
            changes.truncate(limit as usize);
            Ok((changes, more))
        })
        .await
    }

    async fn count_applications(&self, office_code: Option<&str>) -> Result<i64, StorageError> {
        let office = office_code.map(str::to_string);
        self.run(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM application WHERE ?1 IS NULL OR office_code = ?1",
                [office],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn office_snapshot(&self, office_code: &str) -> Result<super::OfficeSnapshot, StorageError> {
        let office = office_code.to_string();
        self.run(move |c| {
            let applications = c
                .prepare(&sql(super::SQL_SNAPSHOT_APPS))?
                .query_map([&office], |r| {
                    let data: String = r.get(4)?;
                    Ok(super::SnapshotApplication {
                        id: r.get(0)?,
                        status: r.get(1)?,
                        version: r.get(2)?,
                        registration_number: r.get(3)?,
                        data: serde_json::from_str(&data).unwrap_or(Value::Null),
                    })
                })?
                .collect::<Result<_, _>>()?;
            let pairs = |q: &str| -> rusqlite::Result<Vec<(String, String)>> {
                c.prepare(&sql(q))?.query_map([&office], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
            };
            let conflicts = c
                .prepare(&sql(super::SQL_SNAPSHOT_CONFLICTS))?
                .query_map([&office], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            Ok(super::OfficeSnapshot { applications, conflicts, flags: pairs(super::SQL_SNAPSHOT_FLAGS)? })
        })
        .await
    }

    async fn blob_status(&self, office_code: &str, sha256: &str) -> Result<Option<BlobStatus>, StorageError> {
        let (office, sha) = (office_code.to_string(), sha256.to_string());
        self.run(move |c| blob_status(c, &office, &sha)).await
    }

    async fn blob_append(&self, chunk: blob::BlobChunk) -> Result<BlobStatus, StorageError> {
        self.run(move |c| {
            let size = chunk.size;
            let (office, sha) = (&chunk.office_code, &chunk.sha256);
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let (received, last) = match blob::check(blob_upload(&tx, office, sha)?, &chunk)? {
                blob::Chunk::Done(done) => return Ok(done),
                blob::Chunk::Store { received, last } => (received, last),
            };
            tx.execute(&sql(blob::SQL_CHUNK), params![office, sha, chunk.offset, chunk.bytes])?;
            if last && !blob::matches(sha, &chunks(&tx, office, sha)?) {
                tx.execute(&sql(blob::SQL_DROP_CHUNKS), params![office, sha])?;
                tx.execute(&sql(blob::SQL_SET), params![office, sha, 0, 0])?;
                tx.commit()?;
                return Err(StorageError::BlobMismatch);
            }
            tx.execute(&sql(blob::SQL_SET), params![office, sha, received, i64::from(last)])?;
            tx.commit()?;
            Ok(BlobStatus { size, received, complete: last })
        })
        .await
    }

    async fn blob_read(&self, office_code: &str, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let (office, sha) = (office_code.to_string(), sha256.to_string());
        self.run(move |c| {
            if !matches!(blob_status(c, &office, &sha)?, Some(s) if s.complete) {
                return Ok(None);
            }
            Ok(Some(chunks(c, &office, &sha)?.concat()))
        })
        .await
    }
}

/// Shared SQL (`$n` parameters) as SQLite reads it (`?n`).
fn sql(q: &str) -> String {
    q.replace('$', "?")
}

fn blob_upload(c: &Connection, office: &str, sha: &str) -> Result<Option<blob::Upload>, StorageError> {
    Ok(c.prepare_cached(&sql(blob::SQL_STATUS))?
        .query_row(params![office, sha], |r| Ok(blob::upload(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?)
}

fn blob_status(c: &Connection, office: &str, sha: &str) -> Result<Option<BlobStatus>, StorageError> {
    Ok(blob_upload(c, office, sha)?.map(|u| u.status))
}

fn chunks(c: &Connection, office: &str, sha: &str) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(c.prepare_cached(&sql(blob::SQL_CHUNKS))?
        .query_map(params![office, sha], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
