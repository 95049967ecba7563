//! Registering bansos applications on a real SQLite file.

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft};
use loket_store::{Store, StoreError};

fn draft(nik: &str, name: &str) -> BansosDraft {
    BansosDraft {
        nik: nik.into(),
        full_name: name.into(),
        address: "Kp. Cikoneng RT 02/03".into(),
        village_code: "36.01.01.2001".into(),
        programme_code: "BPNT".into(),
    }
}

#[test]
fn registration_needs_a_configured_office() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_dir(dir.path()).unwrap();
    let valid = validate_bansos(&draft("3601011205900001", "Ahmad")).unwrap();
    assert!(matches!(store.register_bansos(&valid, Utc::now()), Err(StoreError::OfficeNotConfigured)));
    assert_eq!(store.count_aid_applications().unwrap(), 0);
}

#[test]
fn registered_applications_survive_reopen_with_sequential_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_dir(dir.path()).unwrap();
    store.set_office_kecamatan("36.01.01").unwrap();
    let device = store.device_code().unwrap();
    let a = store
        .register_bansos(&validate_bansos(&draft("3601011205900001", "Ahmad")).unwrap(), Utc::now())
        .unwrap();
    let b = store
        .register_bansos(&validate_bansos(&draft("3601015205900002", "Siti")).unwrap(), Utc::now())
        .unwrap();
    assert_eq!(a.registration_number, format!("360101-{device}-000001"));
    assert_eq!(b.registration_number, format!("360101-{device}-000002"));
    drop(store);

    let store = Store::open_in_dir(dir.path()).unwrap();
    let listed = store.list_aid_applications(10).unwrap();
    assert_eq!(listed, vec![b, a]);
}
