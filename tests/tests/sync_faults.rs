//! Seeded fault tests of the sync engine: several office devices on real SQLite files, a real
//! server (SQLite, and PostgreSQL when reachable) over HTTP on 127.0.0.1, and a fault-injecting
//! TCP proxy between them that refuses, delays, duplicates and cuts connections mid-request and
//! mid-response. Devices register, decide, edit and attach scans offline at random, sync through
//! the faults, are cancelled mid-sync, have their sync run in a child process killed with
//! SIGKILL, and are reopened from their files. Then the network heals and
//! every invariant is checked:
//!
//! - every outbox drains within [`HEAL_ROUNDS`] sync rounds;
//! - every device holds exactly the server's applications of its office (status, version,
//!   registration number, edited fields), and nothing of other offices;
//! - no acknowledged registration is lost, none is stored twice, numbers are unique;
//! - every conflict and duplicate-aid flag the server kept is on every device of the office, and
//!   a supervisor's resolution (keep the server's value, or take the device's) reaches all.
//!
//! Every other seed runs over HTTPS (the server terminates TLS with a certificate of a test CA
//! the devices, and their child processes, trust): the proxy's cuts, delays and refusals then
//! hit TLS connections. Its duplicate fault replays ciphertext, which a server refuses at the
//! handshake, so duplicated *requests* are exercised by the plain-HTTP seeds (loopback).
//!
//! A failure prints its seed; rerun one seed with `LOKET_FAULT_SEED=<seed>`. Seeds per backend:
//! `LOKET_FAULT_SEEDS` (default 200 on SQLite and 24 on PostgreSQL in `make test`; the long
//! mode is `make test-faults-long`, 1,000 seeds on each backend).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft, MemberDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::permit::{validate_permit, PermitDetails, PermitDraft};
use loket_domain::workflow::{Action, Role, Status};
use loket_e2e::proxy::{FaultProxy, Mode, Rng};
use loket_server::admin;
use loket_server::api::{router, ApiConfig};
use loket_server::storage::Storage;
use loket_store::{Actor, Enrollment, Store};
use loket_sync::engine::SharedStore;
use loket_sync::worker::{sync_once, WorkerHandle};

/// Healthy sync rounds (every device once per round) within which everything must settle.
const HEAL_ROUNDS: usize = 4;
const OFFICES: [&str; 2] = ["36.01.01", "36.01.02"];
const SKTM_DOCS: [&str; 4] = ["ktp", "kk", "pengantar_rt", "pengantar_desa"];

struct Device {
    dir: PathBuf,
    store: SharedStore,
    office: &'static str,
    actor: Actor,
    handle: WorkerHandle,
}

impl Device {
    fn reopen(&mut self) {
        // Drop the store (as a killed process would lose it) and open the same file again.
        let store = Store::open_in_dir(&self.dir, &loket_e2e::test_key()).expect("reopen after crash");
        self.store = Arc::new(Mutex::new(store));
    }
}

fn draft(rng: &mut Rng, nik_pool: &[String]) -> BansosDraft {
    BansosDraft {
        applicant: ApplicantDraft {
            nik: nik_pool[rng.below(nik_pool.len() as u64) as usize].clone(),
            full_name: ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Asep Saputra"][rng.below(4) as usize]
                .into(),
            address: format!("Kp. Cibadak RT {:02}/03", 1 + rng.below(20)),
            village_code: "36.01.01.2001".into(),
            phone: String::new(),
        },
        kk: format!("3601011501100{:03}", 1 + rng.below(900)),
        household: vec![MemberDraft {
            nik: "3601015508150002".into(),
            full_name: "Aisyah".into(),
            relationship: "anak".into(),
        }],
        monthly_income: 500_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    }
}

/// One random local action on `d`.
/// What the test expects of the offices' data: the office of every acknowledged registration,
/// and the documents received on every permit.
#[derive(Default)]
struct Expected {
    registered: BTreeMap<String, &'static str>,
    documents: BTreeMap<String, BTreeSet<String>>,
}

