//! Is a receipt's QR code genuine? Pure: the payload and what the server knows of the user it
//! names in, a verdict out.

use loket_keys::ReceiptParts;
use loket_protocol::{ReceiptClaim, ReceiptVerdict};

use super::Signer;

/// A payload taken apart: its signed parts and what it claims; `None` when it is not a Loket
/// receipt code, or damaged.
pub fn read(payload: &str) -> Option<(ReceiptParts, ReceiptClaim)> {
    let parts = loket_keys::open_receipt(payload).ok()?;
    let claim = serde_json::from_str(&parts.claim_json).ok()?;
    Some((parts, claim))
}

/// The verdict on a readable receipt, given the user it names (`None`: no such user).
///
/// The signature is checked with the key the claim names among every key ever registered for
/// that user (a receipt outlives a password reset); a genuine signature by a user of another
/// office than the receipt names is not the province's word for that office.
pub fn judge(parts: &ReceiptParts, claim: &ReceiptClaim, signer: Option<&Signer>) -> ReceiptVerdict {
    let Some(key) = signer.and_then(|s| s.keys.get(&claim.key_id)) else {
        return ReceiptVerdict::UnknownSigner;
    };
    if !parts.signed_by(key) {
        ReceiptVerdict::Altered
    } else if signer.is_some_and(|s| s.office != claim.office) {
        ReceiptVerdict::UnknownSigner
    } else {
        ReceiptVerdict::Genuine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_keys::UserKey;

    fn issued(key: &UserKey, office: &str) -> String {
        let claim = format!(
            r#"{{"no":"36.01.01-2026-ABCD-000001","id":"a","of":"{office}","sv":"sktm","nm":"Ahmad","at":"2026-12-02T08:00:00Z","u":"petugas","k":"{}"}}"#,
            key.key_id()
        );
        loket_keys::seal_receipt(&claim, key)
    }

    fn signer(key: &UserKey) -> Signer {
        Signer {
            office: "36.01.01".into(),
            roles: vec![],
            active: true,
            keys: [(key.key_id(), key.public_key())].into(),
        }
    }

    #[test]
    fn genuine_altered_unknown_and_unreadable_are_told_apart() {
        let key = UserKey::generate();
        let payload = issued(&key, "36.01.01");
        let (parts, claim) = read(&payload).unwrap();
        assert_eq!(judge(&parts, &claim, Some(&signer(&key))), ReceiptVerdict::Genuine);

        // One character of the claim changed (another number): the signature no longer fits.
        let altered =
            ReceiptParts { claim_json: parts.claim_json.replace("000001", "000002"), ..parts.clone() };
        let claim2 = serde_json::from_str(&altered.claim_json).unwrap();
        assert_eq!(judge(&altered, &claim2, Some(&signer(&key))), ReceiptVerdict::Altered);

        // Nobody of that name, or a key the user never had.
        assert_eq!(judge(&parts, &claim, None), ReceiptVerdict::UnknownSigner);
        let stranger = UserKey::generate();
        assert_eq!(judge(&parts, &claim, Some(&signer(&stranger))), ReceiptVerdict::UnknownSigner);

        // A genuine signature by a user of another office.
        let (p, c) = read(&issued(&key, "36.02.01")).unwrap();
        assert_eq!(judge(&p, &c, Some(&signer(&key))), ReceiptVerdict::UnknownSigner);

        assert!(read("https://example.org/").is_none());
        assert!(read("LKT1.e30.sig").is_none(), "{{}} is no claim");
    }
}
