//! A provincial server backed up while it serves, lost, and restored from the backup: three
//! devices (two offices) sync on and converge with it, nothing lost and nothing twice — the
//! work they sent after the backup included. The real `loket-server` binary, its `backup` and
//! `restore` commands, real HTTP on 127.0.0.1, real (encrypted) device stores; on SQLite and on
//! PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::workflow::Role;
use loket_e2e::ServerProcess;
use loket_server::open_storage;
use loket_server::storage::Storage;
use loket_store::{Actor, ApplicantEdit, Enrollment};
use loket_sync::engine::SharedStore;
use loket_sync::worker::{sync_once, WorkerHandle};

const OFFICES: [&str; 2] = ["36.01.01", "36.01.02"];

struct Device {
    store: SharedStore,
    office: &'static str,
    actor: Actor,
    handle: WorkerHandle,
    device_code: String,
}

fn bansos(office: &str, n: u32) -> loket_domain::aid::ValidBansos {
    let kec = office.replace('.', "");
    validate_bansos(&BansosDraft {
        applicant: ApplicantDraft {
            nik: format!("{kec}1205900{:03}", n + 1),
            full_name: "Siti Aminah".into(),
            address: "Kp. Cibadak RT 03/01".into(),
            village_code: format!("{office}.2001"),
            phone: String::new(),
        },
        kk: format!("{kec}1501100003"),
        household: vec![],
        monthly_income: 750_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    })
    .unwrap()
}

/// Register `count` applications on `d`, numbered from `from`; their ids.
fn register(d: &Device, from: u32, count: u32) -> Vec<String> {
    let mut s = d.store.lock().unwrap();
    (from..from + count)
        .map(|n| s.register_bansos(&bansos(d.office, n), &d.actor, Utc::now()).unwrap().id)
        .collect()
}

async fn sync_all(devices: &[Device]) {
    for d in devices {
        let report = sync_once(&d.store, &d.handle, "test").await.unwrap();
        assert_eq!(d.store.lock().unwrap().pending_count().unwrap(), 0, "{report:?}");
    }
}

fn set_server(devices: &[Device], url: &str, enrollments: &[Enrollment]) {
    for (d, e) in devices.iter().zip(enrollments) {
        let e = Enrollment { server_url: url.to_string(), ..e.clone() };
        d.store.lock().unwrap().save_enrollment(&e, &d.device_code).unwrap();
    }
}

/// The server database: a SQLite file, or a fresh PostgreSQL database.
struct Database {
    location: String,
    _dir: tempfile::TempDir,
    pg: Option<(tokio_postgres::Client, String)>,
}

impl Database {
    fn path(&self) -> PathBuf {
        PathBuf::from(&self.location)
    }

    /// Lose everything: the SQLite files deleted, or the PostgreSQL database dropped and made
    /// again empty.
    async fn lose(&self) {
        match &self.pg {
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    std::fs::remove_file(format!("{}{suffix}", self.location)).ok();
                }
                assert!(!Path::new(&self.location).exists());
            }
            Some((client, name)) => {
                client.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
                client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
            }
        }
    }
}

async fn sqlite_database() -> Database {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("server.sqlite3").display().to_string();
    Database { location, _dir: dir, pg: None }
}

async fn postgres_database() -> Database {
    let (client, name, location) = common::fresh_postgres("loket_restore").await;
    Database { location, _dir: tempfile::tempdir().unwrap(), pg: Some((client, name)) }
}

