//! Add-only schema migrations.
//!
//! `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`; `PRAGMA user_version` records
//! where a database is. Migrations are never edited or removed once released, only appended.
//! A database from a newer app (a higher version than we know) is refused rather than guessed at.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_attachment_sync.sql"),
    include_str!("migrations/0004_fewer_pages.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found: current, known: SCHEMA_VERSION });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        }
        match crate::Store::open(&path) {
            Err(StoreError::SchemaTooNew { found, known }) => {
                assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected SchemaTooNew, got {:?}", other.err()),
        }
    }

    /// Schema 4 rebuilt three tables and dropped indexes: rows written under schema 3 survive,
    /// and the queries that used the dropped NIK index still find them.
    #[test]
    fn schema_4_keeps_schema_3_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute_batch(
                "INSERT INTO application (id, registration_number, kind, service_code, period, status,
                     applicant_nik, applicant_name, applicant_address, kk, village_code, office_code, details,
                     created_at, created_hlc, updated_hlc)
                 VALUES ('a1', '360101-K7QX-000001', 'bansos', 'PKH', '2026', 'submitted', '3601011501900001',
                     'Siti Aminah', 'Kp. Cibadak', '3601011501100003', '36.01.01.2001', '36.01.01', '{}',
                     '2026-01-05T01:00:00.000000Z', 'h1', 'h1');
                 INSERT INTO application_search (rowid, registration_number, nik, name, organization_name)
                     VALUES (1, '360101-K7QX-000001', '3601011501900001', 'Siti Aminah', '');
                 INSERT INTO household_member VALUES ('a1', 0, '3601015508150002', 'Aisyah', 'anak'),
                                                     ('a1', 1, '3601014203120003', 'Fatimah', 'anak');
                 INSERT INTO workflow_event VALUES ('e1', 'a1', 'submit', 'draft', 'submitted', 'petugas', 'h1', '');
                 INSERT INTO outbox (seq, op_id, entity, entity_id, op, payload, hlc)
                     VALUES (1, 'o1', 'application', 'a1', 'application.register', '{}', 'h1');
                 INSERT INTO counter VALUES ('registration', 1), ('outbox', 1);",
            )
            .unwrap();
        }
        let store = crate::Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 4);
        let members: Vec<_> = store.household("a1").unwrap().into_iter().map(|m| m.full_name).collect();
        assert_eq!(members, ["Aisyah", "Fatimah"]);
        let events = store.workflow_events("a1").unwrap();
        assert_eq!(
            (events.len(), events[0].id.as_str(), events[0].to_status.as_str()),
            (1, "e1", "submitted")
        );
        let ops = store.pending_ops(10).unwrap();
        assert_eq!((ops.len(), ops[0].op_id.as_str()), (1, "o1"));
        let found = store.search_applications("3601 0115 0190 0001", 10).unwrap();
        assert_eq!(found.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a1"]);
        assert!(store.search_applications("3601011501900002", 10).unwrap().is_empty());
        // The counters carried over: the next operation continues the device's sequence.
        let tx = store.conn.unchecked_transaction().unwrap();
        assert_eq!(crate::writer::next_counter(&tx, "outbox").unwrap(), 2);
        assert_eq!(crate::writer::next_counter(&tx, "registration").unwrap(), 2);
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        drop(crate::Store::open(&path).unwrap());
        let store = crate::Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }
}
