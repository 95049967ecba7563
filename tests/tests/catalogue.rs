//! A kabupaten/kota's catalogue version, end to end (issue 17): IT checks and publishes it with
//! the real `loket-server` CLI; the office's laptops pull it; a permit registered before keeps
//! the fee of the version it was registered under, one registered after gets the new one, and
//! the server accepts each against its own version. Another kabupaten/kota is not touched.

mod common;

use std::sync::{Arc, Mutex};

use chrono::Utc;
use loket_domain::catalogue::{self, CatalogueRef};
use loket_domain::permit::{validate_permit_in, PermitDetails, PermitDraft};
use loket_domain::workflow::Role;
use loket_e2e::ServerProcess;
use loket_store::{Actor, Store};
use loket_sync::worker::{sync_once, WorkerHandle};

const SUMUR: &str = "36.01.01"; // Kabupaten Pandeglang
const SERANG: &str = "36.73.01"; // Kota Serang

/// A 36 m² house's PBG with every document, under the catalogue in effect for `office` today.
fn pbg(store: &mut Store, office: &str, nik: &str, actor: &Actor) -> loket_store::Application {
    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    let catalogue = catalogue::in_effect(office, today);
    let draft = PermitDraft {
        applicant: loket_domain::applicant::ApplicantDraft {
            nik: nik.into(),
            full_name: "Siti Aminah".into(),
            address: "Kp. Cibadak RT 03/01".into(),
            village_code: format!("{office}.2001"),
            phone: String::new(),
        },
        service_code: "PBG".into(),
        details: PermitDetails::Building {
            location: "Kp. Cibadak RT 03/01".into(),
            land_area_m2: 120,
            building_area_m2: 36,
            building_use: "Rumah tinggal".into(),
        },
        documents_received: ["ktp", "bukti_tanah", "pbb", "denah", "pengantar_desa"]
            .map(String::from)
            .to_vec(),
    };
    let valid = validate_permit_in(&draft, catalogue).unwrap();
    store.register_permit(&valid, true, actor, Utc::now()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permit_keeps_the_fee_of_the_catalogue_version_it_was_registered_under() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(loket_keys::UserKey::generate());
    let (db, storage, server) = common::served_offices(dir.path(), &[SUMUR, SERANG], &key).await;
    let laptop = async |office: &str, name: &str| {
        common::laptop(storage.as_ref(), &server.url, office, &dir.path().join(name)).await
    };
    let (a, b, serang) = (laptop(SUMUR, "a").await, laptop(SUMUR, "b").await, laptop(SERANG, "serang").await);
    let sync = async |store: &Arc<Mutex<Store>>| {
        sync_once(store, &WorkerHandle::default(), "test").await.unwrap();
        let s = store.lock().unwrap();
        assert_eq!((s.pending_count().unwrap(), s.attention_count().unwrap()), (0, 0), "all accepted");
    };
    let actor = |office: &str| {
        Actor::signing(common::supervisor_of(office), &[Role::Clerk, Role::Supervisor], key.clone())
    };

    // Under the default catalogue: SHST Rp 4.500.000 → Rp 324.000 for 36 m².
    let before = pbg(&mut a.lock().unwrap(), SUMUR, "3601011205900001", &actor(SUMUR));
    assert_eq!((before.fee, before.catalogue.clone()), (324_000, None));
    sync(&a).await;

    // Kabupaten Pandeglang's own version 2, in effect from today: SHST Rp 5.000.000.
    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    let mut file: serde_json::Value = serde_json::from_str(catalogue::DEFAULT).unwrap();
    file["region"] = "36.01".into();
    file["version"] = 2.into();
    file["effective_from"] = today.to_string().into();
    file["legal_basis"] = "Perbup Pandeglang tentang PATEN (contoh untuk uji)".into();
    file["services"][0]["fee"]["shst"] = 5_000_000.into();
    let path = dir.path().join("katalog-pandeglang.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    let path = path.display().to_string();
    let checked = ServerProcess::admin(&db, &["catalogue", "check", "--file", &path]).unwrap();
    assert!(checked.contains("no errors"), "{checked}");
    let published = ServerProcess::admin(&db, &["catalogue", "publish", "--file", &path]).unwrap();
    assert!(published.contains("published to 1 offices"), "Pandeglang's offices only: {published}");
    let again = ServerProcess::admin(&db, &["catalogue", "publish", "--file", &path]).unwrap_err();
    assert!(again.to_string().contains("already published"), "{again:#}");

    for laptop in [&a, &b, &serang] {
        sync(laptop).await;
    }
    let v2 = CatalogueRef { region: "36.01".into(), version: 2 };
    assert_eq!(catalogue::in_effect(SUMUR, today).reference(), v2);
    assert!(catalogue::in_effect(SERANG, today).is_default(), "Kota Serang keeps the default");

    // Laptop B registers after: the new version's fee, and the version named.
    let after = pbg(&mut b.lock().unwrap(), SUMUR, "3601011205900002", &actor(SUMUR));
    assert_eq!((after.fee, after.catalogue.clone()), (360_000, Some(v2.clone())));
    sync(&b).await;
    sync(&a).await;
    // Every laptop holds both, each with its own version and fee; so does the server.
    for laptop in [&a, &b] {
        let s = laptop.lock().unwrap();
        assert_eq!(s.application(&before.id).unwrap().fee, 324_000);
        let pulled = s.application(&after.id).unwrap();
        assert_eq!((pulled.fee, pulled.catalogue), (360_000, Some(v2.clone())));
    }
    let snapshot = storage.office_snapshot(SUMUR).await.unwrap();
    let fee = |id: &str| snapshot.applications.iter().find(|x| x.id == id).map(|x| x.data["fee"].clone());
    assert_eq!((fee(&before.id), fee(&after.id)), (Some(324_000.into()), Some(360_000.into())));
}
