//! Shared fixtures for the store's integration tests.
#![allow(dead_code)]

use chrono::Utc;
use loket_domain::aid::{
    validate_bansos, validate_hibah, BansosDraft, HibahDraft, MemberDraft, ValidBansos, ValidHibah,
};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::permit::{validate_permit, PermitDetails, PermitDraft, ValidPermit};
use loket_domain::workflow::Role;
use loket_store::{Actor, Store, StoreKey};

pub fn clerk() -> Actor {
    Actor::new("petugas", &[Role::Clerk])
}

pub fn supervisor() -> Actor {
    Actor::new("kasi", &[Role::Supervisor])
}

pub fn admin() -> Actor {
    Actor::new("admin", &[Role::Admin])
}

/// The key the integration tests' stores are encrypted with.
pub fn key() -> StoreKey {
    StoreKey::from_bytes([0x17; 32])
}

/// A store in a fresh temporary directory with its office configured.
pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_dir(dir.path(), &key()).unwrap();
    store.set_office_kecamatan("36.01.01").unwrap();
    (dir, store)
}

/// A valid NIK with serial `n` (1..=9999).
pub fn nik(n: u32) -> String {
    format!("360101120590{:04}", n % 9999 + 1)
}

pub fn applicant(n: u32, name: &str) -> ApplicantDraft {
    ApplicantDraft {
        nik: nik(n),
        full_name: name.into(),
        address: "Kp. Cibadak RT 03/01".into(),
        village_code: "36.01.01.2001".into(),
        phone: String::new(),
    }
}

pub fn bansos(n: u32, name: &str) -> ValidBansos {
    validate_bansos(&BansosDraft {
        applicant: applicant(n, name),
        kk: "3601011501100003".into(),
        household: vec![MemberDraft {
            nik: "3601015508150002".into(),
            full_name: "Aisyah".into(),
            relationship: "anak".into(),
        }],
        monthly_income: 750_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    })
    .unwrap()
}

pub fn hibah(org: &str) -> ValidHibah {
    validate_hibah(&HibahDraft {
        organization_name: org.into(),
        legal_basis: "AHU-0012345.AH.01.04.Tahun 2019".into(),
        npwp: "01.234.567.8-901.000".into(),
        address: "Jl. Masjid No. 1".into(),
        village_code: "36.01.01.2001".into(),
        bank_name: "Bank BJB".into(),
        account_number: "0012345678".into(),
        account_holder: org.into(),
        chair_nik: "3601011205700001".into(),
        chair_name: "H. Mahmud".into(),
        secretary_nik: "3601011208800002".into(),
        secretary_name: "Rahmat".into(),
        amount_proposed: 50_000_000,
        rab_total: 75_000_000,
        programme_code: "HIBAH-IBADAH".into(),
    })
    .unwrap()
}

pub fn sktm(n: u32, name: &str, docs: &[&str]) -> ValidPermit {
    validate_permit(&PermitDraft {
        applicant: applicant(n, name),
        service_code: "SKTM".into(),
        details: PermitDetails::Certificate { purpose: "Keringanan biaya sekolah".into() },
        documents_received: docs.iter().map(|s| s.to_string()).collect(),
    })
    .unwrap()
}

/// A PNS section head of the office, as typed on the staff form.
pub fn kasi_staff() -> loket_domain::staff::StaffDraft {
    loket_domain::staff::StaffDraft {
        status: "pns".into(),
        employee_number: "198503152010011002".into(),
        full_name: "Ahmad Fauzi".into(),
        golongan: "III/d".into(),
        jabatan: "Kepala Seksi Pelayanan".into(),
        unit_code: "36.01.01".into(),
        active: true,
    }
}

pub const SKTM_DOCS: &[&str] = &["ktp", "kk", "pengantar_rt", "pengantar_desa"];

/// Rows, audit and outbox agree, and the audit chain is intact.
pub fn assert_consistent(store: &Store) {
    let conn = store.raw_connection();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let ops = |kind: loket_protocol::OpKind, and: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM outbox WHERE op = ?1 {and}"), [kind.as_str()], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(
        store.audit_len().unwrap(),
        store.outbox_len().unwrap(),
        "one audit entry per outbox operation"
    );
    assert_eq!(
        q("SELECT count(*) FROM application"),
        ops(loket_protocol::OpKind::ApplicationRegister, ""),
        "one register operation per application"
    );
    assert_eq!(
        q("SELECT count(*) FROM application a WHERE NOT EXISTS
           (SELECT 1 FROM audit_log l WHERE l.entity = 'application' AND l.entity_id = a.id AND l.action = 'register')"),
        0,
        "every application has its register audit entry"
    );
    assert_eq!(
        q("SELECT count(*) FROM workflow_event"),
        ops(loket_protocol::OpKind::ApplicationTransition, "")
            + ops(
                loket_protocol::OpKind::ApplicationRegister,
                "AND json_extract(payload, '$.status') = 'submitted'"
            ),
        "every workflow event was queued"
    );
    assert_eq!(
        q("SELECT count(*) FROM application a WHERE a.status <> coalesce(
             (SELECT to_status FROM workflow_event e WHERE e.application_id = a.id ORDER BY hlc DESC LIMIT 1), 'draft')"),
        0,
        "status is the last event's target"
    );
    // New rows are indexed lazily; once caught up, the index holds every application exactly once.
    store.catch_up_search_index().unwrap();
    assert_eq!(
        q("SELECT count(*) FROM application_search"),
        q("SELECT count(*) FROM application"),
        "search index complete"
    );
    let report = store.verify_audit().unwrap();
    assert!(report.is_intact(), "audit chain: {report:?}");
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pending.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}
