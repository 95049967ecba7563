//! The store on disk is SQLCipher: every page of `loket.sqlite3` and of its WAL is encrypted
//! (AES-256 with an HMAC per page) with a key derived from the installation's [`StoreKey`].
//!
//! A database written by an older Loket is plain SQLite. It is encrypted in place, once, the
//! first time a key is given:
//! 1. its WAL is checkpointed into the file, and `sqlcipher_export` writes an encrypted copy
//!    (`loket.sqlite3.encrypting`), fsynced;
//! 2. the copy is verified: it opens with the key, passes `integrity_check`, and every table
//!    has the rows the plain file has;
//! 3. the plain file becomes `loket.sqlite3.plain-backup` and the copy takes its name;
//! 4. the backup is deleted once the store has opened the encrypted file successfully.
//!
//! A crash at any step leaves either the plain file or the verified copy under a known name;
//! [`recover`] finishes or undoes the step at the next start. (Deleting a file does not erase
//! its blocks on every disk: full-disk encryption stays the laptop's first line, see
//! docs/SECURITY.md.)

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use loket_keys::StoreKey;
use rusqlite::{Connection, ErrorCode};

use crate::StoreError;

/// The first 16 bytes of a plain SQLite file (an encrypted one starts with random salt).
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What is on disk at a database path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// No file, or an empty one: a new store.
    Missing,
    /// A plain SQLite file (written before encryption): it will be encrypted in place.
    Plain,
    /// Anything else: an encrypted store (or not a database at all; the key check tells).
    Encrypted,
}

/// Look at the first bytes of `path`.
pub fn file_state(path: &Path) -> Result<FileState, StoreError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(source) => return Err(StoreError::DataDir { path: path.to_path_buf(), source }),
        Ok(f) => {
            f.take(16)
                .read_to_end(&mut head)
                .map_err(|source| StoreError::DataDir { path: path.to_path_buf(), source })?;
        }
    }
    Ok(match head.as_slice() {
        [] => FileState::Missing,
        h if h == PLAIN_HEADER => FileState::Plain,
        _ => FileState::Encrypted,
    })
}

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The encrypted copy being written.
pub(crate) fn encrypting_path(path: &Path) -> PathBuf {
    sibling(path, ".encrypting")
}

/// The plain file kept until the encrypted one has opened.
pub fn plain_backup_path(path: &Path) -> PathBuf {
    sibling(path, ".plain-backup")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::DataDir { path: path.to_path_buf(), source }
}

pub(crate) fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The per-page HMAC: SHA-256 instead of SQLCipher 4's default SHA-512. Both are sound for an
/// HMAC; SHA-256 has CPU instructions on current office laptops (SHA-NI), and with it a save's
/// p99 stays under a millisecond (BENCHMARKS.md, issue 15). Part of the file format: every
/// connection to a store must set it.
const HMAC_ALGORITHM: &str = "HMAC_SHA256";

/// Open the process's first connection alone, so that SQLCipher's initialisation has finished
/// before any store is keyed.
///
/// SQLite marks itself initialised before it runs SQLCipher's extra initialisation (private
/// heap, crypto provider), so a thread opening a connection meanwhile found SQLCipher "not
/// initialized" and `PRAGMA key` failed. The first connection opened here, under a
/// `OnceLock` every other thread waits on, runs both steps to the end. Every connection the
/// store opens comes after this call (`tests/first_open.rs`).
fn sqlcipher_ready() -> Result<(), StoreError> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        Connection::open_in_memory()
            .and_then(|conn| conn.query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0)))
            .is_ok()
    });
    if *ready {
        Ok(())
    } else {
        Err(StoreError::EncryptionUnavailable)
    }
}

/// Open `path` with `key` and check that the key opens it. Creates the file when missing.
/// (Public for tools and tests that bypass the repositories.)
pub fn open_keyed(path: &Path, key: &StoreKey) -> Result<Connection, StoreError> {
    sqlcipher_ready()?;
    let conn = Connection::open(path)?;
    // The key must be the first statement on the connection.
    conn.pragma_update(None, "key", key.database_pragma().as_str())?;
    conn.pragma_update(None, "cipher_hmac_algorithm", HMAC_ALGORITHM)?;
    let version: Option<String> = conn.query_row("PRAGMA cipher_version", [], |r| r.get(0)).ok();
    if version.is_none() {
        return Err(StoreError::EncryptionUnavailable);
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
            Err(StoreError::WrongKey { path: path.to_path_buf() })
        }
        Err(e) => Err(e.into()),
    }
}

