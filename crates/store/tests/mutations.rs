//! Every mutation leaves row, audit entry and outbox operation consistent (real SQLite files).

mod common;

use common::*;
use loket_domain::staff::{validate_staff, validate_user, StaffDraft, UserDraft};
use loket_domain::workflow::{Action, Status};
use loket_store::{ApplicantEdit, Store, StoreError};

fn counts(s: &Store) -> (i64, i64) {
    (s.audit_len().unwrap(), s.outbox_len().unwrap())
}

#[test]
fn registrations_of_every_kind() {
    let (_dir, mut s) = store();
    let device = s.device_code().unwrap();
    let b = s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    assert_eq!(b.registration_number, Some(format!("360101-{device}-000001")));
    assert_eq!(b.status, Status::Submitted);
    assert_eq!(s.household(&b.id).unwrap().len(), 1);
    let h = s.register_hibah(&hibah("Yayasan Nurul Huda"), &clerk(), now()).unwrap();
    assert_eq!(h.organization_name.as_deref(), Some("Yayasan Nurul Huda"));
    let p = s.register_permit(&sktm(2, "Budi", SKTM_DOCS), true, &clerk(), now()).unwrap();
    assert_eq!(p.registration_number, Some(format!("360101-{device}-000003")));
    assert_eq!(s.checklist(&p.id).unwrap().iter().filter(|c| c.received).count(), 4);
    let d = s.register_permit(&sktm(3, "Cici", &["ktp"]), false, &clerk(), now()).unwrap();
    assert_eq!((d.status, d.registration_number.clone()), (Status::Draft, None));
    assert_eq!(counts(&s), (4, 4));
    assert_consistent(&s);
}

#[test]
fn incomplete_documents_cannot_be_submitted_and_nothing_is_written() {
    let (_dir, mut s) = store();
    let err = s.register_permit(&sktm(1, "Budi", &["ktp"]), true, &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::DocumentsIncomplete { ref missing } if missing.len() == 3), "{err:?}");
    assert_eq!(s.count_applications().unwrap(), 0);
    assert_eq!(counts(&s), (0, 0));

    let draft = s.register_permit(&sktm(1, "Budi", &["ktp"]), false, &clerk(), now()).unwrap();
    let err = s.transition(&draft.id, Action::Submit, "", &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::DocumentsIncomplete { .. }));
    for code in ["kk", "pengantar_rt", "pengantar_desa"] {
        s.set_document_received(&draft.id, code, true, &clerk(), now()).unwrap();
    }
    let submitted = s.transition(&draft.id, Action::Submit, "", &clerk(), now()).unwrap();
    assert_eq!(submitted.status, Status::Submitted);
    assert!(submitted.registration_number.is_some());
    assert_consistent(&s);
}

#[test]
fn full_workflow_with_roles_and_refusals() {
    let (_dir, mut s) = store();
    let a = s.register_bansos(&bansos(1, "Siti"), &clerk(), now()).unwrap();
    let before = counts(&s);
    // A clerk cannot start the review; nothing is written.
    let err = s.transition(&a.id, Action::StartReview, "", &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::Workflow(ref e) if e.code() == "workflow.role_not_allowed"));
    assert_eq!(counts(&s), before);

    s.transition(&a.id, Action::StartReview, "", &supervisor(), now()).unwrap();
    let err = s.transition(&a.id, Action::Return, " ", &supervisor(), now()).unwrap_err();
    assert!(matches!(err, StoreError::Workflow(ref e) if e.code() == "workflow.note_required"));
    s.transition(&a.id, Action::Return, "Fotokopi KK tidak terbaca", &supervisor(), now()).unwrap();
    s.transition(&a.id, Action::Resubmit, "", &clerk(), now()).unwrap();
    s.transition(&a.id, Action::StartReview, "", &supervisor(), now()).unwrap();
    let approved = s.transition(&a.id, Action::Approve, "Memenuhi syarat", &supervisor(), now()).unwrap();
    assert_eq!(approved.status, Status::Approved);
    assert_eq!(approved.registration_number, a.registration_number, "number is kept");
    let done = s.transition(&a.id, Action::Complete, "", &clerk(), now()).unwrap();
    assert_eq!(done.status, Status::Completed);
    let err = s.transition(&a.id, Action::Cancel, "", &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::Workflow(ref e) if e.code() == "workflow.not_allowed_from"));

    let events = s.workflow_events(&a.id).unwrap();
    let path: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(path, ["submit", "start_review", "return", "resubmit", "start_review", "approve", "complete"]);
    assert_eq!(events[2].note, "Fotokopi KK tidak terbaca");
    assert_eq!(events[2].actor, "kasi");
    assert_eq!(done.version, 7);
    assert_consistent(&s);
}