async fn restored_server_converges(db: Database) {
    let key = Arc::new(loket_keys::UserKey::generate());
    let backup_file = db._dir.path().join("loket-backup.bin");
    let mut expected: Vec<(String, &'static str)> = Vec::new();

    // Set-up through the storage (offices, a supervisor per office with the test's key).
    let (enrollments, devices) = {
        let storage: Arc<dyn Storage> = open_storage(&db.location).await.unwrap();
        for office in OFFICES {
            common::office_with_supervisor(storage.as_ref(), office, &key).await;
        }
        let server = ServerProcess::start(&db.path()).unwrap();
        let root = db._dir.path().join("devices");
        let mut enrollments = Vec::new();
        let mut devices = Vec::new();
        for (i, office) in [OFFICES[0], OFFICES[0], OFFICES[1]].into_iter().enumerate() {
            let dir = root.join(format!("device-{i}"));
            let (store, enrollment, device_code) =
                common::enrolled_store(storage.as_ref(), &server.url, office, &dir).await;
            enrollments.push(enrollment);
            let username = common::supervisor_of(office);
            devices.push(Device {
                store: Arc::new(Mutex::new(store)),
                office,
                actor: Actor::signing(username, &[Role::Clerk, Role::Supervisor], key.clone()),
                handle: WorkerHandle::default(),
                device_code,
            });
        }

        // Work before the backup, synced everywhere.
        for (i, d) in devices.iter().enumerate() {
            expected.extend(register(d, 10 * i as u32, 4).into_iter().map(|id| (id, d.office)));
        }
        sync_all(&devices).await;
        sync_all(&devices).await;

        // The backup, taken while the server serves.
        let out =
            ServerProcess::admin(&db.path(), &["backup", "--to", backup_file.to_str().unwrap()]).unwrap();
        assert!(out.contains("backup written"), "{out}");
        let check =
            ServerProcess::admin(&db.path(), &["check-backup", "--file", backup_file.to_str().unwrap()]);
        assert!(check.unwrap().contains("sound backup"));

        // Work after the backup: new registrations and an edit of an older one, all synced and
        // acknowledged — then the server is lost.
        for (i, d) in devices.iter().enumerate() {
            expected.extend(register(d, 10 * i as u32 + 4, 3).into_iter().map(|id| (id, d.office)));
        }
        {
            let d = &devices[0];
            let mut s = d.store.lock().unwrap();
            let first = s.application(&expected[0].0).unwrap();
            let edit = ApplicantEdit { address: Some("Kp. Baru RT 01/02".into()), ..Default::default() };
            s.edit_applicant(&first.id, first.version, &edit, &d.actor, Utc::now()).unwrap();
        }
        sync_all(&devices).await;
        sync_all(&devices).await;
        assert_eq!(storage.count_applications(None).await.unwrap(), expected.len() as i64);
        // Not under a serving server.
        let refused = ServerProcess::admin(&db.path(), &["restore", "--from", backup_file.to_str().unwrap()]);
        let message = refused.expect_err("restore under a serving server").to_string();
        assert!(message.contains("serving"), "{message}");
        drop(server);
        (enrollments, devices)
    };
    db.lose().await;

    // The restore, then a server on the restored data (a new address: a new port here).
    let out =
        ServerProcess::admin(&db.path(), &["restore", "--from", backup_file.to_str().unwrap()]).unwrap();
    assert!(out.contains("new data epoch"), "{out}");
    let storage: Arc<dyn Storage> = open_storage(&db.location).await.unwrap();
    assert_eq!(
        storage.count_applications(None).await.unwrap(),
        12,
        "the backup's state: before the later work"
    );
    let server = ServerProcess::start(&db.path()).unwrap();
    set_server(&devices, &server.url, &enrollments);

    // The devices see the new epoch, send again, pull from the start.
    sync_all(&devices).await;
    sync_all(&devices).await;

    for office in OFFICES {
        let snap = storage.office_snapshot(office).await.unwrap();
        let server_ids: BTreeSet<&str> = snap.applications.iter().map(|a| a.id.as_str()).collect();
        let mine: BTreeSet<&str> =
            expected.iter().filter(|(_, o)| *o == office).map(|(id, _)| id.as_str()).collect();
        assert_eq!(server_ids, mine, "office {office}: every acknowledged registration, exactly once");
        let numbers: BTreeSet<_> =
            snap.applications.iter().filter_map(|a| a.registration_number.clone()).collect();
        assert_eq!(numbers.len(), snap.applications.len(), "registration numbers unique");
        assert!(snap.conflicts.is_empty(), "a restore makes no conflicts: {:?}", snap.conflicts);
        for d in devices.iter().filter(|d| d.office == office) {
            let s = d.store.lock().unwrap();
            let local = s.list_applications(1000).unwrap();
            let local_ids: BTreeSet<&str> = local.iter().map(|a| a.id.as_str()).collect();
            assert_eq!(local_ids, server_ids, "device {} holds its office's applications", d.device_code);
            for a in &snap.applications {
                let l = local.iter().find(|l| l.id == a.id).unwrap();
                assert_eq!(
                    (l.version, Some(l.applicant_address.as_str())),
                    (a.version, a.data["applicant_address"].as_str()),
                    "application {}",
                    a.id
                );
            }
            assert!(s.refused_ops(100).unwrap().is_empty(), "nothing refused");
        }
    }
    let edited = storage.office_snapshot(OFFICES[0]).await.unwrap();
    let first = edited.applications.iter().find(|a| a.id == expected[0].0).unwrap();
    assert_eq!(first.data["applicant_address"], "Kp. Baru RT 01/02", "the edit made after the backup");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_sqlite_server_loses_nothing() {
    restored_server_converges(sqlite_database().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_postgres_server_loses_nothing() {
    restored_server_converges(postgres_database().await).await;
}
