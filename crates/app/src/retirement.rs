//! A revoked laptop hands over its work and then deletes what it holds.
//!
//! The background sync pushes and uploads everything the server still accepts from a revoked
//! device; once nothing waits to be sent, it asks this host to delete the installation's key
//! (first: whatever stays on disk can then no longer be read) and the store's database and
//! attachments, then reports the wipe to the server (`device list` shows it). From then on the
//! window says so and every command is refused with `device_wiped`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use loket_store::Store;

use crate::KeySource;

/// What the background sync asks of the app (see `loket_sync::worker::Host`).
pub(crate) struct SyncHost {
    pub data_dir: PathBuf,
    pub keys: KeySource,
    /// Set once the data is gone; the app's commands check it.
    pub wiped: Arc<AtomicBool>,
    /// Wakes the search indexer after a pull.
    pub pulled: Option<Box<dyn Fn() + Send + Sync>>,
}

impl loket_sync::worker::Host for SyncHost {
    fn pulled(&self) {
        if let Some(poke) = &self.pulled {
            poke();
        }
    }

    fn wipe(&self, store: &mut Store) -> Result<(), String> {
        self.wiped.store(true, Ordering::SeqCst);
        // The data goes even if the key cannot be deleted: without the data it opens nothing.
        if let Err(e) = self.keys.delete(&self.data_dir) {
            tracing::error!(error = %e, "the store key could not be deleted");
        }
        store.wipe().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use loket_sync::worker::Host;

    use crate::test_support::{bansos, FIRST_PASSWORD};
    use crate::{FirstUserInput, KeySource, Loket};

    #[test]
    fn a_wiped_installation_keeps_no_key_no_file_and_refuses_every_command() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let key_file = dir.path().join("loket.key");
        let keys = KeySource::KeyFile(key_file.clone());
        let loket = Loket::open(&data, &keys).unwrap();
        let first = FirstUserInput {
            username: "petugas".into(),
            full_name: "Petugas Loket".into(),
            password: FIRST_PASSWORD.into(),
        };
        loket.create_first_user(first.clone()).unwrap();
        loket.set_office("36.01.01").unwrap();
        loket.register_bansos(bansos("3601011205900001")).unwrap();
        assert!(key_file.exists());

        let host = super::SyncHost { data_dir: data.clone(), keys, wiped: loket.wiped.clone(), pulled: None };
        host.wipe(&mut loket.store()).unwrap();

        assert!(!key_file.exists(), "the key goes first");
        let left: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(left.is_empty(), "{left:?}");
        for code in [
            loket.register_bansos(bansos("3601011205900002")).unwrap_err().code(),
            loket.list_applications().unwrap_err().code(),
            loket.session().unwrap_err().code(),
            loket.create_first_user(first).unwrap_err().code(),
            loket.set_office("36.01.01").unwrap_err().code(),
        ] {
            assert_eq!(code, "device_wiped");
        }
        assert!(!data.join(loket_store::DB_FILE).exists(), "nothing written after the wipe");
    }
}
