//! Add-only schema migrations.
//!
//! `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`; `PRAGMA user_version` records
//! where a database is. Migrations are never edited or removed once released, only appended.
//! A database from a newer app (a higher version than we know) is refused rather than guessed at.

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_attachment_sync.sql"),
    include_str!("migrations/0004_fewer_pages.sql"),
    include_str!("migrations/0005_plain_checks.sql"),
    include_str!("migrations/0006_user_keys.sql"),
    include_str!("migrations/0007_attachment_by_content.sql"),
    include_str!("migrations/0008_holiday_kind.sql"),
    include_str!("migrations/0009_catalogue.sql"),
    include_str!("migrations/0010_receipt.sql"),
    include_str!("migrations/0011_queue.sql"),
    include_str!("migrations/0012_staff_conflict.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found: current, known: SCHEMA_VERSION });
    }
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    // A migration may rebuild a table others refer to (create the new one, copy, drop the old,
    // rename): SQLite's way is with foreign keys off, checking them all before the commit
    // (https://sqlite.org/lang_altertable.html, "making other kinds of table schema changes").
    // The pragma is a no-op inside a transaction, so it is switched around them.
    let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let migrated = apply(conn, current);
    conn.pragma_update(None, "foreign_keys", foreign_keys)?;
    migrated
}

