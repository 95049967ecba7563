use loket_domain::workflow::Role;
use loket_protocol::{OpStatus, Operation};
use serde_json::{json, Value};

use super::testkit::{sign, sign_with, signer};
use super::*;

const NIK: &str = "3601011205900001";

/// An operation of `kind` carrying `payload` as the device's JSON text.
fn op(kind: OpKind, entity_id: &str, payload: Value, base_version: Option<i64>) -> Operation {
    let op = Operation {
        op_id: format!("op-{kind}-{entity_id}"),
        seq: 1,
        entity: kind.entity(),
        entity_id: entity_id.into(),
        op: kind,
        payload: serde_json::value::RawValue::from_string(payload.to_string()).unwrap(),
        base_version,
        hlc: "0000000000000001-00000-AAAA".into(),
        proof: None,
    };
    // Signed by the user the payload names, or a clerk.
    let user = payload["actor"].as_str().unwrap_or("petugas").to_string();
    sign(op, &user)
}

fn register_payload(id: &str, office: &str) -> Value {
    crate::storage::conformance::register_payload(1, id, office, NIK, "3601011501100003")
}

fn app(id: &str, office: &str, status: &str) -> AppState {
    AppState {
        id: id.into(),
        office_code: office.into(),
        kind: ApplicationKind::Bansos,
        status: Status::parse(status).unwrap(),
        version: 3,
        service_code: "PKH".into(),
        period: Some("2026".into()),
        applicant_nik: Some(NIK.into()),
        kk: Some("3601011501100003".into()),
        registration_number: Some("360102-BBBB-000009".into()),
        fields: Default::default(),
        catalogue: None,
    }
}

/// A device of `office`, its operations taken by a clerk of the office.
fn ctx(office: &str) -> Context {
    Context {
        device_office: office.into(),
        actor: Some(signer(office, &[Role::Clerk])),
        ..Context::default()
    }
}

fn verdict(d: &Decision) -> (OpStatus, Option<&'static str>) {
    (d.status, d.code)
}

#[test]
fn register_is_accepted_and_published_to_the_office() {
    let d = decide(
        &op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None),
        &ctx("36.01.01"),
    );
    assert_eq!(verdict(&d), (OpStatus::Accepted, None));
    assert!(matches!(&d.writes[0], Write::InsertApplication { app, .. } if app.office_code == "36.01.01"));
    assert!(
        matches!(&d.writes[1], Write::Change { kind: ChangeKind::Application, office, .. } if office == "36.01.01")
    );
}

#[test]
fn register_refusals() {
    let cases: Vec<(&str, Value, Context)> = vec![
        ("forbidden_office", register_payload("a1", "36.01.02"), ctx("36.01.01")),
        ("invalid_payload", register_payload("other", "36.01.01"), ctx("36.01.01")),
        (
            "invalid_payload",
            json!({"id": "a1", "kind": "loan", "status": "submitted", "office_code": "36.01.01"}),
            ctx("36.01.01"),
        ),
        (
            "nik.length",
            {
                let mut p = register_payload("a1", "36.01.01");
                p["applicant_nik"] = json!("123");
                p
            },
            ctx("36.01.01"),
        ),
        ("invalid_payload", json!([1, 2]), ctx("36.01.01")),
        (
            "already_registered",
            register_payload("a1", "36.01.01"),
            Context { app: Some(app("a1", "36.01.01", "submitted")), ..ctx("36.01.01") },
        ),
    ];
    for (code, payload, c) in cases {
        let d = decide(&op(OpKind::ApplicationRegister, "a1", payload, None), &c);
        assert_eq!(verdict(&d), (OpStatus::Rejected, Some(code)), "{code}");
        assert!(d.writes.is_empty());
    }
}

