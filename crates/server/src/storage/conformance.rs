//! The conformance suite every storage backend must pass.
//!
//! Each check takes a fresh, empty storage. `tests/conformance.rs` runs every check against
//! SQLite and against PostgreSQL, so the two backends cannot drift apart.

use std::sync::LazyLock;

use chrono::{Duration, Utc};
use loket_keys::UserKey;
use loket_protocol::{ChangeKind, ChangeRecord, OpKind, OpStatus, Operation, Proof};
use serde_json::{json, Value};

use super::{Device, NewDevice, NewEnrollmentCode, Storage, StorageError, User};
use crate::auth;

/// The one key every user of the suite holds (a key per user would only cost argon2 time).
/// The suite's users' password (`rahasia-panjang`), hashed once: a hash costs 64 MiB and a
/// sixth of a second.
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| auth::hash_password("rahasia-panjang"));
pub static KEY: LazyLock<UserKey> = LazyLock::new(UserKey::generate);
static WRAPPED: LazyLock<String> = LazyLock::new(|| KEY.wrap("rahasia-panjang"));

/// The clerk every device's unsigned operations are signed as in the suite.
pub fn clerk_of(office_code: &str) -> String {
    format!("petugas-{}", office_code.replace('.', ""))
}

/// `op` signed by `user` with `key`.
pub fn sign_as(mut op: Operation, user: &str, key: &UserKey) -> Operation {
    let mut proof = Proof { user: user.into(), key_id: key.key_id(), signature: String::new() };
    proof.signature = key.sign(&op.signed(&proof).message());
    op.proof = Some(proof);
    op
}

/// Operations as `d` sends them: each one not signed yet is signed by the user its payload
/// names as actor, or else by the clerk of the device's office.
pub fn signed(d: &Device, ops: Vec<Operation>) -> Vec<Operation> {
    signed_in(&d.office_code, ops)
}

/// [`signed`] for a device of `office_code`.
pub fn signed_in(office_code: &str, ops: Vec<Operation>) -> Vec<Operation> {
    ops.into_iter()
        .map(|op| {
            if op.proof.is_some() {
                return op;
            }
            let named = serde_json::from_str::<Value>(op.payload.get())
                .ok()
                .and_then(|v| v["actor"].as_str().map(str::to_string));
            let user = named.unwrap_or_else(|| clerk_of(office_code));
            sign_as(op, &user, &KEY)
        })
        .collect()
}

/// [`run`], by the one list of checks.
macro_rules! checks {
    ($($name:ident),+ $(,)?) => {
        /// Run one named check.
        pub async fn run(name: &str, s: &dyn Storage) {
            match name {
                $(stringify!($name) => $name(s).await,)+
                other => panic!("unknown conformance check {other}"),
            }
        }
    };
}

/// Calls `$m!` with the name of every check: the suite's own list, and the one the test binary
/// makes a test per backend of (`tests/conformance.rs`), so neither can miss a check.
#[macro_export]
macro_rules! with_conformance_checks {
    ($m:ident) => {
        $m!(
            enrollment,
            idempotent_push,
            pull_paging,
            duplicate_aid,
            transitions_and_roles,
            edit_conflicts,
            users_sync_to_their_office,
            durability,
            concurrent_pushes,
            attachment_upload,
            one_number_per_draft,
            keys_and_links,
            untrusted_operations,
            data_epoch,
            a_revoked_device_reports_its_wipe,
            access_records,
            retention_redacts_personal_data,
            releases_and_their_artifacts,
            holiday_calendars,
            receipt_facts,
            staff_conflicts,
            staff_departures,
            recap_by_month,
        );
    };
}

with_conformance_checks!(checks);

/// IT's recap counts the applications registered in the period, by office and status, with
/// fees, for the offices under a prefix.
pub async fn recap_by_month(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let b = device(s, "36.02.01").await;
    let at = |op: &mut Operation, when: &str, fee: i64| {
        edit_payload(op, |p| {
            p["created_at"] = json!(when);
            p["fee"] = json!(fee);
        })
    };
    let mut ops = Vec::new();
    for (i, when) in
        ["2026-10-31T16:59:59.000000Z", "2026-10-31T17:00:00.000000Z", "2026-11-15T03:00:00.000000Z"]
            .iter()
            .enumerate()
    {
        let mut op = register_op(
            i as i64 + 1,
            &format!("r{i}"),
            "36.01.01",
            &format!("360101120590000{i}"),
            "3601011501100003",
        );
        at(&mut op, when, 0);
        ops.push(op);
    }
    push(s, &a, ops).await;
    let mut far = register_op(1, "f1", "36.02.01", "3602011205900001", "3602011501100003");
    at(&mut far, "2026-11-02T03:00:00.000000Z", 0);
    push(s, &b, vec![far]).await;
    // November in WIB: from 31 October 17:00 UTC.
    let rows = s.recap("2026-10-31T17:00:00", "2026-11-30T17:00:00", "36").await.unwrap();
    let counts: Vec<(&str, &str, i64)> =
        rows.iter().map(|r| (r.office_code.as_str(), r.status.as_str(), r.count)).collect();
    assert_eq!(counts, [("36.01.01", "submitted", 2), ("36.02.01", "submitted", 1)]);
    let only = s.recap("2026-10-31T17:00:00", "2026-11-30T17:00:00", "36.01").await.unwrap();
    assert_eq!(only.len(), 1);
}

