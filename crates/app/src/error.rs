//! The one error shape of the IPC boundary.

use serde::{Deserialize, Serialize};
use specta::Type;
use thiserror::Error;

use crate::dto::FieldIssueDto;

/// Why a use case failed. The UI switches on [`AppError::code`].
#[derive(Debug, Error)]
pub enum AppError {
    /// The form has errors, or warnings the clerk has not confirmed. Nothing was saved.
    #[error("Periksa kembali isian formulir.")]
    Validation { issues: Vec<FieldIssueDto>, needs_confirmation: bool },
    #[error("Kantor kecamatan belum dipilih.")]
    OfficeNotConfigured,
    #[error("Kecamatan {0} tidak ada dalam daftar wilayah Banten.")]
    UnknownKecamatan(String),
    #[error("Basis data dibuat oleh versi Loket yang lebih baru. Perbarui aplikasi.")]
    SchemaTooNew,
    #[error("Gagal mengakses basis data lokal: {0}")]
    Storage(String),
}

impl AppError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { needs_confirmation: true, .. } => "needs_confirmation",
            Self::Validation { .. } => "validation",
            Self::OfficeNotConfigured => "office_not_configured",
            Self::UnknownKecamatan(_) => "unknown_kecamatan",
            Self::SchemaTooNew => "schema_too_new",
            Self::Storage(_) => "storage",
        }
    }
}

impl From<loket_store::StoreError> for AppError {
    fn from(e: loket_store::StoreError) -> Self {
        use loket_store::StoreError as S;
        match e {
            S::OfficeNotConfigured => Self::OfficeNotConfigured,
            S::SchemaTooNew { .. } => Self::SchemaTooNew,
            other => {
                tracing::error!(error = %other, "store failure");
                Self::Storage(other.to_string())
            }
        }
    }
}

/// What an [`AppError`] looks like on the wire: `{code, message, issues}`.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
    pub issues: Vec<FieldIssueDto>,
}

impl From<AppError> for ErrorDto {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        let code = e.code().to_string();
        let issues = match e {
            AppError::Validation { issues, .. } => issues,
            _ => Vec::new(),
        };
        Self { code, message, issues }
    }
}
