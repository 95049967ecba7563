//! Deleting everything a revoked laptop holds.

use std::path::Path;

use rusqlite::Connection;

use crate::encryption::{self, sibling};
use crate::{migrate, Store, StoreError};

impl Store {
    /// Close the database, then delete it — with its WAL and shared-memory files and any
    /// leftover of an in-place encryption — and every attachment file.
    ///
    /// The store then holds an empty in-memory database (Windows cannot delete a file that is
    /// still open), so a caller still holding it reads nothing and writes nothing to disk; the
    /// app refuses every command from then on. Deleting a file does not erase its blocks on
    /// every disk: what stays readable is encrypted, and the key is deleted first
    /// (docs/SECURITY.md, "Revocation").
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        let mut memory = Connection::open_in_memory()?;
        migrate::migrate(&mut memory)?;
        drop(std::mem::replace(&mut self.conn, memory));
        let db = self.path.clone();
        let files = [
            db.clone(),
            sibling(&db, "-wal"),
            sibling(&db, "-shm"),
            sibling(&db, "-journal"),
            encryption::encrypting_path(&db),
            encryption::plain_backup_path(&db),
        ];
        for file in files.iter().filter(|f| f.exists()) {
            std::fs::remove_file(file)
                .map_err(|source| StoreError::DataDir { path: file.clone(), source })?;
        }
        if self.attachments.exists() {
            std::fs::remove_dir_all(&self.attachments)
                .map_err(|source| StoreError::DataDir { path: self.attachments.clone(), source })?;
        }
        encryption::sync_dir(&db)?;
        tracing::warn!(path = %db.display(), "local store and attachments deleted");
        Ok(())
    }

    /// Whether the store still has its database on disk (false after [`Store::wipe`]).
    pub fn on_disk(&self) -> bool {
        Path::new(&self.path).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_keys::StoreKey;

    #[test]
    fn a_wiped_store_leaves_no_file_and_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in_dir(dir.path(), &StoreKey::generate()).unwrap();
        store.set_office_kecamatan("36.01.01").unwrap();
        std::fs::create_dir_all(dir.path().join(crate::ATTACHMENTS_DIR).join("ab")).unwrap();
        std::fs::write(dir.path().join(crate::ATTACHMENTS_DIR).join("ab").join("x"), b"sealed").unwrap();
        assert!(store.on_disk());
        store.wipe().unwrap();
        assert!(!store.on_disk());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(left.is_empty(), "{left:?}");
        assert_eq!(store.office_kecamatan().unwrap(), None, "the in-memory stand-in is empty");
        assert_eq!(store.pending_count().unwrap(), 0);
    }
}
