//! Installation settings: which office this is and the device's own code.

use loket_domain::registration::{device_code_from_bits, is_device_code};
use rusqlite::{params, OptionalExtension};

use crate::{Store, StoreError};

const OFFICE_KECAMATAN: &str = "office.kecamatan_code";
const DEVICE_CODE: &str = "device.code";
const SERVER_URL: &str = "server.url";
const DEVICE_ID: &str = "device.id";
const DEVICE_TOKEN: &str = "device.token";
/// The key this device signs receipts with (its secret, kept in the encrypted store).
const DEVICE_RECEIPT_KEY: &str = "device.receipt_key";
/// The province's certificate of that key, once the server gave it.
pub(crate) const DEVICE_CERTIFICATE: &str = "device.certificate";

/// The credential this device received when it was enrolled with the provincial server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub server_url: String,
    pub device_id: String,
    pub token: String,
    pub office_code: String,
}

impl Store {
    /// A setting by key.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Store a setting (durable on return).
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }

    /// The dotted kecamatan code of this office (`36.01.01`), once configured.
    pub fn office_kecamatan(&self) -> Result<Option<String>, StoreError> {
        self.setting(OFFICE_KECAMATAN)
    }

    /// Configure the office. The caller validates the code against the reference list.
    pub fn set_office_kecamatan(&mut self, dotted_code: &str) -> Result<(), StoreError> {
        self.set_setting(OFFICE_KECAMATAN, dotted_code)
    }

    /// Record an enrollment: server, credential, the office it binds the device to, and the
    /// server-assigned device code (unique across the province), in one transaction.
    pub fn save_enrollment(&mut self, e: &Enrollment, device_code: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (k, v) in [
            (SERVER_URL, e.server_url.as_str()),
            (DEVICE_ID, e.device_id.as_str()),
            (DEVICE_TOKEN, e.token.as_str()),
            (OFFICE_KECAMATAN, e.office_code.as_str()),
            (DEVICE_CODE, device_code),
        ] {
            tx.prepare_cached(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![k, v])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The enrollment, if this device has been enrolled.
    pub fn enrollment(&self) -> Result<Option<Enrollment>, StoreError> {
        let (Some(server_url), Some(device_id), Some(token), Some(office_code)) = (
            self.setting(SERVER_URL)?,
            self.setting(DEVICE_ID)?,
            self.setting(DEVICE_TOKEN)?,
            self.office_kecamatan()?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Enrollment { server_url, device_id, token, office_code }))
    }

    /// The key this device signs receipts with, made on first use (before enrollment too: the
    /// province certifies it when the device enrolls).
    pub fn device_receipt_key(&mut self) -> Result<loket_keys::SigningKey, StoreError> {
        if let Some(secret) = self.setting(DEVICE_RECEIPT_KEY)? {
            return loket_keys::SigningKey::from_secret(&secret)
                .map_err(|e| StoreError::Corrupt(format!("device receipt key: {e}")));
        }
        let key = loket_keys::SigningKey::generate();
        self.set_setting(DEVICE_RECEIPT_KEY, &key.export_secret())?;
        Ok(key)
    }

    /// The province's certificate of the receipt key, once the server gave it.
    pub fn device_certificate(&self) -> Result<Option<String>, StoreError> {
        self.setting(DEVICE_CERTIFICATE)
    }

    pub fn set_device_certificate(&mut self, certificate: &str) -> Result<(), StoreError> {
        self.set_setting(DEVICE_CERTIFICATE, certificate)
    }

    /// This device's four-character code, created at random on first use.
    ///
    /// Enrollment with the provincial server will replace it with a code the server guarantees
    /// unique; until then a random code of 20 bits keeps collisions unlikely.
    pub fn device_code(&mut self) -> Result<String, StoreError> {
        if let Some(code) = self.setting(DEVICE_CODE)?.filter(|c| is_device_code(c)) {
            return Ok(code);
        }
        // The low bits of a UUIDv7 are random.
        let bits = (uuid::Uuid::now_v7().as_u128() & 0xF_FFFF) as u32;
        let code = device_code_from_bits(bits);
        self.set_setting(DEVICE_CODE, &code)?;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_code_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_in_dir(dir.path(), &crate::test_key()).unwrap();
        let a = s.device_code().unwrap();
        drop(s);
        let mut s = Store::open_in_dir(dir.path(), &crate::test_key()).unwrap();
        assert_eq!(s.device_code().unwrap(), a);
        assert!(is_device_code(&a));
    }

    #[test]
    fn the_receipt_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_in_dir(dir.path(), &crate::test_key()).unwrap();
        let key = s.device_receipt_key().unwrap().public_key();
        assert_eq!(s.device_certificate().unwrap(), None);
        s.set_device_certificate("cert.sig").unwrap();
        drop(s);
        let mut s = Store::open_in_dir(dir.path(), &crate::test_key()).unwrap();
        assert_eq!(s.device_receipt_key().unwrap().public_key(), key);
        assert_eq!(s.device_certificate().unwrap().as_deref(), Some("cert.sig"));
    }

    #[test]
    fn office_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_in_dir(dir.path(), &crate::test_key()).unwrap();
        assert_eq!(s.office_kecamatan().unwrap(), None);
        s.set_office_kecamatan("36.01.01").unwrap();
        assert_eq!(s.office_kecamatan().unwrap().as_deref(), Some("36.01.01"));
    }
}
