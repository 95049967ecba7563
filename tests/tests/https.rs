//! The desktop's client and the provincial server over HTTPS: the real `loket-server` binary
//! terminates TLS with a certificate signed by a CA this test makes (no key material in the
//! repository); the client trusts that CA through its policy, as an office laptop would trust the
//! province's CA file.

use std::sync::{Arc, Mutex};

use loket_e2e::{pki, ServerProcess};
use loket_sync::engine::Engine;
use loket_sync::{Client, Credential, SyncError, TlsPolicy};

#[tokio::test]
async fn a_device_syncs_over_https_trusting_only_the_provincial_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki::TestPki { ca, cert, key } = pki::make(dir.path(), "CA Provinsi Banten (uji)").unwrap();
    let db = dir.path().join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", "36.01.01"]).unwrap();
    // Staff records are kept by a supervisor.
    let petugas = loket_e2e::NewUser {
        office: "36.01.01",
        username: "petugas",
        full_name: "Petugas",
        roles: "clerk,supervisor",
        password: "sandi-petugas-2026",
    };
    ServerProcess::add_user(&db, &petugas).unwrap();
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"]).unwrap();
    let server = ServerProcess::start_https(&db, &cert, &key).unwrap();
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);

    // Without the provincial CA the certificate is not trusted, and nothing is sent.
    let untrusting = Client::with_policy(&server.url, &TlsPolicy::default()).unwrap();
    let refused = untrusting.enroll(code.trim(), "Laptop", "0.1.0").await;
    assert!(matches!(refused, Err(SyncError::Certificate(_))), "{refused:?}");
    // A CA of someone else is no better.
    let other = pki::make(&dir.path().join("other"), "CA lain").unwrap();
    let wrong = TlsPolicy::default().with_ca_file(&other.ca).unwrap();
    let refused =
        Client::with_policy(&server.url, &wrong).unwrap().enroll(code.trim(), "Laptop", "0.1.0").await;
    assert!(matches!(refused, Err(SyncError::Certificate(_))), "{refused:?}");

    // With it: enroll (the one-time code was not spent by the refused attempts), register
    // offline, push and pull.
    let policy = TlsPolicy::default().with_ca_file(&ca).unwrap();
    let client = Client::with_policy(&server.url, &policy).unwrap();
    let e = client.enroll(code.trim(), "Laptop", "0.1.0").await.unwrap();
    let cred = Credential { token: e.token.clone(), office_code: e.office_code.clone() };
    client.check(&cred).await.unwrap();

    let mut store =
        loket_store::Store::open_in_dir(&dir.path().join("device"), &loket_e2e::test_key()).unwrap();
    store
        .save_enrollment(
            &loket_store::Enrollment {
                server_url: server.url.clone(),
                device_id: e.device_id.clone(),
                token: e.token.clone(),
                office_code: e.office_code.clone(),
            },
            &e.device_code,
        )
        .unwrap();
    let store = Arc::new(Mutex::new(store));
    let engine = Engine::new(client, cred, "0.1.0");
    // The office's users come over HTTPS first; the clerk's key opens with their password.
    let first = engine.run(&store, &|_| {}).await.unwrap();
    assert!(first.pulled >= 1, "{first:?}");
    let clerk = loket_e2e::signing_actor(&store.lock().unwrap(), "petugas", "sandi-petugas-2026").unwrap();
    let staff = loket_domain::staff::validate_staff(&loket_domain::staff::StaffDraft {
        status: "non_asn".into(),
        full_name: "Dedi Kurniawan".into(),
        jabatan: "Pengadministrasi Umum".into(),
        unit_code: "36.01.01".into(),
        active: true,
        ..Default::default()
    })
    .unwrap();
    store.lock().unwrap().add_staff(&staff, &clerk, chrono::Utc::now()).unwrap();
    let report = engine.run(&store, &|_| {}).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    assert!(report.pulled >= 1, "the office's change came back over HTTPS: {report:?}");
    assert_eq!(store.lock().unwrap().pending_count().unwrap(), 0);
}

#[test]
fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    assert!(matches!(Client::new("http://10.20.30.40:8080"), Err(SyncError::InsecureUrl(_))));
    assert!(matches!(Client::new("http://loket.bantenprov.go.id"), Err(SyncError::InsecureUrl(_))));
    assert!(Client::new("http://127.0.0.1:8787").is_ok(), "this machine (make run)");
}