fn act(d: &Device, rng: &mut Rng, nik_pool: &[String], expected: &mut Expected) {
    let mut s = d.store.lock().unwrap();
    let roll = rng.below(100);
    if roll < 35 {
        let valid = validate_bansos(&draft(rng, nik_pool)).expect("valid draft");
        let app = s.register_bansos(&valid, &d.actor, Utc::now()).expect("register offline");
        expected.registered.insert(app.id, d.office);
        return;
    }
    if roll < 40 {
        // An SKTM at the counter with some of its documents: a draft until they are all in.
        let docs: Vec<String> = SKTM_DOCS.iter().filter(|_| rng.chance(60)).map(|d| d.to_string()).collect();
        let draft = PermitDraft {
            applicant: draft(rng, nik_pool).applicant,
            service_code: "SKTM".into(),
            details: PermitDetails::Certificate { purpose: "Keringanan biaya sekolah".into() },
            documents_received: docs,
        };
        let valid = validate_permit(&draft).expect("valid permit");
        let app =
            s.register_permit(&valid, valid.documents_complete(), &d.actor, Utc::now()).expect("permit");
        let received = s.checklist(&app.id).unwrap().into_iter().filter(|c| c.received).map(|c| c.code);
        expected.documents.insert(app.id.clone(), received.collect());
        expected.registered.insert(app.id, d.office);
        return;
    }
    let apps = s.list_applications(500).unwrap();
    if apps.is_empty() {
        return;
    }
    let drafts: Vec<_> = apps.iter().filter(|a| a.status == Status::Draft).collect();
    if roll < 50 && !drafts.is_empty() {
        // A missing document arrives, or — all in — the draft is submitted (and numbered).
        let app = drafts[rng.below(drafts.len() as u64) as usize];
        let missing: Vec<_> = s.checklist(&app.id).unwrap().into_iter().filter(|c| !c.received).collect();
        match missing.get(rng.below(missing.len().max(1) as u64) as usize) {
            Some(doc) => {
                s.set_document_received(&app.id, &doc.code, true, &d.actor, Utc::now()).expect("tick");
                expected.documents.entry(app.id.clone()).or_default().insert(doc.code.clone());
            }
            None => {
                let _ = s.transition(&app.id, Action::Submit, "", &d.actor, Utc::now());
            }
        }
        return;
    }
    let app = &apps[rng.below(apps.len() as u64) as usize];
    if roll < 45 {
        // A scanned document: a PNG of 1 byte to 700 KB (several upload chunks).
        let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let len = 1 + rng.below(700_000) as usize;
        let mut x = rng.next_u64();
        bytes.extend((0..len).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }));
        s.add_attachment(&app.id, &bytes, "scan.png", "ktp", &d.actor, Utc::now()).expect("attach offline");
        return;
    }
    if roll < 70 {
        let action = match app.status {
            Status::Submitted => Action::StartReview,
            Status::InReview => [Action::Approve, Action::Reject, Action::Return][rng.below(3) as usize],
            Status::Returned => Action::Resubmit,
            Status::Approved => Action::Complete,
            _ => return,
        };
        // Refused locally (e.g. a rule) is fine: nothing is queued then.
        let _ = s.transition(&app.id, action, "catatan petugas", &d.actor, Utc::now());
    } else {
        let edit = loket_store::ApplicantEdit {
            address: Some(format!("Jl. Raya No. {}", rng.below(1000))),
            ..Default::default()
        };
        let _ = s.edit_applicant(&app.id, app.version, &edit, &d.actor, Utc::now());
    }
}

struct Backend {
    storage: Arc<dyn Storage>,
    _dir: tempfile::TempDir,
    pg_drop: Option<(tokio_postgres::Client, String)>,
}

async fn sqlite_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let storage =
        Arc::new(loket_server::storage::sqlite::SqliteStorage::open(&dir.path().join("s.sqlite3")).unwrap());
    Backend { storage, _dir: dir, pg_drop: None }
}

async fn postgres_backend() -> Backend {
    let (client, db, url) = common::fresh_postgres("loket_faults").await;
    let storage = Arc::new(loket_server::storage::postgres::PostgresStorage::connect(&url, 8).await.unwrap());
    Backend { storage, _dir: tempfile::tempdir().unwrap(), pg_drop: Some((client, db)) }
}

/// The key the offices' supervisors sign with (one for all: the proofs are checked, the key
/// count is not what is tested here).
static KEY: std::sync::LazyLock<Arc<loket_keys::UserKey>> =
    std::sync::LazyLock::new(|| Arc::new(loket_keys::UserKey::generate()));

/// The test CA and the server's certificate, made once per test process; every client of the
/// process trusts the CA.
static PKI: std::sync::LazyLock<(tempfile::TempDir, loket_e2e::pki::TestPki)> =
    std::sync::LazyLock::new(|| {
        let dir = tempfile::tempdir().unwrap();
        let pki = loket_e2e::pki::make(dir.path(), "CA uji gangguan").unwrap();
        loket_sync::TlsPolicy::default().with_ca_file(&pki.ca).unwrap().install();
        (dir, pki)
    });