fn apply(conn: &mut Connection, current: u32) -> Result<(), StoreError> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        let broken: Option<String> = tx.query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional()?;
        if let Some(table) = broken {
            return Err(StoreError::Corrupt(format!(
                "schema migration {} leaves a row of {table} without its parent",
                i + 1
            )));
        }
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file at schema `version`, as an older app left it.
    fn database_at(path: &std::path::Path, version: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version as u32).unwrap();
        conn
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        }
        match crate::Store::open(&path, &crate::test_key()) {
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
            let conn = database_at(&path, 3);
            conn.execute_batch(
                &format!(
                    "INSERT INTO application (id, registration_number, kind, service_code, period, status,
                     applicant_nik, applicant_name, applicant_address, kk, village_code, office_code, details,
                     created_at, created_hlc, updated_hlc)
                 VALUES ('a1', '360101-K7QX-000001', 'bansos', 'PKH', '2026', 'submitted', '3601011501900001',
                     'Siti Aminah', 'Kp. Cibadak', '3601011501100003', '36.01.01.2001', '36.01.01', '{{}}',
                     '2026-01-05T01:00:00.000000Z', 'h1', 'h1');
                 INSERT INTO application_search (rowid, registration_number, nik, name, organization_name)
                     VALUES (1, '360101-K7QX-000001', '3601011501900001', 'Siti Aminah', '');
                 INSERT INTO household_member VALUES ('a1', 0, '3601015508150002', 'Aisyah', 'anak'),
                                                     ('a1', 1, '3601014203120003', 'Fatimah', 'anak');
                 INSERT INTO workflow_event VALUES ('e1', 'a1', 'submit', 'draft', 'submitted', 'petugas', 'h1', '');
                 INSERT INTO outbox (seq, op_id, entity, entity_id, op, payload, hlc)
                     VALUES (1, 'o1', 'application', 'a1', '{register}', '{{}}', 'h1');
                 INSERT INTO counter VALUES ('registration', 1), ('outbox', 1);",
                    register = loket_protocol::OpKind::ApplicationRegister,
                ),
            )
            .unwrap();
        }
        let store = crate::Store::open(&path, &crate::test_key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
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

    /// Schema 5 rebuilt `application` and `outbox`: rows, their rowids (the search index's
    /// key) and foreign-key enforcement survive.
    #[test]
    fn schema_5_keeps_rows_rowids_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        {
            let conn = database_at(&path, 4);
            conn.execute_batch(
                &format!(
                    "INSERT INTO application (rowid, id, registration_number, kind, service_code, period, status,
                     applicant_nik, applicant_name, applicant_address, kk, village_code, office_code, details,
                     created_at, created_hlc, updated_hlc, version)
                 VALUES (7, 'a1', '360101-K7QX-000001', 'bansos', 'PKH', '2026', 'approved', '3601011501900001',
                     'Siti Aminah', 'Kp. Cibadak', '3601011501100003', '36.01.01.2001', '36.01.01', '{{\"x\":1}}',
                     '2026-01-05T01:00:00.000000Z', 'h1', 'h2', 3);
                 INSERT INTO application_search (rowid, registration_number, nik, name, organization_name)
                     VALUES (7, '360101-K7QX-000001', '3601011501900001', 'Siti Aminah', '');
                 INSERT INTO setting (key, value) VALUES ('search.indexed_rowid', '7')
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value;
                 INSERT INTO household_member VALUES ('a1', 0, '3601015508150002', 'Aisyah', 'anak');
                 INSERT INTO outbox (seq, op_id, entity, entity_id, op, payload, hlc, state, attempts)
                     VALUES (1, 'o1', 'application', 'a1', '{register}', '{{}}', 'h1', 'acked', 1),
                            (2, 'o2', 'application', 'a1', 'application.decide', '{{}}', 'h2', 'pending', 0);",
                    register = loket_protocol::OpKind::ApplicationRegister,
                ),
            )
            .unwrap();
        }
        let store = crate::Store::open(&path, &crate::test_key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let a = store.application("a1").unwrap();
        assert_eq!((a.status.as_str(), a.version, a.details["x"].as_i64()), ("approved", 3, Some(1)));
        let rowid: i64 =
            store.conn.query_row("SELECT rowid FROM application WHERE id = 'a1'", [], |r| r.get(0)).unwrap();
        assert_eq!(rowid, 7);
        let found = store.search_applications("aminah", 10).unwrap();
        assert_eq!(found.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a1"]);
        let ops = store.pending_ops(10).unwrap();
        assert_eq!(ops.iter().map(|o| o.op_id.as_str()).collect::<Vec<_>>(), ["o2"]);
        assert_eq!(store.household("a1").unwrap().len(), 1);
        // Foreign keys are back on: a member of no application is refused.
        let orphan = store.conn.execute(
            "INSERT INTO household_member VALUES ('nope', 0, '3601015508150002', 'Aisyah', 'anak')",
            [],
        );
        assert!(orphan.is_err());
        // And the rebuilt checks still check.
        let bad = store.conn.execute("UPDATE outbox SET state = 'lost' WHERE seq = 2", []);
        assert!(bad.is_err());
    }

    /// Regression: `CHECK (kind IN ('permit', 'bansos', 'hibah'))` made SQLite build and drop a
    /// temporary B-tree for every application and outbox row written (~6% of a pull's CPU).
    #[test]
    fn hot_writes_build_no_temporary_btree_per_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("db.sqlite3"), &crate::test_key()).unwrap();
        for sql in [
            "INSERT INTO application (id, registration_number, kind, service_code, period, status, applicant_nik,
             applicant_name, applicant_address, applicant_phone, organization_name, kk, village_code, office_code,
             details, fee, created_at, created_hlc, updated_hlc, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, 1)
             ON CONFLICT (id) DO NOTHING",
            "UPDATE application SET status = ?2, version = ?3 WHERE id = ?1",
            "INSERT INTO outbox (seq, op_id, entity, entity_id, op, payload, base_version, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            "UPDATE outbox SET state = ?2, attempts = attempts + 1, last_error = ?3 WHERE seq = ?1",
            "INSERT INTO household_member (application_id, position, nik, full_name, relationship)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        ] {
            let mut stmt = store.conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let ops: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(1))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(!ops.iter().any(|op| op == "OpenEphemeral"), "{sql}");
        }
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        drop(crate::Store::open(&path, &crate::test_key()).unwrap());
        let store = crate::Store::open(&path, &crate::test_key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }
}
