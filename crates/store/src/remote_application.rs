//! A registration as the server publishes it (`application` changes), read straight into
//! typed fields.
//!
//! An initial pull is mostly these: parsing them into `serde_json::Value` trees (a map per
//! record and per household member) and walking those trees cost as much as writing the rows.
//! Every field is optional with the same fallbacks the store has always applied, so a record
//! from an older or newer app version still lands; one that is not a registration at all (not
//! an object, a field of the wrong type) stays plain JSON and is skipped like any change the
//! store cannot use.

use rusqlite::{params, Transaction};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::StoreError;

/// The data of a pulled change: typed for registrations, JSON for everything else.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeData {
    Application(Box<RemoteApplication>),
    Json(Value),
}

impl ChangeData {
    /// The data of a change of `kind` from its JSON text (text that is not JSON becomes
    /// `null`, which every kind skips).
    pub fn parse(kind: &str, json: &str) -> Self {
        if kind == "application" {
            if let Ok(a) = serde_json::from_str::<RemoteApplication>(json) {
                return Self::Application(Box::new(a));
            }
        }
        Self::Json(serde_json::from_str(json).unwrap_or(Value::Null))
    }

    /// The data as JSON (for the kinds the store reads as JSON).
    pub fn json(&self) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Self::Json(v) => v,
            Self::Application(_) => &NULL,
        }
    }
}

impl From<Value> for ChangeData {
    fn from(v: Value) -> Self {
        Self::Json(v)
    }
}

/// One registration: the application row and its household and checklist.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RemoteApplication {
    pub id: Option<String>,
    pub registration_number: Option<String>,
    pub kind: String,
    pub service_code: String,
    pub period: Option<String>,
    pub status: Option<String>,
    pub applicant_nik: Option<String>,
    pub applicant_name: String,
    pub applicant_address: String,
    pub applicant_phone: Option<String>,
    pub organization_name: Option<String>,
    pub kk: Option<String>,
    pub village_code: String,
    pub office_code: String,
    /// Kind-specific fields, stored as received.
    pub details: Option<RawJson>,
    pub fee: i64,
    pub created_at: String,
    pub created_hlc: String,
    pub checklist: Vec<RemoteDocument>,
    pub household: Vec<RemoteMember>,
}

