//! The wrapped form of a private key:
//! `v1.<memory KiB>.<passes>.<lanes>.<salt>.<nonce>.<ciphertext>` (base64url parts).
//!
//! The wrapping key is argon2id(password, salt) with the parameters written in the text, so
//! that stronger parameters later still open old keys. The AEAD's associated data is the text
//! before the ciphertext: altering the parameters, salt or nonce fails like a wrong password.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use zeroize::Zeroizing;

use crate::{random, KeyError};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

/// What new keys are wrapped with: 64 MiB, 3 passes, 1 lane (above the OWASP minimum of
/// 19 MiB; about a quarter of a second on an office laptop, see BENCHMARKS.md).
pub const WRAP_PARAMS: WrapParams = WrapParams { memory_kib: 64 * 1024, passes: 3, lanes: 1 };

/// The least a wrapped key may ask for: a tampered text cannot make unwrapping cheap to guess.
const MIN_MEMORY_KIB: u32 = 64 * 1024;

fn derive(password: &str, salt: &[u8], p: WrapParams) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let params = Params::new(p.memory_kib, p.passes, p.lanes, Some(32))
        .map_err(|_| KeyError::Malformed("argon2 parameters"))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, out.as_mut())
        .map_err(|_| KeyError::Malformed("argon2 input"))?;
    Ok(out)
}

fn aead(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).expect("32-byte key"))
}

pub(crate) fn seal(seed: &[u8; 32], password: &str, p: WrapParams) -> String {
    let salt = random::<16>();
    let nonce = random::<12>();
    let head =
        format!("v1.{}.{}.{}.{}.{}", p.memory_kib, p.passes, p.lanes, B64.encode(salt), B64.encode(nonce));
    let key = derive(password, &salt, p).expect("valid built-in parameters");
    let mut buf = seed.to_vec();
    aead(&key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(head.as_bytes()), &mut buf)
        .expect("sealing 32 bytes");
    format!("{head}.{}", B64.encode(buf))
}

pub(crate) fn open(wrapped: &str, password: &str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let (head, body) = wrapped.rsplit_once('.').ok_or(KeyError::Malformed("wrapped key"))?;
    let parts: Vec<&str> = head.split('.').collect();
    let [version, m, t, l, salt, nonce] = parts[..] else { return Err(KeyError::Malformed("wrapped key")) };
    if version != "v1" {
        return Err(KeyError::Malformed("wrapped key version"));
    }
    let number = |s: &str| s.parse::<u32>().map_err(|_| KeyError::Malformed("argon2 parameters"));
    let p = WrapParams { memory_kib: number(m)?, passes: number(t)?, lanes: number(l)? };
    if p.memory_kib < MIN_MEMORY_KIB || p.passes == 0 {
        return Err(KeyError::Malformed("argon2 parameters below the minimum"));
    }
    let decode = |s: &str| B64.decode(s).map_err(|_| KeyError::Malformed("base64"));
    let salt = decode(salt)?;
    let nonce: [u8; 12] = decode(nonce)?.try_into().map_err(|_| KeyError::Malformed("nonce"))?;
    let mut buf = Zeroizing::new(decode(body)?);
    let key = derive(password, &salt, p)?;
    let plain = aead(&key)
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(head.as_bytes()), buf.as_mut())
        .map_err(|_| KeyError::WrongPassword)?;
    let seed: [u8; 32] = plain.try_into().map_err(|_| KeyError::Malformed("key length"))?;
    Ok(Zeroizing::new(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn altered_parameters_fail_like_a_wrong_password_or_are_refused() {
        let wrapped = seal(&[7u8; 32], "kata-sandi-panjang", WRAP_PARAMS);
        assert_eq!(*open(&wrapped, "kata-sandi-panjang").unwrap(), [7u8; 32]);
        let cheaper = wrapped.replacen("v1.65536.3.", "v1.65536.4.", 1);
        assert_eq!(open(&cheaper, "kata-sandi-panjang").unwrap_err(), KeyError::WrongPassword);
        let weak = wrapped.replacen("v1.65536.", "v1.8.", 1);
        assert!(matches!(open(&weak, "kata-sandi-panjang"), Err(KeyError::Malformed(_))));
    }
}
