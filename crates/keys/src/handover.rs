//! A file sealed under a passphrase: how a broken laptop's unsynced work is carried to its
//! replacement.
//!
//! `LOKET-HANDOVER-1\n` ‖ the file key wrapped by the passphrase (argon2id, 64 MiB, the same
//! text as a user's wrapped key) ‖ `\n` ‖ nonce (12 bytes) ‖ ChaCha20-Poly1305 ciphertext and
//! tag. The file key is random; everything before the nonce is associated data, so altering
//! the header fails like a wrong passphrase.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use zeroize::Zeroizing;

use crate::{random, wrap, KeyError, WRAP_PARAMS};

/// The first line of a handover file.
pub const HANDOVER_MAGIC: &[u8] = b"LOKET-HANDOVER-1\n";

fn cipher(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).expect("32-byte key"))
}

/// Seal `plain` under `passphrase`.
pub fn seal_with_passphrase(plain: &[u8], passphrase: &str) -> Vec<u8> {
    let key = Zeroizing::new(random::<32>());
    let mut out = HANDOVER_MAGIC.to_vec();
    out.extend_from_slice(wrap::seal(&key, passphrase, WRAP_PARAMS).as_bytes());
    out.push(b'\n');
    let header_len = out.len();
    let nonce = random::<NONCE_LEN>();
    let mut body = plain.to_vec();
    cipher(&key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&out[..header_len]),
            &mut body,
        )
        .expect("sealing in memory");
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out
}

/// Open a file [`seal_with_passphrase`] made. A wrong passphrase, or any altered byte, is
/// [`KeyError::WrongPassword`]; a file that is not a handover file is [`KeyError::Malformed`].
pub fn open_with_passphrase(sealed: &[u8], passphrase: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let rest = sealed.strip_prefix(HANDOVER_MAGIC).ok_or(KeyError::Malformed("not a handover file"))?;
    let end = rest.iter().position(|b| *b == b'\n').ok_or(KeyError::Malformed("handover header"))?;
    let wrapped = std::str::from_utf8(&rest[..end]).map_err(|_| KeyError::Malformed("handover header"))?;
    let header_len = HANDOVER_MAGIC.len() + end + 1;
    let body = &sealed[header_len..];
    if body.len() < NONCE_LEN + CHACHA20_POLY1305.tag_len() {
        return Err(KeyError::Malformed("handover body"));
    }
    let key = wrap::open(wrapped, passphrase)?;
    let nonce: [u8; NONCE_LEN] = body[..NONCE_LEN].try_into().expect("length checked");
    let mut buf = Zeroizing::new(body[NONCE_LEN..].to_vec());
    let plain = cipher(&key)
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&sealed[..header_len]), buf.as_mut())
        .map_err(|_| KeyError::WrongPassword)?;
    Ok(Zeroizing::new(plain.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handover_file_opens_with_its_passphrase_only_and_unaltered() {
        let sealed = seal_with_passphrase(b"{\"ops\":[]}", "sandi-serah-terima");
        assert!(sealed.starts_with(HANDOVER_MAGIC));
        assert_eq!(&**open_with_passphrase(&sealed, "sandi-serah-terima").unwrap(), b"{\"ops\":[]}");
        assert_eq!(open_with_passphrase(&sealed, "salah").unwrap_err(), KeyError::WrongPassword);
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            open_with_passphrase(&altered, "sandi-serah-terima").unwrap_err(),
            KeyError::WrongPassword
        );
        assert!(matches!(open_with_passphrase(b"PK\x03\x04", "x"), Err(KeyError::Malformed(_))));
    }
}
