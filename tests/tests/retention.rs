//! The end of a retention period, end to end: two laptops of an office register aid (with a
//! household and a scanned card) and a supervisor decides; IT runs `loket-server retention run`;
//! both laptops sync and keep the statistics but nothing of the people — and neither does the
//! server's database file. The real `loket-server` binary, real HTTP, real encrypted stores.

mod common;

use std::sync::{Arc, Mutex};

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft, MemberDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::workflow::{Action, Role};
use loket_e2e::ServerProcess;
use loket_server::open_storage;
use loket_server::storage::Storage;
use loket_store::{Actor, Store};
use loket_sync::worker::{sync_once, WorkerHandle};

const OFFICE: &str = "36.01.01";
const NIK: &str = "3601011205900001";
const MEMBER_NIK: &str = "3601015508150002";
const SCAN: &[u8] = b"\x89PNG\r\n\x1a\nSCAN-OF-THE-KTP-OF-SITI-AMINAH";

fn bansos(nik: &str, name: &str, member: &str) -> loket_domain::aid::ValidBansos {
    validate_bansos(&BansosDraft {
        applicant: ApplicantDraft {
            nik: nik.into(),
            full_name: name.into(),
            address: "Kp. Cibadak RT 03/01".into(),
            village_code: format!("{OFFICE}.2001"),
            phone: String::new(),
        },
        kk: "3601011501100003".into(),
        household: vec![MemberDraft {
            nik: member.into(),
            full_name: "Aisyah".into(),
            relationship: "anak".into(),
        }],
        monthly_income: 750_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    })
    .unwrap()
}

fn raw_contains(path: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read(path).map(|b| b.windows(needle.len()).any(|w| w == needle)).unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread")]
async fn past_its_retention_period_an_application_keeps_its_statistics_and_loses_its_people() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let key = Arc::new(loket_keys::UserKey::generate());
    let storage: Arc<dyn Storage> = open_storage(db.to_str().unwrap()).await.unwrap();
    common::office_with_supervisor(storage.as_ref(), OFFICE, &key).await;
    let server = ServerProcess::start(&db).unwrap();
    let actor = Actor::signing(common::supervisor_of(OFFICE), &[Role::Clerk, Role::Supervisor], key.clone());
    let laptop = async |name: &str| {
        let dir = dir.path().join(name);
        let (store, _, _) = common::enrolled_store(storage.as_ref(), &server.url, OFFICE, &dir).await;
        Arc::new(Mutex::new(store))
    };
    let laptops = [laptop("laptop-0").await, laptop("laptop-1").await];
    let sync = async |store: &Arc<Mutex<Store>>| {
        sync_once(store, &WorkerHandle::default(), "test").await.unwrap();
    };

    // Siti's application, decided; Budi's, still open.
    let (siti, budi) = {
        let mut s = laptops[0].lock().unwrap();
        let siti = s.register_bansos(&bansos(NIK, "Siti Aminah", MEMBER_NIK), &actor, Utc::now()).unwrap();
        let budi = s
            .register_bansos(
                &bansos("3601011205900002", "Budi Santoso", "3601014107880004"),
                &actor,
                Utc::now(),
            )
            .unwrap();
        s.add_attachment(&siti.id, SCAN, "KTP Siti Aminah.png", "ktp", &actor, Utc::now()).unwrap();
        s.transition(&siti.id, Action::StartReview, "", &actor, Utc::now()).unwrap();
        s.transition(&siti.id, Action::Approve, "Siti layak", &actor, Utc::now()).unwrap();
        (siti, budi)
    };
    for laptop in &laptops {
        sync(laptop).await;
    }
    assert!(laptops[1].lock().unwrap().application(&siti.id).is_ok(), "the other laptop has it");

    // Nothing is due under the default policy; with a period of zero days, Siti's is.
    let dry = ServerProcess::admin(&db, &["retention", "run", "--dry-run"]).unwrap();
    assert!(dry.lines().any(|l| l.starts_with("bansos") && l.contains(" 0 due")), "{dry}");
    let run = ServerProcess::admin(&db, &["retention", "run", "--bansos-days", "0"]).unwrap();
    assert!(run.lines().any(|l| l.starts_with("bansos") && l.contains(" 1 redacted")), "{run}");
    let again = ServerProcess::admin(&db, &["retention", "run", "--bansos-days", "0"]).unwrap();
    assert!(again.lines().any(|l| l.starts_with("bansos") && l.contains(" 0 redacted")), "once: {again}");

    for laptop in &laptops {
        sync(laptop).await;
        let s = laptop.lock().unwrap();
        let kept = s.application(&siti.id).unwrap();
        assert_eq!(kept.applicant_nik, None);
        assert!(kept.applicant_name.is_empty());
        assert_eq!(kept.status, loket_domain::workflow::Status::Approved, "the statistics stay");
        assert!(s.household(&siti.id).unwrap().is_empty());
        assert!(s.search_applications(NIK, 10).unwrap().is_empty());
        assert_eq!(s.application(&budi.id).unwrap().applicant_nik.as_deref(), Some("3601011205900002"));
        assert!(s.verify_audit().unwrap().is_intact());
        let sha = s.attachments(&siti.id).unwrap()[0].sha256.clone();
        assert!(!s.attachment_present(&sha).unwrap(), "the scan is gone");
    }
    // A laptop enrolled now pulls the office from the start: Siti is not in it.
    let fresh = laptop("laptop-new").await;
    sync(&fresh).await;
    {
        let s = fresh.lock().unwrap();
        assert!(s.application(&siti.id).unwrap().applicant_name.is_empty());
        assert!(s.household(&siti.id).unwrap().is_empty());
    }

    // The server's database file holds none of it any more (the run ends with VACUUM).
    drop(server);
    for file in [db.clone(), db.with_extension("sqlite3-wal")] {
        for needle in [NIK.as_bytes(), MEMBER_NIK.as_bytes(), b"Siti Aminah", b"SCAN-OF-THE-KTP"] {
            assert!(
                !raw_contains(&file, needle),
                "{} left in {}",
                String::from_utf8_lossy(needle),
                file.display()
            );
        }
    }
    assert!(raw_contains(&db, b"Budi Santoso"), "the open application keeps its data");
}
