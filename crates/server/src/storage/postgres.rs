//! PostgreSQL storage: the path to scale (and to replicated PostgreSQL-compatible engines).
//!
//! Plain, standard SQL with `$n` parameters. A push is one transaction. It first takes
//! transaction-scoped advisory locks on what it reads and decides on — its device, the
//! applications it touches, and the NIK/KK keys of the duplicate-aid check — in one sorted
//! statement, so pushes of different offices run in parallel and cannot deadlock. Only the
//! change-log append at the very end takes the one global lock, held until commit: change-log
//! sequence numbers are then handed out in commit order, so a pull can never skip a change that
//! commits later with a lower number.
//! `synchronous_commit` is forced on for every connection: an acknowledged push is on disk.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use loket_domain::workflow::{ApplicationKind, Status};
use loket_protocol::{BlobStatus, ChangeKind, ChangeRecord, OpResult, Operation, RawPayload};
use serde_json::Value;
use tokio_postgres::{NoTls, Row, Transaction};

use super::NewEnrollmentCode;
use super::{
    blob, Device, Durability, NewDevice, Office, Storage, StorageError, User, UserUpdate, APP_COLUMNS,
};
use crate::rules::{self, AppState, Batch, Loaded, Write};

/// The one schema file, with SQLite's identity column spelled the PostgreSQL way.
fn schema(sql: &str) -> String {
    sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
}
use super::SCHEMA_VERSION;
/// Advisory lock key held shared by serving servers and exclusively by a restore.
const SERVING_LOCK: i64 = 0x004C_4F4B_5345;
/// Advisory lock key serialising change-log writers.
const CHANGE_LOCK: i64 = 0x004C_4F4B_4554;

/// Every push holds this shared, or exclusive when it has more than [`MAX_PUSH_LOCKS`] keys.
const PUSH_SPACE_LOCK: i64 = 0x004C_4F4B_5055;
/// Per-key locks one push may take (PostgreSQL's lock table holds `max_locks_per_transaction`
/// (default 64) × connections in all).
const MAX_PUSH_LOCKS: usize = 64;

/// A 64-bit advisory lock key for a named thing (FNV-1a; collisions only cost waiting).
fn lock_key(parts: &[&str]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

/// The advisory lock keys a push needs, sorted and unique, so every push takes its locks in
/// the same global order.
fn push_lock_keys(device: &Device, batch: &rules::BatchNeeds<'_>) -> Vec<i64> {
    let mut keys = vec![lock_key(&["device", &device.id])];
    for id in &batch.application_ids {
        keys.push(lock_key(&["application", id]));
    }
    for n in &batch.registration_numbers {
        keys.push(lock_key(&["registration_number", n]));
    }
    for (_, k) in &batch.duplicate_keys {
        if let Some(nik) = &k.nik {
            keys.push(lock_key(&["aid.nik", &k.programme, &k.period, nik]));
        }
        if let Some(kk) = &k.kk {
            keys.push(lock_key(&["aid.kk", &k.programme, &k.period, kk]));
        }
    }
    keys.retain(|k| *k != CHANGE_LOCK && *k != PUSH_SPACE_LOCK);
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PostgresStorage {
    /// Reads, admin and user changes.
    pool: Pool,
    /// Pushes only: they queue on the change-log lock, and must not starve pulls of connections.
    push_pool: Pool,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn is_unique(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

fn is_fk(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION)
}

impl PostgresStorage {
    /// Connect (pool of `max_size`) and bring the schema up to date.
    pub async fn connect(url: &str, max_size: usize) -> Result<Self, StorageError> {
        let tls = super::pg_tls::from_url(url)?;
        let mut cfg: tokio_postgres::Config =
            tls.url.parse().map_err(|e| StorageError::Backend(format!("DATABASE_URL: {e}")))?;
        cfg.ssl_mode(tls.mode);
        // Custom plans for every execution: statements are prepared once per connection, often
        // while tables are still small, and a generic plan made then (a sequential scan of
        // op_log, say) is kept as the tables grow. Planning these small queries costs less.
        cfg.options("-c synchronous_commit=on -c plan_cache_mode=force_custom_plan");
        let pool_of = |size: usize| {
            let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
            let mgr = match &tls.client {
                Some(client) => {
                    let connect = tokio_postgres_rustls::MakeRustlsConnect::new(client.clone());
                    Manager::from_config(cfg.clone(), connect, recycling)
                }
                None => Manager::from_config(cfg.clone(), NoTls, recycling),
            };
            Pool::builder(mgr).max_size(size).build().map_err(|e| StorageError::Backend(e.to_string()))
        };
        let pushers = (max_size / 4).max(2);
        let s =
            Self { pool: pool_of(max_size.saturating_sub(pushers).max(2))?, push_pool: pool_of(pushers)? };
        s.migrate().await?;
        Ok(s)
    }

    /// Take the serving lock — shared for a server (several may serve one database),
    /// exclusive for a restore — on a connection of its own, taken out of the pool: the lock
    /// lasts as long as the returned connection. `None` when the other side holds it.
    pub async fn serving_lock(
        &self,
        shared: bool,
    ) -> Result<Option<deadpool_postgres::ClientWrapper>, StorageError> {
        let c = self.pool.get().await?;
        let sql =
            if shared { "SELECT pg_try_advisory_lock_shared($1)" } else { "SELECT pg_try_advisory_lock($1)" };
        let got: bool = c.query_one(sql, &[&SERVING_LOCK]).await?.get(0);
        Ok(got.then(|| deadpool_postgres::Object::take(c)))
    }

    /// Whether this storage's connections to PostgreSQL are encrypted.
    pub async fn encrypted(&self) -> Result<bool, StorageError> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn migrate(&self) -> Result<(), StorageError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").await?;
        let version: Option<i64> =
            tx.query_opt("SELECT max(version) FROM schema_version", &[]).await?.and_then(|r| r.get(0));
        let current = version.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(StorageError::SchemaTooNew { found: current, known: SCHEMA_VERSION });
        }
        for (i, sql) in super::MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(&schema(sql)).await?;
            tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&(i as i64 + 1)]).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn user_row(r: &Row) -> User {
    let roles: String = r.get(4);
    User {
        id: r.get(0),
        office_code: r.get(1),
        username: r.get(2),
        full_name: r.get(3),
        roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        password_hash: r.get(5),
        active: r.get(6),
        public_key: r.get(7),
        wrapped_key: r.get(8),
        nip: r.get(9),
    }
}

fn artifact_row(r: &Row) -> super::ArtifactRow {
    super::ArtifactRow {
        version: r.get(0),
        target: r.get(1),
        sha256: r.get(2),
        size: r.get(3),
        signature: r.get(4),
        file_name: r.get(5),
    }
}

fn device_row(r: &Row) -> Device {
    let revoked: Option<String> = r.get(7);
    Device {
        id: r.get(0),
        office_code: r.get(1),
        device_code: r.get(2),
        name: r.get(3),
        app_version: r.get(4),
        last_sync_at: r.get(5),
        pending_reported: r.get(6),
        revoked: revoked.is_some(),
        wiped_at: r.get(8),
    }
}

fn app_row(r: &Row) -> Result<AppState, StorageError> {
    super::app_state(r)
}

use super::DEVICE_COLUMNS;
use super::USER_COLUMNS;

/// Register `public_key` for a user (kept forever; a key already known changes nothing).
async fn add_key(
    tx: &Transaction<'_>,
    user_id: &str,
    public_key: &str,
    now: &str,
) -> Result<(), StorageError> {
    if !public_key.is_empty() {
        let key_id = loket_keys::key_id(public_key);
        tx.execute(super::SQL_ADD_USER_KEY, &[&user_id, &key_id, &public_key, &now]).await?;
    }
    Ok(())
}

async fn user_change(tx: &Transaction<'_>, u: &User, now: &str) -> Result<(), StorageError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK]).await?;
    let data = crate::sync::user_change(u);
    tx.execute(
        "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES ($1, $2, $3, $4, NULL, $5)",
        &[&u.office_code, &ChangeKind::User.as_str(), &u.id, &data, &now],
    )
    .await?;
    Ok(())
}

/// A write sent to the connection, pipelined with the others of its batch.
type PendingWrite<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StorageError>> + Send + 'a>>;

const SQL_OP_LOG: &str =
    "INSERT INTO op_log (op_id, device_id, seq, result, received_at) VALUES ($1, $2, $3, $4, $5)";

/// The duplicate-aid candidates of a whole batch in one query: for the `n`-th key (1-based,
/// last column), the other offices' bansos applications with the same NIK or KK in the same
/// programme and period.
fn sql_duplicates() -> String {
    let cols = APP_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT {cols}, k.n FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]))
             WITH ORDINALITY AS k (programme, period, nik, n)
         JOIN application a ON a.applicant_nik = k.nik AND a.service_code = k.programme AND a.period = k.period
         WHERE a.kind = 'bansos' AND a.office_code <> $5
         UNION
         SELECT {cols}, k.n FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($4 AS TEXT[]))
             WITH ORDINALITY AS k (programme, period, kk, n)
         JOIN application a ON a.kk = k.kk AND a.service_code = k.programme AND a.period = k.period
         WHERE a.kind = 'bansos' AND a.office_code <> $5"
    )
}