/// Two laptops update one staff record from the same version: the second to arrive is kept as
/// a conflict (with the server's record) instead of overwriting the first; an update on the
/// server's version that names it settles it. A transfer moves the record to the other office,
/// whose devices get it, and the old office can no longer change it.
pub async fn staff_conflicts(s: &dyn Storage) {
    let (a, b) = (device(s, "36.01.01").await, device(s, "36.01.01").await);
    let far = device(s, "36.01.02").await;
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    let fields = |jabatan: &str, unit: &str| json!({ "full_name": "Dedi Kurniawan", "status": "non_asn", "jabatan": jabatan, "unit_code": unit });
    let mut seq = 0;
    let mut op = |kind: OpKind, payload: Value, base: Option<i64>| {
        seq += 1;
        sign_as(operation(seq, kind, "s1", payload, base), "kasi", &KEY)
    };
    let create = {
        let mut p = fields("Pengadministrasi Umum", "36.01.01");
        p["id"] = json!("s1");
        op(OpKind::StaffCreate, p, None)
    };
    let update = |jabatan: &str, unit: &str, resolves: Vec<&str>| json!({ "id": "s1", "fields": fields(jabatan, unit), "resolves": resolves });
    let first = op(OpKind::StaffUpdate, update("Kepala Seksi Pelayanan", "36.01.01", vec![]), Some(1));
    let second = op(OpKind::StaffUpdate, update("Sekretaris Kecamatan", "36.01.01", vec![]), Some(1));
    let r = s.push(&a, vec![create, first], Utc::now()).await.unwrap();
    assert!(r.iter().all(|r| r.status == OpStatus::Accepted), "{r:?}");
    let r = s.push(&b, vec![second.clone()], Utc::now()).await.unwrap();
    assert_eq!((r[0].status, r[0].code.as_deref()), (OpStatus::Conflict, Some("staff_changed")));
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    let conflict = changes.iter().find(|c| c.kind == ChangeKind::StaffConflict).expect("a staff conflict");
    assert_eq!(conflict.data["server_version"], 2);
    assert_eq!(conflict.data["server_fields"]["jabatan"], "Kepala Seksi Pelayanan");
    assert_eq!(conflict.data["fields"]["jabatan"], "Sekretaris Kecamatan");
    assert_eq!(conflict.data["op_id"], second.op_id.as_str());
    // Relayed updates carry the server's version of the record.
    let versions: Vec<i64> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Record && c.data["op"] == OpKind::StaffUpdate.as_str())
        .map(|c| c.data["payload"]["version"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(versions, [2]);

    // Settled on the server's version: taking the second laptop's value.
    let settle =
        op(OpKind::StaffUpdate, update("Sekretaris Kecamatan", "36.01.01", vec![&second.op_id]), Some(2));
    let r = s.push(&b, vec![settle], Utc::now()).await.unwrap();
    assert_eq!(r[0].status, OpStatus::Accepted, "{r:?}");

    // Transferred to 36.01.02: its devices get the record; 36.01.01 can no longer change it.
    let transfer = op(OpKind::StaffUpdate, update("Sekretaris Kecamatan", "36.01.02", vec![]), Some(3));
    let r = s.push(&a, vec![transfer], Utc::now()).await.unwrap();
    assert_eq!(r[0].status, OpStatus::Accepted, "{r:?}");
    let (there, _) = pull(s, "36.01.02", 0, 100).await.unwrap();
    assert!(
        there.iter().any(|c| c.kind == ChangeKind::Record && c.data["payload"]["version"] == 4),
        "{there:?}"
    );
    let late = op(OpKind::StaffUpdate, update("Camat", "36.01.01", vec![]), Some(4));
    let r = s.push(&a, vec![late], Utc::now()).await.unwrap();
    assert_eq!(r[0].code.as_deref(), Some("forbidden_office"));
    let _ = far;
}

/// A staff member deactivated on a laptop leaves the office's accounts that name their NIP
/// (login and signature refused from then on, the office's devices told); accounts of other
/// members, and of the same NIP in another office, stay. A transfer does the same for the old
/// office.
pub async fn staff_departures(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    device(s, "36.01.02").await;
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    let (nip, other_nip) = ("198503152010011002", "199001012015032001");
    for (office, username, nip) in
        [("36.01.01", "ahmad", nip), ("36.01.01", "siti", other_nip), ("36.01.02", "ahmad.cmg", nip)]
    {
        user(s, office, username, &["clerk"]).await;
        let u = s.update_user(username, super::UserUpdate::Staff(nip.into()), Utc::now()).await.unwrap();
        assert_eq!(u.nip.as_deref(), Some(nip));
    }
    let fields = |nip: &str, unit: &str, active: bool| {
        json!({ "full_name": "Ahmad Fauzi", "status": "pns",
        "employee_number": nip, "golongan": "III/d", "jabatan": "Kasi", "unit_code": unit, "active": active })
    };
    let mut seq = 0;
    let mut op = |kind: OpKind, id: &str, payload: Value, base: Option<i64>| {
        seq += 1;
        sign_as(operation(seq, kind, id, payload, base), "kasi", &KEY)
    };
    let create = |id: &str, nip: &str| {
        let mut p = fields(nip, "36.01.01", true);
        p["id"] = json!(id);
        p
    };
    let ops = vec![
        op(OpKind::StaffCreate, "s1", create("s1", nip), None),
        op(OpKind::StaffCreate, "s2", create("s2", other_nip), None),
        op(
            OpKind::StaffUpdate,
            "s1",
            json!({ "id": "s1", "fields": fields(nip, "36.01.01", false) }),
            Some(1),
        ),
    ];
    let after = pull(s, "36.01.01", 0, 1000).await.unwrap().0.last().map_or(0, |c| c.server_seq);
    let r = s.push(&a, ops, Utc::now()).await.unwrap();
    assert!(r.iter().all(|r| r.status == OpStatus::Accepted), "{r:?}");
    let active = async |u: &str| s.user_by_username(u).await.unwrap().unwrap().active;
    assert!(!active("ahmad").await, "the departed member's account");
    assert!(active("siti").await && active("ahmad.cmg").await && active("kasi").await);
    let (changes, _) = pull(s, "36.01.01", after, 1000).await.unwrap();
    let told: Vec<_> = changes.iter().filter(|c| c.kind == ChangeKind::User).map(|c| &c.data).collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!((&told[0]["username"], &told[0]["active"]), (&json!("ahmad"), &json!(false)));

    // Transferred to 36.01.02: the account of 36.01.01 goes; the one there stays.
    let transfer = op(
        OpKind::StaffUpdate,
        "s2",
        json!({ "id": "s2", "fields": fields(other_nip, "36.01.02", true) }),
        Some(1),
    );
    let r = s.push(&a, vec![transfer], Utc::now()).await.unwrap();
    assert_eq!(r[0].status, OpStatus::Accepted, "{r:?}");
    assert!(!active("siti").await && active("ahmad.cmg").await);
}

/// A receipt's check finds the user it names with their keys, the number the server holds for
/// the application, the device whose receipt key it names, and the province's keys; nothing
/// for a user, an application or a key it does not know. The province's key is made once; a
/// device registers one receipt key, which no other device may take.
pub async fn receipt_facts(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let b = device(s, "36.01.01").await;
    user(s, "36.01.01", "ani", &["clerk"]).await;
    push(s, &a, vec![register_op(1, "r1", "36.01.01", "3601011205900001", "3601011501100003")]).await;
    let device_key = UserKey::generate();
    let facts = s.receipt_facts("ani", "r1", &device_key.key_id()).await.unwrap();
    let signer = facts.signer.expect("ani is known");
    assert_eq!(signer.office, "36.01.01");
    assert_eq!(signer.keys.get(&KEY.key_id()), Some(&KEY.public_key()));
    assert_eq!(facts.registered, Some(Some(number_for("36.01.01", "r1", 1))));
    assert!(facts.device.is_none() && facts.province_keys.is_empty(), "no key registered yet");

    // The province's key: the first one kept stays.
    let fresh = |k: &UserKey| super::ProvinceKey {
        key_id: k.key_id(),
        public_key: k.public_key(),
        secret: k.export_secret().to_string(),
    };
    let (p1, p2) = (UserKey::generate(), UserKey::generate());
    assert_eq!(s.province_key(&fresh(&p1), Utc::now()).await.unwrap(), fresh(&p1));
    assert_eq!(s.province_key(&fresh(&p2), Utc::now()).await.unwrap(), fresh(&p1), "made once");

    // A device's receipt key: registered once (again: the same key), never another's.
    let (pk, id) = (device_key.public_key(), device_key.key_id());
    assert!(s.set_device_key(&a.id, &id, &pk).await.unwrap());
    assert!(s.set_device_key(&a.id, &id, &pk).await.unwrap(), "the same key again");
    let other = UserKey::generate();
    assert!(
        !s.set_device_key(&a.id, &other.key_id(), &other.public_key()).await.unwrap(),
        "one key a device"
    );
    assert!(
        matches!(s.set_device_key(&b.id, &id, &pk).await, Err(StorageError::Duplicate(_))),
        "not another's"
    );
    let facts = s.receipt_facts("ani", "r1", &id).await.unwrap();
    let known = facts.device.expect("the device of that key");
    assert_eq!(
        (known.device_code, known.office, known.public_key),
        (a.device_code.clone(), "36.01.01".into(), pk)
    );
    assert_eq!(facts.province_keys.get(&p1.key_id()), Some(&p1.public_key()));
    assert!(known.revoked_at.is_none());
    assert!(s.revoke_device(&a.id, Utc::now()).await.unwrap());
    let revoked = s.receipt_facts("ani", "r1", &id).await.unwrap().device.expect("still known");
    assert!(revoked.revoked_at.is_some(), "revoked since: its receipts say so when checked");

    let none = s.receipt_facts("nobody", "r2", "0000000000000000").await.unwrap();
    assert!(none.signer.is_none() && none.registered.is_none() && none.device.is_none());
}

/// The data epoch is made once and stays until renewed; a renewal is a new value that stays.
pub async fn data_epoch(s: &dyn Storage) {
    let first = s.epoch().await.unwrap();
    assert!(!first.is_empty());
    assert_eq!(s.epoch().await.unwrap(), first, "stable");
    let renewed = s.renew_epoch().await.unwrap();
    assert_ne!(renewed, first);
    assert_eq!(s.epoch().await.unwrap(), renewed, "a renewal stays");
}

/// Looks at personal data are kept for IT: who, when, from which device; a searched number only
/// as its keyed hash. `accesses` finds the searches for a number and the looks at its holder's
/// applications, and nothing else.
pub async fn access_records(s: &dyn Storage) {
    let d = device(s, "36.01.01").await;
    let (nik, kk, other) = ("3601011205900001", "3601011501100003", "3601011205900002");
    let access =
        |seq: i64, payload: Value| operation(seq, OpKind::AccessRecord, &format!("acc-{seq}"), payload, None);
    let ops = signed(
        &d,
        vec![
            register_op(1, "app-1", "36.01.01", nik, kk),
            access(2, json!({"id": "acc-2", "action": "view_application", "application_id": "app-1"})),
            access(3, json!({"id": "acc-3", "action": "search_number", "identifier": nik})),
            access(4, json!({"id": "acc-4", "action": "search_number", "identifier": other})),
            access(5, json!({"id": "acc-5", "action": "search_number"})),
            access(6, json!({"id": "acc-6", "action": "export"})),
        ],
    );
    let results = s.push(&d, ops, Utc::now()).await.unwrap();
    let statuses: Vec<_> = results.iter().map(|r| (r.status, r.code.as_deref())).collect();
    assert_eq!(
        statuses,
        [
            (OpStatus::Accepted, None),
            (OpStatus::Accepted, None),
            (OpStatus::Accepted, None),
            (OpStatus::Accepted, None),
            (OpStatus::Rejected, Some("access.invalid")),
            (OpStatus::Accepted, None),
        ]
    );
    let key = s.audit_key().await.unwrap();
    assert_eq!(s.audit_key().await.unwrap(), key, "one key");
    let since = (Utc::now() - Duration::days(90)).to_rfc3339();
    let found = s.accesses(nik, &super::subject_hash(&key, nik), &since).await.unwrap();
    let seen: Vec<_> = found.iter().map(|r| (r.action.as_str(), r.application_id.as_deref())).collect();
    assert_eq!(seen, [("view_application", Some("app-1")), ("search_number", None)]);
    assert!(found
        .iter()
        .all(|r| r.username == clerk_of("36.01.01") && r.device_code.as_deref() == Some(&*d.device_code)));
    // By the household card too: the looks at its applications.
    let by_kk = s.accesses(kk, &super::subject_hash(&key, kk), &since).await.unwrap();
    assert_eq!(by_kk.len(), 1);
    let later = (Utc::now() + Duration::minutes(1)).to_rfc3339();
    assert!(s.accesses(nik, &super::subject_hash(&key, nik), &later).await.unwrap().is_empty());
    // Nothing about access reaches the office's devices.
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    assert!(changes.iter().all(|c| !c.data.to_string().contains("search_number")), "{changes:?}");
}

/// At the end of its retention period an application keeps what statistics need and loses
/// the people in it: its row, every change of the office's feed about it and its scanned
/// documents; the office's devices are told with a `redacted` change. Only finished (or
/// abandoned draft) applications are due, each once.
pub async fn retention_redacts_personal_data(s: &dyn Storage) {
    use loket_domain::workflow::ApplicationKind;
    let d = device(s, "36.01.01").await;
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    let (nik, kk, member) = ("3601011205900001", "3601011501100003", "3601015508150002");
    let mut register = register_op(1, "x", "36.01.01", nik, kk);
    edit_payload(&mut register, |p| {
        p["household"] = json!([{ "nik": member, "full_name": "Aisyah", "relationship": "Anak" }]);
    });
    let scan = b"\x89PNG\r\n\x1a\nSCAN-OF-A-KTP".to_vec();
    let attach = attach_op(2, "x", &scan, "image/png");
    let sha: String =
        serde_json::from_str::<Value>(attach.payload.get()).unwrap()["sha256"].as_str().unwrap().into();
    let r =
        push(s, &d, vec![register, attach, register_op(3, "y", "36.01.01", "3601011205900002", kk)]).await;
    assert!(r.iter().all(|r| r.status == OpStatus::Accepted), "{r:?}");
    s.blob_append(chunk("36.01.01", &sha, scan.len() as i64, 0, scan.clone())).await.unwrap();
    let steps = vec![
        transition_op(4, "x", "start_review", "submitted", "kasi"),
        transition_op(5, "x", "approve", "in_review", "kasi"),
    ];
    assert!(push(s, &d, steps).await.iter().all(|r| r.status == OpStatus::Accepted));

    let at =
        |days: i64| (Utc::now() + Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert!(s.retention_due(ApplicationKind::Bansos, &at(-1825), &at(-90), 10).await.unwrap().is_empty());
    assert_eq!(
        s.retention_due(ApplicationKind::Bansos, &at(1), &at(-90), 10).await.unwrap(),
        ["x"],
        "y is not finished"
    );
    assert!(s.retention_due(ApplicationKind::Permit, &at(1), &at(1), 10).await.unwrap().is_empty());
    assert!(s.redact_application("x", Utc::now()).await.unwrap());
    assert!(!s.redact_application("x", Utc::now()).await.unwrap(), "once");
    assert!(!s.redact_application("nothing", Utc::now()).await.unwrap());
    assert!(s.retention_due(ApplicationKind::Bansos, &at(1), &at(-90), 10).await.unwrap().is_empty());

    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    let about_x: Vec<_> = changes.iter().filter(|c| c.entity_id == "x").collect();
    let text = serde_json::to_string(&about_x.iter().map(|c| &c.data).collect::<Vec<_>>()).unwrap();
    for personal in [nik, member, "Warga", "Aisyah", "ktp.pdf"] {
        assert!(!text.contains(personal), "{personal} left in {text}");
    }
    assert!(
        text.contains("360101-") && text.contains("PKH") && text.contains("approved"),
        "statistics stay: {text}"
    );
    assert_eq!(about_x.last().unwrap().kind, ChangeKind::Redacted);
    // Every change still decodes as its kind: a device pulling from the start applies them.
    for c in &about_x {
        loket_protocol::ChangeBody::decode(c.kind, &c.data.to_string()).unwrap();
    }
    assert!(s.blob_read("36.01.01", &sha).await.unwrap().is_none(), "the scan is gone");
    // The other application, of the same household card, keeps everything.
    let y = changes.iter().find(|c| c.entity_id == "y").unwrap().data.to_string();
    assert!(y.contains(kk) && y.contains("3601011205900002"));
    assert_eq!(s.count_applications(Some("36.01.01")).await.unwrap(), 2, "the record stays");
    s.prune_access_log(&at(1)).await.unwrap();
    s.compact().await.unwrap();
}

/// A release IT publishes: its artifacts kept whole and readable by any byte range (a cut
/// download resumes), a version never published twice, pause, resume and promote, a yank for
/// good, each device counted once per rollout step, and the minimum app version.
pub async fn releases_and_their_artifacts(s: &dyn Storage) {
    use crate::rules::release::ReleaseState;
    let bundle: Vec<u8> = (0..2_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let release = super::NewRelease {
        version: "0.2.0".into(),
        notes: "Perbaikan cetak tanda terima".into(),
        percent: 30,
        regions: vec!["36.01".into()],
        artifacts: vec![super::NewArtifact {
            target: "linux-x86_64".into(),
            file_name: "loket_0.2.0_amd64.deb".into(),
            signature: "untrusted comment: signature from tauri secret key\nRWT...".into(),
            bytes: bundle.clone(),
        }],
    };
    let now = Utc::now();
    s.publish_release(&release, now).await.unwrap();
    assert!(matches!(s.publish_release(&release, now).await, Err(StorageError::Duplicate("release"))));
    let listed = s.releases().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].state, listed[0].percent, listed[0].regions.clone()),
        (ReleaseState::Active, 30, vec!["36.01".to_string()])
    );
    let artifacts = s.artifacts("0.2.0").await.unwrap();
    assert_eq!(artifacts.len(), 1);
    let a = &artifacts[0];
    assert_eq!((a.size, a.sha256.len()), (bundle.len() as i64, 64));
    assert_eq!(s.artifact_by_sha(&a.sha256).await.unwrap().as_ref(), Some(a));
    assert_eq!(s.artifact_by_sha(&"0".repeat(64)).await.unwrap(), None);
    // Whole, and by ranges across chunk boundaries.
    assert_eq!(s.artifact_bytes(&a.sha256, 0, a.size).await.unwrap(), bundle);
    for (start, end) in [(0, 10), (1_048_570, 1_048_590), (2_097_000, 2_500_000), (2_499_999, 2_500_000)] {
        let got = s.artifact_bytes(&a.sha256, start, end).await.unwrap();
        assert_eq!(got, &bundle[start as usize..end as usize], "{start}..{end}");
    }

    assert!(s.update_release("0.2.0", Some(ReleaseState::Paused), None, now).await.unwrap());
    assert!(s.update_release("0.2.0", Some(ReleaseState::Active), Some(60), now).await.unwrap());
    assert_eq!(s.releases().await.unwrap()[0].percent, 60);
    assert!(s.update_release("0.2.0", Some(ReleaseState::Yanked), None, now).await.unwrap());
    assert!(
        !s.update_release("0.2.0", Some(ReleaseState::Active), None, now).await.unwrap(),
        "yanked for good"
    );
    assert!(!s.update_release("9.9.9", Some(ReleaseState::Paused), None, now).await.unwrap());
    assert_eq!(s.releases().await.unwrap()[0].state, ReleaseState::Yanked);

    for (device, event) in [("d1", "offered"), ("d1", "offered"), ("d2", "offered"), ("d1", "downloaded")] {
        s.rollout_event("0.2.0", device, event, now).await.unwrap();
    }
    // A laptop syncing with the release's version has installed it; other versions count nothing.
    s.rollout_installed("d1", "0.2.0", now).await.unwrap();
    s.rollout_installed("d1", "0.2.0", now).await.unwrap();
    s.rollout_installed("d2", "0.1.0", now).await.unwrap();
    assert_eq!(
        s.rollout_counts("0.2.0").await.unwrap(),
        [("downloaded".to_string(), 1), ("installed".to_string(), 1), ("offered".to_string(), 2)]
    );
    assert_eq!(s.minimum_app_version().await.unwrap(), None);
    s.set_minimum_app_version("0.2.0").await.unwrap();
    s.set_minimum_app_version("0.3.0").await.unwrap();
    assert_eq!(s.minimum_app_version().await.unwrap().as_deref(), Some("0.3.0"));
    assert_eq!(s.release_key().await.unwrap(), None);
    s.set_release_key("a2V5IDE=").await.unwrap();
    s.set_release_key("a2V5IDI=").await.unwrap();
    assert_eq!(s.release_key().await.unwrap().as_deref(), Some("a2V5IDI="), "the key IT trusted last");
}

