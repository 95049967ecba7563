//! The key of a laptop's local data: the SQLCipher database and the attachment files.
//!
//! One random 256-bit key per installation, kept by the operating system's credential store
//! (or an explicit key file, see `loket_app::store_key`). It is never used directly: HKDF-SHA256
//! derives one key for the database pages and one for the attachment files, so a leak of one
//! use does not give the other.
//!
//! Attachment files are sealed with ChaCha20-Poly1305:
//! `LKA1` ‖ 12-byte random nonce ‖ ciphertext ‖ 16-byte tag. The associated data is the file's
//! name (the SHA-256 of its plaintext), so a file swapped for another sealed file fails to open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf;
use zeroize::Zeroizing;

use crate::{random, KeyError};

/// The first bytes of a sealed attachment file (no PDF, JPEG or PNG starts like this).
pub const SEALED_MAGIC: &[u8; 4] = b"LKA1";

const DATABASE_INFO: &[u8] = b"loket/store/sqlcipher/v1";
const ATTACHMENT_INFO: &[u8] = b"loket/store/attachments/v1";

/// An installation's data key. Zeroed when dropped; its `Debug` shows nothing.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    /// A new random key (the operating system's random source).
    pub fn generate() -> Self {
        Self(Zeroizing::new(random::<32>()))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key as 64 lowercase hex digits (how the credential store and key files keep it).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex(self.0.as_ref()))
    }

    /// Read 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyError::Malformed("store key: expected 64 hex digits"));
        }
        let mut out = Zeroizing::new([0u8; 32]);
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| KeyError::Malformed("store key"))?;
            out[i] = u8::from_str_radix(pair, 16).map_err(|_| KeyError::Malformed("store key"))?;
        }
        Ok(Self(out))
    }

    fn derive(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"loket").extract(self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        let info = [info];
        prk.expand(&info, hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(out.as_mut()))
            .expect("32 bytes is a valid HKDF-SHA256 length");
        out
    }

    /// The SQLCipher raw key, as the `PRAGMA key` value `x'…'` (a raw key skips SQLCipher's
    /// own password derivation: the key is already random).
    pub fn database_pragma(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex(self.derive(DATABASE_INFO).as_ref())))
    }

    /// The cipher for attachment files.
    pub fn attachment_cipher(&self) -> FileCipher {
        let key = self.derive(ATTACHMENT_INFO);
        FileCipher(LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key.as_ref()).expect("32-byte key")))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals and opens attachment files.
pub struct FileCipher(LessSafeKey);

impl std::fmt::Debug for FileCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileCipher(…)")
    }
}

impl FileCipher {
    /// Whether `bytes` look like a sealed file (by its magic; opening is the real check).
    pub fn is_sealed(bytes: &[u8]) -> bool {
        bytes.starts_with(SEALED_MAGIC)
    }

    /// Seal `plain`, bound to `name` (the associated data).
    pub fn seal(&self, name: &[u8], plain: &[u8]) -> Vec<u8> {
        let nonce = random::<NONCE_LEN>();
        let mut out = Vec::with_capacity(SEALED_MAGIC.len() + NONCE_LEN + plain.len() + 16);
        out.extend_from_slice(SEALED_MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let start = SEALED_MAGIC.len() + NONCE_LEN;
        let tag = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name),
                &mut out[start..],
            )
            .expect("attachment within the AEAD's length limit");
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Open a sealed file; `Err` when it is not sealed with this key for this name, or was
    /// altered.
    pub fn open(&self, name: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let start = SEALED_MAGIC.len() + NONCE_LEN;
        if !Self::is_sealed(sealed) || sealed.len() < start + 16 {
            return Err(KeyError::Malformed("sealed file"));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[SEALED_MAGIC.len()..start]);
        let mut buf = sealed[start..].to_vec();
        let plain = self
            .0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(name), &mut buf)
            .map_err(|_| KeyError::WrongKey)?;
        let len = plain.len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_its_hex_form_and_nothing_else_parses() {
        let key = StoreKey::generate();
        let again = StoreKey::from_hex(&format!(" {}\n", key.to_hex().as_str())).unwrap();
        assert_eq!(key.to_hex(), again.to_hex());
        assert_eq!(key.database_pragma(), again.database_pragma());
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"0".repeat(65)] {
            assert!(StoreKey::from_hex(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format!("{key:?}"), "StoreKey(…)");
    }

    #[test]
    fn the_database_and_attachment_keys_differ_from_each_other_and_the_key() {
        let key = StoreKey::from_bytes([7; 32]);
        let pragma = key.database_pragma();
        assert!(pragma.starts_with("x'") && pragma.ends_with('\'') && pragma.len() == 67);
        assert!(!pragma.contains(key.to_hex().as_str()));
        // Fixed vector (HKDF-SHA256 computed independently, RFC 5869): the derivation must
        // never change, or existing laptops could no longer open their data.
        assert_eq!(pragma.as_str(), "x'fb27ca69ed4f2c962c6281f3864227b6a36db7cac050cc34b6e6aaf824c1efe4'");
        let other = StoreKey::from_bytes([8; 32]);
        assert_ne!(pragma, other.database_pragma());
    }

    #[test]
    fn a_sealed_file_opens_only_with_its_key_and_name_and_unaltered() {
        let key = StoreKey::generate();
        let cipher = key.attachment_cipher();
        let plain = b"%PDF-1.7 KTP 3603123456780001".repeat(100);
        let sealed = cipher.seal(b"abc", &plain);
        assert!(FileCipher::is_sealed(&sealed));
        assert!(!sealed.windows(16).any(|w| w == &plain[..16]));
        assert_eq!(cipher.open(b"abc", &sealed).unwrap(), plain);
        assert_eq!(cipher.open(b"abd", &sealed), Err(KeyError::WrongKey));
        assert_eq!(StoreKey::generate().attachment_cipher().open(b"abc", &sealed), Err(KeyError::WrongKey));
        let mut altered = sealed.clone();
        let last = altered.len() - 20;
        altered[last] ^= 1;
        assert_eq!(cipher.open(b"abc", &altered), Err(KeyError::WrongKey));
        assert!(cipher.open(b"abc", &plain).is_err());
        assert!(cipher.open(b"abc", b"LKA1short").is_err());
        // Two seals of the same content differ (random nonces).
        assert_ne!(cipher.seal(b"abc", &plain), sealed);
    }
}