/// JSON text kept as it was received (validated, not re-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub Box<str>);

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(|raw| RawJson(raw.into()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RemoteDocument {
    pub code: String,
    pub received: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RemoteMember {
    pub nik: String,
    pub full_name: String,
    pub relationship: String,
}

/// An application registered on another device of the office (or this one's own echo).
pub(crate) fn insert(tx: &Transaction<'_>, a: &RemoteApplication) -> Result<bool, StoreError> {
    let Some(id) = a.id.as_deref() else { return Ok(false) };
    // Already here (this device's own registration, or a page applied before): nothing to do.
    let inserted = tx
        .prepare_cached(
            "INSERT INTO application (id, registration_number, kind, service_code, period, status, applicant_nik,
             applicant_name, applicant_address, applicant_phone, organization_name, kk, village_code, office_code,
             details, fee, created_at, created_hlc, updated_hlc, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, 1)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            id,
            a.registration_number,
            a.kind,
            a.service_code,
            a.period,
            a.status.as_deref().unwrap_or("submitted"),
            a.applicant_nik,
            a.applicant_name,
            a.applicant_address,
            a.applicant_phone,
            a.organization_name,
            a.kk,
            a.village_code,
            a.office_code,
            a.details.as_ref().map_or("{}", |d| &*d.0),
            a.fee,
            a.created_at,
            a.created_hlc,
        ])?;
    if inserted == 0 {
        return Ok(true);
    }
    if !a.checklist.is_empty() {
        let service = loket_domain::service::service(&a.service_code);
        for doc in &a.checklist {
            let name = service
                .and_then(|s| s.documents.iter().find(|d| d.code == doc.code))
                .map_or(doc.code.as_str(), |d| d.name);
            tx.prepare_cached(
                "INSERT INTO application_document (application_id, code, name, received) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![id, doc.code, name, doc.received])?;
        }
    }
    insert_household(tx, id, &a.household)?;
    // No `search::index` here: the search index catches up from its rowid watermark (new rows
    // are always above it), before the next search or in the desktop's background indexer.
    Ok(true)
}

/// Largest household written by one statement (a statement per row costs as much again in
/// statement set-up and teardown as the row itself).
const MEMBERS_PER_STATEMENT: usize = 8;

/// The household of a new application: one multi-row statement per eight members.
fn insert_household(tx: &Transaction<'_>, id: &str, household: &[RemoteMember]) -> Result<(), StoreError> {
    for (chunk_no, chunk) in household.chunks(MEMBERS_PER_STATEMENT).enumerate() {
        let mut stmt = tx.prepare_cached(&HOUSEHOLD_SQL[chunk.len() - 1])?;
        for (k, m) in chunk.iter().enumerate() {
            let position = (chunk_no * MEMBERS_PER_STATEMENT + k) as i64;
            let base = k * 5;
            stmt.raw_bind_parameter(base + 1, id)?;
            stmt.raw_bind_parameter(base + 2, position)?;
            stmt.raw_bind_parameter(base + 3, &m.nik)?;
            stmt.raw_bind_parameter(base + 4, &m.full_name)?;
            stmt.raw_bind_parameter(base + 5, &m.relationship)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

/// `HOUSEHOLD_SQL[n - 1]` writes `n` members.
static HOUSEHOLD_SQL: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| (1..=MEMBERS_PER_STATEMENT).map(household_sql).collect());

/// `INSERT INTO household_member ... VALUES (...), (...)` for `rows` members.
fn household_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|k| {
            let b = k * 5;
            format!("(?{}, ?{}, ?{}, ?{}, ?{})", b + 1, b + 2, b + 3, b + 4, b + 5)
        })
        .collect();
    format!(
        "INSERT INTO household_member (application_id, position, nik, full_name, relationship) VALUES {}
         ON CONFLICT DO NOTHING",
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_is_read_typed_and_anything_else_stays_json() {
        let typed =
            ChangeData::parse("application", r#"{"id":"a","details":{"x":1},"household":[{"nik":"1"}]}"#);
        let ChangeData::Application(a) = typed else { panic!("not typed") };
        assert_eq!(a.id.as_deref(), Some("a"));
        assert_eq!(a.details.as_ref().map(|d| &*d.0), Some(r#"{"x":1}"#));
        assert_eq!(a.household[0].nik, "1");
        // The wrong type of field: not a registration this version can store.
        assert!(matches!(ChangeData::parse("application", r#"{"id":7}"#), ChangeData::Json(_)));
        assert_eq!(ChangeData::parse("application", "not json"), ChangeData::Json(Value::Null));
        assert!(matches!(ChangeData::parse("event", r#"{"id":"a"}"#), ChangeData::Json(_)));
    }

    #[test]
    fn a_household_longer_than_one_statement_lands_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let household: Vec<Value> = (0..11)
            .map(|k| serde_json::json!({"nik": format!("36010155081500{k:02}"), "full_name": format!("Anak {k}"), "relationship": "anak"}))
            .collect();
        let record = serde_json::json!({
            "id": "a1", "registration_number": "360101-K7QX-000001", "kind": "bansos", "service_code": "PKH",
            "period": "2026", "status": "submitted", "applicant_nik": "3601011501900001",
            "applicant_name": "Siti Aminah", "applicant_address": "Kp. Cibadak", "kk": "3601011501100003",
            "village_code": "36.01.01.2001", "office_code": "36.01.01", "details": {}, "created_at": "t",
            "created_hlc": "h", "household": household,
        });
        let change = crate::RemoteChange {
            server_seq: 1,
            kind: "application".into(),
            entity_id: "a1".into(),
            data: ChangeData::parse("application", &record.to_string()),
            hlc: None,
            received_at: "2026-11-28T08:00:00Z".into(),
        };
        assert!(matches!(change.data, ChangeData::Application(_)));
        // Published twice (the device's own echo of a registration it has): still one household.
        for seq in 1..=2 {
            let change = crate::RemoteChange { server_seq: seq, ..change.clone() };
            store.apply_remote(&[change], seq, chrono::Utc::now()).unwrap();
        }
        let members: Vec<String> = store.household("a1").unwrap().into_iter().map(|m| m.full_name).collect();
        assert_eq!(members, (0..11).map(|k| format!("Anak {k}")).collect::<Vec<_>>());
    }
}