/// The published calendars: a year of a region replaced whole (other years and regions kept),
/// a kabupaten/kota's policy set and changed, every office listed, and the changes for the
/// laptops written in the same transaction, in the office's feed as `record`s.
pub async fn holiday_calendars(s: &dyn Storage) {
    use crate::rules::holiday::Day;
    use loket_domain::sla::HolidayKind;
    let day = |region: &str, day: &str, kind| Day {
        region: region.into(),
        day: day.into(),
        kind,
        name: format!("Libur {day}"),
    };
    for office in ["36.01.01", "36.73.01"] {
        s.upsert_office(office, "Kecamatan").await.unwrap();
    }
    let codes: Vec<String> = s.offices().await.unwrap().into_iter().map(|o| o.code).collect();
    assert_eq!(codes, ["36.01.01", "36.73.01"]);
    let load = |region: &str, year: i32, days: Vec<Day>, changes: Vec<(String, String, String)>| {
        super::CalendarUpdate { region: Some(region.into()), years: vec![year], days, policy: None, changes }
    };
    let change = |office: &str, day: &str| {
        (office.to_string(), day.to_string(), json!({"op": "x", "day": day}).to_string())
    };
    let national = vec![
        day("36", "2026-03-20", HolidayKind::CutiBersama),
        day("36", "2026-03-21", HolidayKind::LiburNasional),
    ];
    s.update_calendar(&load("36", 2026, national, vec![change("36.01.01", "2026-03-20")]), Utc::now())
        .await
        .unwrap();
    s.update_calendar(
        &load("36", 2027, vec![day("36", "2027-01-01", HolidayKind::LiburNasional)], vec![]),
        Utc::now(),
    )
    .await
    .unwrap();
    s.update_calendar(
        &load("36.01", 2026, vec![day("36.01", "2026-04-01", HolidayKind::LiburDaerah)], vec![]),
        Utc::now(),
    )
    .await
    .unwrap();
    // 2026 of the national calendar again, corrected: one day.
    s.update_calendar(
        &load("36", 2026, vec![day("36", "2026-03-21", HolidayKind::LiburNasional)], vec![]),
        Utc::now(),
    )
    .await
    .unwrap();
    let stored: Vec<(String, String, HolidayKind)> =
        s.holidays().await.unwrap().into_iter().map(|d| (d.region, d.day, d.kind)).collect();
    assert_eq!(
        stored,
        [
            ("36".to_string(), "2026-03-21".to_string(), HolidayKind::LiburNasional),
            ("36".into(), "2027-01-01".into(), HolidayKind::LiburNasional),
            ("36.01".into(), "2026-04-01".into(), HolidayKind::LiburDaerah),
        ]
    );
    let policy = |regency: &str, working: bool| super::CalendarUpdate {
        policy: Some((regency.into(), working)),
        changes: vec![change("36.73.01", "2026-03-20")],
        ..super::CalendarUpdate::default()
    };
    s.update_calendar(&policy("36.73", true), Utc::now()).await.unwrap();
    s.update_calendar(&policy("36.01", false), Utc::now()).await.unwrap();
    s.update_calendar(&policy("36.73", false), Utc::now()).await.unwrap();
    assert_eq!(
        s.holiday_policies().await.unwrap(),
        [("36.01".to_string(), false), ("36.73".to_string(), false)]
    );
    let (sumur, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    let (serang, _) = pull(s, "36.73.01", 0, 100).await.unwrap();
    assert_eq!(sumur.len(), 1, "one change for Sumur");
    assert_eq!((sumur[0].kind, sumur[0].entity_id.as_str()), (ChangeKind::Record, "2026-03-20"));
    assert_eq!(serang.len(), 3, "three policy changes for Serang");
}

/// A page of changes with their data parsed, as a device reads it.
async fn pull(
    s: &dyn Storage,
    office: &str,
    after: i64,
    limit: u32,
) -> Result<(Vec<ChangeRecord<Value>>, bool), StorageError> {
    let (page, more) = s.pull(office, after, limit).await?;
    let parsed = page
        .into_iter()
        .map(|c| ChangeRecord {
            data: serde_json::from_str(c.data.get()).expect("stored change data is JSON"),
            server_seq: c.server_seq,
            kind: c.kind,
            entity_id: c.entity_id,
            hlc: c.hlc,
            received_at: c.received_at,
        })
        .collect();
    Ok((parsed, more))
}

async fn office(s: &dyn Storage, code: &str) {
    s.upsert_office(code, &format!("Kecamatan {code}")).await.unwrap();
}

/// Enroll a device of `office` and return it.
pub async fn device(s: &dyn Storage, office_code: &str) -> super::Device {
    office(s, office_code).await;
    let clerk = clerk_of(office_code);
    if s.user_by_username(&clerk).await.unwrap().is_none() {
        user(s, office_code, &clerk, &["clerk"]).await;
    }
    let code = auth::new_enrollment_code();
    let hash = auth::hash_secret(&auth::normalise_code(&code));
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: &hash,
        office_code,
        user_id: None,
        expires_at: Utc::now() + Duration::hours(1),
    })
    .await
    .unwrap();
    let new = NewDevice {
        id: uuid::Uuid::now_v7().to_string(),
        device_code: auth::new_device_code(),
        token_hash: auth::hash_secret(&uuid::Uuid::now_v7().to_string()),
        name: "Laptop loket".into(),
        app_version: "0.1.0".into(),
        local_user: None,
    };
    s.enroll_device(&hash, &new, Utc::now()).await.unwrap()
}

