//! The store on disk is encrypted: a wrong key opens nothing, and a plain database from an
//! older Loket is encrypted in place, once, losing nothing, whatever step a crash interrupted.

mod common;

use std::path::Path;

use chrono::Utc;
use loket_store::{file_state, plain_backup_path, FileState, Store, StoreError, StoreKey, DB_FILE};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nSCAN-OF-A-KTP-3601011205900007";

fn raw_contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path).unwrap().windows(needle.len()).any(|w| w == needle)
}

/// A data directory as an older, unencrypted Loket left it: a plain database (the store's
/// rows, exported without a key) and plain attachment files. Returns the attachment's name.
fn plain_data_dir(dir: &Path) -> String {
    let sha = {
        let mut store = Store::open_in_dir(dir, &common::key()).unwrap();
        store.set_office_kecamatan("36.01.01").unwrap();
        let clerk = common::clerk();
        let app = store.register_bansos(&common::bansos(7, "Siti Aminah"), &clerk, Utc::now()).unwrap();
        store.register_bansos(&common::bansos(8, "Budi Santoso"), &clerk, Utc::now()).unwrap();
        store.add_attachment(&app.id, PNG, "ktp.png", "ktp", &clerk, Utc::now()).unwrap().sha256
    };
    let db = dir.join(DB_FILE);
    let plain = dir.join("plain.sqlite3");
    {
        let conn = loket_store::open_keyed(&db, &common::key()).unwrap();
        // An older Loket had no sealed attachments.
        conn.execute("DELETE FROM setting WHERE key = 'attachments.sealed'", []).unwrap();
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        conn.execute("ATTACH DATABASE ?1 AS plain KEY ''", [plain.to_str().unwrap()]).unwrap();
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
        conn.pragma_update(Some("plain"), "user_version", version).unwrap();
        conn.execute("DETACH DATABASE plain", []).unwrap();
    }
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", db.display())).ok();
    }
    std::fs::rename(&plain, &db).unwrap();
    std::fs::write(dir.join("attachments").join(&sha[..2]).join(&sha), PNG).unwrap();
    assert_eq!(file_state(&db).unwrap(), FileState::Plain);
    sha
}

/// The encrypted store holds what the plain one held, and nothing is left in clear.
fn assert_migrated(dir: &Path, sha: &str) {
    let store = Store::open_in_dir(dir, &common::key()).unwrap();
    assert_eq!(store.count_applications().unwrap(), 2);
    assert!(store.verify_audit().unwrap().is_intact());
    assert_eq!(store.search_applications("aminah", 10).unwrap().len(), 1);
    assert_eq!(store.attachment_bytes(sha).unwrap(), PNG);
    drop(store);
    let db = dir.join(DB_FILE);
    assert_eq!(file_state(&db).unwrap(), FileState::Encrypted);
    assert!(!plain_backup_path(&db).exists(), "the plain backup is removed once verified");
    for file in common::files_under(dir) {
        for secret in [&b"Siti Aminah"[..], b"3601011205900007", b"3601011501100003", &PNG[8..]] {
            assert!(
                !raw_contains(&file, secret),
                "{} holds {:?}",
                file.display(),
                String::from_utf8_lossy(secret)
            );
        }
    }
}

#[test]
fn a_wrong_key_opens_nothing_and_changes_nothing() {
    let (dir, mut store) = common::store();
    store.register_bansos(&common::bansos(1, "Siti Aminah"), &common::clerk(), Utc::now()).unwrap();
    drop(store);
    let before: Vec<_> =
        common::files_under(dir.path()).into_iter().map(|f| (f.clone(), std::fs::read(f).unwrap())).collect();
    match Store::open_in_dir(dir.path(), &StoreKey::generate()) {
        Err(StoreError::WrongKey { path }) => assert_eq!(path, dir.path().join(DB_FILE)),
        other => panic!("expected WrongKey, got {:?}", other.err()),
    }
    let after: Vec<_> =
        common::files_under(dir.path()).into_iter().map(|f| (f.clone(), std::fs::read(f).unwrap())).collect();
    assert_eq!(before, after);
    let err = Store::open_in_dir(dir.path(), &StoreKey::generate()).err().unwrap();
    assert!(err.to_string().contains("wrong key"), "{err}");
    assert_eq!(Store::open_in_dir(dir.path(), &common::key()).unwrap().count_applications().unwrap(), 1);
}

