//! Applications with everything a list row shows — checklist, attachments, duplicate-aid
//! flags, open conflicts and the workflow history the service-time standard is counted from —
//! read in one query (each related table as a JSON array of the row), instead of five queries
//! per row.

use chrono::NaiveDate;
use loket_domain::workflow::Status;
use rusqlite::Row;
use serde::de::DeserializeOwned;

use crate::application::{from_row, COLUMNS};
use crate::search::{Matching, FTS_MATCHES};
use crate::{AidFlagRow, Application, AttachmentRow, ChecklistRow, ConflictRow, Store, StoreError};

/// One application and what its row shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRow {
    pub application: Application,
    /// Permits' documents checklist, in order.
    pub checklist: Vec<ChecklistRow>,
    pub attachments: Vec<AttachmentRow>,
    pub flags: Vec<AidFlagRow>,
    /// Unresolved conflicts, oldest first.
    pub conflicts: Vec<ConflictRow>,
    /// Workflow history for the service-time standard: (day in WIB, status reached), oldest
    /// first.
    pub history: Vec<(NaiveDate, Status)>,
}

/// The related rows of application `a`, as JSON arrays (one per table).
const RELATED: &str = "
    (SELECT json_group_array(json_array(code, name, received) ORDER BY rowid)
       FROM application_document WHERE application_id = a.id),
    (SELECT json_group_array(json_array(t.sha256, t.size, t.media_type, l.file_name, l.document_code) ORDER BY l.added_hlc)
       FROM application_attachment l JOIN attachment t ON t.sha256 = l.sha256 WHERE l.application_id = a.id),
    (SELECT json_group_array(json_array(other_application_id, other_office_code, reason)
            ORDER BY server_seq)
       FROM aid_flag WHERE application_id = a.id),
    (SELECT json_group_array(json_array(server_seq, op_id, data, received_at) ORDER BY server_seq)
       FROM sync_conflict WHERE application_id = a.id AND resolved = 0),
    (SELECT json_group_array(json_array(hlc, to_status) ORDER BY hlc)
       FROM workflow_event WHERE application_id = a.id)";

/// The application's columns, qualified (the related rows' subqueries have columns of the same
/// names).
static A_COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    COLUMNS.split(',').map(|c| format!("a.{}", c.trim())).collect::<Vec<_>>().join(", ")
});

/// The day in WIB of an HLC timestamp (`wall-ms-counter-device`).
pub(crate) fn wib_day(hlc: &str) -> Option<NaiveDate> {
    let ms: i64 = hlc.split('-').next()?.parse().ok()?;
    let wib = chrono::DateTime::from_timestamp_millis(ms)? + chrono::Duration::hours(7);
    Some(wib.date_naive())
}

fn related<T: DeserializeOwned>(r: &Row<'_>, column: usize) -> rusqlite::Result<Vec<T>> {
    let text = r.get_ref(column)?.as_str()?;
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into()))
}

fn application_row(r: &Row<'_>) -> rusqlite::Result<ApplicationRow> {
    let application = from_row(r)?;
    let n = COLUMNS.split(',').count();
    let id = application.id.clone();
    let checklist = related::<(String, String, i64)>(r, n)?
        .into_iter()
        .map(|(code, name, received)| ChecklistRow { code, name, received: received != 0 })
        .collect();
    let attachments = related::<(String, i64, String, String, String)>(r, n + 1)?
        .into_iter()
        .map(|(sha256, size, media_type, file_name, document_code)| AttachmentRow {
            sha256,
            size,
            media_type,
            file_name,
            document_code,
        })
        .collect();
    let flags = related::<(String, String, String)>(r, n + 2)?
        .into_iter()
        .map(|(reference, other_office_code, reason)| AidFlagRow {
            application_id: id.clone(),
            reference,
            other_office_code,
            reason,
        })
        .collect();
    let conflicts = related::<(i64, Option<String>, String, String)>(r, n + 3)?
        .into_iter()
        .map(|(server_seq, op_id, data, received_at)| ConflictRow {
            server_seq,
            application_id: id.clone(),
            op_id,
            data: serde_json::from_str(&data).unwrap_or_default(),
            received_at,
        })
        .collect();
    let history = related::<(String, String)>(r, n + 4)?
        .into_iter()
        .filter_map(|(hlc, to)| Some((wib_day(&hlc)?, Status::parse(&to)?)))
        .collect();
    Ok(ApplicationRow { application, checklist, attachments, flags, conflicts, history })
}

impl Store {
    /// The rows of the applications (`a`) that `clause` picks and orders.
    pub(crate) fn rows_where(
        &self,
        clause: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {}, {RELATED} FROM application a {clause}", *A_COLUMNS))?;
        let rows = stmt.query_map(params, application_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The most recent applications first, at most `limit`, with what their rows show.
    pub fn newest_application_rows(&self, limit: u32) -> Result<Vec<ApplicationRow>, StoreError> {
        self.rows_where("ORDER BY a.rowid DESC LIMIT ?1", [limit])
    }

    /// One application with what its row shows.
    pub fn application_row(&self, id: &str) -> Result<ApplicationRow, StoreError> {
        self.rows_where("WHERE a.id = ?1", [id])?
            .pop()
            .ok_or_else(|| StoreError::NotFound { entity: "application", id: id.to_string() })
    }

    /// Applications matching `query` (as [`Store::search_applications`] finds them), with what
    /// their rows show, read once.
    pub fn search_application_rows(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        match self.matching(query)? {
            Matching::Number(number) => self.rows_where("WHERE a.registration_number = ?1", [number]),
            Matching::Fts(fts) => self.rows_where(FTS_MATCHES, rusqlite::params![fts, limit]),
            Matching::Everything => self.newest_application_rows(limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wib_days_come_from_the_hlc_wall_time() {
        // 2026-11-30T17:30:00Z is 1 December in WIB.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-11-30T17:30:00Z").unwrap().timestamp_millis();
        assert_eq!(wib_day(&format!("{ms:016}-00000-K7QX")), NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(wib_day("garbage"), None);
    }
}