/// Push `ops` from `d`, signed as [`signed`] signs them.
async fn push(s: &dyn Storage, d: &Device, ops: Vec<Operation>) -> Vec<loket_protocol::OpResult> {
    s.push(d, signed(d, ops), Utc::now()).await.unwrap()
}

/// An operation of `kind` whose payload is `payload`, as a device sends it.
pub fn operation(
    seq: i64,
    kind: OpKind,
    entity_id: &str,
    payload: Value,
    base_version: Option<i64>,
) -> Operation {
    Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        seq,
        entity: kind.entity(),
        entity_id: entity_id.into(),
        op: kind,
        payload: serde_json::value::RawValue::from_string(payload.to_string()).expect("JSON"),
        base_version,
        hlc: format!("{:016}-00000-AAAA", seq),
        proof: None,
    }
}

/// Change the payload of `op`.
pub fn edit_payload(op: &mut Operation, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_str(op.payload.get()).expect("JSON");
    f(&mut v);
    op.payload = serde_json::value::RawValue::from_string(v.to_string()).expect("JSON");
}

/// `bytes` gzip-encoded, as devices send push bodies.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory")
}

/// A registration number of `office` for the application `id`: its device part is derived from
/// the id, so two test applications never share a number.
pub fn number_for(office: &str, id: &str, seq: i64) -> String {
    let alphabet = loket_domain::registration::DEVICE_CODE_ALPHABET;
    let h =
        id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let device: String = (0..4).map(|i| alphabet[((h >> (i * 5)) & 31) as usize] as char).collect();
    format!("{}-{device}-{:06}", office.replace('.', ""), seq.clamp(1, 999_999))
}

/// A bansos registration (PKH 2026) as the desktop writes it: valid by the domain's rules.
pub fn register_payload(seq: i64, id: &str, office: &str, nik: &str, kk: &str) -> Value {
    json!({
        "id": id, "kind": "bansos", "status": "submitted", "office_code": office, "service_code": "PKH",
        "period": "2026", "applicant_nik": nik, "kk": kk, "applicant_name": "Warga",
        "applicant_address": "Kp. Baru RT 01/02", "applicant_phone": null, "village_code": "36.01.01.2001",
        "organization_name": null, "created_at": "2026-11-28T03:00:00.000000Z",
        "created_hlc": format!("{seq:016}-00000-AAAA"), "fee": 0,
        "details": { "monthly_income": 500_000, "category": "miskin" }, "checklist": [], "household": [],
        "registration_number": number_for(office, id, seq),
    })
}

pub fn register_op(seq: i64, id: &str, office: &str, nik: &str, kk: &str) -> Operation {
    operation(seq, OpKind::ApplicationRegister, id, register_payload(seq, id, office, nik, kk), None)
}

/// A draft SKTM permit (letter of no means): no number yet, no document received.
pub fn permit_draft_op(seq: i64, id: &str, office: &str, nik: &str) -> Operation {
    let checklist: Vec<Value> = ["ktp", "kk", "pengantar_rt", "pengantar_desa"]
        .iter()
        .map(|c| json!({ "code": c, "received": false }))
        .collect();
    let mut op = register_op(seq, id, office, nik, "");
    edit_payload(&mut op, |p| {
        p["kind"] = json!("permit");
        p["service_code"] = json!("SKTM");
        p["status"] = json!("draft");
        p["registration_number"] = json!(null);
        p["period"] = json!(null);
        p["kk"] = json!(null);
        p["details"] = json!({ "type": "certificate", "purpose": "Persyaratan beasiswa" });
        p["checklist"] = json!(checklist);
    });
    op
}