#[test]
fn a_plain_database_is_encrypted_in_place_with_its_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let sha = plain_data_dir(dir.path());
    assert!(raw_contains(&dir.path().join(DB_FILE), b"Siti Aminah"), "the fixture is plain");
    assert_migrated(dir.path(), &sha);
    // Opening again changes nothing.
    assert_migrated(dir.path(), &sha);
}

#[test]
fn an_encryption_cut_before_the_swap_starts_again_from_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let sha = plain_data_dir(dir.path());
    let db = dir.path().join(DB_FILE);
    // A half-written encrypted copy beside the intact plain file.
    std::fs::write(format!("{}.encrypting", db.display()), b"half an export").unwrap();
    assert_migrated(dir.path(), &sha);
    assert!(!Path::new(&format!("{}.encrypting", db.display())).exists());
}

#[test]
fn an_encryption_cut_between_the_renames_finishes_with_the_verified_copy() {
    let dir = tempfile::tempdir().unwrap();
    let sha = plain_data_dir(dir.path());
    let db = dir.path().join(DB_FILE);
    // Make the verified copy exactly as the migration does, from a second plain directory.
    let other = tempfile::tempdir().unwrap();
    let other_sha = plain_data_dir(other.path());
    assert_eq!(other_sha, sha);
    drop(Store::open_in_dir(other.path(), &common::key()).unwrap());
    // The crash: the plain file already renamed to the backup, the copy not yet in place.
    std::fs::rename(&db, plain_backup_path(&db)).unwrap();
    let copy = format!("{}.encrypting", db.display());
    std::fs::copy(other.path().join(DB_FILE), &copy).unwrap();
    {
        // As exported from the plain file: its attachments not yet sealed.
        let conn = loket_store::open_keyed(Path::new(&copy), &common::key()).unwrap();
        conn.execute("DELETE FROM setting WHERE key = 'attachments.sealed'", []).unwrap();
    }
    assert_migrated(dir.path(), &sha);
}

#[test]
fn an_encryption_cut_after_the_first_rename_without_a_copy_restores_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let sha = plain_data_dir(dir.path());
    let db = dir.path().join(DB_FILE);
    std::fs::rename(&db, plain_backup_path(&db)).unwrap();
    assert_migrated(dir.path(), &sha);
}

#[test]
fn an_altered_attachment_file_is_refused() {
    let (dir, mut store) = common::store();
    let clerk = common::clerk();
    let app = store.register_bansos(&common::bansos(1, "Siti Aminah"), &clerk, Utc::now()).unwrap();
    let sha = store.add_attachment(&app.id, PNG, "ktp.png", "ktp", &clerk, Utc::now()).unwrap().sha256;
    let path = dir.path().join("attachments").join(&sha[..2]).join(&sha);
    assert!(!raw_contains(&path, &PNG[8..]), "sealed on disk");
    let mut sealed = std::fs::read(&path).unwrap();
    let n = sealed.len();
    sealed[n - 1] ^= 0x01;
    std::fs::write(&path, sealed).unwrap();
    assert!(matches!(store.attachment_bytes(&sha), Err(StoreError::Corrupt(_))));
}

#[test]
fn another_store_can_be_attached_with_its_key() {
    let (dir, mut store) = common::store();
    store.register_bansos(&common::bansos(1, "Siti Aminah"), &common::clerk(), Utc::now()).unwrap();
    drop(store);
    let other = tempfile::tempdir().unwrap();
    let fresh = Store::open_in_dir(other.path(), &common::key()).unwrap();
    let conn = fresh.raw_connection();
    loket_store::attach_keyed(conn, &dir.path().join(DB_FILE), "b", &common::key()).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM b.application", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    // The default is back: a store opened afterwards still opens.
    drop(fresh);
    assert!(Store::open_in_dir(other.path(), &common::key()).is_ok());
}
