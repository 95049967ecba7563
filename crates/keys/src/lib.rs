//! A user's signing key: proof that this user took an operation.
//!
//! Each user has an Ed25519 key pair. The public key is registered on the provincial server;
//! the private key travels and rests only *wrapped*: encrypted with ChaCha20-Poly1305 under a
//! key derived from the user's password with argon2id (64 MiB, 3 passes). Logging in on a
//! laptop is unwrapping it; a laptop without the password holds ciphertext only.
//!
//! Pure computation apart from the operating system's random source: no files, no network.
//! What is signed is defined by the protocol (`loket_protocol::signing`), not here.

mod handover;
mod receipt;
mod store_key;
mod verify;
mod wrap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use zeroize::Zeroizing;

pub use handover::{open_with_passphrase, seal_with_passphrase, HANDOVER_MAGIC};
pub use receipt::{
    certify_device, open_receipt, seal_device_receipt, seal_receipt, CertificateParts, ReceiptFormatError,
    ReceiptParts, RECEIPT_PREFIX, RECEIPT_PREFIX_V2,
};
pub use store_key::{FileCipher, StoreKey, SEALED_MAGIC};
pub use verify::{verify, verify_all};
pub use wrap::{WrapParams, WRAP_PARAMS};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The password does not open the wrapped key (or the wrapped key was altered).
    #[error("wrong password")]
    WrongPassword,
    /// Not a wrapped key or public key this version understands.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// Sealed data that this key does not open (another key, another name, or altered).
    #[error("wrong key, or the data was altered")]
    WrongKey,
}

/// A user's unwrapped signing key. Lives in memory only while the session is open.
pub struct UserKey {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserKey").field("key_id", &self.key_id()).finish_non_exhaustive()
    }
}

pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    SystemRandom::new().fill(&mut b).expect("operating system random source");
    b
}

impl UserKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self::from_seed(Zeroizing::new(random::<32>()))
    }

    fn from_seed(seed: Zeroizing<[u8; 32]>) -> Self {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).expect("32-byte seed");
        Self { seed, pair }
    }

    /// The public key, base64url (43 characters).
    pub fn public_key(&self) -> String {
        B64.encode(self.pair.public_key().as_ref())
    }

    /// Short name of the public key (see [`key_id`]).
    pub fn key_id(&self) -> String {
        key_id(&self.public_key())
    }

    /// Sign `message`; the signature is base64url (86 characters).
    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.pair.sign(message).as_ref())
    }

    /// This key encrypted under `password` (a new salt and nonce each time).
    pub fn wrap(&self, password: &str) -> String {
        wrap::seal(&self.seed, password, WRAP_PARAMS)
    }

    /// Open a wrapped key with `password`.
    pub fn unwrap(wrapped: &str, password: &str) -> Result<Self, KeyError> {
        wrap::open(wrapped, password).map(Self::from_seed)
    }

    /// The private key itself, base64url: for a key kept where it is already protected (a
    /// device's key in its encrypted store, the province's key in the server's database).
    pub fn export_secret(&self) -> Zeroizing<String> {
        Zeroizing::new(B64.encode(self.seed.as_ref()))
    }

    /// A key from [`UserKey::export_secret`].
    pub fn from_secret(secret: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(B64.decode(secret).map_err(|_| KeyError::Malformed("secret key"))?);
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KeyError::Malformed("secret key"))?;
        Ok(Self::from_seed(Zeroizing::new(seed)))
    }
}

/// The same Ed25519 key type signs for a device (receipts) and for the province (device
/// certificates); only what it signs, under which domain tag, differs.
pub type SigningKey = UserKey;

/// The short name of a public key: the first 8 bytes of its SHA-256, hex (16 characters).
pub fn key_id(public_key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, public_key.as_bytes());
    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 of `message` under `key`, lower-case hex: how the server keeps a searched NIK or
/// KK in its access record without keeping the number (`loket-server audit` matches by it).
pub fn keyed_hash(key: &[u8], message: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, message.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Is `public_key` a well-formed Ed25519 public key as [`UserKey::public_key`] writes it?
pub fn is_public_key(public_key: &str) -> bool {
    B64.decode(public_key).is_ok_and(|k| k.len() == 32)
}

#[cfg(test)]
mod tests {
    /// RFC 4231, test case 2.
    #[test]
    fn keyed_hash_is_hmac_sha256() {
        assert_eq!(
            super::keyed_hash(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let k = UserKey::generate();
        let other = UserKey::generate();
        let sig = k.sign(b"approve 42");
        assert!(verify(&k.public_key(), b"approve 42", &sig));
        assert!(!verify(&k.public_key(), b"approve 43", &sig));
        assert!(!verify(&other.public_key(), b"approve 42", &sig));
        assert!(!verify(&k.public_key(), b"approve 42", "not base64!"));
        assert!(!verify("short", b"approve 42", &sig));
        assert_eq!(k.key_id().len(), 16);
        assert_ne!(k.key_id(), other.key_id());
        assert!(is_public_key(&k.public_key()) && !is_public_key("abc"));
    }

    #[test]
    fn a_wrapped_key_opens_with_its_password_only() {
        let k = UserKey::generate();
        let wrapped = k.wrap("rahasia-kantor-2026");
        assert!(!wrapped.contains(&k.public_key()));
        let opened = UserKey::unwrap(&wrapped, "rahasia-kantor-2026").unwrap();
        assert_eq!(opened.public_key(), k.public_key());
        assert_eq!(UserKey::unwrap(&wrapped, "salah").unwrap_err(), KeyError::WrongPassword);
        // Wrapped twice: different salt and nonce, same key inside.
        assert_ne!(k.wrap("rahasia-kantor-2026"), wrapped);
        assert!(matches!(UserKey::unwrap("v1.x", "a"), Err(KeyError::Malformed(_))));
        assert!(format!("{k:?}").contains(&k.key_id()) && !format!("{k:?}").contains("seed"));
    }
}