async fn enrollment(s: &dyn Storage) {
    office(s, "36.01.01").await;
    let hash = auth::hash_secret("CODE1");
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: &hash,
        office_code: "36.01.01",
        user_id: None,
        expires_at: Utc::now() + Duration::hours(1),
    })
    .await
    .unwrap();
    let new = |code: &str| NewDevice {
        id: uuid::Uuid::now_v7().to_string(),
        device_code: code.into(),
        token_hash: auth::hash_secret(code),
        name: "x".into(),
        app_version: "0.1.0".into(),
        local_user: None,
    };
    let d = s.enroll_device(&hash, &new("AAAA"), Utc::now()).await.unwrap();
    assert_eq!(d.office_code, "36.01.01");
    assert!(matches!(s.enroll_device(&hash, &new("BBBB"), Utc::now()).await, Err(StorageError::CodeUsed)));
    assert!(matches!(
        s.enroll_device("nope", &new("CCCC"), Utc::now()).await,
        Err(StorageError::CodeInvalid)
    ));
    let old = auth::hash_secret("OLD");
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: &old,
        office_code: "36.01.01",
        user_id: None,
        expires_at: Utc::now() - Duration::minutes(1),
    })
    .await
    .unwrap();
    assert!(matches!(s.enroll_device(&old, &new("DDDD"), Utc::now()).await, Err(StorageError::CodeExpired)));
    assert!(matches!(
        s.create_enrollment_code(&NewEnrollmentCode {
            code_hash: "x",
            office_code: "99.99.99",
            user_id: None,
            expires_at: Utc::now()
        })
        .await,
        Err(StorageError::NotFound("office"))
    ));
    let found = s.device_by_token(&auth::hash_secret("AAAA")).await.unwrap().unwrap();
    assert!(!found.revoked);
    assert!(s.revoke_device(&d.id, Utc::now()).await.unwrap());
    assert!(!s.revoke_device(&d.id, Utc::now()).await.unwrap(), "revoking twice is a no-op");
    assert!(s.device_by_token(&auth::hash_secret("AAAA")).await.unwrap().unwrap().revoked);
    assert_eq!(s.list_devices().await.unwrap().len(), 1);
    assert_eq!(s.list_devices().await.unwrap()[0].wiped_at, None);
}

async fn a_revoked_device_reports_its_wipe(s: &dyn Storage) {
    let d = device(s, "36.01.01").await;
    assert!(!s.record_wipe(&d.id, Utc::now()).await.unwrap(), "an active device cannot be wiped");
    assert!(!s.record_wipe("no-such-device", Utc::now()).await.unwrap());
    s.revoke_device(&d.id, Utc::now()).await.unwrap();
    let first = Utc::now();
    assert!(s.record_wipe(&d.id, first).await.unwrap());
    assert!(
        s.record_wipe(&d.id, first + chrono::Duration::hours(1)).await.unwrap(),
        "a re-sent report is fine"
    );
    let listed = s.list_devices().await.unwrap().into_iter().find(|x| x.id == d.id).unwrap();
    assert_eq!(
        listed.wiped_at,
        Some(first.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        "the first report's time is kept"
    );
}

async fn idempotent_push(s: &dyn Storage) {
    let d = device(s, "36.01.01").await;
    let ops: Vec<_> = (1..=5)
        .map(|i| {
            register_op(
                i,
                &format!("app-{i}"),
                "36.01.01",
                &format!("360101120590{i:04}"),
                "3601011501100003",
            )
        })
        .collect();
    let first = push(s, &d, ops.clone()).await;
    assert!(first.iter().all(|r| r.status == OpStatus::Accepted), "{first:?}");
    for _ in 0..2 {
        assert_eq!(push(s, &d, ops.clone()).await, first, "same batch, same results");
    }
    assert_eq!(s.count_applications(Some("36.01.01")).await.unwrap(), 5);
    // The same (device, seq) under a new op id is the same operation.
    let mut again = ops[0].clone();
    again.op_id = uuid::Uuid::now_v7().to_string();
    assert_eq!(push(s, &d, vec![again]).await[0].status, OpStatus::Accepted);
    assert_eq!(s.count_applications(None).await.unwrap(), 5);
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    assert_eq!(changes.iter().filter(|c| c.kind == ChangeKind::Application).count(), 5);
    // A bad operation is rejected and does not block the next one.
    let bad = register_op(6, "app-6", "36.01.01", "123", "3601011501100003");
    let good = register_op(7, "app-7", "36.01.01", "3601011205900077", "3601011501100003");
    let r = push(s, &d, vec![bad, good]).await;
    assert_eq!((r[0].status, r[1].status), (OpStatus::Rejected, OpStatus::Accepted));
    assert_eq!(r[0].code.as_deref(), Some("nik.length"));
}

async fn pull_paging(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let b = device(s, "36.01.02").await;
    let ops: Vec<_> = (1..=7)
        .map(|i| {
            register_op(i, &format!("a-{i}"), "36.01.01", &format!("360101120590{i:04}"), "3601011501100003")
        })
        .collect();
    push(s, &a, ops.clone()).await;
    push(s, &b, vec![register_op(1, "b-1", "36.01.02", "3601021205900001", "3601021501100003")]).await;
    let mut after = 0;
    let mut seen = vec![];
    loop {
        let (page, more) = pull(s, "36.01.01", after, 3).await.unwrap();
        assert!(page.len() <= 3);
        for c in &page {
            assert!(c.server_seq > after, "monotonic");
            after = c.server_seq;
            if c.kind == ChangeKind::Application {
                seen.push(c.entity_id.clone());
            }
        }
        if !more {
            break;
        }
    }
    assert_eq!(seen, (1..=7).map(|i| format!("a-{i}")).collect::<Vec<_>>(), "scoped to the office, in order");
    let (other, _) = pull(s, "36.01.02", 0, 100).await.unwrap();
    let apps = other.iter().filter(|c| c.kind == ChangeKind::Application);
    assert_eq!(apps.map(|c| c.entity_id.as_str()).collect::<Vec<_>>(), ["b-1"]);
}

async fn duplicate_aid(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let b = device(s, "36.01.02").await;
    let nik = "3601011205900001";
    push(s, &a, vec![register_op(1, "a-1", "36.01.01", nik, "3601011501100003")]).await;
    // Same NIK, same programme and period, another kecamatan: both offices are told.
    let r = push(s, &b, vec![register_op(1, "b-1", "36.01.02", nik, "3601021501100009")]).await;
    assert_eq!(r[0].status, OpStatus::Accepted);
    let flags = |office: &'static str| async move {
        pull(s, office, 0, 100)
            .await
            .unwrap()
            .0
            .into_iter()
            .filter(|c| c.kind == ChangeKind::Flag)
            .collect::<Vec<_>>()
    };
    let fa = flags("36.01.01").await;
    let fb = flags("36.01.02").await;
    assert_eq!(fa.len(), 1);
    assert_eq!(fb.len(), 1);
    // Each office learns the kecamatan, programme, period and a shared reference — not the
    // other office's record id, number or personal data.
    assert_eq!(fa[0].data["reference"], fb[0].data["reference"]);
    assert_eq!(fa[0].data["reference"], crate::rules::flag_reference("a-1", "b-1"));
    assert_eq!(
        (fa[0].data["other_office_code"].as_str(), fb[0].data["other_office_code"].as_str()),
        (Some("36.01.02"), Some("36.01.01"))
    );
    for (f, other) in [(&fa[0], "b-1\""), (&fb[0], "a-1\"")] {
        let text = f.data.to_string();
        for secret in [other, "360101-", "360102-", nik, "Warga"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert_eq!(fa[0].data["reason"], "nik");
    // The province sees both sides.
    let pairs = s.aid_flags().await.unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0].office_code.as_str(), pairs[0].other_office_code.as_str(), pairs[0].reason.as_str()),
        ("36.01.02", "36.01.01", "nik")
    );
    assert_eq!(pairs[0].programme, "PKH");
    // Same KK, different NIK, a third kecamatan: flagged by KK against the first.
    let c = device(s, "36.01.03").await;
    push(s, &c, vec![register_op(1, "c-1", "36.01.03", "3601031205900002", "3601011501100003")]).await;
    let fc = flags("36.01.03").await;
    assert_eq!(fc.len(), 1);
    assert_eq!(fc[0].data["reason"], "kk");
}

