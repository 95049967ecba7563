//! Loket's local store: one SQLite file per office installation.
//!
//! The file lives in the app-data directory, encrypted with SQLCipher under the installation's
//! key (`encryption.rs`; attachment files are sealed with a key derived from the same one), and
//! is opened in WAL mode with
//! `synchronous=FULL`, so a write is on disk before the call that made it returns: when the UI
//! says "saved", a power cut cannot take it back.
//!
//! Every mutation goes through [`Store::write`] (see `writer.rs`): in one transaction it
//! changes the rows, appends a hash-chained audit entry and queues an outbox operation for
//! sync. Rows, audit and outbox therefore never disagree, whatever happens to the process.

mod access;
mod application;
mod attachment;
mod audit;
mod catalogue;
mod encryption;
mod error;
mod holiday;
mod listing;
mod migrate;
mod outbox;
mod queue;
mod receipt;
mod redaction;
mod registration_rows;
mod remote;
mod report;
mod search;
mod server_epoch;
mod settings;
mod staff;
mod wipe;
mod writer;

pub use access::Access;
pub use application::{ApplicantEdit, Application, ChecklistRow, MemberRow, WorkflowEventRow};
pub use attachment::{sniff_media_type, AttachmentRow, MAX_ATTACHMENT_BYTES};
pub use audit::{AuditEntry, AuditProblem, AuditReport};
pub use encryption::{attach_keyed, file_state, open_keyed, plain_backup_path, FileState};
pub use error::StoreError;
pub use listing::ApplicationRow;
pub use loket_keys::StoreKey;
pub use migrate::SCHEMA_VERSION;
pub use outbox::{OutboxOp, SettledState, Settlement};
pub use queue::{QueueFilter, QueuePage};
pub use receipt::ReceiptRow;
pub use remote::{AidFlagRow, ApplyReport, ConflictRow, OfficeUser, RemoteChange};
pub use report::{AidRow, RecapRow};
pub use server_epoch::Requeued;
pub use settings::Enrollment;
pub use staff::{StaffRow, UserRow};
pub use writer::Actor;

use std::path::{Path, PathBuf};

use loket_keys::FileCipher;
use rusqlite::Connection;

/// The key the store's unit tests open their stores with.
#[cfg(test)]
pub(crate) fn test_key() -> StoreKey {
    StoreKey::from_bytes([0x42; 32])
}

/// WAL pages between automatic checkpoints.
pub const WAL_AUTOCHECKPOINT_PAGES: i64 = 16_384;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "loket.sqlite3";
/// Folder of attachment files inside the data directory.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    attachments: PathBuf,
    /// Seals and opens the attachment files.
    cipher: FileCipher,
}

impl Store {
    /// Open (creating if needed) the database at `path` with the installation's `key` and
    /// bring its schema up to date. A plain database from an older Loket is encrypted in place
    /// first. Attachments live in `attachments/` beside the database file.
    ///
    /// A key that does not open the file is [`StoreError::WrongKey`].
    pub fn open(path: &Path, key: &StoreKey) -> Result<Self, StoreError> {
        encryption::recover(path)?;
        if file_state(path)? == FileState::Plain {
            encryption::encrypt_in_place(path, key)?;
        }
        let mut conn = encryption::open_keyed(path, key)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate::migrate(&mut conn)?;
        // Checkpoint every 16,384 WAL pages (64 MiB) instead of SQLite's 1,000: a checkpoint
        // stalls the save that triggers it, so fewer, larger ones keep a clerk's save under a
        // millisecond 99.9% of the time (BENCHMARKS.md). Durability is unchanged: every commit
        // still fsyncs the WAL.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        let attachments = path.parent().unwrap_or(Path::new(".")).join(ATTACHMENTS_DIR);
        let mut store = Self { conn, path: path.to_path_buf(), attachments, cipher: key.attachment_cipher() };
        store.seal_plain_attachments()?;
        encryption::drop_plain_backup(path)?;
        store.load_catalogues()?;
        Ok(store)
    }

    /// Open the store inside a data directory, creating the directory if needed.
    pub fn open_in_dir(dir: &Path, key: &StoreKey) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::DataDir { path: dir.to_path_buf(), source })?;
        Self::open(&dir.join(DB_FILE), key)
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<Result<(), String>, StoreError> {
        let verdict: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(if verdict == "ok" { Ok(()) } else { Err(verdict) })
    }

    /// Direct access for tests and tools that must bypass the repositories (e.g. to simulate
    /// tampering). Not for application code.
    #[doc(hidden)]
    pub fn raw_connection(&self) -> &Connection {
        &self.conn
    }
}
