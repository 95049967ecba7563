//! The province's holiday calendar, end to end (issue 17): IT loads the SKB 3 Menteri 2026
//! calendar and sets Kota Serang to count cuti bersama as working days, with the real
//! `loket-server` CLI; two laptops of two kabupaten/kota sync and a permit registered before
//! Nyepi and Idulfitri gets the due date the SKB gives in each; an office created afterwards
//! gets the calendar too; a corrected file takes a day off every calendar.

mod common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::permit::{validate_permit, PermitDetails, PermitDraft};
use loket_domain::sla::HolidayKind;
use loket_domain::workflow::Role;
use loket_e2e::ServerProcess;
use loket_store::{Actor, Store};
use loket_sync::worker::{sync_once, WorkerHandle};

const SUMUR: &str = "36.01.01"; // Kabupaten Pandeglang
const SERANG: &str = "36.73.01"; // Kota Serang

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn calendar_file() -> String {
    loket_e2e::workspace_root().join("crates/domain/data/hari-libur-2026.csv").display().to_string()
}

/// An SKTM with every document, submitted at `at`.
fn sktm(store: &mut Store, office: &str, actor: &Actor, at: DateTime<Utc>) -> String {
    let valid = validate_permit(&PermitDraft {
        applicant: loket_domain::applicant::ApplicantDraft {
            nik: "3601011205900001".into(),
            full_name: "Siti Aminah".into(),
            address: "Kp. Cibadak RT 03/01".into(),
            village_code: loket_domain::region::catalogue()
                .villages_of(office)
                .next()
                .map(|v| v.code.to_string())
                .unwrap(),
            phone: String::new(),
        },
        service_code: "SKTM".into(),
        details: PermitDetails::Certificate { purpose: "Keringanan biaya sekolah".into() },
        documents_received: ["ktp", "kk", "pengantar_rt", "pengantar_desa"].map(String::from).to_vec(),
    })
    .unwrap();
    store.register_permit(&valid, true, actor, at).unwrap().id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permit_before_lebaran_is_due_when_the_skb_says_in_each_kabupaten() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(loket_keys::UserKey::generate());
    let (db, storage, server) = common::served_offices(dir.path(), &[SUMUR, SERANG], &key).await;
    let laptop = async |office: &str| {
        common::laptop(storage.as_ref(), &server.url, office, &dir.path().join(office)).await
    };
    let (sumur, serang) = (laptop(SUMUR).await, laptop(SERANG).await);
    let sync = async |store: &Arc<Mutex<Store>>| {
        sync_once(store, &WorkerHandle::default(), "test").await.unwrap();
    };

    let check = ServerProcess::admin(&db, &["holiday", "check", "--file", &calendar_file()]).unwrap();
    assert!(check.contains("25 days, no errors"), "{check}");
    ServerProcess::admin(&db, &["holiday", "load", "--file", &calendar_file()]).unwrap();
    ServerProcess::admin(&db, &["holiday", "policy", "--regency", "36.73", "--cuti-bersama", "working"])
        .unwrap();

    // Tuesday 17 March 2026, 09:00 WIB: an SKTM (one working day) at each counter (registered
    // before the laptop's first sync: its clock never goes back past what it has seen).
    let at: DateTime<Utc> = "2026-03-17T02:00:00Z".parse().unwrap();
    let mut apps = Vec::new();
    for (store, office) in [(&sumur, SUMUR), (&serang, SERANG)] {
        let actor =
            Actor::signing(common::supervisor_of(office), &[Role::Clerk, Role::Supervisor], key.clone());
        apps.push(sktm(&mut store.lock().unwrap(), office, &actor, at));
        sync(store).await;
    }
    let days = |store: &Arc<Mutex<Store>>| store.lock().unwrap().holidays().unwrap();
    let due = |store: &Arc<Mutex<Store>>, id: &str, today: &str| {
        store.lock().unwrap().application_sla(id, 1, d(today)).unwrap()
    };
    assert_eq!(days(&sumur).len(), 25);
    assert!(days(&sumur).iter().all(|(_, _, _, off)| *off), "Pandeglang: every day stops the clock");
    let serang_days = days(&serang);
    assert_eq!(serang_days.len(), 25);
    for (day, kind, _, off) in &serang_days {
        assert_eq!(*off, *kind != HolidayKind::CutiBersama, "Kota Serang serves on cuti bersama: {day}");
    }
    // Pandeglang: the 18th (cuti bersama), Nyepi, the 20th, the weekend, the 23rd and 24th are
    // off: due Wednesday the 25th. Kota Serang serves on cuti bersama: due the 18th.
    assert_eq!(due(&sumur, &apps[0], "2026-03-17").due_date, Some(d("2026-03-25")));
    assert_eq!(due(&serang, &apps[1], "2026-03-17").due_date, Some(d("2026-03-18")));
    // Still open after Lebaran: overdue, and the day it fell due is reported.
    let late = due(&sumur, &apps[0], "2026-04-08");
    assert_eq!((late.overdue, late.due_date), (true, Some(d("2026-03-25"))));

    // An office created after the calendar was published gets it as well.
    ServerProcess::admin(&db, &["office", "add", "36.02.01"]).unwrap();
    let late_office = laptop("36.02.01").await;
    sync(&late_office).await;
    assert_eq!(days(&late_office).len(), 25);

    // A corrected file without the cuti bersama of 24 March: the day leaves every calendar.
    let corrected = dir.path().join("koreksi.csv");
    let text = std::fs::read_to_string(calendar_file()).unwrap();
    let fixed: String =
        text.lines().filter(|l| !l.starts_with("2026-03-24")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&corrected, fixed).unwrap();
    let loaded =
        ServerProcess::admin(&db, &["holiday", "load", "--file", &corrected.display().to_string()]).unwrap();
    assert!(
        loaded.contains("3 offices told 2 calendar changes"),
        "only Pandeglang's offices had it off: {loaded}"
    );
    sync(&sumur).await;
    let off_24 = days(&sumur).into_iter().find(|(day, ..)| *day == d("2026-03-24")).map(|(.., off)| off);
    assert_eq!(off_24, Some(false));
    assert_eq!(due(&sumur, &apps[0], "2026-03-17").due_date, Some(d("2026-03-24")));
    // A regional calendar that holds national days is refused, and loads nothing.
    let refused =
        ServerProcess::admin(&db, &["holiday", "load", "--file", &calendar_file(), "--regency", "36.01"]);
    assert!(refused.unwrap_err().to_string().contains("libur_daerah"));
}