/// A user of `office_code` holding [`KEY`].
pub async fn user(s: &dyn Storage, office_code: &str, username: &str, roles: &[&str]) {
    s.create_user(
        &User {
            id: uuid::Uuid::now_v7().to_string(),
            office_code: office_code.into(),
            username: username.into(),
            full_name: username.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            password_hash: PASSWORD_HASH.clone(),
            active: true,
            public_key: KEY.public_key(),
            wrapped_key: WRAPPED.clone(),
            nip: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
}

fn transition_op(seq: i64, id: &str, action: &str, from: &str, actor: &str) -> Operation {
    let payload = json!({
        "event_id": uuid::Uuid::now_v7().to_string(), "application_id": id, "action": action, "from": from,
        "to": from, "note": "catatan", "actor": actor,
    });
    let mut op = operation(seq, OpKind::ApplicationTransition, id, payload, Some(1));
    op.hlc = format!("{:016}-00000-AAAA", 100 + seq);
    op
}

async fn transitions_and_roles(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let a2 = device(s, "36.01.01").await;
    user(s, "36.01.01", "ani", &["clerk"]).await;
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    push(s, &a, vec![register_op(1, "x", "36.01.01", "3601011205900001", "3601011501100003")]).await;
    let r = push(s, &a, vec![transition_op(2, "x", "start_review", "submitted", "ani")]).await;
    assert_eq!((r[0].status, r[0].code.as_deref()), (OpStatus::Rejected, Some("role_not_allowed")));
    let r = push(s, &a, vec![transition_op(3, "x", "start_review", "submitted", "kasi")]).await;
    assert_eq!(r[0].status, OpStatus::Accepted);
    // Two devices decide concurrently from in_review: the first to arrive wins.
    let r1 = push(s, &a, vec![transition_op(4, "x", "approve", "in_review", "kasi")]).await;
    let r2 = push(s, &a2, vec![transition_op(1, "x", "reject", "in_review", "kasi")]).await;
    assert_eq!(r1[0].status, OpStatus::Accepted);
    assert_eq!((r2[0].status, r2[0].code.as_deref()), (OpStatus::Conflict, Some("status_changed")));
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    assert_eq!(changes.iter().filter(|c| c.kind == ChangeKind::Event).count(), 2);
    assert_eq!(
        changes.iter().filter(|c| c.kind == ChangeKind::Conflict).count(),
        1,
        "the losing decision is kept and shown"
    );
    // Another office's device cannot touch it.
    let b = device(s, "36.01.02").await;
    let r = push(s, &b, vec![transition_op(1, "x", "cancel", "approved", "kasi")]).await;
    assert_eq!(r[0].code.as_deref(), Some("forbidden_office"));
}

/// Two devices submit one draft permit offline, each numbering it: the first number to reach
/// the server stays, and every later event carries it — also a step taken on the device that
/// lost, whose payload still has its own number (regression: fault-test seed 75).
async fn one_number_per_draft(s: &dyn Storage) {
    let (a, b) = (device(s, "36.01.01").await, device(s, "36.01.01").await);
    user(s, "36.01.01", "ani", &["clerk"]).await;
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    let draft = permit_draft_op(1, "p", "36.01.01", "3601011205900001");
    let r = push(s, &a, vec![draft]).await;
    assert_eq!(r[0].status, OpStatus::Accepted, "{:?}", r[0]);
    let submit = |seq, number: &str| {
        let mut op = transition_op(seq, "p", "submit", "draft", "ani");
        edit_payload(&mut op, |p| p["registration_number"] = json!(number));
        op
    };
    let first = push(s, &a, vec![submit(2, "360101-AAAA-000001")]).await;
    let second = push(s, &b, vec![submit(1, "360101-BBBB-000001")]).await;
    assert_eq!(first[0].status, OpStatus::Accepted, "{:?}", first[0]);
    assert_eq!((second[0].status, second[0].code.as_deref()), (OpStatus::Conflict, Some("status_changed")));
    // Device B, not yet aware, starts the review with its own number in the payload.
    let mut review = transition_op(2, "p", "start_review", "submitted", "kasi");
    edit_payload(&mut review, |p| p["registration_number"] = json!("360101-BBBB-000001"));
    assert_eq!(push(s, &b, vec![review]).await[0].status, OpStatus::Accepted);
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    let numbers: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Event || c.kind == ChangeKind::State)
        .map(|c| c.data["registration_number"].as_str().unwrap_or("-").to_string())
        .collect();
    assert!(!numbers.is_empty());
    assert!(numbers.iter().all(|n| n == "360101-AAAA-000001"), "numbers published: {numbers:?}");
    let snap = s.office_snapshot("36.01.01").await.unwrap();
    assert_eq!(snap.applications[0].registration_number.as_deref(), Some("360101-AAAA-000001"));
}

async fn edit_conflicts(s: &dyn Storage) {
    let a = device(s, "36.01.01").await;
    let a2 = device(s, "36.01.01").await;
    push(s, &a, vec![register_op(1, "x", "36.01.01", "3601011205900001", "3601011501100003")]).await;
    let edit = |seq: i64, address: &str| {
        let payload = json!({ "application_id": "x", "fields": { "applicant_address": address } });
        let mut op = operation(seq, OpKind::ApplicationEdit, "x", payload, Some(1));
        op.hlc = format!("{:016}-00000-AAAA", 200 + seq);
        op
    };
    let r1 = push(s, &a, vec![edit(2, "Kp. Satu")]).await;
    let r2 = push(s, &a2, vec![edit(1, "Kp. Dua")]).await;
    assert_eq!(r1[0].status, OpStatus::Accepted);
    assert_eq!((r2[0].status, r2[0].code.as_deref()), (OpStatus::Conflict, Some("stale_base_version")));
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    let conflict = changes.iter().find(|c| c.kind == ChangeKind::Conflict).expect("conflict published");
    assert_eq!(conflict.data["fields"]["applicant_address"], "Kp. Dua", "both values are kept");
    let edit_change = changes.iter().find(|c| c.kind == ChangeKind::Edit).unwrap();
    assert_eq!(edit_change.data["fields"]["applicant_address"], "Kp. Satu");
}

async fn users_sync_to_their_office(s: &dyn Storage) {
    office(s, "36.01.01").await;
    office(s, "36.01.02").await;
    user(s, "36.01.01", "ani", &["clerk"]).await;
    assert!(matches!(
        s.create_user(
            &User {
                id: "dup".into(),
                office_code: "36.01.01".into(),
                username: "ani".into(),
                full_name: "Ani".into(),
                roles: vec![],
                password_hash: "x".into(),
                active: true,
                public_key: String::new(),
                wrapped_key: String::new(),
                nip: None,
            },
            Utc::now()
        )
        .await,
        Err(StorageError::Duplicate(_))
    ));
    let (a, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, ChangeKind::User);
    // Laptops get the key, never a hash the server accepts.
    assert!(a[0].data.get("password_hash").is_none(), "{}", a[0].data);
    assert_eq!(a[0].data["public_key"], KEY.public_key());
    assert_eq!(a[0].data["wrapped_key"], *WRAPPED);
    assert!(pull(s, "36.01.02", 0, 100).await.unwrap().0.is_empty());
    let new_key = UserKey::generate();
    let credentials = super::Credentials {
        password_hash: auth::hash_password("kata-sandi-baru"),
        public_key: new_key.public_key(),
        wrapped_key: new_key.wrap("kata-sandi-baru"),
    };
    s.update_user("ani", super::UserUpdate::Credentials(credentials), Utc::now()).await.unwrap();
    let (a, _) = pull(s, "36.01.01", a[0].server_seq, 100).await.unwrap();
    assert_eq!(a.len(), 1, "a reset password syncs again");
    assert_eq!(a[0].data["public_key"], new_key.public_key());
    let u = s.user_by_username("ani").await.unwrap().unwrap();
    assert!(auth::verify_password("kata-sandi-baru", &u.password_hash));
    assert!(matches!(
        s.update_user("nobody", super::UserUpdate::Active(false), Utc::now()).await,
        Err(StorageError::NotFound(_))
    ));
    // Deactivated: the office's devices hear of it; the password stays; reactivation is heard too.
    let after = a[0].server_seq;
    let gone = s.update_user("ani", super::UserUpdate::Active(false), Utc::now()).await.unwrap();
    assert!(!gone.active && auth::verify_password("kata-sandi-baru", &gone.password_hash));
    let (changes, _) = pull(s, "36.01.01", after, 100).await.unwrap();
    assert_eq!(
        changes.last().map(|c| (c.kind, c.data["active"].clone())),
        Some((ChangeKind::User, json!(false)))
    );
    user(s, "36.01.02", "budi", &["supervisor"]).await;
    let names = |users: Vec<User>| users.into_iter().map(|u| (u.username, u.active)).collect::<Vec<_>>();
    assert_eq!(names(s.list_users(Some("36.01.01")).await.unwrap()), [("ani".to_string(), false)]);
    assert_eq!(names(s.list_users(None).await.unwrap()).len(), 2);
    assert!(s.update_user("ani", super::UserUpdate::Active(true), Utc::now()).await.unwrap().active);
}

/// A laptop's first local user is linked at enrollment to the account the code names: its key
/// becomes the account's current key and its work verifies; keys replaced later still verify
/// what they signed; a deactivated user's proof is refused.
async fn keys_and_links(s: &dyn Storage) {
    office(s, "36.01.01").await;
    user(s, "36.01.01", "kasi", &["clerk", "supervisor"]).await;
    let kasi = s.user_by_username("kasi").await.unwrap().unwrap();
    let local = UserKey::generate();
    let laptop_user = loket_protocol::LocalUser {
        username: "kasi".into(),
        public_key: local.public_key(),
        wrapped_key: local.wrap("sandi-laptop-2026"),
    };
    let new = |code: &str, local_user: Option<loket_protocol::LocalUser>| NewDevice {
        id: uuid::Uuid::now_v7().to_string(),
        device_code: code.into(),
        token_hash: auth::hash_secret(code),
        name: "x".into(),
        app_version: "0.1.0".into(),
        local_user,
    };
    let expires = Utc::now() + Duration::hours(1);
    // A code naming no account cannot link: refused, and the code is not spent.
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: "plain",
        office_code: "36.01.01",
        user_id: None,
        expires_at: expires,
    })
    .await
    .unwrap();
    let refused = s.enroll_device("plain", &new("AAAA", Some(laptop_user.clone())), Utc::now()).await;
    assert!(matches!(refused, Err(StorageError::LinkRequired)), "{refused:?}");
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: "for-kasi",
        office_code: "36.01.01",
        user_id: Some(&kasi.id),
        expires_at: expires,
    })
    .await
    .unwrap();
    let other = loket_protocol::LocalUser { username: "ani".into(), ..laptop_user.clone() };
    let refused = s.enroll_device("for-kasi", &new("BBBB", Some(other)), Utc::now()).await;
    assert!(matches!(&refused, Err(StorageError::LinkMismatch(u)) if u == "kasi"), "{refused:?}");
    let before = pull(s, "36.01.01", 0, 100).await.unwrap().0.len();
    let d = s.enroll_device("for-kasi", &new("CCCC", Some(laptop_user.clone())), Utc::now()).await.unwrap();
    let linked = s.user_by_username("kasi").await.unwrap().unwrap();
    assert_eq!(
        (linked.public_key.as_str(), linked.wrapped_key.as_str()),
        (laptop_user.public_key.as_str(), laptop_user.wrapped_key.as_str())
    );
    let (changes, _) = pull(s, "36.01.01", 0, 100).await.unwrap();
    assert_eq!(changes.len(), before + 1, "the office's laptops hear of the linked key");
    assert_eq!(changes.last().unwrap().data["public_key"], local.public_key());
    assert!(
        s.enroll_device("plain", &new("DDDD", None), Utc::now()).await.is_ok(),
        "a laptop without a local user"
    );

    // Work signed on the laptop before enrollment, and with the key the account had before.
    let by_laptop =
        sign_as(register_op(1, "a-1", "36.01.01", "3601011205900001", "3601011501100003"), "kasi", &local);
    let by_old_key =
        sign_as(register_op(2, "a-2", "36.01.01", "3601011205900002", "3601011501100003"), "kasi", &KEY);
    let forged = sign_as(
        register_op(3, "a-3", "36.01.01", "3601011205900003", "3601011501100003"),
        "kasi",
        &UserKey::generate(),
    );
    let r = s.push(&d, vec![by_laptop, by_old_key, forged], Utc::now()).await.unwrap();
    let codes: Vec<_> = r.iter().map(|r| (r.status, r.code.as_deref())).collect();
    assert_eq!(
        codes,
        [(OpStatus::Accepted, None), (OpStatus::Accepted, None), (OpStatus::Rejected, Some("bad_signature"))]
    );
    s.update_user("kasi", super::UserUpdate::Active(false), Utc::now()).await.unwrap();
    let late =
        sign_as(register_op(4, "a-4", "36.01.01", "3601011205900004", "3601011501100003"), "kasi", &local);
    let r = s.push(&d, vec![late], Utc::now()).await.unwrap();
    assert_eq!(r[0].code.as_deref(), Some("user_deactivated"));
    assert_eq!(s.count_applications(Some("36.01.01")).await.unwrap(), 2, "nothing stored for the refused");
}