#[test]
fn edits_need_the_current_version() {
    let (_dir, mut s) = store();
    let a = s.register_bansos(&bansos(1, "Siti"), &clerk(), now()).unwrap();
    let edit = ApplicantEdit { address: Some("Kp. Baru RT 05/02".into()), ..Default::default() };
    let edited = s.edit_applicant(&a.id, a.version, &edit, &clerk(), now()).unwrap();
    assert_eq!((edited.applicant_address.as_str(), edited.version), ("Kp. Baru RT 05/02", 2));
    let before = counts(&s);
    let err = s.edit_applicant(&a.id, a.version, &edit, &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { base: 1, current: 2, .. }), "{err:?}");
    assert_eq!(counts(&s), before);
    // The outbox operation carries the base version and only the changed field.
    let ops = s.pending_ops(100).unwrap();
    let op = ops.iter().find(|o| o.kind() == Some(loket_protocol::OpKind::ApplicationEdit)).unwrap();
    assert_eq!(op.base_version, Some(1));
    assert_eq!(
        op.payload,
        format!(r#"{{"application_id":"{}","fields":{{"applicant_address":"Kp. Baru RT 05/02"}}}}"#, a.id)
    );
    assert_consistent(&s);
}

#[test]
fn staff_and_users() {
    let (_dir, mut s) = store();
    let draft = kasi_staff();
    let staff = s.add_staff(&validate_staff(&draft).unwrap(), &admin(), now()).unwrap();
    let err = s.add_staff(&validate_staff(&draft).unwrap(), &admin(), now()).unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)));
    let user = validate_user(&UserDraft { username: "ahmad".into(), roles: vec!["supervisor".into()] }, true)
        .unwrap();
    let u = s.add_user(&staff.id, &user, &admin(), now()).unwrap();
    assert!(u.active);
    let inactive = validate_staff(&StaffDraft { active: false, ..draft }).unwrap();
    let staff = s.update_staff(&staff.id, staff.version, &inactive, &admin(), now()).unwrap();
    assert!(!staff.active);
    assert!(!s.users_of_staff(&staff.id).unwrap()[0].active, "accounts follow the staff record");
    // staff.create, user.create, staff.update, user.deactivate
    assert_eq!(counts(&s), (4, 4));
    assert_consistent(&s);
}

#[test]
fn outbox_sequence_and_ids_are_unique_and_ordered() {
    let (_dir, mut s) = store();
    for i in 0..20 {
        s.register_bansos(&bansos(i, "Warga"), &clerk(), now()).unwrap();
    }
    let ops = s.pending_ops(100).unwrap();
    let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    let mut ids: Vec<_> = ops.iter().map(|o| o.op_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    let hlcs: Vec<_> = ops.iter().map(|o| o.hlc.clone()).collect();
    let mut sorted = hlcs.clone();
    sorted.sort();
    assert_eq!(hlcs, sorted, "HLC order follows the outbox order");
    s.settle_op(1, "acked", None).unwrap();
    s.settle_op(2, "quarantined", Some("bad payload")).unwrap();
    assert_eq!(s.pending_count().unwrap(), 18);
    assert_eq!(s.pending_ops(1).unwrap()[0].seq, 3, "a quarantined op does not block the queue");
}

#[test]
fn holidays_pause_the_service_clock() {
    use chrono::NaiveDate;
    use loket_domain::sla::HolidayKind;
    let (_dir, mut s) = store();
    let d = |x: &str| x.parse::<NaiveDate>().unwrap();
    s.set_holiday(d("2026-12-25"), "Hari Raya Natal", HolidayKind::LiburNasional, true, &admin(), now())
        .unwrap();
    assert!(!s.holiday_calendar().unwrap().is_working_day(d("2026-12-25")));
    // A cuti bersama the kabupaten/kota counts as a working day is on the calendar, not off.
    s.set_holiday(d("2026-12-24"), "Cuti bersama Natal", HolidayKind::CutiBersama, false, &admin(), now())
        .unwrap();
    assert!(s.holiday_calendar().unwrap().is_working_day(d("2026-12-24")));
    assert_eq!(s.holidays().unwrap().len(), 2);
    assert_eq!(counts(&s), (2, 2));
    let a = s.register_bansos(&bansos(1, "Siti"), &clerk(), now()).unwrap();
    let sla = s.application_sla(&a.id, 5, chrono::Utc::now().date_naive()).unwrap();
    assert_eq!(sla.used_days, 0);
    assert!(sla.due_date.is_some() && !sla.paused);
    assert_consistent(&s);
}
