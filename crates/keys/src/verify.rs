//! Checking signatures: one, or a push's worth at once.
//!
//! Verification follows ZIP215 (ed25519-zebra), under which a batch check agrees with checking
//! each signature alone. A push is mostly one user's operations: the batch equation coalesces
//! the terms of each key, so most of a signature's cost is decompressing its `R`. A batch that
//! fails (a forged or altered operation in it) is checked one by one to say which.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_zebra::{batch, Signature, VerificationKey, VerificationKeyBytes};

/// Below this many signatures a batch is checked on one thread.
const PER_THREAD: usize = 64;

fn decode(public_key: &str, signature: &str) -> Option<(VerificationKeyBytes, Signature)> {
    let key: [u8; 32] = B64.decode(public_key).ok()?.try_into().ok()?;
    let sig: [u8; 64] = B64.decode(signature).ok()?.try_into().ok()?;
    Some((VerificationKeyBytes::from(key), Signature::from(sig)))
}

fn verify_decoded(key: VerificationKeyBytes, sig: &Signature, message: &[u8]) -> bool {
    VerificationKey::try_from(key).is_ok_and(|k| k.verify(sig, message).is_ok())
}

/// Does `signature` (base64url) sign `message` under `public_key` (base64url)?
pub fn verify(public_key: &str, message: &[u8], signature: &str) -> bool {
    decode(public_key, signature).is_some_and(|(key, sig)| verify_decoded(key, &sig, message))
}

/// Whether each `(public key, message, signature)` verifies, in order.
pub fn verify_all(items: &[(&str, &[u8], &str)]) -> Vec<bool> {
    let decoded: Vec<_> = items.iter().map(|(k, m, s)| decode(k, s).map(|(k, s)| (k, s, *m))).collect();
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(decoded.len() / PER_THREAD).max(1);
    if threads == 1 {
        return check(&decoded);
    }
    let chunk = decoded.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = decoded.chunks(chunk).map(|part| scope.spawn(move || check(part))).collect();
        parts.into_iter().flat_map(|p| p.join().expect("a verification thread panicked")).collect()
    })
}

type Decoded<'a> = Option<(VerificationKeyBytes, Signature, &'a [u8])>;

/// One batch for the well-formed items; one by one if it fails.
fn check(items: &[Decoded<'_>]) -> Vec<bool> {
    let mut verifier = batch::Verifier::new();
    for (key, sig, message) in items.iter().flatten() {
        verifier.queue((*key, *sig, message));
    }
    if verifier.verify(rand_core::OsRng).is_ok() {
        return items.iter().map(Option::is_some).collect();
    }
    items
        .iter()
        .map(|i| i.as_ref().is_some_and(|(key, sig, message)| verify_decoded(*key, sig, message)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserKey;

    #[test]
    fn a_batch_says_which_signatures_verify() {
        let (a, b) = (UserKey::generate(), UserKey::generate());
        let messages: Vec<Vec<u8>> = (0..300).map(|i| format!("operation {i}").into_bytes()).collect();
        let signatures: Vec<String> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| if i % 7 == 0 { b.sign(m) } else { a.sign(m) })
            .collect();
        let keys: Vec<String> =
            (0..300).map(|i| if i % 7 == 0 { b.public_key() } else { a.public_key() }).collect();
        let items = |sigs: &[String]| -> Vec<bool> {
            let items: Vec<(&str, &[u8], &str)> =
                (0..300).map(|i| (keys[i].as_str(), messages[i].as_slice(), sigs[i].as_str())).collect();
            verify_all(&items)
        };
        assert!(items(&signatures).iter().all(|ok| *ok), "all valid, with two keys");
        // A forged one, one signed for another message, and one that is not base64: only
        // those fail, wherever they are in the batch.
        let mut bad = signatures.clone();
        bad[5] = UserKey::generate().sign(&messages[5]);
        bad[150] = a.sign(b"something else");
        bad[299] = "!".into();
        let result = items(&bad);
        let failed: Vec<usize> = result.iter().enumerate().filter(|(_, ok)| !**ok).map(|(i, _)| i).collect();
        assert_eq!(failed, [5, 150, 299]);
        assert!(verify_all(&[]).is_empty());
    }

    #[test]
    fn ring_signatures_verify_here() {
        let k = UserKey::generate();
        assert!(verify(&k.public_key(), b"m", &k.sign(b"m")));
        assert!(!verify(&k.public_key(), b"n", &k.sign(b"m")));
    }
}
