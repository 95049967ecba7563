//! The Loket provincial server.
//!
//! - [`api`]: the axum router (`/api/v1/…`, `/healthz`, `/readyz`, OpenAPI).
//! - [`storage`]: the storage trait, its SQLite (default) and PostgreSQL implementations, and the
//!   conformance suite both pass.
//! - [`rules`]: the pure decision function applied to every pushed operation.
//! - [`admin`]: what IT does from the command line (offices, users, enrollment codes, devices).
//! - [`serve`]: the connection loop, within bounds (connection cap, header and idle timeouts).
//! - [`tls`]: HTTPS terminated by the server (rustls).
//! - [`updates`], [`release_key`]: the laptops' signed updates (publish, roll out, serve).
//! - [`holidays`], [`catalogues`]: the province's holiday calendars and PATEN catalogue
//!   versions, published to the offices they cover.

pub mod admin;
pub mod api;
pub mod auth;
pub mod backup;
pub mod catalogues;
pub mod config;
pub mod error;
pub mod holidays;
pub mod lockout;
pub mod openapi;
pub mod ratelimit;
pub mod receipts;
pub mod release_key;
pub mod reports;
pub mod retention;
pub mod rules;
pub mod serve;
pub mod storage;
pub mod sync;
pub mod tls;
pub mod updates;

use std::sync::Arc;

use storage::{postgres::PostgresStorage, sqlite::SqliteStorage, Storage, StorageError};

/// Open the storage a database setting names: a `postgres://` URL, or a SQLite file path.
pub async fn open_storage(database: &str) -> Result<Arc<dyn Storage>, StorageError> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStorage::connect(database, 16).await?))
    } else {
        Ok(Arc::new(SqliteStorage::open(std::path::Path::new(database))?))
    }
}
