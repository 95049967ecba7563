//! Loket's local store: one SQLite file per office installation.
//!
//! The file lives in the app-data directory and is opened in WAL mode with
//! `synchronous=FULL`, so a write is on disk before the call that made it returns: when the UI
//! says "saved", a power cut cannot take it back.

mod aid;
mod error;
mod migrate;
mod settings;

pub use aid::{AidApplication, AidStatus};
pub use error::StoreError;
pub use migrate::SCHEMA_VERSION;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "loket.sqlite3";

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate::migrate(&mut conn)?;
        Ok(Self { conn, path: path.to_path_buf() })
    }

    /// Open the store inside a data directory, creating the directory if needed.
    pub fn open_in_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::DataDir { path: dir.to_path_buf(), source })?;
        Self::open(&dir.join(DB_FILE))
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}
