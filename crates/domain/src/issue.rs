//! Field-level validation findings.
//!
//! Validators return a list of [`FieldIssue`]s rather than failing on the first one, so the
//! clerk sees every problem of a form at once, each next to its field. A finding is either an
//! error (the record cannot be saved) or a warning (the clerk must confirm before saving).

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The record cannot be saved until this is fixed.
    Error,
    /// The record may be saved once the clerk confirms they checked it.
    Warning,
}

/// One finding about one field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// Name of the form field, as the UI knows it (`nik`, `full_name`, ...).
    pub field: &'static str,
    /// Stable machine-readable code (`nik.length`, ...). Callers branch on this.
    pub code: &'static str,
    /// Message for the clerk, in Bahasa Indonesia.
    pub message: String,
    pub severity: Severity,
}

impl FieldIssue {
    pub fn error(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into(), severity: Severity::Error }
    }

    pub fn warning(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into(), severity: Severity::Warning }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any finding blocks saving.
pub fn has_errors(issues: &[FieldIssue]) -> bool {
    issues.iter().any(FieldIssue::is_error)
}