/// Load what a batch needs in four queries run at once: stored results, applications, actors,
/// and the duplicate-aid candidates of every key.
async fn load(
    tx: &deadpool_postgres::Transaction<'_>,
    device: &Device,
    needs: &rules::BatchNeeds<'_>,
) -> Result<Loaded, StorageError> {
    let s_prev = tx
        .prepare_cached(
            "SELECT op_id, seq, result FROM op_log WHERE op_id = ANY($1)
             UNION ALL SELECT op_id, seq, result FROM op_log WHERE device_id = $2 AND seq = ANY($3)",
        )
        .await?;
    let s_apps =
        tx.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM application WHERE id = ANY($1)")).await?;
    let s_actors = tx
        .prepare_cached(
            "SELECT u.username, u.office_code, u.roles, u.active, k.key_id, k.public_key
             FROM app_user u LEFT JOIN user_key k ON k.user_id = u.id WHERE u.username = ANY($1)",
        )
        .await?;
    let s_dup = tx.prepare_cached(&sql_duplicates()).await?;
    let s_numbers = tx
        .prepare_cached("SELECT registration_number, id FROM application WHERE registration_number = ANY($1)")
        .await?;
    let keys = &needs.duplicate_keys;
    let programmes: Vec<&str> = keys.iter().map(|(_, k)| k.programme.as_str()).collect();
    let periods: Vec<&str> = keys.iter().map(|(_, k)| k.period.as_str()).collect();
    let niks: Vec<Option<&str>> = keys.iter().map(|(_, k)| k.nik.as_deref()).collect();
    let kks: Vec<Option<&str>> = keys.iter().map(|(_, k)| k.kk.as_deref()).collect();
    let (prev_rows, app_rows, actor_rows, dup_found, number_rows) = tokio::try_join!(
        async { tx.query(&s_prev, &[&needs.op_ids, &device.id, &needs.seqs]).await },
        async { tx.query(&s_apps, &[&needs.application_ids]).await },
        async { tx.query(&s_actors, &[&needs.actors]).await },
        async {
            if keys.is_empty() {
                return Ok(vec![]);
            }
            tx.query(&s_dup, &[&programmes, &periods, &niks, &kks, &device.office_code]).await
        },
        async {
            if needs.registration_numbers.is_empty() {
                return Ok(vec![]);
            }
            tx.query(&s_numbers, &[&needs.registration_numbers]).await
        },
    )?;
    let mut loaded = Loaded::default();
    if !needs.staff_ids.is_empty() {
        let rows = tx
            .query(
                "SELECT id, office_code, version, fields FROM staff_record WHERE id = ANY($1)",
                &[&needs.staff_ids],
            )
            .await?;
        for r in &rows {
            if let Some(s) = super::staff_state(r.get(0), r.get(1), r.get(2), r.get::<_, &str>(3)) {
                loaded.staff.insert(s.id.clone(), s);
            }
        }
    }
    for r in &number_rows {
        loaded.numbers.insert(r.get(0), r.get(1));
    }
    for r in &dup_found {
        let n: i64 = r.get(11);
        if let Some((i, _)) = usize::try_from(n - 1).ok().and_then(|k| keys.get(k)) {
            loaded.duplicates.entry(*i).or_default().push(app_row(r)?);
        }
    }
    for r in &prev_rows {
        let result: OpResult = serde_json::from_str(r.get::<_, &str>(2))
            .map_err(|e| StorageError::Backend(format!("op_log: {e}")))?;
        loaded.previous_by_op_id.insert(r.get(0), result.clone());
        loaded.previous_by_seq.insert(r.get(1), result);
    }
    for r in &app_rows {
        let a = app_row(r)?;
        loaded.apps.insert(a.id.clone(), a);
    }
    let mut by_user: std::collections::HashMap<String, Vec<_>> = std::collections::HashMap::new();
    for r in &actor_rows {
        by_user.entry(r.get(0)).or_default().push((r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)));
    }
    for (username, rows) in by_user {
        if let Some(found) = super::signer(rows) {
            loaded.actors.insert(username, std::sync::Arc::new(found));
        }
    }
    Ok(loaded)
}

