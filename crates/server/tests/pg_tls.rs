//! The server's connections to PostgreSQL over TLS, against the real test server (Debian's
//! cluster serves TLS with its self-signed "snakeoil" certificate).

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

    // A self-signed certificate for another name: verify-full does not connect.
    match PostgresStorage::connect(&format!("{url}?sslmode=verify-full"), 2).await {
        Err(e) => assert!(e.to_string().to_lowercase().contains("cert"), "{e}"),
        Ok(_) => panic!("verify-full accepted an untrusted certificate"),
    }
}
