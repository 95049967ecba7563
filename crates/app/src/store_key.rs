//! Where the installation's data key lives.
//!
//! By default in the operating system's credential store (Secret Service on Linux, Credential
//! Manager on Windows, Keychain on macOS), one entry per data directory. When that store is
//! unavailable the app does not fall back to anything silently: it stops and says so, and IT
//! may choose the documented key-file mode (`LOKET_KEY_FILE`, see docs/SECURITY.md): a file
//! outside the data directory, readable by its owner only. Tests and tools give the key
//! directly.
//!
//! A new key is made only for a new store, or for a plain store being encrypted. When an
//! encrypted store exists and its key cannot be found, that is an error, never a new key:
//! a new key would silently make the office's data unreadable.

use std::path::{Path, PathBuf};

use loket_store::{FileState, StoreKey};

use crate::AppError;

/// The credential store's service name for Loket's entries.
const CREDENTIAL_SERVICE: &str = "id.go.bantenprov.loket";

/// Where the key of a data directory is kept.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The operating system's credential store.
    CredentialStore,
    /// A key file (machines without a credential store; documented, permissions checked).
    KeyFile(PathBuf),
    /// A key given by the caller (tests and tools).
    Given(StoreKey),
}

impl KeySource {
    /// `LOKET_KEY_FILE` when set, else the credential store.
    pub fn from_env(key_file: Option<PathBuf>) -> Self {
        match key_file.filter(|p| !p.as_os_str().is_empty()) {
            Some(path) => Self::KeyFile(path),
            None => Self::CredentialStore,
        }
    }

    /// Delete the key of the store in `data_dir` (a revoked laptop): what is left on disk can no
    /// longer be read. A key already gone is fine.
    pub(crate) fn delete(&self, data_dir: &Path) -> Result<(), AppError> {
        match self {
            Self::Given(_) => Ok(()),
            Self::KeyFile(path) => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(AppError::KeyFile(format!("{}: {e}", path.display()))),
            },
            Self::CredentialStore => credential_store::delete(data_dir),
        }
    }

    /// The key of the store in `data_dir`; made and kept when the store is new or plain.
    pub(crate) fn load_or_create(&self, data_dir: &Path) -> Result<StoreKey, AppError> {
        let state = loket_store::file_state(&data_dir.join(loket_store::DB_FILE))?;
        let may_create = matches!(state, FileState::Missing | FileState::Plain);
        match self {
            Self::Given(key) => Ok(key.clone()),
            Self::KeyFile(path) => key_file::load_or_create(path, data_dir, may_create),
            Self::CredentialStore => credential_store::load_or_create(data_dir, may_create),
        }
    }
}

mod key_file {
    use super::*;

    /// Read (or create, owner-only) the key file; refuse one others can read, or one inside
    /// the data directory it protects.
    pub(super) fn load_or_create(
        path: &Path,
        data_dir: &Path,
        may_create: bool,
    ) -> Result<StoreKey, AppError> {
        let fail = |why: String| AppError::KeyFile(format!("{}: {why}", path.display()));
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if absolute(path).starts_with(absolute(data_dir)) {
            return Err(fail(
                "berkas kunci tidak boleh berada di dalam folder data yang dilindunginya".into(),
            ));
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_permissions(path).map_err(fail)?;
                StoreKey::from_hex(&text)
                    .map_err(|_| fail("isinya bukan kunci Loket (64 digit heksadesimal)".into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
                let key = StoreKey::generate();
                write_new(path, key.to_hex().as_str()).map_err(|e| fail(e.to_string()))?;
                tracing::info!(path = %path.display(), "created the store key file");
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::StoreKeyMissing),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    #[cfg(unix)]
    fn check_permissions(path: &Path) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "hak akses {:o} terlalu longgar; hanya pemilik yang boleh membaca (chmod 600)",
                mode & 0o777
            ));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_permissions(_path: &Path) -> Result<(), String> {
        // Windows: the file inherits the ACL of its folder (the user's profile); see SECURITY.md.
        Ok(())
    }

    fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    }
}

mod credential_store {
    use super::*;

    /// One entry per data directory, named by its absolute path.
    fn account(data_dir: &Path) -> String {
        let dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        format!("store-key:{}", dir.display())
    }

    fn unavailable(e: impl std::fmt::Display) -> AppError {
        AppError::KeyStoreUnavailable(e.to_string())
    }

    #[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
    pub(super) fn load_or_create(data_dir: &Path, may_create: bool) -> Result<StoreKey, AppError> {
        let entry = keyring::Entry::new(CREDENTIAL_SERVICE, &account(data_dir)).map_err(unavailable)?;
        match entry.get_password() {
            Ok(text) => StoreKey::from_hex(&text).map_err(unavailable),
            Err(keyring::Error::NoEntry) if may_create => {
                let key = StoreKey::generate();
                entry.set_password(key.to_hex().as_str()).map_err(unavailable)?;
                // Read back: a store that accepts but does not keep would lose the data.
                let kept = entry.get_password().map_err(unavailable)?;
                if kept != key.to_hex().as_str() {
                    return Err(unavailable("the credential store did not keep the key"));
                }
                tracing::info!("created the store key in the credential store");
                Ok(key)
            }
            Err(keyring::Error::NoEntry) => Err(AppError::StoreKeyMissing),
            Err(e) => Err(unavailable(e)),
        }
    }

    #[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
    pub(super) fn delete(data_dir: &Path) -> Result<(), AppError> {
        let entry = keyring::Entry::new(CREDENTIAL_SERVICE, &account(data_dir)).map_err(unavailable)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
    pub(super) fn delete(_: &Path) -> Result<(), AppError> {
        Ok(())
    }

    #[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
    pub(super) fn load_or_create(_: &Path, _: bool) -> Result<StoreKey, AppError> {
        Err(unavailable("no credential store is supported on this system"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let file = dir.path().join("keys").join("loket.key");
        let source = KeySource::KeyFile(file.clone());
        let made = source.load_or_create(&data).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(source.load_or_create(&data).unwrap().to_hex(), made.to_hex());
        source.delete(&data).unwrap();
        assert!(!file.exists());
        source.delete(&data).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("loket.key");
        std::fs::write(&file, StoreKey::generate().to_hex().as_str()).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = KeySource::KeyFile(file).load_or_create(&dir.path().join("data")).unwrap_err();
        assert_eq!(err.code(), "key_file");
        assert!(err.to_string().contains("644"), "{err}");
    }

    #[test]
    fn a_key_file_inside_the_data_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = KeySource::KeyFile(dir.path().join("loket.key")).load_or_create(dir.path()).unwrap_err();
        assert_eq!(err.code(), "key_file");
    }

    #[test]
    fn no_new_key_is_made_for_an_encrypted_store_whose_key_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let key = StoreKey::generate();
        drop(loket_store::Store::open_in_dir(&data, &key).unwrap());
        let err = KeySource::KeyFile(dir.path().join("gone.key")).load_or_create(&data).unwrap_err();
        assert_eq!(err.code(), "store_key_missing");
        assert!(!dir.path().join("gone.key").exists());
    }

    /// Without a session bus there is no Secret Service: the app says so instead of keeping
    /// the key anywhere else.
    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_credential_store_the_app_stops_and_says_why() {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            // A desktop session: the store may well be there (this test is for CI and servers).
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let err = KeySource::CredentialStore.load_or_create(dir.path()).unwrap_err();
        assert_eq!(err.code(), "key_store_unavailable");
        assert!(err.to_string().contains("LOKET_KEY_FILE"), "{err}");
    }
}
