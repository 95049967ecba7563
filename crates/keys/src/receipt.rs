//! The signed payload a receipt's QR code carries.
//!
//! `LKT2.<claim>.<signature>[.<certificate>.<province signature>]`: the claim is JSON text (what
//! the receipt says, who issued it, on which device, with which key), base64url; the signature
//! is the device's Ed25519 signature over a domain-separation tag and the claim's bytes exactly
//! as encoded, so a verifier never re-encodes anything and no other signed message of Loket's
//! (an operation) verifies as a receipt. The certificate is the province's signature over the
//! device's public key, office and code, given when the device enrolled: with the province's
//! public key alone the chain checks offline. A device that printed receipts before it was
//! enrolled has no certificate in those; the server finds their key among enrolled devices'.
//!
//! `LKT1.<claim>.<signature>` is the first format (signed by the clerk's own key); receipts
//! printed with it still verify. What a claim holds is the protocol's business
//! (`loket_protocol::ReceiptClaim`, `loket_protocol::DeviceCertificate`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

use crate::{SigningKey, UserKey};

/// The first format's first part (signed by the clerk's key).
pub const RECEIPT_PREFIX: &str = "LKT1";
/// The current format's first part (signed by the device's certified key).
pub const RECEIPT_PREFIX_V2: &str = "LKT2";
const TAG: &[u8] = b"loket-receipt-v1\0";
const TAG_V2: &[u8] = b"loket-receipt-v2\0";
const CERT_TAG: &[u8] = b"loket-device-cert-v1\0";

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
    /// 1: signed by the clerk's key; 2: by the device's.
    pub version: u8,
    pub claim_json: String,
    pub signature: String,
    /// The device's certificate (version 2, once the device was enrolled).
    pub certificate: Option<CertificateParts>,
}

/// A device certificate taken apart: its JSON text and the province's signature, unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateParts {
    pub claim_json: String,
    pub signature: String,
}

fn message(tag: &[u8], json: &str) -> Vec<u8> {
    [tag, json.as_bytes()].concat()
}

fn text(b64: &str) -> Result<String, ReceiptFormatError> {
    B64.decode(b64).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(ReceiptFormatError::Damaged)
}

/// The first format's payload for `claim_json`, signed by a user's key.
pub fn seal_receipt(claim_json: &str, key: &UserKey) -> String {
    format!("{RECEIPT_PREFIX}.{}.{}", B64.encode(claim_json), key.sign(&message(TAG, claim_json)))
}

/// The QR payload for `claim_json`, signed by the device's `key`, with its `certificate`
/// (as [`certify_device`] made it) when it has one.
pub fn seal_device_receipt(claim_json: &str, key: &SigningKey, certificate: Option<&str>) -> String {
    let signed =
        format!("{RECEIPT_PREFIX_V2}.{}.{}", B64.encode(claim_json), key.sign(&message(TAG_V2, claim_json)));
    match certificate {
        Some(c) => format!("{signed}.{c}"),
        None => signed,
    }
}

/// The province's certificate of a device: `<certificate JSON, base64url>.<signature>`.
pub fn certify_device(certificate_json: &str, province: &SigningKey) -> String {
    format!("{}.{}", B64.encode(certificate_json), province.sign(&message(CERT_TAG, certificate_json)))
}

/// Take a scanned payload apart (surrounding white space ignored).
pub fn open_receipt(payload: &str) -> Result<ReceiptParts, ReceiptFormatError> {
    let parts: Vec<&str> = payload.trim().split('.').collect();
    let version = match parts[0] {
        RECEIPT_PREFIX => 1,
        RECEIPT_PREFIX_V2 => 2,
        _ => return Err(ReceiptFormatError::NotReceipt),
    };
    let certificate = match (version, parts.len()) {
        (_, 3) => None,
        (2, 5) => Some(CertificateParts { claim_json: text(parts[3])?, signature: parts[4].to_string() }),
        _ => return Err(ReceiptFormatError::Damaged),
    };
    Ok(ReceiptParts { version, claim_json: text(parts[1])?, signature: parts[2].to_string(), certificate })
}

impl ReceiptParts {
    /// Does the signature sign this claim under `public_key`?
    pub fn signed_by(&self, public_key: &str) -> bool {
        let tag = if self.version == 1 { TAG } else { TAG_V2 };
        crate::verify(public_key, &message(tag, &self.claim_json), &self.signature)
    }
}

impl CertificateParts {
    /// Did the province's key `public_key` sign this certificate?
    pub fn signed_by(&self, public_key: &str) -> bool {
        crate::verify(public_key, &message(CERT_TAG, &self.claim_json), &self.signature)
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

        assert_eq!((parts.version, parts.certificate.clone()), (1, None));
        let altered = ReceiptParts { claim_json: r#"{"number":"2"}"#.into(), ..parts.clone() };
        assert!(!altered.signed_by(&key.public_key()));
        // An operation's signature over the same bytes is not a receipt's.
        let op_sig = key.sign(br#"{"number":"1"}"#);
        assert!(!ReceiptParts { signature: op_sig, ..parts }.signed_by(&key.public_key()));
    }

    #[test]
    fn a_device_receipt_carries_the_provinces_certificate_of_its_key() {
        let (device, province) = (SigningKey::generate(), SigningKey::generate());
        let cert = certify_device(r#"{"dc":"ABCD"}"#, &province);
        let payload = seal_device_receipt(r#"{"number":"1"}"#, &device, Some(&cert));
        assert!(payload.starts_with("LKT2."));
        let parts = open_receipt(&payload).unwrap();
        assert_eq!(parts.version, 2);
        assert!(parts.signed_by(&device.public_key()));
        let c = parts.certificate.clone().unwrap();
        assert_eq!(c.claim_json, r#"{"dc":"ABCD"}"#);
        assert!(c.signed_by(&province.public_key()) && !c.signed_by(&device.public_key()));
        // A receipt's signature is neither a first-format receipt's nor a certificate's.
        let v1 = ReceiptParts { version: 1, ..parts.clone() };
        assert!(!v1.signed_by(&device.public_key()));
        let as_cert =
            CertificateParts { claim_json: parts.claim_json.clone(), signature: parts.signature.clone() };
        assert!(!as_cert.signed_by(&device.public_key()));
        // Before enrollment: no certificate.
        let early = open_receipt(&seal_device_receipt("{}", &device, None)).unwrap();
        assert!(early.certificate.is_none() && early.signed_by(&device.public_key()));
        // The secret key comes back as the same key.
        let again = SigningKey::from_secret(&device.export_secret()).unwrap();
        assert_eq!(again.public_key(), device.public_key());
        assert!(SigningKey::from_secret("short").is_err());
    }

    #[test]
    fn what_is_not_a_receipt_says_so() {
        assert_eq!(open_receipt("https://example.org"), Err(ReceiptFormatError::NotReceipt));
        assert_eq!(open_receipt("LKT1.abc"), Err(ReceiptFormatError::Damaged));
        assert_eq!(open_receipt("LKT1.!!!.sig"), Err(ReceiptFormatError::Damaged));
        assert_eq!(open_receipt("LKT1.a.b.c"), Err(ReceiptFormatError::Damaged));
        assert_eq!(
            open_receipt("LKT1.e30.s.e30.s"),
            Err(ReceiptFormatError::Damaged),
            "v1 has no certificate"
        );
        assert_eq!(open_receipt("LKT2.e30.s.e30"), Err(ReceiptFormatError::Damaged));
    }
}
