//! The desktop's server client (loket-sync) against a real server over HTTP on 127.0.0.1.

use std::net::SocketAddr;

use loket_server::admin;
use loket_server::api::{router, ApiConfig};
use loket_server::storage::sqlite::SqliteStorage;
use loket_sync::{Client, Credential, SyncError};

#[tokio::test]
async fn enroll_check_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let storage = std::sync::Arc::new(SqliteStorage::open(&dir.path().join("s.sqlite3")).unwrap());
    admin::add_office(storage.as_ref(), "36.01.01").await.unwrap();
    let code = admin::issue_enrollment_code(storage.as_ref(), "36.01.01", 1).await.unwrap();
    let app = router(storage.clone(), ApiConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
    });

    let client = Client::new(&base).unwrap();
    let e = client.enroll(&code, "Laptop", "0.1.0").await.unwrap();
    let cred = Credential { token: e.token.clone(), office_code: e.office_code.clone() };
    client.check(&cred).await.unwrap();
    assert!(matches!(
        client.enroll(&code, "Laptop", "0.1.0").await,
        Err(SyncError::Refused { status: 410, .. })
    ));
    admin::revoke(storage.as_ref(), &e.device_id).await.unwrap();
    assert!(matches!(client.check(&cred).await, Err(SyncError::Revoked)));
    let wrong = Credential { token: "0".repeat(64), ..cred };
    assert!(matches!(client.check(&wrong).await, Err(SyncError::Unauthenticated)));
    assert!(matches!(Client::new("ftp://x"), Err(SyncError::BadUrl(_))));
    let nobody = Client::new("http://127.0.0.1:9").unwrap();
    assert!(matches!(
        nobody.check(&Credential { token: "x".into(), office_code: "36.01.01".into() }).await,
        Err(SyncError::Unreachable(_))
    ));
}
