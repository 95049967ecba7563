use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong in the store. Callers branch on the variant.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database was written by a newer Loket (schema {found}, this app knows up to {known})")]
    SchemaTooNew { found: u32, known: u32 },
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("office is not configured")]
    OfficeNotConfigured,
    #[error("registration number: {0}")]
    RegistrationNumber(#[from] loket_domain::registration::RegistrationNumberError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}
