//! A registration's rows (the application, its checklist and household), written from its
//! typed form ([`RegisterPayload`]): the device's own registrations and those the server
//! publishes (`application` changes) take this one path.
//!
//! An initial pull is mostly these: parsed into `serde_json::Value` trees (a map per record
//! and per household member) and walked key by key, they were the largest cost of a pull after
//! writing the rows (a quarter of the device's CPU in a profile; BENCHMARKS.md, sync engine).
//! Decoded straight into typed fields, with the kind-specific `details` kept as the JSON text
//! they arrived as, they cost a fraction of that.

use loket_domain::workflow::{Action, Status};
use loket_protocol::RegisterPayload;
use rusqlite::{params, Transaction};

use crate::StoreError;

/// The application's row, its columns in the order of [`RegisterPayload`]; an application
/// already here is left as it is.
const INSERT_SQL: &str = "INSERT INTO application (id, office_code, kind, status, registration_number,
     created_at, created_hlc, service_code, period, fee, applicant_nik, kk, applicant_name, applicant_address,
     applicant_phone, village_code, organization_name, details, updated_hlc, version, catalogue_region,
     catalogue_version)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?7, 1, ?19, ?20)
     ON CONFLICT (id) DO NOTHING";

/// An application registered here (by `actor`), or on another device of the office (or this
/// one's own echo of it, which finds it already here). A registration submitted at once starts
/// its workflow history with that submission, on every device alike (the service-time clock
/// runs from it).
pub(crate) fn insert(tx: &Transaction<'_>, a: &RegisterPayload, actor: &str) -> Result<bool, StoreError> {
    let id = a.id.as_str();
    // Already here (this device's own registration, or a page applied before): nothing to do.
    let inserted = tx.prepare_cached(INSERT_SQL)?.execute(params![
        id,
        a.office_code,
        a.kind.as_str(),
        a.status.as_str(),
        a.registration_number,
        a.created_at,
        a.created_hlc,
        a.service_code,
        a.period,
        a.fee,
        a.applicant_nik,
        a.kk,
        a.applicant_name,
        a.applicant_address,
        a.applicant_phone,
        a.village_code,
        a.organization_name,
        a.details.get(),
        a.catalogue.as_ref().map(|c| c.region.as_str()),
        a.catalogue.as_ref().map(|c| c.version),
    ])?;
    if inserted == 0 {
        return Ok(true);
    }
    // The document names of the catalogue version it was registered under (codes if this
    // laptop does not know it); aid has no checklist and looks nothing up.
    let service = (!a.checklist.is_empty())
        .then(|| loket_domain::catalogue::of(a.catalogue.as_ref()).and_then(|c| c.service(&a.service_code)))
        .flatten();
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
    if a.status == Status::Submitted {
        tx.prepare_cached(
            "INSERT INTO workflow_event (id, application_id, action, from_status, to_status, actor, hlc, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '') ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            format!("{id}:register"),
            id,
            Action::Submit.as_str(),
            Status::Draft.as_str(),
            Status::Submitted.as_str(),
            actor,
            a.created_hlc
        ])?;
    }
    // No `search::index` here: the search index catches up from its rowid watermark (new rows
    // are always above it), before the next search or in the desktop's background indexer.
    Ok(true)
}

#[cfg(test)]
mod tests {
    use loket_protocol::{ChangeBody, ChangeKind, ChangeRecord};
    use serde_json::Value;

    #[test]
    fn a_pulled_household_lands_whole_in_order_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::open(&dir.path().join("db.sqlite3"), &crate::test_key()).unwrap();
        let household: Vec<Value> = (0..11)
            .map(|k| serde_json::json!({"nik": format!("36010155081500{k:02}"), "full_name": format!("Anak {k}"), "relationship": "anak"}))
            .collect();
        let record = serde_json::json!({
            "id": "a1", "registration_number": "360101-K7QX-000001", "kind": "bansos", "service_code": "PKH",
            "period": "2026", "status": "submitted", "applicant_nik": "3601011501900001",
            "applicant_name": "Siti Aminah", "applicant_address": "Kp. Cibadak", "kk": "3601011501100003",
            "village_code": "36.01.01.2001", "office_code": "36.01.01", "details": {"x": 1}, "created_at": "t",
            "created_hlc": "h", "household": household,
        });
        let wire = |seq| ChangeRecord {
            server_seq: seq,
            kind: ChangeKind::Application,
            entity_id: "a1".into(),
            data: serde_json::value::RawValue::from_string(record.to_string()).unwrap(),
            hlc: None,
            received_at: "2026-11-28T08:00:00Z".into(),
        };
        let change = crate::RemoteChange::decode(wire(1));
        let Some(ChangeBody::Application(a)) = &change.body else { panic!("not a registration") };
        assert_eq!(a.details.get(), r#"{"x":1}"#, "details kept as received");
        // Published twice (the device's own echo of a registration it has): still one household.
        for seq in 1..=2 {
            store.apply_remote(&[crate::RemoteChange::decode(wire(seq))], seq, chrono::Utc::now()).unwrap();
        }
        let members: Vec<String> = store.household("a1").unwrap().into_iter().map(|m| m.full_name).collect();
        assert_eq!(members, (0..11).map(|k| format!("Anak {k}")).collect::<Vec<_>>());
    }

    #[test]
    fn a_registration_of_the_wrong_shape_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::open(&dir.path().join("db.sqlite3"), &crate::test_key()).unwrap();
        let change = crate::RemoteChange::decode(ChangeRecord {
            server_seq: 1,
            kind: ChangeKind::Application,
            entity_id: "a1".into(),
            data: serde_json::value::RawValue::from_string(r#"{"id":7}"#.into()).unwrap(),
            hlc: None,
            received_at: "2026-11-28T08:00:00Z".into(),
        });
        assert_eq!(change.body, None);
        let report = store.apply_remote(&[change], 1, chrono::Utc::now()).unwrap();
        assert_eq!((report.applied, report.skipped), (0, 1));
        assert_eq!(store.checkpoint().unwrap(), 1, "the checkpoint moves past it");
    }
}
