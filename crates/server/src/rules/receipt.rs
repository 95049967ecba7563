//! Is a receipt's QR code genuine? Pure: the payload and what the server knows of the device
//! (or, for a first-format receipt, the user) it names in, a verdict out.

use std::collections::BTreeMap;

use loket_keys::ReceiptParts;
use loket_protocol::{DeviceCertificate, ReceiptClaim, ReceiptVerdict};

use super::Signer;

/// An enrolled device whose receipt key the server registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub device_code: String,
    pub office: String,
    pub public_key: String,
    /// When IT revoked the device (its receipts from before stay the province's).
    pub revoked_at: Option<String>,
}

/// What the server knows that a verdict may need.
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    /// The user a first-format receipt names.
    pub signer: Option<&'a Signer>,
    /// The device whose receipt key a receipt names.
    pub device: Option<&'a KnownDevice>,
    /// The province's public keys, by id.
    pub province_keys: Option<&'a BTreeMap<String, String>>,
}

/// A payload taken apart: its signed parts and what it claims; `None` when it is not a Loket
/// receipt code, or damaged.
pub fn read(payload: &str) -> Option<(ReceiptParts, ReceiptClaim)> {
    let parts = loket_keys::open_receipt(payload).ok()?;
    let claim = serde_json::from_str(&parts.claim_json).ok()?;
    Some((parts, claim))
}

/// The verdict on a readable receipt.
///
/// Current receipts are signed by a device's key. With the province's certificate in the code,
/// the chain is checked against the province's keys alone: the certificate must be the
/// province's and name the office and device the receipt names, and its key must sign the
/// receipt. Without a certificate the province can vouch for (a receipt printed before its
/// device enrolled, or a certificate by a key a restored server no longer has) the key is
/// looked up among enrolled devices.
/// First-format receipts are checked with the key the claim names among every key ever
/// registered for the user it names (a receipt outlives a password reset). A genuine signature
/// of another office than the receipt names is not the province's word for that office.
pub fn judge(parts: &ReceiptParts, claim: &ReceiptClaim, known: &Known<'_>) -> ReceiptVerdict {
    if parts.version == 1 {
        return judge_v1(parts, claim, known.signer);
    }
    let certified = parts.certificate.as_ref().and_then(|cert| {
        let c = serde_json::from_str::<DeviceCertificate>(&cert.claim_json).ok()?;
        let province = known.province_keys.and_then(|k| k.get(&c.province_key_id))?;
        let names_it = claim.device.as_deref() == Some(c.device_code.as_str()) && claim.office == c.office;
        (cert.signed_by(province) && names_it).then_some(c.public_key)
    });
    // Without a certificate the province can vouch for — printed before the device enrolled
    // (its code then was a provisional one), or certified by a key a restored server lost —
    // the key an enrolled device of that office registered is the province's word.
    let registered = || known.device.filter(|d| d.office == claim.office).map(|d| d.public_key.clone());
    let Some(key) = certified.or_else(registered) else {
        return ReceiptVerdict::UnknownDevice;
    };
    if loket_keys::key_id(&key) != claim.key_id {
        ReceiptVerdict::UnknownDevice
    } else if parts.signed_by(&key) {
        ReceiptVerdict::Genuine
    } else {
        ReceiptVerdict::Altered
    }
}

