//! Helpers shared by the end-to-end tests that set a server up directly through its storage.
#![allow(dead_code)]

use chrono::Utc;
use loket_server::admin;
use loket_server::storage::{Storage, User};

/// A new, empty PostgreSQL database on the test server (`LOKET_TEST_POSTGRES`, started by
/// `make test`): the admin connection (to drop it after), its name, and its URL.
pub async fn fresh_postgres(prefix: &str) -> (tokio_postgres::Client, String, String) {
    let admin_url = std::env::var("LOKET_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://loket:loket@127.0.0.1:5432/postgres".into());
    let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL for the end-to-end tests (make test starts one)");
    tokio::spawn(conn);
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    (client, name, url)
}

/// The office, and its supervisor `kasi-<office digits>` whose operations `key` signs (nobody
/// logs in: the devices hold the key itself).
pub async fn office_with_supervisor(storage: &dyn Storage, office: &str, key: &loket_keys::UserKey) {
    admin::add_office(storage, office).await.unwrap();
    storage
        .create_user(
            &User {
                id: uuid::Uuid::now_v7().to_string(),
                office_code: office.into(),
                username: supervisor_of(office),
                full_name: "Kepala Seksi".into(),
                roles: vec!["clerk".into(), "supervisor".into()],
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                active: true,
                public_key: key.public_key(),
                wrapped_key: String::new(),
                nip: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
}

/// The username of [`office_with_supervisor`]'s supervisor.
pub fn supervisor_of(office: &str) -> String {
    format!("kasi-{}", office.replace('.', ""))
}

/// A laptop of `office`: a new encrypted store in `dir`, enrolled with the server at `url` (the
/// one-time code issued through `storage`). Returns the store, its enrollment and device code.
pub async fn enrolled_store(
    storage: &dyn Storage,
    url: &str,
    office: &str,
    dir: &std::path::Path,
) -> (loket_store::Store, loket_store::Enrollment, String) {
    let code = admin::issue_enrollment_code(storage, office, 1).await.unwrap();
    let e = loket_sync::Client::new(url).unwrap().enroll(&code, "Laptop", "test").await.unwrap();
    let mut store = loket_store::Store::open_in_dir(dir, &loket_e2e::test_key()).unwrap();
    let enrollment = loket_store::Enrollment {
        server_url: url.to_string(),
        device_id: e.device_id,
        token: e.token,
        office_code: e.office_code,
    };
    store.save_enrollment(&enrollment, &e.device_code).unwrap();
    (store, enrollment, e.device_code)
}

/// A server database in `dir` with `offices`, each with a supervisor whose key is `key`, served
/// by the real `loket-server`: the database's path, its storage, and the server.
pub async fn served_offices(
    dir: &std::path::Path,
    offices: &[&str],
    key: &std::sync::Arc<loket_keys::UserKey>,
) -> (std::path::PathBuf, std::sync::Arc<dyn Storage>, loket_e2e::ServerProcess) {
    let db = dir.join("server.sqlite3");
    let storage = loket_server::open_storage(db.to_str().unwrap()).await.unwrap();
    for office in offices {
        office_with_supervisor(storage.as_ref(), office, key).await;
    }
    let server = loket_e2e::ServerProcess::start(&db).unwrap();
    (db, storage, server)
}

/// A laptop of `office` enrolled with the server at `url`, its store in `dir`.
pub async fn laptop(
    storage: &dyn Storage,
    url: &str,
    office: &str,
    dir: &std::path::Path,
) -> std::sync::Arc<std::sync::Mutex<loket_store::Store>> {
    let (store, _, _) = enrolled_store(storage, url, office, dir).await;
    std::sync::Arc::new(std::sync::Mutex::new(store))
}
