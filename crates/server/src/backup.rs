//! Backups of the provincial server, attachments included (they are rows: `blob_chunk`).
//!
//! - **SQLite**: `backup` copies the live database with SQLite's online backup API in one step
//!   (a consistent snapshot under a read transaction; the server keeps serving), into a single
//!   self-contained file, then checks it (`integrity_check`, schema version) before giving it
//!   its name. `restore` refuses while a server serves the database (the serving lock), checks
//!   the backup, copies it beside the database, starts a new data **epoch** in the copy, moves
//!   the current database aside (`<db>.before-restore-<time>`, never deleted) and puts the copy
//!   in its place.
//! - **PostgreSQL**: `pg_dump --format=custom`, checked with `pg_restore --list`; restore is
//!   `pg_restore --clean --if-exists --single-transaction` under the exclusive serving lock (an
//!   advisory lock servers hold shared), then a new epoch (docs/OPERATIONS.md).
//!
//! The new epoch is what makes a restore lose nothing: every device that sees it sends again
//! what the old server had accepted and pulls from the start (`loket_store::Store::server_restored`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::{Connection, OpenFlags};
use thiserror::Error;

use crate::storage::sqlite::SqliteStorage;
use crate::storage::{Storage, StorageError};

/// Tables whose rows a summary counts.
const COUNTED: [&str; 6] = ["office", "device", "application", "change_log", "op_log", "blob"];

#[derive(Debug, Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The file is not a usable backup of a Loket server.
    #[error("{path} is not a usable Loket server backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    /// A server serves this database: stop it before restoring.
    #[error("a Loket server is serving {0}; stop it before restoring")]
    ServerRunning(PathBuf),
    /// A restore holds the database: a server does not start under it.
    #[error("a restore is running on this database; start the server when it is done")]
    RestoreRunning,
    /// `pg_dump` or `pg_restore` failed or is missing.
    #[error("{tool}: {message}")]
    Tool { tool: &'static str, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn sync_dir(path: &Path) -> Result<(), BackupError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub bytes: u64,
    /// Rows of the main tables (`office`, `device`, `application`, …); for PostgreSQL, the
    /// number of entries in the dump's table of contents under `"toc entries"`.
    pub rows: Vec<(String, i64)>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.bytes)?;
        for (table, n) in &self.rows {
            write!(f, ", {table} {n}")?;
        }
        Ok(())
    }
}

/// Held by a server while it serves: for SQLite `<db>.lock`, an OS file lock; for PostgreSQL an
/// advisory lock, shared by every server of the database. Released when the process ends,
/// however it ends. `restore` takes it exclusively, so it cannot run under a server.
pub struct ServingLock(#[allow(dead_code)] Held);

// Held for its `Drop` (closing the file or the connection releases the lock), never read.
#[allow(dead_code)]
enum Held {
    File(File),
    Postgres(deadpool_postgres::ClientWrapper),
}

impl std::fmt::Debug for ServingLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServingLock")
    }
}

/// Take the serving lock of the PostgreSQL database at `url`: `shared` for a server,
/// exclusive for a restore. [`BackupError::ServerRunning`] when the other side holds it.
pub async fn lock_serving_postgres(url: &str, shared: bool) -> Result<ServingLock, BackupError> {
    let storage = crate::storage::postgres::PostgresStorage::connect(url, 2).await?;
    match storage.serving_lock(shared).await? {
        Some(client) => Ok(ServingLock(Held::Postgres(client))),
        None if shared => Err(BackupError::RestoreRunning),
        None => Err(BackupError::ServerRunning(PathBuf::from("the PostgreSQL database"))),
    }
}