async fn run_seed(seed: u64, backend: Backend) {
    let storage = backend.storage.clone();
    let mut rng = Rng::new(seed);
    for office in OFFICES {
        common::office_with_supervisor(storage.as_ref(), office, &KEY).await;
    }
    let app = router(storage.clone(), ApiConfig { auth_rate_limit: 10_000, ..ApiConfig::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = listener.local_addr().unwrap();
    let https = seed.is_multiple_of(2);
    let scheme = if https { "https" } else { "http" };
    let server = if https {
        let tls = loket_server::tls::load(&PKI.1.cert, &PKI.1.key).unwrap();
        let listener = loket_server::tls::TlsListener::new(listener, tls).unwrap();
        let listener = axum::serve::ListenerExt::tap_io(listener, |_| {});
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
        })
    } else {
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
        })
    };
    let proxy = FaultProxy::start(server_addr, seed ^ 0x5EED).await.unwrap();
    let proxy_url = proxy.url().replacen("http", scheme, 1);

    // 3–6 devices over two offices, enrolled directly (enrollment is not what is tested here).
    let root = tempfile::tempdir().unwrap();
    let direct = loket_sync::Client::new(&format!("{scheme}://{server_addr}")).unwrap();
    let n = 3 + rng.below(4) as usize;
    let mut devices = Vec::new();
    for i in 0..n {
        let office = OFFICES[i % 2];
        let code = admin::issue_enrollment_code(storage.as_ref(), office, 1).await.unwrap();
        let e = direct.enroll(&code, "Laptop", "test").await.unwrap();
        let dir = root.path().join(format!("device-{i}"));
        let mut store = Store::open_in_dir(&dir, &loket_e2e::test_key()).unwrap();
        store
            .save_enrollment(
                &Enrollment {
                    server_url: proxy_url.clone(),
                    device_id: e.device_id,
                    token: e.token,
                    office_code: e.office_code,
                },
                &e.device_code,
            )
            .unwrap();
        devices.push(Device {
            dir,
            store: Arc::new(Mutex::new(store)),
            office,
            actor: Actor::signing(
                common::supervisor_of(office),
                &[Role::Clerk, Role::Supervisor],
                KEY.clone(),
            ),
            handle: WorkerHandle::default(),
        });
    }
    // A small pool of NIKs shared by both offices, so duplicate-aid flags happen.
    let nik_pool: Vec<String> =
        (0..6).map(|k| format!("36010{}1205900{:03}", 1 + k % 2, 1 + rng.below(999))).collect();

    // Chaos: offline work, syncs through faults, cancelled syncs, crashes.
    proxy.set_mode(Mode::Faulty { percent: 20 + rng.below(50) });
    let mut expected = Expected::default();
    let steps = 25 + rng.below(25);
    let mut kills = 0;
    for _ in 0..steps {
        let i = rng.below(n as u64) as usize;
        match rng.below(100) {
            0..=54 => act(&devices[i], &mut rng, &nik_pool, &mut expected),
            55..=84 => {
                let d = &devices[i];
                let _ = sync_once(&d.store, &d.handle, "test").await;
            }
            85..=89 => {
                proxy.set_mode(if rng.chance(50) { Mode::Partitioned } else { Mode::Faulty { percent: 40 } })
            }
            90..=94 => {
                // Cancelled at a random point of a sync (the process died mid-request).
                let d = &devices[i];
                let limit = Duration::from_micros(200 + rng.below(20_000));
                let _ = tokio::time::timeout(limit, sync_once(&d.store, &d.handle, "test")).await;
                devices[i].reopen();
            }
            95..=97 => {
                // The device's sync runs in a process of its own, killed with SIGKILL at a
                // random moment; the device then reopens the same files.
                let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loket-sync-child"))
                    .arg(&devices[i].dir)
                    .env("RUST_LOG", "off")
                    .env("LOKET_CA_FILE", &PKI.1.ca)
                    .env("LOKET_STORE_KEY", loket_e2e::test_key().to_hex().as_str())
                    .spawn()
                    .expect("start the sync child");
                tokio::time::sleep(Duration::from_millis(5 + rng.below(60))).await;
                child.kill().expect("SIGKILL");
                child.wait().expect("reap");
                kills += 1;
                devices[i].reopen();
            }
            _ => devices[i].reopen(),
        }
    }

    // Heal, then sync every device until nothing is pending and nothing new arrives.
    proxy.set_mode(Mode::Healthy);
    let mut settled_after = None;
    for round in 1..=HEAL_ROUNDS {
        for d in &devices {
            sync_once(&d.store, &d.handle, "test")
                .await
                .unwrap_or_else(|e| panic!("seed {seed}: healthy sync: {e}"));
        }
        let pending: i64 = devices.iter().map(|d| d.store.lock().unwrap().pending_count().unwrap()).sum();
        // Everyone pulled after the last push when a round pushed nothing.
        if pending == 0 && round >= 2 {
            settled_after = Some(round);
            break;
        }
    }
    let settled_after =
        settled_after.unwrap_or_else(|| panic!("seed {seed}: outboxes not drained in {HEAL_ROUNDS} rounds"));
    // One more round so that changes pushed in the last round reach every device.
    for d in &devices {
        sync_once(&d.store, &d.handle, "test").await.unwrap();
    }
    // A supervisor on one device of each office settles the conflicts: keeps the server's
    // values, or takes the losing device's values.
    let mut resolved = 0;
    for office in OFFICES {
        let d = devices.iter().find(|d| d.office == office).unwrap();
        let mut s = d.store.lock().unwrap();
        for c in s.open_conflicts().unwrap() {
            let Some(op_id) = c.op_id.clone() else { continue };
            let take_device = rng.chance(50);
            let fields = if take_device { c.data.values.fields.clone() } else { Default::default() };
            s.resolve_conflicts(&c.application_id, &[op_id], &fields, &d.actor, Utc::now()).unwrap();
            resolved += 1;
        }
    }
    for _ in 0..2 {
        for d in &devices {
            sync_once(&d.store, &d.handle, "test")
                .await
                .unwrap_or_else(|e| panic!("seed {seed}: sync after resolving: {e}"));
        }
    }

    let (mut attachments, mut attachments_fetched) = (0, 0);
    for office in OFFICES {
        let snap = storage.office_snapshot(office).await.unwrap();
        let server_ids: BTreeSet<&str> = snap.applications.iter().map(|a| a.id.as_str()).collect();
        let mine: BTreeSet<&str> =
            expected.registered.iter().filter(|(_, o)| **o == office).map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            server_ids, mine,
            "seed {seed}: office {office}: acknowledged registrations on the server, exactly once"
        );
        let numbers: BTreeSet<_> =
            snap.applications.iter().filter_map(|a| a.registration_number.clone()).collect();
        let numbered = snap.applications.iter().filter(|a| a.registration_number.is_some()).count();
        assert_eq!(numbers.len(), numbered, "seed {seed}: registration numbers unique");
        assert!(
            snap.applications.iter().all(|a| a.registration_number.is_some() == (a.status != "draft")),
            "seed {seed}: every submitted application has its number, no draft has one"
        );
        let conflicts: BTreeSet<(String, bool)> =
            snap.conflicts.iter().map(|(id, _, r)| (id.clone(), *r)).collect();
        // Each office's devices hold one flag per own application, with the pair's reference.
        let own: BTreeSet<&str> = snap.applications.iter().map(|a| a.id.as_str()).collect();
        let flags: BTreeSet<(String, String)> = snap
            .flags
            .iter()
            .flat_map(|(a, b)| {
                let reference = loket_server::rules::flag_reference(a, b);
                [(a.clone(), reference.clone()), (b.clone(), reference)]
            })
            .filter(|(app, _)| own.contains(app.as_str()))
            .collect();
        for (k, d) in devices.iter().enumerate().filter(|(_, d)| d.office == office) {
            let s = d.store.lock().unwrap();
            assert_eq!(s.pending_count().unwrap(), 0, "seed {seed}: device {k} drained");
            let local = s.list_applications(10_000).unwrap();
            assert_eq!(
                local.len(),
                snap.applications.len(),
                "seed {seed}: device {k} holds its office's applications and no others"
            );
            for a in &snap.applications {
                let l = local
                    .iter()
                    .find(|l| l.id == a.id)
                    .unwrap_or_else(|| panic!("seed {seed}: device {k} lacks {}", a.id));
                assert_eq!(
                    (l.status.as_str(), l.version, l.registration_number.as_deref()),
                    (a.status.as_str(), a.version, a.registration_number.as_deref()),
                    "seed {seed}: device {k}, application {}",
                    a.id
                );
                assert_eq!(
                    Some(l.applicant_address.as_str()),
                    a.data["applicant_address"].as_str(),
                    "seed {seed}: device {k}, address of {}",
                    a.id
                );
                // Every document received on any device is received on every device.
                if let Some(docs) = expected.documents.get(&a.id) {
                    let here: BTreeSet<String> = s
                        .checklist(&a.id)
                        .unwrap()
                        .into_iter()
                        .filter(|c| c.received)
                        .map(|c| c.code)
                        .collect();
                    assert_eq!(&here, docs, "seed {seed}: device {k}, documents of {}", a.id);
                }
            }
            let local_conflicts: BTreeSet<(String, bool)> = s.all_conflicts().unwrap().into_iter().collect();
            assert_eq!(
                local_conflicts, conflicts,
                "seed {seed}: device {k}: every conflict, and whether it is resolved"
            );
            let local_flags: BTreeSet<(String, String)> =
                s.all_aid_flags().unwrap().into_iter().map(|f| (f.application_id, f.reference)).collect();
            assert_eq!(local_flags, flags, "seed {seed}: device {k}: every duplicate-aid flag is shown");
            assert!(
                s.uploads_pending().unwrap().is_empty(),
                "seed {seed}: device {k}: every upload finished"
            );
        }
        // Every attachment of the office is complete on the server, and every device that
        // does not hold its content fetches it on demand, identical.
        let mut names = BTreeSet::new();
        for d in devices.iter().filter(|d| d.office == office) {
            let s = d.store.lock().unwrap();
            for a in s.list_applications(10_000).unwrap() {
                names.extend(s.attachments(&a.id).unwrap().into_iter().map(|x| x.sha256));
            }
        }
        for sha in &names {
            let on_server = storage.blob_read(office, sha).await.unwrap();
            let on_server = on_server
                .unwrap_or_else(|| panic!("seed {seed}: attachment {sha} not complete on the server"));
            for (k, d) in devices.iter().enumerate().filter(|(_, d)| d.office == office) {
                let present = d.store.lock().unwrap().attachment_present(sha).unwrap();
                if !present {
                    let e = d.store.lock().unwrap().enrollment().unwrap().unwrap();
                    let engine = loket_sync::engine::Engine::new(
                        loket_sync::Client::new(&e.server_url).unwrap(),
                        loket_sync::Credential { token: e.token, office_code: e.office_code },
                        "test",
                    );
                    assert!(
                        engine.fetch_attachment(&d.store, sha).await.unwrap(),
                        "seed {seed}: device {k} fetches {sha}"
                    );
                    attachments_fetched += 1;
                }
                let local = d.store.lock().unwrap().attachment_bytes(sha).unwrap();
                assert!(local == on_server, "seed {seed}: device {k}: attachment {sha} differs");
            }
        }
        attachments += names.len();
    }
    let (mut conflicts, mut flags, mut events, mut drafts) = (0, 0, 0, 0);
    for office in OFFICES {
        let snap = storage.office_snapshot(office).await.unwrap();
        drafts += snap.applications.iter().filter(|a| a.status == "draft").count();
        conflicts += snap.conflicts.iter().filter(|c| !c.2).count();
        flags += snap.flags.len();
        events += snap.applications.iter().map(|a| a.version - 1).sum::<i64>();
    }
    let c = proxy.counts();
    println!(
        "seed {seed} ({}): {n} devices, {} registrations ({} permits, {drafts} still drafts), {events} decisions/edits, {resolved} conflicts resolved ({conflicts} open), {flags} flags, \
         {attachments} attachments ({attachments_fetched} fetched on demand), {kills} SIGKILLs; \
         proxy: {} connections, {} refused, {} delayed, {} cut requests, {} cut responses, {} duplicated; settled after {settled_after} healthy rounds",
        storage.backend(),
        expected.registered.len(),
        expected.documents.len(),
        c.connections, c.refused, c.delayed, c.cut_requests, c.cut_responses, c.duplicated
    );
    drop(proxy);
    server.abort();
    if let Some((client, db)) = backend.pg_drop {
        drop(storage);
        drop(backend.storage);
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
    }
}

fn seeds(default: u64) -> Vec<u64> {
    if let Ok(one) = std::env::var("LOKET_FAULT_SEED") {
        return vec![one.parse().expect("LOKET_FAULT_SEED is a number")];
    }
    let n = std::env::var("LOKET_FAULT_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    (1..=n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_under_faults_sqlite_server() {
    for seed in seeds(200) {
        run_seed(seed, sqlite_backend().await).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_under_faults_postgres_server() {
    for seed in seeds(24) {
        run_seed(seed, postgres_backend().await).await;
    }
}