/// Apply a whole push in a handful of round trips: load everything the batch needs at once,
/// plan it ([`rules::Batch::plan`]), then send all writes pipelined, in order.
async fn apply_batch(
    tx: &deadpool_postgres::Transaction<'_>,
    device: &Device,
    batch: &Batch<'_>,
    now: &str,
) -> Result<Vec<OpResult>, StorageError> {
    let loaded = load(tx, device, &batch.needs()).await?;
    let steps = batch.plan(&device.office_code, loaded);
    let results: Vec<OpResult> = steps.iter().map(|s| s.result.clone()).collect();
    let refusals = rules::refusals(&device.id, &steps);
    let fresh: Vec<&rules::Step<'_>> = steps.iter().filter(|s| s.fresh).collect();
    let planned: Vec<(&Operation, &Write)> =
        fresh.iter().flat_map(|s| s.writes.iter().map(move |w| (s.op, w))).collect();
    let logs: Vec<(&Operation, String)> =
        fresh.iter().map(|s| (s.op, serde_json::to_string(&s.result).unwrap_or_default())).collect();
    // Prepare every statement first, so the writes below go out in order, pipelined.
    for sql in WRITE_SQL.iter().chain(&[SQL_OP_LOG_ROWS, SQL_CHANGE_ROWS, SQL_INSERT_APPLICATIONS]) {
        tx.prepare_cached(sql).await?;
    }
    // Rows and op log first; then the change-log lock and the changes, so the global lock is
    // held only for the append and the commit. New applications, op-log entries and changes
    // go in as one multi-row statement each (a first upload is thousands of them); the other
    // writes follow the new rows, in operation order.
    let (changes, rows): (Vec<_>, Vec<_>) =
        planned.iter().partition(|(_, w)| matches!(w, Write::Change { .. }));
    let (inserts, rows): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(_, w)| matches!(w, Write::InsertApplication { .. }));
    let new_apps = NewApplications::from_writes(inserts.iter().map(|(_, w)| *w));
    let mut writes: Vec<PendingWrite<'_>> = Vec::new();
    if !new_apps.id.is_empty() {
        writes.push(Box::pin(new_apps.insert(tx, now)));
    }
    writes.extend(rows.into_iter().map(|(op, w)| Box::pin(execute(tx, w, op, now)) as PendingWrite<'_>));
    if !logs.is_empty() {
        let op_ids: Vec<&str> = logs.iter().map(|(op, _)| op.op_id.as_str()).collect();
        let seqs: Vec<i64> = logs.iter().map(|(op, _)| op.seq).collect();
        let texts: Vec<&str> = logs.iter().map(|(_, t)| t.as_str()).collect();
        writes.push(Box::pin(async move {
            let stmt = tx.prepare_cached(SQL_OP_LOG_ROWS).await?;
            tx.execute(&stmt, &[&op_ids, &device.id, &seqs, &texts, &now]).await?;
            Ok(())
        }));
    }
    if !changes.is_empty() {
        writes.push(Box::pin(async move {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK]).await?;
            Ok(())
        }));
        let rows = ChangeRows::from_writes(changes.into_iter());
        writes.push(Box::pin(rows.insert(tx, now)));
    }
    for (code, count) in refusals {
        writes.push(Box::pin(async move {
            let stmt = tx.prepare_cached(super::SQL_REFUSAL).await?;
            tx.execute(&stmt, &[&device.id, &code, &count, &now]).await?;
            Ok(())
        }));
    }
    futures::future::try_join_all(writes).await?;
    Ok(results)
}

/// Several op-log entries of one device in one statement.
const SQL_OP_LOG_ROWS: &str = "INSERT INTO op_log (op_id, device_id, seq, result, received_at)
     SELECT i, $2, s, r, $5 FROM unnest(CAST($1 AS TEXT[]), CAST($3 AS BIGINT[]), CAST($4 AS TEXT[])) AS u (i, s, r)";
/// Several changes in one statement, numbered in array order.
const SQL_CHANGE_ROWS: &str = "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at)
     SELECT o, k, e, d, h, $6 FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]),
         CAST($4 AS TEXT[]), CAST($5 AS TEXT[])) WITH ORDINALITY AS u (o, k, e, d, h, n) ORDER BY n";
/// Several new applications in one statement.
const SQL_INSERT_APPLICATIONS: &str = "INSERT INTO application (id, office_code, kind, service_code, period,
     status, applicant_nik, kk, registration_number, data, version, updated_at)
     SELECT u.*, $12 FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]), CAST($4 AS TEXT[]),
         CAST($5 AS TEXT[]), CAST($6 AS TEXT[]), CAST($7 AS TEXT[]), CAST($8 AS TEXT[]), CAST($9 AS TEXT[]),
         CAST($10 AS TEXT[]), CAST($11 AS BIGINT[])) AS u";

/// The changes of a batch, column by column.
#[derive(Default)]
struct ChangeRows<'a> {
    office: Vec<&'a str>,
    kind: Vec<&'a str>,
    entity_id: Vec<&'a str>,
    data: Vec<&'a str>,
    hlc: Vec<&'a str>,
}

impl<'a> ChangeRows<'a> {
    fn from_writes(writes: impl Iterator<Item = (&'a Operation, &'a Write)>) -> Self {
        let mut rows = Self::default();
        for (op, w) in writes {
            if let Write::Change { office, kind, entity_id, data } = w {
                rows.office.push(office);
                rows.kind.push(kind.as_str());
                rows.entity_id.push(entity_id);
                rows.data.push(data);
                rows.hlc.push(&op.hlc);
            }
        }
        rows
    }

    async fn insert(self, tx: &deadpool_postgres::Transaction<'_>, now: &str) -> Result<(), StorageError> {
        let stmt = tx.prepare_cached(SQL_CHANGE_ROWS).await?;
        tx.execute(&stmt, &[&self.office, &self.kind, &self.entity_id, &self.data, &self.hlc, &now]).await?;
        Ok(())
    }
}

/// The new applications of a batch, column by column.
#[derive(Default)]
struct NewApplications<'a> {
    id: Vec<&'a str>,
    office: Vec<&'a str>,
    kind: Vec<&'a str>,
    service: Vec<&'a str>,
    period: Vec<Option<&'a str>>,
    status: Vec<&'a str>,
    nik: Vec<Option<&'a str>>,
    kk: Vec<Option<&'a str>>,
    number: Vec<Option<&'a str>>,
    data: Vec<&'a str>,
    version: Vec<i64>,
}

impl<'a> NewApplications<'a> {
    fn from_writes(writes: impl Iterator<Item = &'a Write>) -> Self {
        let mut rows = Self::default();
        for w in writes {
            if let Write::InsertApplication { app, data } = w {
                rows.id.push(&app.id);
                rows.office.push(&app.office_code);
                rows.kind.push(app.kind.as_str());
                rows.service.push(&app.service_code);
                rows.period.push(app.period.as_deref());
                rows.status.push(app.status.as_str());
                rows.nik.push(app.applicant_nik.as_deref());
                rows.kk.push(app.kk.as_deref());
                rows.number.push(app.registration_number.as_deref());
                rows.data.push(data);
                rows.version.push(app.version);
            }
        }
        rows
    }

