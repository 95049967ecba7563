//! Fresh storages for tests: a SQLite file in a temporary directory, or a PostgreSQL database
//! of its own (created here, dropped when the guard goes). PostgreSQL must be reachable at
//! `LOKET_TEST_POSTGRES` (default `postgres://loket:loket@127.0.0.1:5432/postgres`); `make test`
//! starts one. A missing PostgreSQL fails the test — it is never skipped.
#![allow(dead_code)]

use std::sync::Arc;

use loket_server::storage::postgres::PostgresStorage;
use loket_server::storage::sqlite::SqliteStorage;
use loket_server::storage::Storage;

pub fn pg_admin_url() -> String {
    std::env::var("LOKET_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://loket:loket@127.0.0.1:5432/postgres".into())
}

/// Keeps a test's storage alive and cleans it up.
pub enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, db: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { admin_url, db } = self {
            let (url, db) = (admin_url.clone(), db.clone());
            // Drop runs outside async: use a private runtime on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok((client, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                        tokio::spawn(conn);
                        let _ =
                            client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn sqlite() -> (Arc<dyn Storage>, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("server.sqlite3")).unwrap();
    (Arc::new(s), Guard::Sqlite(dir))
}

pub async fn postgres() -> (Arc<dyn Storage>, Guard) {
    let (url, guard) = postgres_database().await;
    let s = PostgresStorage::connect(&url, 8).await.unwrap();
    (Arc::new(s), guard)
}

/// A fresh, empty database: its URL, and the guard that drops it.
pub async fn postgres_database() -> (String, Guard) {
    let admin = pg_admin_url();
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is not reachable ({e}); run `make test`, which starts it")
    });
    tokio::spawn(conn);
    let db = format!("loket_test_{}", uuid::Uuid::now_v7().simple());
    client.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("LOKET_TEST_POSTGRES must end in /<database>"),
    };
    (url, Guard::Postgres { admin_url: admin, db })
}

/// A release signing key made for one test (as `tauri signer generate` would), and signatures
/// of bundles in Tauri's form (base64 of minisign's text, the version in the trusted comment).
pub struct SigningKey(minisign::KeyPair);

impl SigningKey {
    pub fn generate() -> Self {
        Self(minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair"))
    }

    /// The public key as `tauri.conf.json` and `release trust-key` take it.
    pub fn public(&self) -> String {
        use base64::Engine as _;
        let text = self.0.pk.to_box().expect("public key text").into_string();
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    /// The `.sig` content for `bytes` signed for `version`.
    pub fn sign(&self, bytes: &[u8], version: &str) -> String {
        use base64::Engine as _;
        let comment = format!("timestamp:1796217109\tfile:loket_{version}_amd64.deb\tversion:{version}");
        let sig =
            minisign::sign(Some(&self.0.pk), &self.0.sk, bytes, Some(&comment), None).expect("a signature");
        base64::engine::general_purpose::STANDARD.encode(sig.into_string())
    }
}