#[test]
fn duplicate_aid_in_another_kecamatan_flags_both() {
    let c = Context {
        duplicates: vec![app("b9", "36.01.02", "in_review"), app("c1", "36.01.01", "submitted")],
        ..ctx("36.01.01")
    };
    let d = decide(&op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None), &c);
    assert_eq!(d.status, OpStatus::Accepted);
    let flags: Vec<_> = d.writes.iter().filter(|w| matches!(w, Write::Flag { .. })).collect();
    assert_eq!(
        flags,
        [&Write::Flag {
            application_id: "a1".into(),
            other_application_id: "b9".into(),
            reason: FlagReason::Nik
        }]
    );
    let offices: Vec<_> = d
        .writes
        .iter()
        .filter_map(|w| match w {
            Write::Change { kind: ChangeKind::Flag, office, .. } => Some(office.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(offices, ["36.01.01", "36.01.02"], "both offices are told");
}

#[test]
fn a_flag_reference_is_the_pairs_whichever_side_asks() {
    let r = flag_reference("019a-a", "019a-b");
    assert_eq!(r, flag_reference("019a-b", "019a-a"));
    assert!(r.starts_with("DUP-") && r.len() == 12, "{r}");
    assert_ne!(r, flag_reference("019a-a", "019a-c"));
}

#[test]
fn inactive_duplicates_are_ignored() {
    let c = Context {
        duplicates: vec![app("b9", "36.01.02", "rejected"), app("b8", "36.01.02", "cancelled")],
        ..ctx("36.01.01")
    };
    let d = decide(&op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None), &c);
    assert!(!d.writes.iter().any(|w| matches!(w, Write::Flag { .. })));
}

fn transition_op(action: &str, from: &str, actor: &str) -> Operation {
    op(
        OpKind::ApplicationTransition,
        "a1",
        json!({
            "event_id": "e1", "application_id": "a1", "action": action, "from": from, "to": "approved",
            "note": "catatan", "actor": actor,
        }),
        Some(3),
    )
}

#[test]
fn decisions_need_a_supervisor_of_the_office() {
    let base = Context { app: Some(app("a1", "36.01.01", "in_review")), ..ctx("36.01.01") };
    let clerk = Context { actor: Some(signer("36.01.01", &[Role::Clerk])), ..base.clone() };
    let d = decide(&transition_op("approve", "in_review", "ani"), &clerk);
    assert_eq!(verdict(&d), (OpStatus::Rejected, Some("role_not_allowed")));
    let unknown =
        decide(&transition_op("approve", "in_review", "nobody"), &Context { actor: None, ..base.clone() });
    assert_eq!(verdict(&unknown), (OpStatus::Rejected, Some("unknown_user")));
    let elsewhere = Context { actor: Some(signer("36.01.02", &[Role::Supervisor])), ..base.clone() };
    assert_eq!(
        verdict(&decide(&transition_op("approve", "in_review", "x"), &elsewhere)).1,
        Some("forbidden_office")
    );
    let kasi = Context { actor: Some(signer("36.01.01", &[Role::Supervisor])), ..base };
    let d = decide(&transition_op("approve", "in_review", "kasi"), &kasi);
    assert_eq!(d.status, OpStatus::Accepted);
    assert!(matches!(&d.writes[0], Write::SetStatus { status: Status::Approved, version: 4, .. }));
}

#[test]
fn concurrent_decisions_first_wins_second_is_a_conflict() {
    let kasi = Context {
        app: Some(app("a1", "36.01.01", "approved")),
        actor: Some(signer("36.01.01", &[Role::Supervisor])),
        ..ctx("36.01.01")
    };
    let d = decide(&transition_op("reject", "in_review", "camat"), &kasi);
    assert_eq!(verdict(&d), (OpStatus::Conflict, Some("status_changed")));
    assert!(d.writes.iter().any(|w| matches!(w, Write::Conflict { .. })));
    assert!(d.writes.iter().any(|w| matches!(w, Write::Change { kind: ChangeKind::Conflict, .. })));
}

#[test]
fn cross_office_operations_are_forbidden() {
    let c = Context { app: Some(app("a1", "36.01.02", "submitted")), ..ctx("36.01.01") };
    for o in [
        transition_op("cancel", "submitted", "x"),
        op(
            OpKind::ApplicationEdit,
            "a1",
            json!({"application_id": "a1", "fields": {"applicant_name": "X"}}),
            Some(3),
        ),
        op(
            OpKind::ApplicationAttach,
            "a1",
            json!({"application_id": "a1", "sha256": "ab", "size": 1, "media_type": "application/pdf"}),
            None,
        ),
    ] {
        assert_eq!(verdict(&decide(&o, &c)), (OpStatus::Rejected, Some("forbidden_office")), "{}", o.op);
    }
}

#[test]
fn edits_on_a_stale_version_are_conflicts_kept_on_both_sides() {
    let c = Context { app: Some(app("a1", "36.01.01", "submitted")), ..ctx("36.01.01") };
    let fields = json!({"application_id": "a1", "fields": {"applicant_address": "Kp. Baru"}});
    let ok = decide(&op(OpKind::ApplicationEdit, "a1", fields.clone(), Some(3)), &c);
    assert_eq!(ok.status, OpStatus::Accepted);
    let stale = decide(&op(OpKind::ApplicationEdit, "a1", fields, Some(2)), &c);
    assert_eq!(verdict(&stale), (OpStatus::Conflict, Some("stale_base_version")));
    let bad = decide(
        &op(
            OpKind::ApplicationEdit,
            "a1",
            json!({"application_id": "a1", "fields": {"status": "approved"}}),
            Some(3),
        ),
        &c,
    );
    assert_eq!(verdict(&bad), (OpStatus::Rejected, Some("invalid_payload")));
    assert!(
        bad.writes.iter().any(|w| matches!(w, Write::Change { kind: ChangeKind::State, .. })),
        "the device's optimistic edit gives way"
    );
}

#[test]
fn payloads_that_do_not_fit_their_kind_are_rejected_alone() {
    let c = Context { app: Some(app("a1", "36.01.01", "submitted")), ..ctx("36.01.01") };
    let cases = [
        op(
            OpKind::ApplicationEdit,
            "a1",
            json!({"application_id": "a1", "fields": {"applicant_name": {"x": 1}}}),
            Some(3),
        ),
        op(OpKind::ApplicationEdit, "a1", json!([1, 2]), Some(3)),
        op(OpKind::ApplicationDocument, "a1", json!({"application_id": "a1"}), None),
        op(OpKind::HolidaySet, "2026-03-20", json!({"day": 20260320}), None),
        op(OpKind::ApplicationRegister, "a1", json!({"id": "a1", "kind": "loan"}), None),
        // A payload about another application than the operation's entity.
        op(
            OpKind::ApplicationEdit,
            "a1",
            json!({"application_id": "a2", "fields": {"applicant_name": "X"}}),
            Some(3),
        ),
    ];
    for o in cases {
        let d = decide(&o, &c);
        assert_eq!(verdict(&d), (OpStatus::Rejected, Some("invalid_payload")), "{} {}", o.op, o.payload);
        assert!(d.writes.iter().all(|w| matches!(w, Write::Change { kind: ChangeKind::State, .. })));
    }
}

fn resolve_op(fields: Value, base_version: i64, actor: &str) -> Operation {
    op(
        OpKind::ApplicationResolve,
        "a1",
        json!({ "application_id": "a1", "resolves": ["op-lost"], "fields": fields, "actor": actor }),
        Some(base_version),
    )
}

#[test]
fn only_a_supervisor_resolves_and_both_sides_hear_of_it() {
    let with_actor = |roles: Vec<Role>| Context {
        app: Some(app("a1", "36.01.01", "in_review")),
        actor: Some(signer("36.01.01", &roles)),
        ..ctx("36.01.01")
    };
    let d = decide(&resolve_op(json!({}), 3, "ani"), &with_actor(vec![Role::Clerk]));
    assert_eq!(verdict(&d), (OpStatus::Rejected, Some("role_not_allowed")));
    assert!(
        d.writes.iter().any(|w| matches!(w, Write::Change { kind: ChangeKind::State, .. })),
        "device reverts"
    );

    // Keep the server's value: nothing changes but the conflict is closed and published.
    let d = decide(&resolve_op(json!({}), 3, "kasi"), &with_actor(vec![Role::Supervisor]));
    assert_eq!(verdict(&d), (OpStatus::Accepted, None));
    assert!(matches!(&d.writes[0], Write::ResolveConflicts { ids, .. } if ids == &["op-lost".to_string()]));
    assert!(
        matches!(&d.writes[1], Write::Change { kind: ChangeKind::Resolved, data, .. } if data.contains(r#""version":3"#))
    );

    // Take the device's value: an edit of the current version.
    let d = decide(
        &resolve_op(json!({ "applicant_address": "Kp. Dua" }), 3, "kasi"),
        &with_actor(vec![Role::Supervisor]),
    );
    assert_eq!(verdict(&d), (OpStatus::Accepted, None));
    assert!(matches!(&d.writes[0], Write::SetFields { version: 4, .. }));

    // Made on an older version: itself a conflict, kept for another look.
    let d = decide(
        &resolve_op(json!({ "applicant_address": "Kp. Dua" }), 2, "kasi"),
        &with_actor(vec![Role::Supervisor]),
    );
    assert_eq!(verdict(&d), (OpStatus::Conflict, Some("stale_base_version")));
}

/// Every way an operation's proof can be wrong is refused before its content counts, and a
/// refusal about the device's own application carries the server's state back.
#[test]
fn an_operation_without_a_valid_proof_is_refused() {
    let kasi = || Context {
        app: Some(app("a1", "36.01.01", "in_review")),
        actor: Some(signer("36.01.01", &[Role::Supervisor])),
        ..ctx("36.01.01")
    };
    let approve = || transition_op("approve", "in_review", "kasi");
    assert_eq!(decide(&approve(), &kasi()).status, OpStatus::Accepted);

    let mut unsigned = approve();
    unsigned.proof = None;
    let forged = sign_with(approve(), "kasi", &loket_keys::UserKey::generate());
    let mut tampered = approve();
    tampered.payload =
        serde_json::value::RawValue::from_string(tampered.payload.get().replace("catatan", "catatan lain"))
            .unwrap();
    let mut resequenced = approve();
    resequenced.seq = 2;
    let mut bad_signature = approve();
    bad_signature.proof.as_mut().unwrap().signature = "AAAA".into();
    let as_someone_else = sign(transition_op("approve", "in_review", "kasi"), "ani");
    let deactivated = Context {
        actor: Some(Arc::new(Signer { active: false, ..(*signer("36.01.01", &[Role::Supervisor])).clone() })),
        ..kasi()
    };
    let cases: Vec<(&str, Operation, Context)> = vec![
        ("unsigned", unsigned, kasi()),
        ("bad_signature", forged, kasi()),
        ("bad_signature", tampered, kasi()),
        ("bad_signature", resequenced, kasi()),
        ("bad_signature", bad_signature, kasi()),
        ("actor_mismatch", as_someone_else, kasi()),
        ("unknown_user", approve(), Context { actor: None, ..kasi() }),
        (
            "forbidden_office",
            approve(),
            Context { actor: Some(signer("36.01.02", &[Role::Supervisor])), ..kasi() },
        ),
        ("user_deactivated", approve(), deactivated),
        (
            "role_not_allowed",
            approve(),
            Context { actor: Some(signer("36.01.01", &[Role::Clerk])), ..kasi() },
        ),
    ];
    for (code, op, c) in cases {
        let d = decide(&op, &c);
        assert_eq!(verdict(&d), (OpStatus::Rejected, Some(code)), "{code}");
        assert_eq!(d.writes.len(), 1, "{code}: only the server's state goes back");
        assert!(matches!(&d.writes[0], Write::Change { kind: ChangeKind::State, .. }), "{code}");
    }
}

#[test]
fn sequence_numbers_start_at_one() {
    for seq in [0, -5] {
        let mut op = op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None);
        op.seq = seq;
        let op = sign(op, "petugas");
        assert_eq!(verdict(&decide(&op, &ctx("36.01.01"))), (OpStatus::Rejected, Some("invalid_sequence")));
    }
}

/// Every payload is checked by the domain's validators before anything is written: each bad
/// operation is refused with the validator's code and writes nothing but the device's own
/// application state back.
#[test]
fn payloads_are_checked_by_the_domains_validators() {
    let registration = |f: &dyn Fn(&mut Value)| {
        let mut p = register_payload("a1", "36.01.01");
        f(&mut p);
        op(OpKind::ApplicationRegister, "a1", p, None)
    };
    let on_app = |kind: OpKind, payload: Value| op(kind, "a1", payload, Some(3));
    let cases: Vec<(&str, Operation)> = vec![
        ("kk.length", registration(&|p| p["kk"] = json!("36"))),
        ("kk.not_digits", registration(&|p| p["kk"] = json!("36010115011000AB"))),
        ("invalid_payload", registration(&|p| p["applicant_nik"] = json!(3601011205900001_u64))),
        ("invalid_payload", registration(&|p| p["applicant_nik"] = json!({"nik": NIK}))),
        ("nik.empty", registration(&|p| p["applicant_nik"] = json!(null))),
        ("kk.empty", registration(&|p| p["kk"] = json!(null))),
        ("programme.unknown", registration(&|p| p["service_code"] = json!("NOPE"))),
        ("registration_number.invalid", registration(&|p| p["registration_number"] = json!("REG/2026/0001"))),
        (
            "registration_number.other_office",
            registration(&|p| p["registration_number"] = json!("360102-AAAA-000001")),
        ),
        ("registration_number.missing", registration(&|p| p["registration_number"] = json!(null))),
        ("name.too_long", registration(&|p| p["applicant_name"] = json!("A".repeat(1_000)))),
        ("payload_too_large", registration(&|p| p["applicant_name"] = json!("A".repeat(1_000_000)))),
        ("payload.not_normalised", registration(&|p| p["applicant_name"] = json!("  Warga  "))),
        ("payload.details_invalid", registration(&|p| p["details"]["blob"] = json!("x".repeat(1000)))),
        ("income.out_of_range", registration(&|p| p["details"]["monthly_income"] = json!(-1))),
        ("payload.not_normalised", registration(&|p| p["period"] = json!("2031"))),
        ("village.unknown", registration(&|p| p["village_code"] = json!("99.99.99.9999"))),
        ("office.unknown", registration(&|p| p["office_code"] = json!("99.99.99"))),
        ("payload.id_invalid", {
            let mut o = registration(&|p| p["id"] = json!("<script>"));
            o.entity_id = "<script>".into();
            sign(o, "petugas")
        }),
        (
            "invalid_payload",
            on_app(OpKind::ApplicationEdit, json!({"application_id": "a1", "fields": {"applicant_name": 7}})),
        ),
        (
            "name.too_long",
            on_app(
                OpKind::ApplicationEdit,
                json!({"application_id": "a1", "fields": {"applicant_name": "A".repeat(101)}}),
            ),
        ),
        (
            "payload_too_large",
            on_app(
                OpKind::ApplicationEdit,
                json!({"application_id": "a1", "fields": {"applicant_name": "A".repeat(1 << 20)}}),
            ),
        ),
        (
            "phone.prefix",
            on_app(
                OpKind::ApplicationEdit,
                json!({"application_id": "a1", "fields": {"applicant_phone": "12"}}),
            ),
        ),
        (
            "attachment.type",
            on_app(
                OpKind::ApplicationAttach,
                json!({"application_id": "a1", "sha256": "ab".repeat(32), "size": 10, "media_type": "application/x-msdownload"}),
            ),
        ),
        (
            "attachment.too_large",
            on_app(
                OpKind::ApplicationAttach,
                json!({"application_id": "a1", "sha256": "ab".repeat(32), "size": 1_i64 << 40, "media_type": "application/pdf"}),
            ),
        ),
        (
            "documents.unknown",
            on_app(
                OpKind::ApplicationDocument,
                json!({"application_id": "a1", "code": "ktp", "received": true}),
            ),
        ),
        (
            "workflow.note_too_long",
            on_app(
                OpKind::ApplicationTransition,
                json!({"event_id": "e1", "application_id": "a1", "action": "cancel", "from": "submitted",
                    "to": "cancelled", "note": "x".repeat(1001), "actor": "petugas"}),
            ),
        ),
    ];
    let c = Context { app: Some(app("a1", "36.01.01", "submitted")), ..ctx("36.01.01") };
    for (code, op) in cases {
        let d = decide(&op, &c);
        assert_eq!(verdict(&d), (OpStatus::Rejected, Some(code)), "{code}: {:?}", d.message);
        assert!(
            d.writes.iter().all(|w| matches!(w, Write::Change { kind: ChangeKind::State, .. })),
            "{code}: nothing but the server's state"
        );
    }
}

/// A registration number is used once: by a registration, or by the submission of a draft.
#[test]
fn registration_numbers_are_unique() {
    let c = Context { number_holder: Some("other".into()), ..ctx("36.01.01") };
    let d = decide(&op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None), &c);
    assert_eq!(verdict(&d), (OpStatus::Rejected, Some("registration_number.taken")));
    // Re-registering the same application is not a second use of its number.
    let c = Context { number_holder: Some("a1".into()), ..ctx("36.01.01") };
    let d = decide(&op(OpKind::ApplicationRegister, "a1", register_payload("a1", "36.01.01"), None), &c);
    assert_eq!(d.status, OpStatus::Accepted);
    let mut draft = app("a1", "36.01.01", "draft");
    draft.registration_number = None;
    let submit = |number: &str| {
        op(
            OpKind::ApplicationTransition,
            "a1",
            json!({"event_id": "e1", "application_id": "a1", "action": "submit", "from": "draft",
                "to": "submitted", "registration_number": number, "actor": "petugas"}),
            Some(3),
        )
    };
    let c = Context { app: Some(draft.clone()), number_holder: Some("other".into()), ..ctx("36.01.01") };
    assert_eq!(
        verdict(&decide(&submit("360101-AAAA-000001"), &c)),
        (OpStatus::Rejected, Some("registration_number.taken"))
    );
    let c = Context { app: Some(draft), ..ctx("36.01.01") };
    assert_eq!(
        verdict(&decide(&submit("360102-AAAA-000001"), &c)),
        (OpStatus::Rejected, Some("registration_number.other_office"))
    );
    assert_eq!(decide(&submit("360101-AAAA-000001"), &c).status, OpStatus::Accepted);
}

/// Staff, user and holiday operations: every role, in and out of the office.
#[test]
fn office_records_by_role_and_office() {
    let staff = |unit: &str| json!({"id": "s1", "full_name": "Budi", "status": "non_asn", "jabatan": "Staf", "unit_code": unit});
    let records = |unit: &str| -> Vec<(&'static str, Operation)> {
        vec![
            ("staff", op(OpKind::StaffCreate, "s1", staff(unit), None)),
            ("staff", op(OpKind::StaffUpdate, "s1", json!({"id": "s1", "fields": staff(unit)}), Some(1))),
            ("deactivate", op(OpKind::UserDeactivate, "u1", json!({"id": "u1"}), Some(1))),
            (
                "account",
                op(
                    OpKind::UserCreate,
                    "u1",
                    json!({"id": "u1", "staff_id": "s1", "username": "budi", "roles": ["clerk"]}),
                    None,
                ),
            ),
            (
                "calendar",
                op(
                    OpKind::HolidaySet,
                    "2026-03-20",
                    json!({"day": "2026-03-20", "name": "Idul Fitri", "kind": "cuti_bersama", "off": true}),
                    None,
                ),
            ),
        ]
    };
    let allowed = |role: Role, what: &str| match what {
        "staff" | "deactivate" => matches!(role, Role::Supervisor | Role::Admin),
        _ => role == Role::Admin,
    };
    for role in [Role::Clerk, Role::Supervisor, Role::Admin] {
        for signer_office in ["36.01.01", "36.01.02"] {
            let c = Context { actor: Some(signer(signer_office, &[role])), ..ctx("36.01.01") };
            for (what, op) in records("36.01.01") {
                let got = verdict(&decide(&op, &c));
                let want = if signer_office != "36.01.01" {
                    (OpStatus::Rejected, Some("forbidden_office"))
                } else if !allowed(role, what) {
                    (OpStatus::Rejected, Some("role_not_allowed"))
                } else {
                    (OpStatus::Accepted, None)
                };
                assert_eq!(got, want, "{role:?} of {signer_office}: {what} {}", op.op);
            }
        }
    }
    // A staff record of another office, and bad records, by an admin of the office.
    let admin = Context { actor: Some(signer("36.01.01", &[Role::Admin])), ..ctx("36.01.01") };
    let bad = [
        ("forbidden_office", op(OpKind::StaffCreate, "s1", staff("36.01.02"), None)),
        ("invalid_payload", op(OpKind::StaffCreate, "s1", json!({}), None)),
        (
            "name.invalid_chars",
            op(
                OpKind::StaffCreate,
                "s1",
                json!({"id": "s1", "full_name": "<b>", "status": "non_asn", "jabatan": "Staf", "unit_code": "36.01.01"}),
                None,
            ),
        ),
        (
            "invalid_payload",
            op(
                OpKind::UserCreate,
                "u1",
                json!({"id": "u1", "staff_id": "s1", "username": "budi", "roles": ["admin"], "password_hash": "$argon2id$x"}),
                None,
            ),
        ),
        (
            "user.username_invalid",
            op(
                OpKind::UserCreate,
                "u1",
                json!({"id": "u1", "staff_id": "s1", "username": "A B", "roles": ["clerk"]}),
                None,
            ),
        ),
        (
            "holiday.day_invalid",
            op(
                OpKind::HolidaySet,
                "x",
                json!({"day": "2026-02-30", "name": "x", "kind": "libur_daerah", "off": true}),
                None,
            ),
        ),
    ];
    for (code, op) in bad {
        let d = decide(&op, &admin);
        assert_eq!(verdict(&d), (OpStatus::Rejected, Some(code)), "{code}: {:?}", d.message);
        assert!(d.writes.is_empty());
    }
}

/// A staff member deactivated or transferred away leaves the office's accounts that name their
/// NIP; an edit that keeps them, a member without a NIP, and a conflicting update do not.
#[test]
fn a_staff_member_who_leaves_takes_their_accounts_along() {
    let fields = |unit: &str, active: bool, nip: Option<&str>| {
        json!({"full_name": "Ahmad Fauzi", "status": if nip.is_some() { "pns" } else { "non_asn" },
            "employee_number": nip, "golongan": if nip.is_some() { Some("III/d") } else { None },
            "jabatan": "Kasi", "unit_code": unit, "active": active})
    };
    let nip = "198503152010011002";
    let update = |f: Value| op(OpKind::StaffUpdate, "s1", json!({"id": "s1", "fields": f}), Some(2));
    let kept = StaffState {
        id: "s1".into(),
        office: "36.01.01".into(),
        version: 2,
        fields: serde_json::from_value(fields("36.01.01", true, Some(nip))).unwrap(),
    };
    let c = Context {
        actor: Some(signer("36.01.01", &[Role::Supervisor])),
        staff: Some(kept.clone()),
        ..ctx("36.01.01")
    };
    let accounts = |d: &Decision| -> Vec<(String, String)> {
        d.writes
            .iter()
            .filter_map(|w| match w {
                Write::DeactivateAccounts { office, nip } => Some((office.clone(), nip.clone())),
                _ => None,
            })
            .collect()
    };
    let here = vec![("36.01.01".to_string(), nip.to_string())];
    let d = decide(&update(fields("36.01.01", false, Some(nip))), &c);
    assert_eq!((d.status, accounts(&d)), (OpStatus::Accepted, here.clone()), "deactivated");
    let d = decide(&update(fields("36.01.02", true, Some(nip))), &c);
    assert_eq!((d.status, accounts(&d)), (OpStatus::Accepted, here), "transferred: the old office's");
    let d = decide(&update(fields("36.01.01", true, Some(nip))), &c);
    assert_eq!((d.status, accounts(&d)), (OpStatus::Accepted, vec![]), "still here");
    let d = decide(&update(fields("36.01.01", false, None)), &c);
    assert_eq!((d.status, accounts(&d)), (OpStatus::Accepted, vec![]), "no NIP, nothing to follow");
    let stale = Context { staff: Some(StaffState { version: 3, ..kept }), ..c };
    let d = decide(&update(fields("36.01.01", false, Some(nip))), &stale);
    assert_eq!((d.status, accounts(&d)), (OpStatus::Conflict, vec![]), "not before a supervisor settles it");
}