fn judge_v1(parts: &ReceiptParts, claim: &ReceiptClaim, signer: Option<&Signer>) -> ReceiptVerdict {
    let Some(key) = signer.and_then(|s| s.keys.get(&claim.key_id)) else {
        return ReceiptVerdict::UnknownDevice;
    };
    if !parts.signed_by(key) {
        ReceiptVerdict::Altered
    } else if signer.is_some_and(|s| s.office != claim.office) {
        ReceiptVerdict::UnknownDevice
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

    fn v1(signer: &Signer) -> Known<'_> {
        Known { signer: Some(signer), ..Known::default() }
    }

    fn signer(key: &UserKey) -> Signer {
        Signer {
            office: "36.01.01".into(),
            roles: vec![],
            active: true,
            keys: [(key.key_id(), key.public_key())].into(),
        }
    }

    /// A device's receipt: `dv` and `k` as the claim names them, certified by `province` (or not).
    fn device_receipt(device: &UserKey, code: &str, office: &str, province: Option<&UserKey>) -> String {
        let claim = format!(
            r#"{{"no":"36.01.01-2026-{code}-000001","id":"a","of":"36.01.01","sv":"sktm","nm":"Ahmad","at":"2026-12-02T08:00:00Z","u":"petugas","k":"{}","dv":"{code}"}}"#,
            device.key_id()
        );
        let cert = province.map(|p| {
            let c = DeviceCertificate {
                device_code: code.into(),
                office: office.into(),
                public_key: device.public_key(),
                province_key_id: p.key_id(),
                issued_at: "2026-12-01T00:00:00Z".into(),
            };
            loket_keys::certify_device(&serde_json::to_string(&c).unwrap(), p)
        });
        loket_keys::seal_device_receipt(&claim, device, cert.as_deref())
    }

    #[test]
    fn a_device_receipt_chains_to_the_provinces_key() {
        let (device, province, stranger) = (UserKey::generate(), UserKey::generate(), UserKey::generate());
        let keys: BTreeMap<String, String> = [(province.key_id(), province.public_key())].into();
        let offline = Known { province_keys: Some(&keys), ..Known::default() };
        let verdict = |payload: &str, known: &Known<'_>| {
            let (parts, claim) = read(payload).unwrap();
            judge(&parts, &claim, known)
        };
        let good = device_receipt(&device, "ABCD", "36.01.01", Some(&province));
        assert_eq!(verdict(&good, &offline), ReceiptVerdict::Genuine, "the province's keys alone");

        // The receipt changed after signing: the device's signature no longer fits.
        let (parts, _) = read(&good).unwrap();
        let claim_json = parts.claim_json.replace("Ahmad", "Ahmat");
        let altered = ReceiptParts { claim_json: claim_json.clone(), ..parts.clone() };
        let claim: ReceiptClaim = serde_json::from_str(&claim_json).unwrap();
        assert_eq!(judge(&altered, &claim, &offline), ReceiptVerdict::Altered);

        // A certificate the province did not sign, or that names another office or device.
        let forged = device_receipt(&device, "ABCD", "36.01.01", Some(&stranger));
        assert_eq!(verdict(&forged, &offline), ReceiptVerdict::UnknownDevice);
        let elsewhere = device_receipt(&device, "ABCD", "36.02.01", Some(&province));
        assert_eq!(verdict(&elsewhere, &offline), ReceiptVerdict::UnknownDevice);

        // Printed before the device enrolled: found among enrolled devices, or unknown.
        let early = device_receipt(&device, "ABCD", "36.01.01", None);
        assert_eq!(verdict(&early, &offline), ReceiptVerdict::UnknownDevice);
        let enrolled = KnownDevice {
            device_code: "ABCD".into(),
            office: "36.01.01".into(),
            public_key: device.public_key(),
            revoked_at: None,
        };
        let registry = Known { device: Some(&enrolled), ..Known::default() };
        assert_eq!(verdict(&early, &registry), ReceiptVerdict::Genuine);
        // Certified by a province key the server no longer has (restored from an older backup):
        // the device's registered key still vouches; a stranger's does not.
        assert_eq!(verdict(&forged, &offline), ReceiptVerdict::UnknownDevice);
        let registered_too = Known { device: Some(&enrolled), ..offline.clone() };
        assert_eq!(verdict(&forged, &registered_too), ReceiptVerdict::Genuine, "the device's own key");
        let stranger_receipt = device_receipt(&stranger, "ABCD", "36.01.01", Some(&stranger));
        assert_eq!(verdict(&stranger_receipt, &registered_too), ReceiptVerdict::UnknownDevice);
        let elsewhere = KnownDevice { office: "36.02.01".into(), ..enrolled.clone() };
        let registry = Known { device: Some(&elsewhere), ..Known::default() };
        assert_eq!(verdict(&early, &registry), ReceiptVerdict::UnknownDevice, "of another office");
    }

    #[test]
    fn genuine_altered_unknown_and_unreadable_are_told_apart() {
        let key = UserKey::generate();
        let payload = issued(&key, "36.01.01");
        let (parts, claim) = read(&payload).unwrap();
        assert_eq!(judge(&parts, &claim, &v1(&signer(&key))), ReceiptVerdict::Genuine);

        // One character of the claim changed (another number): the signature no longer fits.
        let altered =
            ReceiptParts { claim_json: parts.claim_json.replace("000001", "000002"), ..parts.clone() };
        let claim2 = serde_json::from_str(&altered.claim_json).unwrap();
        assert_eq!(judge(&altered, &claim2, &v1(&signer(&key))), ReceiptVerdict::Altered);

        // Nobody of that name, or a key the user never had.
        assert_eq!(judge(&parts, &claim, &Known::default()), ReceiptVerdict::UnknownDevice);
        let stranger = UserKey::generate();
        assert_eq!(judge(&parts, &claim, &v1(&signer(&stranger))), ReceiptVerdict::UnknownDevice);

        // A genuine signature by a user of another office.
        let (p, c) = read(&issued(&key, "36.02.01")).unwrap();
        assert_eq!(judge(&p, &c, &v1(&signer(&key))), ReceiptVerdict::UnknownDevice);

        assert!(read("https://example.org/").is_none());
        assert!(read("LKT1.e30.sig").is_none(), "{{}} is no claim");
    }
}
