//! What the desktop writes is what the server accepts: every kind of operation the store puts
//! in its outbox passes the one validation path (`loket_protocol::validate`) the server runs.

mod common;

use common::*;
use loket_domain::sla::HolidayKind;
use loket_domain::staff::{validate_staff, validate_user, StaffDraft, UserDraft};
use loket_domain::workflow::Action;
use loket_protocol::{validate, OpBody, OpKind};
use loket_store::{Access, ApplicantEdit, StoreError};

#[test]
fn every_operation_the_store_writes_passes_the_servers_checks() {
    let (_dir, mut s) = store();
    s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    s.register_hibah(&hibah("Masjid Al-Ikhlas"), &clerk(), now()).unwrap();
    s.register_permit(&sktm(2, "Budi", SKTM_DOCS), true, &clerk(), now()).unwrap();
    let draft = s.register_permit(&sktm(3, "Rina", &[]), false, &clerk(), now()).unwrap();
    for code in SKTM_DOCS {
        s.set_document_received(&draft.id, code, true, &clerk(), now()).unwrap();
    }
    let app = s.transition(&draft.id, Action::Submit, "", &clerk(), now()).unwrap();
    s.transition(&app.id, Action::StartReview, "", &supervisor(), now()).unwrap();
    let app =
        s.transition(&app.id, Action::Return, "Fotokopi KK  tidak terbaca", &supervisor(), now()).unwrap();
    let edit = ApplicantEdit {
        full_name: Some("  Rina   Marlina ".into()),
        phone: Some(Some("+62 812 1111 2222".into())),
        ..Default::default()
    };
    s.edit_applicant(&app.id, app.version, &edit, &clerk(), now()).unwrap();
    s.add_attachment(&app.id, b"%PDF-1.7 scan", "KTP Rina.pdf", "ktp", &clerk(), now()).unwrap();
    let staff = StaffDraft { full_name: "Ahmad  Fauzi".into(), ..kasi_staff() };
    let row = s.add_staff(&validate_staff(&staff).unwrap(), &admin(), now()).unwrap();
    let user = validate_user(&UserDraft { username: "Ahmad".into(), roles: vec!["supervisor".into()] }, true);
    s.add_user(&row.id, &user.unwrap(), &admin(), now()).unwrap();
    let inactive = validate_staff(&StaffDraft { active: false, ..staff }).unwrap();
    s.update_staff(&row.id, row.version, &inactive, &admin(), now()).unwrap();
    s.set_holiday(
        "2026-03-20".parse().unwrap(),
        "Idul Fitri 1447 H",
        HolidayKind::CutiBersama,
        true,
        &admin(),
        now(),
    )
    .unwrap();
    let sha = s.attachments(&app.id).unwrap()[0].sha256.clone();
    for access in [
        Access::ViewApplication { application_id: &app.id },
        Access::OpenAttachment { application_id: &app.id, sha256: &sha },
        Access::SearchNumber { number: "3601011205900001" },
        Access::SearchNumber { number: "3601011501100003" },
        Access::Export,
    ] {
        s.record_access(access, &supervisor(), now()).unwrap();
    }

    let ops = s.pending_ops(1000).unwrap();
    let mut kinds: Vec<&str> = ops.iter().map(|o| o.op.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    // Every kind but resolve (a server conflict's) and catalogue.publish (IT publishes on the
    // server).
    assert_eq!(kinds.len(), OpKind::ALL.len() - 2, "{kinds:?}");
    let not_here = [OpKind::ApplicationResolve.as_str(), OpKind::CataloguePublish.as_str()];
    assert!(not_here.iter().all(|k| !kinds.contains(k)), "{kinds:?}");
    for op in &ops {
        let kind = OpKind::parse(&op.op).unwrap();
        let body = OpBody::decode(kind, &op.payload).unwrap();
        assert_eq!(validate::check(&body), Ok(()), "{}: {}", op.op, op.payload);
    }
}

#[test]
fn an_edit_is_checked_like_a_registration() {
    let (_dir, mut s) = store();
    let app = s.register_bansos(&bansos(1, "Siti Aminah"), &clerk(), now()).unwrap();
    let long = ApplicantEdit { full_name: Some("A".repeat(101)), ..Default::default() };
    let err = s.edit_applicant(&app.id, app.version, &long, &clerk(), now()).unwrap_err();
    assert!(matches!(err, StoreError::Invalid { code: "name.too_long", .. }), "{err:?}");
    assert_eq!(s.application(&app.id).unwrap().version, app.version, "nothing written");
}