/// Take the serving lock of the SQLite database `db`.
pub fn lock_serving(db: &Path) -> Result<ServingLock, BackupError> {
    let path = sibling(db, ".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(ServingLock(Held::File(file))),
        Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::ServerRunning(db.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// Check a SQLite backup (or database) file and count what it holds.
pub fn check_sqlite(file: &Path) -> Result<Summary, BackupError> {
    let bad = |reason: String| BackupError::NotABackup { path: file.to_path_buf(), reason };
    let bytes = std::fs::metadata(file).map_err(io(file))?.len();
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String =
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| bad(e.to_string()))?;
    if verdict != "ok" {
        return Err(bad(format!("integrity check: {verdict}")));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = crate::storage::SCHEMA_VERSION;
    if version > known {
        return Err(BackupError::Storage(StorageError::SchemaTooNew { found: version, known }));
    }
    let mut rows = Vec::new();
    for table in COUNTED.iter().filter(|t| **t != "blob" || version >= 2) {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| bad(format!("table {table}: {e}")))?;
        rows.push((table.to_string(), n));
    }
    Ok(Summary { bytes, rows })
}

/// Copy every page of `source` into `copy` in one step: one read transaction, so a consistent
/// snapshot that a busy server cannot make start over. A source locked by a writer at that
/// instant is tried again (WAL readers are not blocked by writers, so this is rare).
fn copy_all(source: &Connection, copy: &mut Connection) -> Result<(), BackupError> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(source, copy)?;
    for _ in 0..200 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    Err(BackupError::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("the database stayed locked for 10 s".into()),
    )))
}

/// Copy `source` into a new single-file database at `copy` (whatever was there before, with
/// its WAL, is removed first).
fn fresh_copy(source: &Path, copy: &Path) -> Result<(), BackupError> {
    for f in [copy.to_path_buf(), sibling(copy, "-wal"), sibling(copy, "-shm")] {
        match std::fs::remove_file(&f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&f)(e)),
            _ => {}
        }
    }
    let source = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut target = Connection::open(copy)?;
    copy_all(&source, &mut target)?;
    target.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// Copy the live SQLite database `db` to `to` (online), checked before it gets its name.
