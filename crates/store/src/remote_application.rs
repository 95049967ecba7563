//! A registration as the server publishes it (`application` changes), read straight into
//! typed fields.
//!
//! An initial pull is mostly these: parsed into `serde_json::Value` trees (a map per record
//! and per household member) and walked key by key, they were the largest cost of a pull after
//! writing the rows (a quarter of the device's CPU in a profile; BENCHMARKS.md, sync engine).
//! Every field is optional with the same fallbacks the store has always applied, so a record
//! from an older or newer app version still lands; one that is not a registration at all (not
//! an object, a field of the wrong type) stays plain JSON and is skipped like any change the
//! store cannot use.

use rusqlite::{params, Transaction};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::application::COLUMNS;
use crate::{MemberRow, StoreError};

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
    pub household: Vec<MemberRow>,
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

/// The local registration's columns; an application already here is left as it is.
static INSERT_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO application ({COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, 1)
         ON CONFLICT (id) DO NOTHING"
    )
});

/// An application registered on another device of the office (or this one's own echo).
pub(crate) fn insert(tx: &Transaction<'_>, a: &RemoteApplication) -> Result<bool, StoreError> {
    let Some(id) = a.id.as_deref() else { return Ok(false) };
    // Already here (this device's own registration, or a page applied before): nothing to do.
    let inserted = tx.prepare_cached(&INSERT_SQL)?.execute(params![
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
    for (i, m) in a.household.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO household_member (application_id, position, nik, full_name, relationship)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, i as i64, m.nik, m.full_name, m.relationship])?;
    }
    // No `search::index` here: the search index catches up from its rowid watermark (new rows
    // are always above it), before the next search or in the desktop's background indexer.
    Ok(true)
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
    fn a_pulled_household_lands_whole_in_order_and_once() {
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