async fn durability(s: &dyn Storage) {
    let d = s.durability().await.unwrap();
    assert!(d.durable, "{} is not durable: {}", s.backend(), d.setting);
    s.ping().await.unwrap();
}

/// Pushes of many devices at once: the same NIK registered in several kecamatan concurrently is
/// flagged on every side, competing decisions on one application leave exactly one winner, and a
/// pull from zero afterwards sees every change exactly once. Regression test for narrowing the
/// PostgreSQL push lock from "one push at a time" to per-key locks.
async fn concurrent_pushes(s: &dyn Storage) {
    let offices = ["36.01.01", "36.01.02", "36.01.03", "36.01.04", "36.01.05", "36.01.06"];
    let mut devices = Vec::new();
    for o in offices {
        devices.push(device(s, o).await);
    }
    user(s, "36.01.01", "kasi", &["supervisor"]).await;
    let nik = "3601011205900001";
    // The second office uploads a large batch (PostgreSQL: more keys than per-key locking
    // takes, so it locks the whole push space) at the same time as the others.
    let regular = |i: usize| if i == 1 { 40 } else { 5 };
    let pushes = devices.iter().enumerate().map(|(i, d)| {
        let office = offices[i];
        let mut ops: Vec<Operation> = (1..=regular(i) as i64)
            .map(|k| {
                register_op(
                    k,
                    &format!("{office}-{k}"),
                    office,
                    &format!("36010{i}0101910{k:03}"),
                    &format!("36010{i}15011{k:05}"),
                )
            })
            .collect();
        let seq = ops.len() as i64 + 1;
        ops.push(register_op(seq, &format!("{office}-dup"), office, nik, &format!("36010{i}1501100999")));
        async move { push(s, d, ops).await }
    });
    for results in futures::future::join_all(pushes).await {
        assert!(results.iter().all(|r| r.status == OpStatus::Accepted), "{results:?}");
    }
    for (i, office) in offices.iter().enumerate() {
        let (changes, more) = pull(s, office, 0, 1000).await.unwrap();
        assert!(!more);
        let flags: Vec<_> = changes.iter().filter(|c| c.kind == ChangeKind::Flag).collect();
        assert_eq!(
            flags.len(),
            offices.len() - 1,
            "office {i} is told of every other registration of the NIK"
        );
        let mut seqs: Vec<i64> = changes.iter().map(|c| c.server_seq).collect();
        seqs.dedup();
        assert_eq!(seqs.len(), changes.len(), "no change twice");
        assert_eq!(changes.iter().filter(|c| c.kind == ChangeKind::Application).count(), regular(i) + 1);
    }

    // Five devices of one office decide on the same application at once: one wins.
    let mut same_office = vec![devices[0].clone()];
    for _ in 0..4 {
        same_office.push(device(s, "36.01.01").await);
    }
    let first = &same_office[0];
    let r = push(s, first, vec![transition_op(7, "36.01.01-1", "start_review", "submitted", "kasi")]).await;
    assert_eq!(r[0].status, OpStatus::Accepted);
    let decisions = same_office.iter().enumerate().map(|(i, d)| {
        let seq = if i == 0 { 8 } else { 1 };
        let action = if i % 2 == 0 { "approve" } else { "reject" };
        let op = transition_op(seq, "36.01.01-1", action, "in_review", "kasi");
        async move { push(s, d, vec![op]).await.remove(0) }
    });
    let results = futures::future::join_all(decisions).await;
    assert_eq!(results.iter().filter(|r| r.status == OpStatus::Accepted).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| r.status == OpStatus::Conflict).count(), 4, "{results:?}");
}

fn chunk(office: &str, sha256: &str, size: i64, offset: i64, bytes: Vec<u8>) -> super::BlobChunk {
    super::BlobChunk { office_code: office.into(), sha256: sha256.into(), size, offset, bytes }
}

/// An `application.attach` of `content` to application `app`, declared as `media_type`.
pub fn attach_op(seq: i64, app: &str, content: &[u8], media_type: &str) -> Operation {
    use sha2::{Digest, Sha256};
    let sha: String = Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
    let payload = json!({
        "application_id": app, "sha256": sha, "size": content.len(), "media_type": media_type,
        "file_name": "ktp.pdf", "document_code": "ktp",
    });
    operation(seq, OpKind::ApplicationAttach, app, payload, None)
}

