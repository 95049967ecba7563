//! The server's connections to PostgreSQL over TLS, against the real test server. Its
//! certificate (for 127.0.0.1) is signed by a CA that `scripts/postgres.sh` made on this machine,
//! outside the system's roots.

mod common;

use loket_server::storage::postgres::PostgresStorage;
use loket_server::storage::Storage;

#[tokio::test]
async fn sslmode_require_encrypts_and_verify_full_refuses_an_untrusted_certificate() {
    let (url, _guard) = common::postgres_database().await;
    let plain = PostgresStorage::connect(&url, 2).await.unwrap();
    assert!(!plain.encrypted().await.unwrap(), "no sslmode: plain, as before");

    let encrypted = PostgresStorage::connect(&format!("{url}?sslmode=require"), 2).await.unwrap();
    assert!(encrypted.encrypted().await.unwrap(), "sslmode=require: every connection is TLS");
    assert!(encrypted.durability().await.unwrap().durable);
    encrypted.upsert_office("36.01.01", "Sumur").await.unwrap();
    assert!(plain.office("36.01.01").await.unwrap().is_some(), "the same database");

    // A certificate the system's roots do not vouch for: verify-full does not connect.
    match PostgresStorage::connect(&format!("{url}?sslmode=verify-full"), 2).await {
        Err(e) => assert!(e.to_string().to_lowercase().contains("cert"), "{e}"),
        Ok(_) => panic!("verify-full accepted an untrusted certificate"),
    }
}

/// With the CA that signed the server's certificate (`sslrootcert`), verify-full connects,
/// encrypted (the certificate names 127.0.0.1, the address connected to).
#[tokio::test]
async fn verify_full_connects_to_a_server_its_root_certificate_vouches_for() {
    let (url, _guard) = common::postgres_database().await;
    let ca = std::env::var("LOKET_TEST_PG_CA")
        .unwrap_or_else(|_| "/var/lib/postgresql/loket-test-tls/ca.pem".into());
    assert!(std::path::Path::new(&ca).exists(), "{ca} is missing: run scripts/postgres.sh (make test does)");
    let verified = PostgresStorage::connect(&format!("{url}?sslmode=verify-full&sslrootcert={ca}"), 2)
        .await
        .unwrap_or_else(|e| panic!("verify-full with the test CA: {e}"));
    assert!(verified.encrypted().await.unwrap());
    verified.upsert_office("36.01.01", "Sumur").await.unwrap();
}
