//! The application façade.
//!
//! The desktop shell (`src-tauri`) calls only this crate. Each public method of [`Loket`] is one
//! use case of a clerk, supervisor or IT admin, grouped by module: `session`, `registration`,
//! `decisions`, `staff`, `catalogue`, `server_link`, `attachments` and `listing`; `present`
//! turns store rows into DTOs. Methods take and return DTOs (plain serde + specta types, from
//! which the TypeScript bindings are generated; kinds, statuses, actions, roles and states are
//! enums) and fail with [`AppError`], which crosses IPC as `{code, message, issues}` so the UI
//! can switch on `code`.

mod attachments;
mod catalogue;
mod decisions;
mod desk;
mod dto;
mod error;
mod export;
mod handover;
mod indexer;
mod listing;
mod loket;
mod present;
mod receipt;
mod receipt_pdf;
mod registration;
mod report;
mod retirement;
mod server_link;
mod session;
mod staff;
mod store_key;
#[cfg(test)]
mod test_support;
mod timeline;
mod updates;

pub use dto::*;
pub use error::{AppError, ErrorCode, ErrorDto};
pub use loket::{Loket, DEFAULT_IDLE_LOCK, DEFAULT_REAUTH};
pub use loket_store::StoreKey;
pub use server_link::{configure_tls, CA_FILE_NAME};
pub use store_key::KeySource;
pub use updates::{app_version, set_app_version};

/// Today in Banten's western time zone (WIB, UTC+7), where every office is.
pub(crate) fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}
