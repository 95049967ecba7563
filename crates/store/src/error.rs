use std::path::PathBuf;

use loket_domain::workflow::WorkflowError;
use thiserror::Error;

/// What can go wrong in the store. Callers branch on the variant.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database was written by a newer Loket (schema {found}, this app knows up to {known})")]
    SchemaTooNew { found: u32, known: u32 },
    /// The key does not open the database (another installation's key, or not a database).
    #[error("the key does not open {path} (wrong key, or not a Loket database)")]
    WrongKey { path: PathBuf },
    /// This build's SQLite cannot encrypt (it must be SQLCipher): nothing is written in clear.
    #[error("this build of Loket has no database encryption")]
    EncryptionUnavailable,
    /// Encrypting an older plain database in place failed; the plain file is untouched.
    #[error("encrypting the local store failed: {0}")]
    Migration(String),
    #[error("cannot use data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("office is not configured")]
    OfficeNotConfigured,
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// An edit was made on a version that is no longer current.
    #[error("{entity} {id} changed since it was read (version {base}, now {current})")]
    VersionConflict { entity: &'static str, id: String, base: i64, current: i64 },
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("permit documents are incomplete: {missing:?}")]
    DocumentsIncomplete { missing: Vec<String> },
    #[error("{0} is already in use")]
    Duplicate(&'static str),
    #[error("attachment is {size} bytes; the limit is {limit}")]
    AttachmentTooLarge { size: u64, limit: u64 },
    #[error("attachment content is not PDF, JPEG or PNG")]
    AttachmentType,
    #[error("attachment file {path}: {source}")]
    AttachmentIo { path: PathBuf, source: std::io::Error },
    #[error("registration number: {0}")]
    RegistrationNumber(#[from] loket_domain::registration::RegistrationNumberError),
    /// Only a supervisor may do this (e.g. resolve a sync conflict).
    #[error("only a supervisor may {0}")]
    SupervisorOnly(&'static str),
    /// A first local user is only created on a laptop that has no users yet.
    #[error("the laptop already has users")]
    UsersExist,
    /// A value the domain's validators refuse (`code` is theirs, e.g. `name.too_long`).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, code: &'static str, message: String },
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}