/// Chunked, resumable attachment upload: only of a content an accepted attach operation
/// announced, of its declared type; in order only, resumable at `received`, complete only when
/// the content hashes to its name, readable only by its office.
async fn attachment_upload(s: &dyn Storage) {
    use sha2::{Digest, Sha256};
    let d = device(s, "36.01.01").await;
    let hex = |c: &[u8]| Sha256::digest(c).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut content = b"%PDF-1.7\n".to_vec();
    content.extend((0..300_000u32).map(|i| (i % 251) as u8));
    content.truncate(300_000);
    let sha = hex(&content);
    let size = content.len() as i64;
    // Not announced: refused, nothing kept.
    assert!(matches!(
        s.blob_append(chunk("36.01.01", &sha, size, 0, content[..100_000].to_vec())).await,
        Err(StorageError::BlobNotExpected)
    ));
    assert_eq!(s.blob_status("36.01.01", &sha).await.unwrap(), None);
    let exe = b"MZ\x90\x00 a program".to_vec();
    let register = register_op(1, "app-1", "36.01.01", "3601011205900001", "3601011501100003");
    let r = push(
        s,
        &d,
        vec![
            register,
            attach_op(2, "app-1", &content, "application/pdf"),
            attach_op(3, "app-1", &exe, "application/pdf"),
        ],
    )
    .await;
    assert!(r.iter().all(|r| r.status == OpStatus::Accepted), "{r:?}");
    assert_eq!(
        s.blob_status("36.01.01", &sha).await.unwrap().map(|b| (b.received, b.complete)),
        Some((0, false))
    );
    // Announced as a PDF, but a program: refused, nothing kept.
    assert!(matches!(
        s.blob_append(chunk("36.01.01", &hex(&exe), exe.len() as i64, 0, exe.clone())).await,
        Err(StorageError::BlobType(t)) if t == "application/pdf"
    ));
    assert_eq!(s.blob_read("36.01.01", &hex(&exe)).await.unwrap(), None);
    // Another office's announcement is not this one's.
    assert!(matches!(
        s.blob_append(chunk("36.01.02", &sha, size, 0, content[..100_000].to_vec())).await,
        Err(StorageError::BlobNotExpected)
    ));
    let st = s.blob_append(chunk("36.01.01", &sha, size, 0, content[..100_000].to_vec())).await.unwrap();
    assert_eq!((st.received, st.complete), (100_000, false));
    // A chunk that skips ahead, or repeats, is refused with where to continue.
    for offset in [200_000, 0] {
        match s.blob_append(chunk("36.01.01", &sha, size, offset, content[..10].to_vec())).await {
            Err(StorageError::BlobOffset { received }) => assert_eq!(received, 100_000),
            other => panic!("expected BlobOffset, got {other:?}"),
        }
    }
    assert_eq!(s.blob_read("36.01.01", &sha).await.unwrap(), None, "incomplete is not readable");
    s.blob_append(chunk("36.01.01", &sha, size, 100_000, content[100_000..200_000].to_vec())).await.unwrap();
    let st =
        s.blob_append(chunk("36.01.01", &sha, size, 200_000, content[200_000..].to_vec())).await.unwrap();
    assert!(st.complete);
    assert_eq!(s.blob_read("36.01.01", &sha).await.unwrap().as_deref(), Some(&content[..]));
    assert_eq!(s.blob_read("36.01.02", &sha).await.unwrap(), None, "another office cannot read it");
    // Re-sending the last chunk of a complete upload is harmless.
    let again =
        s.blob_append(chunk("36.01.01", &sha, size, 200_000, content[200_000..].to_vec())).await.unwrap();
    assert!(again.complete);
    // Content that does not hash to its name is thrown away and the upload starts over.
    let announced = b"%PDF-1.4 announced".to_vec();
    let r = push(s, &d, vec![attach_op(4, "app-1", &announced, "application/pdf")]).await;
    assert_eq!(r[0].status, OpStatus::Accepted);
    let mut forged = announced.clone();
    forged[10] ^= 1;
    match s.blob_append(chunk("36.01.01", &hex(&announced), announced.len() as i64, 0, forged)).await {
        Err(StorageError::BlobMismatch) => {}
        other => panic!("expected BlobMismatch, got {other:?}"),
    }
    assert_eq!(
        s.blob_status("36.01.01", &hex(&announced)).await.unwrap().map(|b| (b.received, b.complete)),
        Some((0, false))
    );
    assert!(matches!(
        s.blob_append(chunk("36.01.01", &sha, 20 * 1024 * 1024, 0, vec![1])).await,
        Err(StorageError::BlobInvalid(_))
    ));
}

/// What a device sends is checked as the desktop checks it: each bad operation is refused with
/// its validator's code, nothing of it is stored or published, the refusals are counted for IT,
/// and the device's good operations go on. A registration number is used once, province-wide.
async fn untrusted_operations(s: &dyn Storage) {
    let d = device(s, "36.01.01").await;
    let other = device(s, "36.01.02").await;
    let good = register_op(1, "app-1", "36.01.01", "3601011205900001", "3601011501100003");
    assert_eq!(push(s, &d, vec![good.clone()]).await[0].status, OpStatus::Accepted);
    let (before, _) = pull(s, "36.01.01", 0, 1000).await.unwrap();
    let bad = |seq: i64, f: &dyn Fn(&mut Value)| {
        let id = format!("bad-{seq}");
        let mut op = register_op(seq, &id, "36.01.01", "3601011205900002", "3601011501100003");
        edit_payload(&mut op, f);
        op
    };
    let number = serde_json::from_str::<Value>(good.payload.get()).unwrap()["registration_number"].clone();
    let ops = vec![
        bad(2, &|p| p["kk"] = json!("36")),
        bad(3, &|p| p["applicant_nik"] = json!(3601011205900002_u64)),
        bad(4, &|p| p["service_code"] = json!("NOPE")),
        bad(5, &|p| p["registration_number"] = json!(number.clone())),
        bad(6, &|p| p["applicant_name"] = json!(vec![0; 100_000])),
        operation(
            7,
            OpKind::ApplicationEdit,
            "app-1",
            json!({"application_id": "app-1", "fields": {"applicant_name": {"x": 1}}}),
            Some(1),
        ),
        operation(8, OpKind::StaffCreate, "s1", json!({}), None),
        operation(
            9,
            OpKind::UserCreate,
            "u1",
            json!({"id": "u1", "staff_id": "s1", "username": "mallory", "roles": ["admin"], "password_hash": "x"}),
            None,
        ),
        operation(
            10,
            OpKind::HolidaySet,
            "2026-03-20",
            json!({"day": "2026-03-20", "name": "Libur", "kind": "libur_daerah", "off": true}),
            None,
        ),
    ];
    let r = push(s, &d, ops).await;
    let codes: Vec<&str> = r.iter().map(|r| r.code.as_deref().unwrap_or("accepted")).collect();
    assert_eq!(
        codes,
        [
            "kk.length",
            "invalid_payload",
            "programme.unknown",
            "registration_number.taken",
            "payload_too_large",
            "invalid_payload",
            "invalid_payload",
            "invalid_payload",
            "role_not_allowed",
        ]
    );
    assert!(r.iter().all(|r| r.status == OpStatus::Rejected));
    assert_eq!(s.count_applications(None).await.unwrap(), 1, "nothing stored");
    let (after, _) = pull(s, "36.01.01", 0, 1000).await.unwrap();
    // Refused registrations publish nothing; the refused edit sends the device the server's
    // state of its own application back, and nothing else.
    let new: Vec<_> = after[before.len()..].iter().map(|c| c.kind).collect();
    assert_eq!(new, [ChangeKind::State]);
    // The number is taken in another office's namespace too: it is not theirs to use.
    let mut theirs = register_op(1, "theirs", "36.01.02", "3601021205900001", "3601021501100003");
    edit_payload(&mut theirs, |p| p["registration_number"] = number.clone());
    let r = push(s, &other, vec![theirs]).await;
    assert_eq!(r[0].code.as_deref(), Some("registration_number.other_office"));
    // Counted per device and code; a re-send is not counted twice.
    let counts = |all: &[super::Refusals], id: &str| -> Vec<(String, i64)> {
        all.iter().filter(|r| r.device_id == id).map(|r| (r.code.clone(), r.count)).collect()
    };
    let all = s.refusals().await.unwrap();
    let mine = counts(&all, &d.id);
    assert_eq!(mine[0], ("invalid_payload".to_string(), 4), "{mine:?}");
    assert!(mine.contains(&("payload_too_large".to_string(), 1)), "{mine:?}");
    assert_eq!(mine.iter().map(|(_, n)| n).sum::<i64>(), 9);
    assert_eq!(counts(&all, &other.id), [("registration_number.other_office".to_string(), 1)]);
    let again = bad(2, &|p| p["kk"] = json!("36"));
    push(s, &d, vec![again]).await;
    assert_eq!(counts(&s.refusals().await.unwrap(), &d.id), mine, "a re-sent operation is counted once");
    // The device goes on.
    let next = register_op(11, "app-11", "36.01.01", "3601011205900011", "3601011501100003");
    assert_eq!(push(s, &d, vec![next]).await[0].status, OpStatus::Accepted);
}
