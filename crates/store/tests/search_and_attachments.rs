//! Full-text search and attachments on a real store.

mod common;

use common::*;
use loket_store::{StoreError, MAX_ATTACHMENT_BYTES};

#[test]
fn search_by_name_nik_number_and_organisation() {
    let (_dir, mut s) = store();
    let siti = s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    let budi = s.register_bansos(&bansos(2, "Budi Santoso"), &clerk(), now()).unwrap();
    let yayasan = s.register_hibah(&hibah("Yayasan Nurul Huda"), &clerk(), now()).unwrap();
    let ids = |q: &str| s.search_applications(q, 10).unwrap().into_iter().map(|a| a.id).collect::<Vec<_>>();

    assert_eq!(ids("siti"), [siti.id.as_str()]);
    assert_eq!(ids("ami"), [siti.id.as_str()], "prefix match");
    assert_eq!(ids("SANTOSO budi"), [budi.id.as_str()], "case-insensitive, any order");
    assert_eq!(ids(&nik(2)), [budi.id.as_str()]);
    assert_eq!(ids(&siti.registration_number.clone().unwrap()), [siti.id.as_str()]);
    assert_eq!(ids("nurul"), [yayasan.id.as_str()]);
    assert!(ids("zzz").is_empty());
    assert_eq!(
        ids("\"*("),
        [yayasan.id.as_str(), budi.id.as_str(), siti.id.as_str()],
        "no terms: newest first"
    );
}

/// New rows are indexed lazily (by the next search): an edit must be found whether it came
/// before that first search or after it, and the row must be in the index exactly once.
#[test]
fn search_follows_edits() {
    for searched_before_edit in [false, true] {
        let (_dir, mut s) = store();
        let a = s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
        if searched_before_edit {
            assert_eq!(s.search_applications("aminah", 10).unwrap().len(), 1);
        }
        let edit = loket_store::ApplicantEdit { full_name: Some("Siti Rahayu".into()), ..Default::default() };
        s.edit_applicant(&a.id, a.version, &edit, &clerk(), now()).unwrap();
        assert!(s.search_applications("aminah", 10).unwrap().is_empty(), "{searched_before_edit}");
        assert_eq!(s.search_applications("rahayu", 10).unwrap().len(), 1, "{searched_before_edit}");
        assert_eq!(s.search_applications("siti", 10).unwrap().len(), 1, "{searched_before_edit}");
        assert_eq!(s.catch_up_search_index().unwrap(), 0, "nothing left to index");
        let indexed: i64 = s
            .raw_connection()
            .query_row("SELECT count(*) FROM application_search", [], |r| r.get(0))
            .unwrap();
        assert_eq!(indexed, 1, "{searched_before_edit}");
    }
}

/// An address or phone edit does not touch the search index (regression: every edit re-indexed
/// its row, and pulling 2,000 edits into a device of 100,000 applications took 1.4 s of FTS
/// segment merges); the row stays found by name, exactly once.
#[test]
fn an_address_edit_leaves_the_search_index_alone() {
    let (_dir, mut s) = store();
    let a = s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    assert_eq!(s.search_applications("aminah", 10).unwrap().len(), 1);
    let rows = |s: &loket_store::Store| -> i64 {
        s.raw_connection()
            .query_row("SELECT count(*) FROM application_search_data", [], |r| r.get(0))
            .unwrap()
    };
    let before = rows(&s);
    let edit = loket_store::ApplicantEdit {
        address: Some("Kp. Baru".into()),
        phone: Some(Some("081234567890".into())),
        ..Default::default()
    };
    s.edit_applicant(&a.id, a.version, &edit, &clerk(), now()).unwrap();
    assert_eq!(rows(&s), before, "no new index segment for an address edit");
    assert_eq!(s.search_applications("aminah", 10).unwrap().len(), 1);
}

/// Pulled applications are indexed after the pull, not in each page's transaction: a search
/// right after the pull still finds them (it indexes what is missing first), exactly once.
#[test]
fn pulled_applications_are_found_by_the_next_search() {
    let (_dir_a, mut a) = store();
    let siti = a.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    let page: Vec<loket_store::RemoteChange> = a
        .pending_ops(10)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let loket_protocol::OpBody::Register(p) = op.body().unwrap() else {
                panic!("not a registration")
            };
            let body = loket_protocol::ChangeBody::Application(p);
            loket_store::RemoteChange {
                hlc: Some(op.hlc.clone()),
                ..loket_store::RemoteChange::of(1 + i as i64, &op.entity_id, body, "2026-11-28T08:00:00Z")
            }
        })
        .collect();
    let (_dir_b, mut b) = store();
    assert_eq!(b.apply_remote(&page, page.len() as i64, now()).unwrap().applied, 1);
    let found = b.search_applications("aminah", 10).unwrap();
    assert_eq!(found.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), [siti.id.as_str()]);
    assert_eq!(b.search_applications(&nik(1), 10).unwrap().len(), 1);
    assert_eq!(b.catch_up_search_index().unwrap(), 0, "nothing left to index");
}

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];

#[test]
fn attachments_are_typed_by_content_and_content_addressed() {
    let (dir, mut s) = store();
    let a = s.register_bansos(&bansos(1, "Siti"), &clerk(), now()).unwrap();
    let b = s.register_bansos(&bansos(2, "Budi"), &clerk(), now()).unwrap();

    // A PNG named .pdf is stored as PNG; an executable named .pdf is refused.
    let row = s.add_attachment(&a.id, PNG, "ktp.pdf", "ktp", &clerk(), now()).unwrap();
    assert_eq!(row.media_type, "image/png");
    let err = s.add_attachment(&a.id, b"MZ\x90\x00", "scan.pdf", "ktp", &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::AttachmentType));

    // The same content attached twice is one file.
    s.add_attachment(&b.id, PNG, "copy.png", "kk", &clerk(), now()).unwrap();
    let files: Vec<_> = files_under(&dir.path().join("attachments"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(s.attachment_bytes(&row.sha256).unwrap(), PNG);
    assert_eq!(s.attachments(&b.id).unwrap()[0].file_name, "copy.png");

    // Too large is refused before anything is written.
    let mut big = b"%PDF-".to_vec();
    big.resize(MAX_ATTACHMENT_BYTES as usize + 1, 0);
    let err = s.add_attachment(&a.id, &big, "big.pdf", "", &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::AttachmentTooLarge { .. }));
    assert_eq!(files_under(&dir.path().join("attachments")).len(), 1);
    assert_consistent(&s);
}

#[test]
fn tampered_attachment_file_is_detected() {
    let (dir, mut s) = store();
    let a = s.register_bansos(&bansos(1, "Siti"), &clerk(), now()).unwrap();
    let row = s.add_attachment(&a.id, PNG, "ktp.png", "ktp", &clerk(), now()).unwrap();
    let path = dir.path().join("attachments").join(&row.sha256[..2]).join(&row.sha256);
    std::fs::write(&path, b"changed").unwrap();
    assert!(matches!(s.attachment_bytes(&row.sha256), Err(StoreError::Corrupt(_))));
}