    async fn insert(self, tx: &deadpool_postgres::Transaction<'_>, now: &str) -> Result<(), StorageError> {
        let stmt = tx.prepare_cached(SQL_INSERT_APPLICATIONS).await?;
        tx.execute(
            &stmt,
            &[
                &self.id,
                &self.office,
                &self.kind,
                &self.service,
                &self.period,
                &self.status,
                &self.nik,
                &self.kk,
                &self.number,
                &self.data,
                &self.version,
                &now,
            ],
        )
        .await?;
        Ok(())
    }
}

async fn push_batch(
    c: &mut deadpool_postgres::Object,
    device: &Device,
    ops: &[Operation],
    now: &str,
    isolate: bool,
) -> Result<Vec<OpResult>, StorageError> {
    let mut tx = c.transaction().await?;
    let batch = Batch::decode(ops);
    let keys = push_lock_keys(device, &batch.needs());
    if keys.len() > MAX_PUSH_LOCKS {
        // A large batch (an office's first upload) would fill PostgreSQL's shared lock table
        // with per-key locks: it takes the whole push space for itself instead.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_SPACE_LOCK]).await?;
    } else {
        tx.execute("SELECT pg_advisory_xact_lock_shared($1)", &[&PUSH_SPACE_LOCK]).await?;
        tx.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST($1 AS BIGINT[])) AS k", &[&keys])
            .await?;
    }
    if isolate {
        // Savepoints roll back the locks taken inside them: take the change-log lock up front.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK]).await?;
    } else {
        let results = apply_batch(&tx, device, &batch, now).await?;
        tx.commit().await?;
        return Ok(results);
    }
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let sp = tx.transaction().await?;
        let one = Batch::decode(std::slice::from_ref(op));
        match apply_batch(&sp, device, &one, now).await.map(|mut r| r.remove(0)) {
            Ok(result) => {
                sp.commit().await?;
                results.push(result);
            }
            Err(StorageError::Constraint(_)) => {
                sp.rollback().await?;
                let result = rules::constraint_rejection(op);
                let text = serde_json::to_string(&result).unwrap_or_default();
                tx.execute(SQL_OP_LOG, &[&op.op_id, &device.id, &op.seq, &text, &now]).await?;
                results.push(result);
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(results)
}

const SQL_SET_STATUS: &str =
    "UPDATE application SET status = $2, version = $3, registration_number = $4, updated_at = $5 WHERE id = $1";
// Merged in SQL: one statement, so it can be pipelined with the batch's other writes.
const SQL_SET_FIELDS: &str =
    "UPDATE application SET data = CAST(CAST(data AS jsonb) || CAST(CAST($2 AS TEXT) AS jsonb) AS TEXT),
     version = $3, updated_at = $4 WHERE id = $1";
const SQL_FLAG: &str = "INSERT INTO aid_flag (application_id, other_application_id, reason, created_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
const SQL_CONFLICT: &str =
    "INSERT INTO conflict (id, application_id, data, created_at) VALUES ($1, $2, $3, $4)";
const SQL_RESOLVE: &str =
    "UPDATE conflict SET resolved_at = $3 WHERE id = $1 AND application_id = $2 AND resolved_at IS NULL";
const WRITE_SQL: [&str; 5] = [SQL_SET_STATUS, SQL_SET_FIELDS, SQL_FLAG, SQL_CONFLICT, SQL_RESOLVE];

async fn execute(
    tx: &deadpool_postgres::Transaction<'_>,
    w: &Write,
    op: &Operation,
    now: &str,
) -> Result<(), StorageError> {
    match w {
        // A batch writes these as multi-row statements; alone, they are a batch of one.
        Write::InsertApplication { .. } => {
            NewApplications::from_writes(std::iter::once(w)).insert(tx, now).await?;
        }
        Write::SetStatus { id, status, version, registration_number } => {
            let stmt = tx.prepare_cached(SQL_SET_STATUS).await?;
            tx.execute(&stmt, &[id, &status.as_str(), version, registration_number, &now]).await?;
        }
        Write::SetFields { id, fields, version } => {
            let fields = serde_json::to_string(fields).unwrap_or_default();
            let stmt = tx.prepare_cached(SQL_SET_FIELDS).await?;
            tx.execute(&stmt, &[id, &fields, version, &now]).await?;
        }
        Write::Change { .. } => {
            ChangeRows::from_writes(std::iter::once((op, w))).insert(tx, now).await?;
        }
        Write::Flag { application_id, other_application_id, reason } => {
            let reason = reason.as_str();
            let stmt = tx.prepare_cached(SQL_FLAG).await?;
            tx.execute(&stmt, &[application_id, other_application_id, &reason, &now]).await?;
        }
        Write::ResolveConflicts { application_id, ids } => {
            let stmt = tx.prepare_cached(SQL_RESOLVE).await?;
            for id in ids {
                tx.execute(&stmt, &[id, application_id, &now]).await?;
            }
        }
        Write::Conflict { application_id, data } => {
            let data: &str = data;
            let stmt = tx.prepare_cached(SQL_CONFLICT).await?;
            tx.execute(&stmt, &[&op.op_id, application_id, &data, &now]).await?;
        }
        Write::Staff(s) => {
            let fields = serde_json::to_string(&s.fields).unwrap_or_default();
            let stmt = tx.prepare_cached(super::SQL_STAFF_UPSERT).await?;
            tx.execute(&stmt, &[&s.id, &s.office, &s.version, &fields, &now]).await?;
        }
        Write::DeactivateAccounts { office, nip } => {
            let stmt = tx.prepare_cached(super::SQL_STAFF_ACCOUNTS).await?;
            let usernames: Vec<String> =
                tx.query(&stmt, &[office, nip]).await?.iter().map(|r| r.get(0)).collect();
            let none: Option<&str> = None;
            for username in usernames {
                let args: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
                    [&username, &none, &Some(false), &now, &none, &none, &none];
                tx.execute(super::SQL_UPDATE_USER, &args).await?;
                let row = tx
                    .query_one(
                        &format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = $1"),
                        &[&username],
                    )
                    .await?;
                user_change(tx, &user_row(&row), now).await?;
            }
        }
        Write::ExpectBlob { office, sha256, size, media_type } => {
            let stmt = tx.prepare_cached(blob::SQL_EXPECT).await?;
            tx.execute(&stmt, &[office, sha256, size, &now, media_type]).await?;
        }
        Write::Access { office, username, payload: p } => {
            let subject = match &p.identifier {
                Some(number) => Some(super::subject_hash(&audit_key(tx).await?, number)),
                None => None,
            };
            let stmt = tx.prepare_cached(super::SQL_ACCESS_INSERT).await?;
            tx.execute(
                &stmt,
                &[
                    &op.op_id,
                    office,
                    username,
                    &p.action.as_str(),
                    &p.application_id,
                    &p.attachment,
                    &subject,
                    &op.hlc,
                    &now,
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// The audit key, made on first use.
async fn audit_key(c: &impl deadpool_postgres::GenericClient) -> Result<String, StorageError> {
    c.execute(super::SQL_AUDIT_KEY_INIT, &[&super::new_audit_key()]).await?;
    Ok(c.query_one(super::SQL_AUDIT_KEY, &[]).await?.get(0))
}

#[async_trait]
impl Storage for PostgresStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.pool.get().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn epoch(&self) -> Result<String, StorageError> {
        let c = self.pool.get().await?;
        c.execute(super::SQL_EPOCH_INIT, &[&super::new_epoch()]).await?;
        Ok(c.query_one(super::SQL_EPOCH, &[]).await?.get(0))
    }

    async fn renew_epoch(&self) -> Result<String, StorageError> {
        let epoch = super::new_epoch();
        self.pool.get().await?.execute(super::SQL_EPOCH_SET, &[&epoch]).await?;
        Ok(epoch)
    }

    async fn durability(&self) -> Result<Durability, StorageError> {
        let c = self.pool.get().await?;
        let sync: String = c.query_one("SHOW synchronous_commit", &[]).await?.get(0);
        let fsync: String = c.query_one("SHOW fsync", &[]).await?.get(0);
        Ok(Durability {
            setting: format!("synchronous_commit={sync} fsync={fsync}"),
            durable: sync == "on" && fsync == "on",
        })
    }

    async fn upsert_office(&self, code: &str, name: &str) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO office (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                &[&code, &name],
            )
            .await?;
        Ok(())
    }

    async fn office(&self, code: &str) -> Result<Option<Office>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt("SELECT code, name FROM office WHERE code = $1", &[&code])
            .await?;
        Ok(row.map(|r| Office { code: r.get(0), name: r.get(1) }))
    }

    async fn create_user(&self, u: &User, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let now = ts(now);
        let roles = u.roles.join(",");
        tx.execute(
            super::SQL_INSERT_USER,
            &[
                &u.id,
                &u.office_code,
                &u.username,
                &u.full_name,
                &roles,
                &u.password_hash,
                &u.active,
                &u.public_key,
                &u.wrapped_key,
                &u.nip,
                &now,
            ],
        )
        .await
        .map_err(|e| if is_unique(&e) { StorageError::Duplicate("username") } else { e.into() })?;
        add_key(&tx, &u.id, &u.public_key, &now).await?;
        user_change(&tx, u, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = $1"), &[&username])
            .await?;
        Ok(row.map(|r| user_row(&r)))
    }

    async fn receipt_facts(
        &self,
        username: &str,
        application_id: &str,
        key_id: &str,
    ) -> Result<super::ReceiptFacts, StorageError> {
        let c = self.pool.get().await?;
        let rows = c.query(super::SQL_SIGNER, &[&username]).await?;
        let rows = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)));
        let signer = super::signer(rows);
        let registered = c.query_opt(super::SQL_REGISTERED, &[&application_id]).await?.map(|r| r.get(0));
        let device = c.query_opt(super::SQL_DEVICE_BY_KEY, &[&key_id]).await?.map(|r| {
            crate::rules::receipt::KnownDevice {
                device_code: r.get(0),
                office: r.get(1),
                public_key: r.get(2),
                revoked_at: r.get(3),
            }
        });
        let province_keys = c
            .query(super::SQL_PROVINCE_PUBLIC_KEYS, &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(super::ReceiptFacts { signer, registered, device, province_keys })
    }

    async fn province_key(
        &self,
        fresh: &super::ProvinceKey,
        now: DateTime<Utc>,
    ) -> Result<super::ProvinceKey, StorageError> {
        let c = self.pool.get().await?;
        let now = ts(now);
        c.execute(super::SQL_PROVINCE_KEY_INSERT, &[&fresh.key_id, &fresh.public_key, &fresh.secret, &now])
            .await?;
        let r = c.query_one(super::SQL_PROVINCE_KEY, &[]).await?;
        Ok(super::ProvinceKey { key_id: r.get(0), public_key: r.get(1), secret: r.get(2) })
    }

    async fn set_device_key(
        &self,
        device_id: &str,
        key_id: &str,
        public_key: &str,
    ) -> Result<bool, StorageError> {
        let c = self.pool.get().await?;
        let n = c
            .execute(super::SQL_SET_DEVICE_KEY, &[&device_id, &key_id, &public_key])
            .await
            .map_err(|e| if is_unique(&e) { StorageError::Duplicate("receipt key") } else { e.into() })?;
        Ok(n == 1)
    }

    async fn recap(
        &self,
        from: &str,
        to: &str,
        office_prefix: &str,
    ) -> Result<Vec<super::RecapRow>, StorageError> {
        let prefix = format!("{office_prefix}%");
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT office_code, kind, service_code, status, count(*),
                        coalesce(sum((data::jsonb ->> 'fee')::bigint), 0)::bigint
                 FROM application
                 WHERE data::jsonb ->> 'created_at' >= $1 AND data::jsonb ->> 'created_at' < $2
                   AND office_code LIKE $3
                 GROUP BY office_code, kind, service_code, status
                 ORDER BY office_code, kind, service_code, status",
                &[&from, &to, &prefix],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| super::RecapRow {
                office_code: r.get(0),
                kind: r.get(1),
                service_code: r.get(2),
                status: r.get(3),
                count: r.get(4),
                fees: r.get(5),
            })
            .collect())
    }

    async fn update_user(&self, name: &str, u: UserUpdate, at: DateTime<Utc>) -> Result<User, StorageError> {
        let (username, now) = (name, ts(at));
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let c = u.columns();
        let args: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
            [&username, &c.password_hash, &c.active, &now, &c.public_key, &c.wrapped_key, &c.nip];
        if tx.execute(super::SQL_UPDATE_USER, &args).await? == 0 {
            return Err(StorageError::NotFound("user"));
        }
        let row = tx
            .query_one(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = $1"), &[&username])
            .await?;
        let user = user_row(&row);
        add_key(&tx, &user.id, &user.public_key, &now).await?;
        user_change(&tx, &user, &now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn list_users(&self, office_code: Option<&str>) -> Result<Vec<User>, StorageError> {
        let rows = self.pool.get().await?.query(&super::sql_list_users(), &[&office_code]).await?;
        Ok(rows.iter().map(user_row).collect())
    }

    async fn create_enrollment_code(&self, code: &NewEnrollmentCode<'_>) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO enrollment_code (code_hash, office_code, user_id, expires_at) VALUES ($1, $2, $3, $4)",
                &[&code.code_hash, &code.office_code, &code.user_id, &ts(code.expires_at)],
            )
            .await
            .map_err(|e| {
                if is_fk(&e) {
                    StorageError::NotFound("office")
                } else if is_unique(&e) {
                    StorageError::Duplicate("enrollment code")
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    async fn enroll_device(
        &self,
        code_hash: &str,
        d: &NewDevice,
        now: DateTime<Utc>,
    ) -> Result<Device, StorageError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT c.office_code, c.expires_at, c.used_at, c.user_id, u.username
                 FROM enrollment_code c LEFT JOIN app_user u ON u.id = c.user_id WHERE c.code_hash = $1
                 FOR UPDATE OF c",
                &[&code_hash],
            )
            .await?
            .ok_or(StorageError::CodeInvalid)?;
        let (office, expires, used): (String, String, Option<String>) = (row.get(0), row.get(1), row.get(2));
        let account: Option<(String, String)> = row.get::<_, Option<String>>(3).zip(row.get(4));
        if used.is_some() {
            return Err(StorageError::CodeUsed);
        }
        let now = ts(now);
        if expires <= now {
            return Err(StorageError::CodeExpired);
        }
        let link = super::link(account, d.local_user.as_ref())?;
        tx.execute("UPDATE enrollment_code SET used_at = $2 WHERE code_hash = $1", &[&code_hash, &now])
            .await?;
        tx.execute(
            "INSERT INTO device (id, office_code, device_code, token_hash, name, app_version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&d.id, &office, &d.device_code, &d.token_hash, &d.name, &d.app_version, &now],
        )
        .await
        .map_err(|e| if is_unique(&e) { StorageError::Duplicate("device code") } else { e.into() })?;
        let row =
            tx.query_one(&format!("SELECT {DEVICE_COLUMNS} FROM device WHERE id = $1"), &[&d.id]).await?;
        if let Some((user_id, local)) = link {
            add_key(&tx, &user_id, &local.public_key, &now).await?;
            tx.execute(super::SQL_ADOPT_KEY, &[&user_id, &local.public_key, &local.wrapped_key, &now])
                .await?;
            let u = tx
                .query_one(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE id = $1"), &[&user_id])
                .await?;
            user_change(&tx, &user_row(&u), &now).await?;
        }
        tx.commit().await?;
        Ok(device_row(&row))
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(&format!("SELECT {DEVICE_COLUMNS} FROM device WHERE token_hash = $1"), &[&token_hash])
            .await?;
        Ok(row.map(|r| device_row(&r)))
    }

    async fn revoke_device(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE device SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &ts(now)],
            )
            .await?;
        Ok(n == 1)
    }

    async fn audit_key(&self) -> Result<String, StorageError> {
        let client = self.pool.get().await?;
        audit_key(&client).await
    }

    async fn accesses(
        &self,
        number: &str,
        subject_hash: &str,
        since: &str,
    ) -> Result<Vec<super::AccessRow>, StorageError> {
        let rows =
            self.pool.get().await?.query(super::SQL_ACCESSES, &[&number, &subject_hash, &since]).await?;
        Ok(rows
            .iter()
            .map(|r| super::AccessRow {
                received_at: r.get(0),
                office_code: r.get(1),
                device_code: r.get(2),
                username: r.get(3),
                action: r.get(4),
                application_id: r.get(5),
                registration_number: r.get(6),
                attachment: r.get(7),
                hlc: r.get(8),
            })
            .collect())
    }

    async fn retention_due(
        &self,
        kind: ApplicationKind,
        finished_before: &str,
        draft_before: &str,
        limit: u32,
    ) -> Result<Vec<String>, StorageError> {
        let [a, b, d, e] = super::FINISHED.map(|s| s.as_str());
        let rows = self
            .pool
            .get()
            .await?
            .query(
                super::SQL_RETENTION_DUE,
                &[
                    &kind.as_str(),
                    &finished_before,
                    &draft_before,
                    &a,
                    &b,
                    &d,
                    &e,
                    &Status::Draft.as_str(),
                    &i64::from(limit),
                ],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn redact_application(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let now = ts(now);
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // The locks a push on this application takes, in the same order: no push decides on it
        // while its data is being removed.
        tx.execute("SELECT pg_advisory_xact_lock_shared($1)", &[&PUSH_SPACE_LOCK]).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(&["application", id])]).await?;
        let Some(row) = tx
            .query_opt(
                "SELECT office_code, data FROM application WHERE id = $1 AND redacted_at IS NULL",
                &[&id],
            )
            .await?
        else {
            return Ok(false);
        };
        let (office, data): (String, String) = (row.get(0), row.get(1));
        let changes = tx
            .query("SELECT server_seq, kind, data FROM change_log WHERE entity_id = $1", &[&id])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let conflicts = tx
            .query("SELECT id, data FROM conflict WHERE application_id = $1", &[&id])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let plan = super::Redaction::plan(id, &data, changes, conflicts, &now);
        tx.execute(
            "UPDATE application SET applicant_nik = NULL, kk = NULL, data = $2, redacted_at = $3 WHERE id = $1",
            &[&id, &plan.data, &now],
        )
        .await?;
        for (seq, text) in &plan.changes {
            tx.execute("UPDATE change_log SET data = $2 WHERE server_seq = $1", &[seq, text]).await?;
        }
        for (cid, text) in &plan.conflicts {
            tx.execute("UPDATE conflict SET data = $2 WHERE id = $1", &[cid, text]).await?;
        }
        for sha in &plan.attachments {
            let pattern = format!("%{sha}%");
            let named: i64 = tx
                .query_one(
                    super::SQL_BLOB_STILL_NAMED,
                    &[&office, &id, &pattern, &ChangeKind::Record.as_str()],
                )
                .await?
                .get(0);
            if named == 0 {
                tx.execute("DELETE FROM blob_chunk WHERE office_code = $1 AND sha256 = $2", &[&office, sha])
                    .await?;
                tx.execute("DELETE FROM blob WHERE office_code = $1 AND sha256 = $2", &[&office, sha])
                    .await?;
            }
        }
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK]).await?;
        tx.execute(
            "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at) VALUES ($1, $2, $3, $4, NULL, $5)",
            &[&office, &ChangeKind::Redacted.as_str(), &id, &plan.change, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn prune_access_log(&self, before: &str) -> Result<u64, StorageError> {
        Ok(self.pool.get().await?.execute(super::SQL_ACCESS_PRUNE, &[&before]).await?)
    }

    async fn compact(&self) -> Result<(), StorageError> {
        self.pool.get().await?.batch_execute("VACUUM").await?;
        Ok(())
    }

    async fn publish_release(
        &self,
        release: &super::NewRelease,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = ts(now);
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let percent = i64::from(release.percent);
        let active = crate::rules::release::ReleaseState::Active.as_str();
        let regions = release.regions.join(",");
        let inserted = tx
            .execute(
                super::SQL_RELEASE_INSERT,
                &[&release.version, &release.notes, &active, &percent, &regions, &now],
            )
            .await;
        match inserted {
            Err(e) if is_unique(&e) => return Err(StorageError::Duplicate("release")),
            other => other?,
        };
        for a in &release.artifacts {
            let sha = super::blob::sha256_hex(&a.bytes);
            let size = a.bytes.len() as i64;
            tx.execute(
                super::SQL_ARTIFACT_INSERT,
                &[&release.version, &a.target, &sha, &size, &a.signature, &a.file_name],
            )
            .await?;
            for (i, chunk) in a.bytes.chunks(super::ARTIFACT_CHUNK).enumerate() {
                let offset = (i * super::ARTIFACT_CHUNK) as i64;
                tx.execute(super::SQL_ARTIFACT_CHUNK_INSERT, &[&sha, &offset, &chunk]).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn releases(&self) -> Result<Vec<super::ReleaseRow>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_RELEASES, &[]).await?;
        rows.iter()
            .map(|r| {
                super::release_row([r.get(0), r.get(1), r.get(2), r.get(4), r.get(6)], r.get(3), r.get(5))
            })
            .collect()
    }

    async fn update_release(
        &self,
        version: &str,
        state: Option<crate::rules::release::ReleaseState>,
        percent: Option<u8>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let (state, percent) = (state.map(|s| s.as_str()), percent.map(i64::from));
        let yanked = crate::rules::release::ReleaseState::Yanked.as_str();
        let n = self
            .pool
            .get()
            .await?
            .execute(super::SQL_RELEASE_UPDATE, &[&version, &state, &percent, &ts(now), &yanked])
            .await?;
        Ok(n == 1)
    }

    async fn artifacts(&self, version: &str) -> Result<Vec<super::ArtifactRow>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_ARTIFACTS, &[&version]).await?;
        Ok(rows.iter().map(artifact_row).collect())
    }

    async fn artifact_by_sha(&self, sha256: &str) -> Result<Option<super::ArtifactRow>, StorageError> {
        let row = self.pool.get().await?.query_opt(super::SQL_ARTIFACT_BY_SHA, &[&sha256]).await?;
        Ok(row.as_ref().map(artifact_row))
    }

    async fn artifact_bytes(&self, sha256: &str, start: i64, end: i64) -> Result<Vec<u8>, StorageError> {
        let chunk = super::ARTIFACT_CHUNK as i64;
        let rows = self
            .pool
            .get()
            .await?
            .query(super::SQL_ARTIFACT_CHUNKS, &[&sha256, &start, &end, &chunk])
            .await?;
        Ok(super::assemble(rows.iter().map(|r| (r.get(0), r.get(1))).collect(), start, end))
    }

    async fn rollout_event(
        &self,
        version: &str,
        device_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(super::SQL_ROLLOUT_EVENT, &[&version, &device_id, &event, &ts(now)])
            .await?;
        Ok(())
    }

    async fn rollout_installed(
        &self,
        device_id: &str,
        app_version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached(super::SQL_ROLLOUT_INSTALLED).await?;
        client.execute(&stmt, &[&device_id, &app_version, &ts(now), &"installed"]).await?;
        Ok(())
    }

    async fn rollout_counts(&self, version: &str) -> Result<super::RolloutCounts, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_ROLLOUT_COUNTS, &[&version]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn minimum_app_version(&self) -> Result<Option<String>, StorageError> {
        Ok(self.pool.get().await?.query_opt(super::SQL_MINIMUM, &[]).await?.map(|r| r.get(0)))
    }

    async fn set_minimum_app_version(&self, version: &str) -> Result<(), StorageError> {
        self.pool.get().await?.execute(super::SQL_MINIMUM_SET, &[&version]).await?;
        Ok(())
    }

    async fn offices(&self) -> Result<Vec<Office>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_OFFICES, &[]).await?;
        Ok(rows.iter().map(|r| Office { code: r.get(0), name: r.get(1) }).collect())
    }

    async fn holidays(&self) -> Result<Vec<crate::rules::holiday::Day>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_HOLIDAYS, &[]).await?;
        rows.iter().map(|r| super::holiday_row(r.get(0), r.get(1), r.get::<_, &str>(2), r.get(3))).collect()
    }

    async fn catalogue_versions(&self) -> Result<Vec<(String, u32)>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_CATALOGUE_VERSIONS, &[]).await?;
        Ok(rows.iter().map(|r| (r.get(0), u32::try_from(r.get::<_, i64>(1)).unwrap_or(0))).collect())
    }

    async fn catalogue_file(&self, region: &str, version: u32) -> Result<Option<String>, StorageError> {
        let version = i64::from(version);
        let row = self.pool.get().await?.query_opt(super::SQL_CATALOGUE_FILE, &[&region, &version]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn publish_catalogue(
        &self,
        cat: &super::NewCatalogue,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = ts(now);
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let version = i64::from(cat.version);
        let inserted = tx
            .execute(
                super::SQL_CATALOGUE_INSERT,
                &[&cat.region, &version, &cat.effective_from, &cat.file, &now],
            )
            .await;
        match inserted {
            Err(e) if is_unique(&e) => return Err(StorageError::Duplicate("catalogue version")),
            other => other?,
        };
        let record = ChangeKind::Record.as_str();
        for (office, entity, data) in &cat.changes {
            tx.execute(super::SQL_CHANGE_APPEND, &[office, &record, entity, data, &now]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn holiday_policies(&self) -> Result<Vec<(String, bool)>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_HOLIDAY_POLICIES, &[]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn update_calendar(
        &self,
        u: &super::CalendarUpdate,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = ts(now);
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        if let Some(region) = &u.region {
            for year in &u.years {
                let (from, to) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
                tx.execute(super::SQL_HOLIDAY_DELETE_YEAR, &[region, &from, &to]).await?;
            }
            for d in &u.days {
                tx.execute(super::SQL_HOLIDAY_INSERT, &[region, &d.day, &d.kind.as_str(), &d.name, &now])
                    .await?;
            }
        }
        if let Some((regency, working)) = &u.policy {
            tx.execute(super::SQL_HOLIDAY_POLICY_SET, &[regency, working, &now]).await?;
        }
        let record = ChangeKind::Record.as_str();
        for (office, entity, data) in &u.changes {
            tx.execute(super::SQL_CHANGE_APPEND, &[office, &record, entity, data, &now]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_key(&self) -> Result<Option<String>, StorageError> {
        Ok(self.pool.get().await?.query_opt(super::SQL_RELEASE_KEY, &[]).await?.map(|r| r.get(0)))
    }

    async fn set_release_key(&self, key: &str) -> Result<(), StorageError> {
        self.pool.get().await?.execute(super::SQL_RELEASE_KEY_SET, &[&key]).await?;
        Ok(())
    }

    async fn record_wipe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let n = self.pool.get().await?.execute(super::SQL_RECORD_WIPE, &[&id, &ts(now)]).await?;
        Ok(n == 1)
    }

    async fn list_devices(&self) -> Result<Vec<Device>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(&format!("SELECT {DEVICE_COLUMNS} FROM device ORDER BY office_code, created_at"), &[])
            .await?;
        Ok(rows.iter().map(device_row).collect())
    }

    async fn aid_flags(&self) -> Result<Vec<super::AidFlagPair>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_AID_FLAGS, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| super::AidFlagPair {
                application_id: r.get(0),
                office_code: r.get(1),
                registration_number: r.get(2),
                other_application_id: r.get(3),
                other_office_code: r.get(4),
                other_registration_number: r.get(5),
                programme: r.get(6),
                period: r.get(7),
                reason: r.get(8),
                created_at: r.get(9),
            })
            .collect())
    }

    async fn refusals(&self) -> Result<Vec<super::Refusals>, StorageError> {
        let rows = self.pool.get().await?.query(super::SQL_REFUSALS, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| super::Refusals {
                device_id: r.get(0),
                code: r.get(1),
                count: r.get(2),
                last_at: r.get(3),
            })
            .collect())
    }

    async fn report_device(
        &self,
        id: &str,
        app_version: &str,
        pending: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "UPDATE device SET app_version = CASE WHEN $2 = '' THEN app_version ELSE $2 END,
                     pending_reported = $3, last_sync_at = $4 WHERE id = $1",
                &[&id, &app_version, &pending, &ts(now)],
            )
            .await?;
        Ok(())
    }

    async fn push(
        &self,
        device: &Device,
        ops: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpResult>, StorageError> {
        let mut c = self.push_pool.get().await?;
        let now = ts(now);
        // One durable commit per push. Only if an operation breaks a constraint is the batch
        // redone with a savepoint per operation, so that one is rejected alone.
        match push_batch(&mut c, device, &ops, &now, false).await {
            Err(StorageError::Constraint(_)) => push_batch(&mut c, device, &ops, &now, true).await,
            other => other,
        }
    }

    async fn pull(
        &self,
        office_code: &str,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<ChangeRecord<RawPayload>>, bool), StorageError> {
        // A page is always a walk of the (office_code, server_seq) index from the checkpoint.
        // Right after a bulk load, before autovacuum has analyzed the table, PostgreSQL guessed
        // a few hundred matching rows and read every remaining change of the office with a
        // bitmap scan plus a sort, for every page (38 ms a page with 50,000 left, measured);
        // bitmap scans are off for this one read-only transaction.
        let mut c = self.pool.get().await?;
        let tx = c.build_transaction().read_only(true).start().await?;
        tx.batch_execute("SET LOCAL enable_bitmapscan = off").await?;
        let rows = tx
            .query(
                "SELECT server_seq, kind, entity_id, data, hlc, received_at FROM change_log
                 WHERE office_code = $1 AND server_seq > $2 ORDER BY server_seq LIMIT $3",
                &[&office_code, &after, &(i64::from(limit) + 1)],
            )
            .await?;
        tx.commit().await?;
        let mut changes: Vec<ChangeRecord<RawPayload>> = rows
            .iter()
            .map(|r| {
                Ok(ChangeRecord {
                    server_seq: r.get(0),
                    kind: super::change_kind(r.get(1))?,
                    entity_id: r.get(2),
                    data: super::raw_json(r.get(3)),
                    hlc: r.get(4),
                    received_at: r.get(5),
                })
            })
            .collect::<Result<_, StorageError>>()?;
        let more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        Ok((changes, more))
    }

    async fn count_applications(&self, office_code: Option<&str>) -> Result<i64, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_one(
                "SELECT count(*) FROM application WHERE CAST($1 AS TEXT) IS NULL OR office_code = $1",
                &[&office_code],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn office_snapshot(&self, office_code: &str) -> Result<super::OfficeSnapshot, StorageError> {
        let c = self.pool.get().await?;
        let applications = c
            .query(super::SQL_SNAPSHOT_APPS, &[&office_code])
            .await?
            .iter()
            .map(|r| super::SnapshotApplication {
                id: r.get(0),
                status: r.get(1),
                version: r.get(2),
                registration_number: r.get(3),
                data: serde_json::from_str(r.get::<_, &str>(4)).unwrap_or(Value::Null),
            })
            .collect();
        let pairs = |rows: Vec<Row>| rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(super::OfficeSnapshot {
            applications,
            conflicts: c
                .query(super::SQL_SNAPSHOT_CONFLICTS, &[&office_code])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            flags: pairs(c.query(super::SQL_SNAPSHOT_FLAGS, &[&office_code]).await?),
        })
    }

    async fn blob_status(&self, office_code: &str, sha256: &str) -> Result<Option<BlobStatus>, StorageError> {
        let c = self.pool.get().await?;
        blob_status(&c, office_code, sha256).await
    }

    async fn blob_append(&self, chunk: blob::BlobChunk) -> Result<BlobStatus, StorageError> {
        let (office_code, sha256, size) = (chunk.office_code.as_str(), chunk.sha256.as_str(), chunk.size);
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(&["blob", office_code, sha256])]).await?;
        let current = blob_upload(&tx, office_code, sha256).await?;
        let (received, last) = match blob::check(current, &chunk)? {
            blob::Chunk::Done(done) => return Ok(done),
            blob::Chunk::Store { received, last } => (received, last),
        };
        tx.execute(blob::SQL_CHUNK, &[&office_code, &sha256, &chunk.offset, &chunk.bytes]).await?;
        if last && !blob::matches(sha256, &chunks(&tx, office_code, sha256).await?) {
            tx.execute(blob::SQL_DROP_CHUNKS, &[&office_code, &sha256]).await?;
            tx.execute(blob::SQL_SET, &[&office_code, &sha256, &0_i64, &0_i64]).await?;
            tx.commit().await?;
            return Err(StorageError::BlobMismatch);
        }
        tx.execute(blob::SQL_SET, &[&office_code, &sha256, &received, &i64::from(last)]).await?;
        tx.commit().await?;
        Ok(BlobStatus { size, received, complete: last })
    }

    async fn blob_read(&self, office_code: &str, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let c = self.pool.get().await?;
        if !matches!(blob_status(&c, office_code, sha256).await?, Some(s) if s.complete) {
            return Ok(None);
        }
        Ok(Some(chunks(&c, office_code, sha256).await?.concat()))
    }
}

async fn blob_upload(
    c: &impl GenericClient,
    office_code: &str,
    sha256: &str,
) -> Result<Option<blob::Upload>, StorageError> {
    Ok(c.query_opt(blob::SQL_STATUS, &[&office_code, &sha256])
        .await?
        .map(|r| blob::upload(r.get(0), r.get(1), r.get(2), r.get(3))))
}

async fn blob_status(
    c: &impl GenericClient,
    office_code: &str,
    sha256: &str,
) -> Result<Option<BlobStatus>, StorageError> {
    Ok(blob_upload(c, office_code, sha256).await?.map(|u| u.status))
}

async fn chunks(
    c: &impl GenericClient,
    office_code: &str,
    sha256: &str,
) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(c.query(blob::SQL_CHUNKS, &[&office_code, &sha256]).await?.iter().map(|r| r.get(0)).collect())
}
