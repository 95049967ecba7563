//! An operation that breaks a database constraint the rules did not foresee is rejected alone;
//! the others of its push are kept. Both backends apply a push in one transaction and redo it
//! with a savepoint per operation only after such an error (`StorageError::Constraint`, told by
//! the database's error code), so this is the regression guard for that redo. The constraint
//! is a test trigger that refuses application `b`.

mod common;

use chrono::Utc;
use loket_protocol::OpStatus;
use loket_server::storage::conformance::{device, register_op, signed};
use loket_server::storage::Storage;

async fn rejected_alone(s: &dyn Storage, refuse_b: impl std::future::Future<Output = ()>) {
    let d = device(s, "36.01.01").await;
    refuse_b.await;
    let ops = signed(
        &d,
        vec![
            register_op(1, "a", "36.01.01", "3601010101900001", "3601010101000001"),
            register_op(2, "b", "36.01.01", "3601010101900002", "3601010101000002"),
            register_op(3, "c", "36.01.01", "3601010101900003", "3601010101000003"),
        ],
    );
    let results = s.push(&d, ops.clone(), Utc::now()).await.unwrap();
    let statuses: Vec<_> = results.iter().map(|r| (r.status, r.code.as_deref())).collect();
    assert_eq!(
        statuses,
        [(OpStatus::Accepted, None), (OpStatus::Rejected, Some("constraint")), (OpStatus::Accepted, None)]
    );
    let (page, _) = s.pull("36.01.01", 0, 100).await.unwrap();
    let ids: Vec<_> = page
        .iter()
        .filter(|c| c.kind == loket_protocol::ChangeKind::Application)
        .map(|c| c.entity_id.as_str())
        .collect();
    assert_eq!(ids, ["a", "c"]);
    // A re-send gets the same answers (the rejection was logged with the others).
    assert_eq!(s.push(&d, ops, Utc::now()).await.unwrap(), results);
}

#[tokio::test]
async fn sqlite_rejects_an_operation_that_breaks_a_constraint_alone() {
    let (s, guard) = common::sqlite();
    let common::Guard::Sqlite(dir) = &guard else { unreachable!() };
    let path = dir.path().join("server.sqlite3");
    rejected_alone(s.as_ref(), async {
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TRIGGER refuse_b BEFORE INSERT ON application WHEN NEW.id = 'b'
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
            )
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn postgres_rejects_an_operation_that_breaks_a_constraint_alone() {
    let (s, guard) = common::postgres().await;
    let common::Guard::Postgres { admin_url, db } = &guard else { unreachable!() };
    let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
    rejected_alone(s.as_ref(), async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(
                "CREATE FUNCTION refuse_b() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.id = 'b' THEN
                         RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
                     END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER refuse_b BEFORE INSERT ON application FOR EACH ROW EXECUTE FUNCTION refuse_b();",
            )
            .await
            .unwrap();
    })
    .await;
}
