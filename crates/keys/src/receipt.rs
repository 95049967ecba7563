//! The signed payload a receipt's QR code carries.
//!
//! `LKT1.<claim>.<signature>`: the claim is JSON text (what the receipt says, and who issued it
//! with which key), base64url; the signature is the issuing user's Ed25519 signature over a
//! domain-separation tag and the claim's bytes exactly as encoded, so a verifier never
//! re-encodes anything and no other signed message of Loket's (an operation) verifies as a
//! receipt. What the claim holds is the protocol's business (`loket_protocol::ReceiptClaim`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

use crate::UserKey;

/// The payload's first part; a later format takes another.
pub const RECEIPT_PREFIX: &str = "LKT1";
const TAG: &[u8] = b"loket-receipt-v1\0";

/// Why a QR payload is not a receipt at all (as opposed to a receipt whose signature fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptFormatError {
    #[error("not a Loket receipt code")]
    NotReceipt,
    #[error("the receipt code is damaged")]
    Damaged,
}

/// A payload taken apart: the claim's JSON text and the signature, both still unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptParts {
    pub claim_json: String,
    pub signature: String,
}

fn message(claim_json: &str) -> Vec<u8> {
    [TAG, claim_json.as_bytes()].concat()
}

/// The QR payload for `claim_json`, signed by `key`.
pub fn seal_receipt(claim_json: &str, key: &UserKey) -> String {
    format!("{RECEIPT_PREFIX}.{}.{}", B64.encode(claim_json), key.sign(&message(claim_json)))
}

/// Take a scanned payload apart (surrounding white space ignored).
pub fn open_receipt(payload: &str) -> Result<ReceiptParts, ReceiptFormatError> {
    let mut parts = payload.trim().split('.');
    if parts.next() != Some(RECEIPT_PREFIX) {
        return Err(ReceiptFormatError::NotReceipt);
    }
    let (Some(claim), Some(signature), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ReceiptFormatError::Damaged);
    };
    let claim_json =
        B64.decode(claim).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(ReceiptFormatError::Damaged)?;
    Ok(ReceiptParts { claim_json, signature: signature.to_string() })
}

impl ReceiptParts {
    /// Does the signature sign this claim under `public_key`?
    pub fn signed_by(&self, public_key: &str) -> bool {
        crate::verify(public_key, &message(&self.claim_json), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_receipt_opens_and_verifies_only_unaltered_under_its_key() {
        let key = UserKey::generate();
        let payload = seal_receipt(r#"{"number":"1"}"#, &key);
        assert!(payload.starts_with("LKT1."));
        let parts = open_receipt(&format!(" {payload}\n")).unwrap();
        assert_eq!(parts.claim_json, r#"{"number":"1"}"#);
        assert!(parts.signed_by(&key.public_key()));
        assert!(!parts.signed_by(&UserKey::generate().public_key()));

        let altered = ReceiptParts { claim_json: r#"{"number":"2"}"#.into(), ..parts.clone() };
        assert!(!altered.signed_by(&key.public_key()));
        // An operation's signature over the same bytes is not a receipt's.
        let op_sig = key.sign(br#"{"number":"1"}"#);
        assert!(!ReceiptParts { signature: op_sig, ..parts }.signed_by(&key.public_key()));
    }

    #[test]
    fn what_is_not_a_receipt_says_so() {
        assert_eq!(open_receipt("https://example.org"), Err(ReceiptFormatError::NotReceipt));
        assert_eq!(open_receipt("LKT1.abc"), Err(ReceiptFormatError::Damaged));
        assert_eq!(open_receipt("LKT1.!!!.sig"), Err(ReceiptFormatError::Damaged));
        assert_eq!(open_receipt("LKT1.a.b.c"), Err(ReceiptFormatError::Damaged));
    }
}
