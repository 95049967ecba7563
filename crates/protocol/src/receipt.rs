//! What a receipt's QR code says, and the server's answer when it is checked.
//!
//! The claim is signed by the key of the device that printed it (`loket_keys::seal_device_receipt`),
//! which the provincial server certified when the device enrolled ([`DeviceCertificate`], signed
//! by the province's key and carried in the code), so a receipt printed on a laptop that was
//! offline verifies later, against the province's key alone. It carries what the paper shows
//! that matters for a dispute, and nothing the paper does not (the NIK masked). Receipts of the
//! first format were signed by the clerk's key instead; they still verify.

use serde::{Deserialize, Serialize};

/// The signed content of a receipt. Short field names keep the QR code small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptClaim {
    /// Registration number; `None` on a draft's receipt (documents still missing).
    #[serde(rename = "no", default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The application's id (UUIDv7).
    pub id: String,
    /// Dotted kecamatan code of the office.
    #[serde(rename = "of")]
    pub office: String,
    /// Service or programme code.
    #[serde(rename = "sv")]
    pub service: String,
    /// Applicant (or, for hibah, the organisation).
    #[serde(rename = "nm")]
    pub name: String,
    /// The NIK as printed (`3601********0001`), if the application has one.
    #[serde(rename = "nik", default, skip_serializing_if = "Option::is_none")]
    pub nik_masked: Option<String>,
    /// When the receipt was issued, RFC 3339 (the laptop's clock).
    #[serde(rename = "at")]
    pub issued_at: String,
    /// Fee in rupiah (permits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<u64>,
    /// Due date, YYYY-MM-DD (permits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Grant asked for, in rupiah (hibah).
    #[serde(rename = "amt", default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// Checklist documents received / required.
    #[serde(rename = "doc", default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<(u32, u32)>,
    /// The clerk who issued it, and the id of the key that signed (the device's; on a
    /// first-format receipt, the clerk's).
    #[serde(rename = "u")]
    pub user: String,
    #[serde(rename = "k")]
    pub key_id: String,
    /// The device's four-character code (the one in its registration numbers).
    #[serde(rename = "dv", default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// What the province certifies of a device when it enrolls: its signing key belongs to the
/// device of this code, in this office. Signed with the province's key
/// (`loket_keys::certify_device`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCertificate {
    /// Device code.
    #[serde(rename = "dc")]
    pub device_code: String,
    /// Dotted kecamatan code of the device's office.
    #[serde(rename = "of")]
    pub office: String,
    /// The device's Ed25519 public key, base64url.
    #[serde(rename = "pk")]
    pub public_key: String,
    /// Id of the province's key that signed.
    #[serde(rename = "pv")]
    pub province_key_id: String,
    /// When it was certified, RFC 3339.
    #[serde(rename = "at")]
    pub issued_at: String,
}

/// `POST /api/v1/offices/{office}/device/key`: the device's receipt-signing public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKeyRequest {
    /// Ed25519, base64url.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKeyResponse {
    /// `<certificate JSON, base64url>.<province signature>`: printed in the device's receipts.
    pub certificate: String,
    /// The province's public key that signed it (base64url), for anyone who checks receipts
    /// offline.
    pub province_public_key: String,
}

/// `POST /api/v1/receipts/verify`: a scanned QR code's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptVerifyRequest {
    pub payload: String,
}

/// What checking a receipt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptVerdict {
    /// Signed by a device the province certified for the office it names (a first-format
    /// receipt: by a registered key of the user it names, of that office).
    Genuine,
    /// The signature does not match the content: the code was altered or forged.
    Altered,
    /// The device (or first-format user) is not one the province certified for that office.
    UnknownDevice,
    /// Not a Loket receipt code, or damaged.
    NotReceipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptVerifyResponse {
    pub verdict: ReceiptVerdict,
    /// What the code says (when it could be read), to compare with the paper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<ReceiptClaim>,
    /// The issuing clerk's full name, when genuine and known to the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    /// The device that printed it (its code), when genuine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// When IT revoked that device (a lost or stolen laptop): its receipts from before stay
    /// genuine, and one dated after deserves a question. RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_revoked_at: Option<String>,
    /// Whether the server already holds the application with that number.
    pub known_to_server: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_written_with_short_names_and_read_back() {
        let c = ReceiptClaim {
            number: Some("36.01.01-2026-ABCD-000001".into()),
            id: "0190".into(),
            office: "36.01.01".into(),
            service: "sktm".into(),
            name: "Ahmad".into(),
            nik_masked: None,
            issued_at: "2026-12-02T08:00:00Z".into(),
            fee: Some(0),
            due: None,
            amount: None,
            documents: Some((2, 3)),
            user: "petugas".into(),
            key_id: "k".into(),
            device: Some("ABCD".into()),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.starts_with(r#"{"no":"36.01.01-2026-ABCD-000001","id":"0190","of":"#), "{json}");
        assert!(!json.contains("nik") && !json.contains("amt"), "{json}");
        assert_eq!(serde_json::from_str::<ReceiptClaim>(&json).unwrap(), c);
    }
}