pub fn backup_sqlite(db: &Path, to: &Path) -> Result<Summary, BackupError> {
    if !db.exists() {
        return Err(io(db)(std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    let tmp = sibling(to, ".partial");
    fresh_copy(db, &tmp)?;
    let summary = check_sqlite(&tmp)?;
    File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, to).map_err(io(to))?;
    sync_dir(to)?;
    Ok(summary)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub summary: Summary,
    /// The data's new generation.
    pub epoch: String,
    /// Where the database that was replaced now is (SQLite; kept, never deleted).
    pub previous: Option<PathBuf>,
}

/// Restore the SQLite database `db` from the backup `from` (no server may be serving `db`).
pub async fn restore_sqlite(from: &Path, db: &Path) -> Result<Restored, BackupError> {
    let summary = check_sqlite(from)?;
    let _lock = lock_serving(db)?;
    let tmp = sibling(db, ".restoring");
    fresh_copy(from, &tmp)?;
    // Brought to this build's schema, with a new epoch, then closed into one file.
    let epoch = SqliteStorage::open(&tmp)?.renew_epoch().await?;
    {
        let copy = Connection::open(&tmp)?;
        copy.pragma_update(None, "journal_mode", "DELETE")?;
    }
    File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;

    let previous = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = sibling(db, &format!(".before-restore-{stamp}"));
        // The database with its WAL: SQLite names the WAL after the database file.
        for (from, to) in [("", ""), ("-wal", "-wal"), ("-shm", "-shm")] {
            let (src, dst) = (sibling(db, from), sibling(&aside, to));
            if src.exists() {
                std::fs::rename(&src, &dst).map_err(io(&src))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&tmp, db).map_err(io(db))?;
    sync_dir(db)?;
    Ok(Restored { summary, epoch, previous })
}

fn tool(tool: &'static str, args: &[&std::ffi::OsStr]) -> Result<String, BackupError> {
    let out = Command::new(tool).args(args).output().map_err(|e| BackupError::Tool {
        tool,
        message: format!("{e} (install the PostgreSQL client tools: apt install postgresql-client)"),
    })?;
    if !out.status.success() {
        return Err(BackupError::Tool {
            tool,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Check a `pg_dump` custom-format file: its table of contents lists Loket's tables' data.
pub fn check_postgres(file: &Path) -> Result<Summary, BackupError> {
    let bytes = std::fs::metadata(file).map_err(io(file))?.len();
    let toc = tool("pg_restore", &["--list".as_ref(), file.as_os_str()])?;
    for table in COUNTED {
        if !toc.lines().any(|l| l.contains("TABLE DATA") && l.split_whitespace().any(|w| w == table)) {
            return Err(BackupError::NotABackup {
                path: file.to_path_buf(),
                reason: format!("no data of table {table}"),
            });
        }
    }
    let entries = toc.lines().filter(|l| !l.starts_with(';') && !l.trim().is_empty()).count() as i64;
    Ok(Summary { bytes, rows: vec![("toc entries".into(), entries)] })
}

/// `pg_dump` the database at `url` to `to`, checked before it gets its name.
pub fn backup_postgres(url: &str, to: &Path) -> Result<Summary, BackupError> {
    let tmp = sibling(to, ".partial");
    tool(
        "pg_dump",
        &[
            "--format=custom".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--file".as_ref(),
            tmp.as_os_str(),
            url.as_ref(),
        ],
    )?;
    let summary = check_postgres(&tmp)?;
    File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, to).map_err(io(to))?;
    sync_dir(to)?;
    Ok(summary)
}

/// Restore the database at `url` from a `pg_dump` file (stop the servers first), then start a
/// new epoch.
pub async fn restore_postgres(from: &Path, url: &str) -> Result<Restored, BackupError> {
    let summary = check_postgres(from)?;
    let _lock = lock_serving_postgres(url, false).await?;
    tool(
        "pg_restore",
        &[
            "--clean".as_ref(),
            "--if-exists".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--single-transaction".as_ref(),
            "--dbname".as_ref(),
            url.as_ref(),
            from.as_os_str(),
        ],
    )?;
    let storage = crate::storage::postgres::PostgresStorage::connect(url, 1).await?;
    let epoch = storage.renew_epoch().await?;
    Ok(Restored { summary, epoch, previous: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sqlite_backup_restores_with_a_new_epoch_and_the_old_database_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite3");
        let storage = SqliteStorage::open(&db).unwrap();
        crate::admin::add_office(&storage, "36.01.01").await.unwrap();
        let before = storage.epoch().await.unwrap();
        let backup = dir.path().join("backup.sqlite3");
        let summary = backup_sqlite(&db, &backup).unwrap();
        assert!(summary.rows.contains(&("office".to_string(), 1)), "{summary}");
        crate::admin::add_office(&storage, "36.01.02").await.unwrap();

        // Refused while a server serves the database.
        let lock = lock_serving(&db).unwrap();
        assert!(matches!(restore_sqlite(&backup, &db).await, Err(BackupError::ServerRunning(_))));
        drop(lock);
        drop(storage);

        let restored = restore_sqlite(&backup, &db).await.unwrap();
        assert_ne!(restored.epoch, before);
        let previous = restored.previous.unwrap();
        assert_eq!(check_sqlite(&previous).unwrap().rows[0], ("office".to_string(), 2));
        let storage = SqliteStorage::open(&db).unwrap();
        assert_eq!(storage.epoch().await.unwrap(), restored.epoch);
        assert!(storage.office("36.01.02").await.unwrap().is_none(), "the backup's state");
        assert!(storage.office("36.01.01").await.unwrap().is_some());
    }

    #[test]
    fn a_file_that_is_not_a_backup_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk");
        std::fs::write(&junk, b"not a database at all, not even close").unwrap();
        assert!(matches!(check_sqlite(&junk), Err(BackupError::NotABackup { .. })));
        let empty = dir.path().join("empty.sqlite3");
        Connection::open(&empty).unwrap().execute_batch("CREATE TABLE x (y)").unwrap();
        assert!(matches!(check_sqlite(&empty), Err(BackupError::NotABackup { .. })));
    }
}
