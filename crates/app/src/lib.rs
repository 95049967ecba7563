//! The application façade.
//!
//! The desktop shell (`src-tauri`) calls only this crate. Each public method is one use case
//! of a clerk, supervisor or IT admin; it takes and returns DTOs (plain serde + specta types,
//! from which the TypeScript bindings are generated) and fails with [`AppError`], which
//! crosses IPC as `{code, message, issues}` so the UI can switch on `code`.

mod dto;
mod error;
mod indexer;
mod loket;

pub use dto::*;
pub use error::{AppError, ErrorDto};
pub use loket::Loket;
