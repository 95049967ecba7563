//! Secrets: device tokens, enrollment codes and password hashes.
//!
//! Tokens and codes are random and stored only as SHA-256 hashes (they are long and random, so
//! a fast hash is enough); passwords are argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use loket_domain::registration::DEVICE_CODE_ALPHABET;
use sha2::{Digest, Sha256};

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("operating system random source");
    b
}

/// SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A new device bearer token (256 random bits, hex).
pub fn new_token() -> String {
    random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect()
}

fn base32(bytes: &[u8], len: usize) -> String {
    bytes.iter().take(len).map(|b| DEVICE_CODE_ALPHABET[(*b & 31) as usize] as char).collect()
}

/// A one-time enrollment code, `XXXX-XXXX-XXXX` (60 random bits, easy to read out on the phone).
pub fn new_enrollment_code() -> String {
    let s = base32(&random_bytes::<12>(), 12);
    format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

/// Normalise a typed enrollment code: case, spaces and dashes do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// A random four-character device code.
pub fn new_device_code() -> String {
    base32(&random_bytes::<4>(), 4)
}

/// Memory of a password hash: 64 MiB, as for the keys wrapped for laptops (argon2's default,
/// 19 MiB, is the OWASP minimum; a stolen server database should cost more than that to guess).
pub const PASSWORD_MEMORY_KIB: u32 = 64 * 1024;
/// Passes over that memory.
pub const PASSWORD_PASSES: u32 = 3;

fn hasher() -> Argon2<'static> {
    let params =
        argon2::Params::new(PASSWORD_MEMORY_KIB, PASSWORD_PASSES, 1, None).expect("valid parameters");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hash a password with argon2id (64 MiB, 3 passes) and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("salt length is valid");
    hasher().hash_password(password.as_bytes(), &salt).expect("argon2 with valid parameters").to_string()
}

/// Whether a stored hash is weaker than [`hash_password`] makes them (an older version's): it
/// is replaced at the user's next successful login.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return true };
    let strong = hash.algorithm.as_str() == "argon2id"
        && argon2::Params::try_from(&hash)
            .is_ok_and(|p| p.m_cost() >= PASSWORD_MEMORY_KIB && p.t_cost() >= PASSWORD_PASSES);
    !strong
}

/// Check a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_are_salted() {
        let a = hash_password("rahasia-kantor");
        let b = hash_password("rahasia-kantor");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-kantor", &a));
        assert!(!verify_password("salah", &a));
        assert!(!verify_password("x", "not a phc string"));
        assert!(a.contains("m=65536,t=3,p=1"), "{a}");
    }

    #[test]
    fn hashes_of_older_versions_are_upgraded() {
        let salt = SaltString::encode_b64(&random_bytes::<16>()).unwrap();
        let old = Argon2::default().hash_password(b"rahasia-kantor", &salt).unwrap().to_string();
        assert!(verify_password("rahasia-kantor", &old), "still verifies");
        assert!(needs_rehash(&old));
        assert!(!needs_rehash(&hash_password("rahasia-kantor")));
        assert!(needs_rehash("not a phc string"));
    }

    #[test]
    fn codes_and_tokens() {
        let code = new_enrollment_code();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), normalise_code(&code));
        assert_eq!(new_token().len(), 64);
        assert!(loket_domain::registration::is_device_code(&new_device_code()));
        assert_eq!(hash_secret("a"), hash_secret("a"));
    }
}