/// Attach another store encrypted with `key` to `conn` as `schema` (tools and benchmarks).
///
/// ATTACH reads the attached file's schema at once, before a per-schema setting could apply,
/// so the HMAC algorithm is given as SQLCipher's process-wide default for the ATTACH and put
/// back after it (not for concurrent use with other SQLCipher connections being opened).
pub fn attach_keyed(conn: &Connection, path: &Path, schema: &str, key: &StoreKey) -> Result<(), StoreError> {
    let path = path.to_str().ok_or_else(|| StoreError::Migration("path is not UTF-8".into()))?;
    let previous: String = conn.query_row("PRAGMA cipher_default_hmac_algorithm", [], |r| r.get(0))?;
    conn.pragma_update(None, "cipher_default_hmac_algorithm", HMAC_ALGORITHM)?;
    let sql = format!("ATTACH DATABASE ?1 AS \"{schema}\" KEY ?2");
    let attached = conn.execute(&sql, [path, key.database_pragma().as_str()]);
    conn.pragma_update(None, "cipher_default_hmac_algorithm", previous)?;
    attached?;
    Ok(())
}

/// Rows per table (every table, FTS shadow tables included), in name order.
fn row_counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let tables: Vec<String> = conn
        .prepare(&format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tables
        .into_iter()
        .map(|t| {
            let n = conn.query_row(
                &format!("SELECT count(*) FROM {schema}.\"{}\"", t.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )?;
            Ok((t, n))
        })
        .collect()
}

/// Encrypt the plain database at `path` in place (see the module documentation).
pub(crate) fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<(), StoreError> {
    let copy = encrypting_path(path);
    let backup = plain_backup_path(path);
    if copy.exists() {
        std::fs::remove_file(&copy).map_err(io(&copy))?;
    }
    sqlcipher_ready()?;
    let plain = Connection::open(path)?;
    let (busy, _, _): (i64, i64, i64) =
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if busy != 0 {
        return Err(StoreError::Migration("the plain database is in use by another program".into()));
    }
    let version: u32 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let before = row_counts(&plain, "main")?;
    let copy_text =
        copy.to_str().ok_or_else(|| StoreError::Migration("data directory path is not UTF-8".into()))?;
    plain.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", [copy_text, key.database_pragma().as_str()])?;
    plain.pragma_update(Some("encrypted"), "cipher_hmac_algorithm", HMAC_ALGORITHM)?;
    plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    plain.pragma_update(Some("encrypted"), "user_version", version)?;
    plain.execute("DETACH DATABASE encrypted", [])?;
    plain.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    std::fs::File::open(&copy).and_then(|f| f.sync_all()).map_err(io(&copy))?;

    // Verify the copy before the plain file gives up its name.
    {
        let enc = open_keyed(&copy, key)?;
        let verdict: String = enc.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if verdict != "ok" {
            return Err(StoreError::Migration(format!(
                "encrypted copy fails its integrity check: {verdict}"
            )));
        }
        let after = row_counts(&enc, "main")?;
        if after != before {
            return Err(StoreError::Migration("encrypted copy does not hold every row".into()));
        }
        let copied: u32 = enc.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if copied != version {
            return Err(StoreError::Migration("encrypted copy lost the schema version".into()));
        }
    }
    for leftover in [sibling(path, "-wal"), sibling(path, "-shm")] {
        match std::fs::remove_file(&leftover) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&leftover)(e)),
            _ => {}
        }
    }
    std::fs::rename(path, &backup).map_err(io(path))?;
    std::fs::rename(&copy, path).map_err(io(path))?;
    sync_dir(path)?;
    tracing::info!(path = %path.display(), "encrypted the local store in place");
    Ok(())
}

/// Finish or undo an in-place encryption that a crash interrupted.
pub(crate) fn recover(path: &Path) -> Result<(), StoreError> {
    let copy = encrypting_path(path);
    let backup = plain_backup_path(path);
    if file_state(path)? == FileState::Missing && backup.exists() {
        // The plain file was renamed; the verified copy had not yet taken its name.
        if copy.exists() {
            std::fs::rename(&copy, path).map_err(io(path))?;
        } else {
            std::fs::rename(&backup, path).map_err(io(path))?;
        }
        sync_dir(path)?;
    } else if copy.exists() {
        // An export that never finished: the plain file is intact and is encrypted again.
        std::fs::remove_file(&copy).map_err(io(&copy))?;
    }
    Ok(())
}

/// The encrypted store opened: the plain backup has served its purpose.
pub(crate) fn drop_plain_backup(path: &Path) -> Result<(), StoreError> {
    let backup = plain_backup_path(path);
    if backup.exists() {
        std::fs::remove_file(&backup).map_err(io(&backup))?;
        sync_dir(path)?;
        tracing::info!(path = %path.display(), "removed the plain backup after encryption");
    }
    Ok(())
}
