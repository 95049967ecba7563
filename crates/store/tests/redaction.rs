//! An application past its retention period, redacted by the server: the device keeps what
//! statistics need and nothing of the people in it — its row, household, notes, scans, the
//! operations it sent and its audit entries — and the audit chain still verifies.

mod common;

use common::*;
use loket_domain::workflow::Action;
use loket_protocol::{ChangeBody, RedactedData};
use loket_store::{ApplicantEdit, RemoteChange, SettledState, Settlement};

const SCAN: &[u8] = b"\x89PNG\r\n\x1a\nSCAN-OF-THE-KTP-OF-SITI";

#[test]
fn a_redacted_application_keeps_its_statistics_and_loses_its_people() {
    let (dir, mut s) = store();
    let clerk = clerk();
    let app = s.register_bansos(&bansos(7, "Siti Aminah"), &clerk, now()).unwrap();
    let other = s.register_bansos(&bansos(8, "Budi Santoso"), &clerk, now()).unwrap();
    let edit = ApplicantEdit { address: Some("Kp. Sukamaju RT 01/02".into()), ..Default::default() };
    let app = s.edit_applicant(&app.id, app.version, &edit, &clerk, now()).unwrap();
    s.add_attachment(&app.id, SCAN, "KTP Siti Aminah.png", "ktp", &clerk, now()).unwrap();
    s.transition(&app.id, Action::StartReview, "", &supervisor(), now()).unwrap();
    s.transition(&app.id, Action::Approve, "Siti Aminah layak, rumah di Kp. Sukamaju", &supervisor(), now())
        .unwrap();
    // Everything went to the server.
    let sent: Vec<Settlement> = s
        .pending_ops(1000)
        .unwrap()
        .iter()
        .map(|o| Settlement { seq: o.seq, state: SettledState::Acked, error: None })
        .collect();
    s.settle_ops(&sent).unwrap();
    let number = s.application(&app.id).unwrap().registration_number;
    assert_eq!(s.search_applications("Aminah", 10).unwrap().len(), 1, "indexed for search");

    let redacted = ChangeBody::Redacted(RedactedData {
        application_id: app.id.clone(),
        redacted_at: "2031-12-01T00:00:00Z".into(),
    });
    s.apply_remote(&[RemoteChange::of(1, &app.id, redacted, "2031-12-01T00:00:00Z")], 1, now()).unwrap();

    let kept = s.application(&app.id).unwrap();
    assert_eq!((kept.applicant_nik.as_deref(), kept.kk.as_deref()), (None, None));
    assert!(kept.applicant_name.is_empty() && kept.applicant_address.is_empty());
    assert_eq!(kept.registration_number, number, "statistics stay");
    assert_eq!(kept.service_code, "PKH");
    assert!(s.household(&app.id).unwrap().is_empty());
    assert!(s.search_applications(&nik(7), 10).unwrap().is_empty(), "not found by NIK any more");
    assert!(s.search_applications("Siti", 10).unwrap().is_empty(), "nor by name");
    assert_eq!(s.search_applications("Budi", 10).unwrap().len(), 1, "the other application keeps all");
    assert!(!s.attachment_present(&s.attachments(&app.id).unwrap()[0].sha256).unwrap());

    // Nothing of Siti anywhere in the store's tables (the file itself is encrypted).
    let raw = s.raw_connection();
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'application_search'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in &tables {
        let dump: Vec<String> = raw
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .unwrap()
            .query_map([], |r| {
                let n = r.as_ref().column_count();
                Ok((0..n).map(|i| text(r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for row in dump {
            for personal in ["Aminah", &nik(7), "3601015508150002", "Aisyah", "Sukamaju", "Cibadak RT 03"] {
                // The search index keeps its terms in lower case.
                let fts = table.starts_with("application_search");
                let found = if fts { row.contains(&personal.to_lowercase()) } else { row.contains(personal) };
                if found {
                    // Budi's application has the same household and address: his rows may.
                    let budis =
                        row.contains(&other.id) || row.contains("Budi") || table == "household_member";
                    assert!(budis, "{personal} left in {table}: {row}");
                }
            }
        }
    }
    let files: Vec<_> = files_under(dir.path());
    assert!(
        files.iter().all(|f| !f.to_string_lossy().contains(&s.attachments(&app.id).unwrap()[0].sha256[..8])),
        "the scan's file is deleted: {files:?}"
    );
    assert!(s.verify_audit().unwrap().is_intact(), "{:?}", s.verify_audit().unwrap());

    // Editing a redacted audit entry afterwards is still caught.
    let seq: i64 = raw
        .query_row(
            "SELECT min(seq) FROM audit_log WHERE entity_id = ?1 AND action = 'edit'",
            [&app.id],
            |r| r.get(0),
        )
        .unwrap();
    raw.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = ?1", [seq]).unwrap();
    assert!(!s.verify_audit().unwrap().is_intact());
}

fn text(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef as V;
    match v {
        V::Text(t) | V::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        V::Integer(i) => i.to_string(),
        V::Real(f) => f.to_string(),
        V::Null => String::new(),
    }
}
