//! Registration numbers printed on the receipt.
//!
//! Format: `KKKKKK-DDDD-NNNNNN`, e.g. `360101-K7QX-000042`:
//! - `KKKKKK`: the office's kecamatan code, six digits;
//! - `DDDD`: the device code, four characters of Crockford base32 (no I, L, O, U);
//! - `NNNNNN`: the device's own sequence, starting at 1.
//!
//! Numbers are assigned offline; two devices never share a device code, and one device never
//! reuses a sequence number, so numbers never collide across offices and devices.

use std::fmt;

use thiserror::Error;

/// The Crockford base32 alphabet: easy to read aloud and to type back.
pub const DEVICE_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistrationNumberError {
    #[error("kode kecamatan harus 6 digit")]
    Kecamatan,
    #[error("kode perangkat harus 4 karakter base32")]
    Device,
    #[error("nomor urut harus 1 sampai 999999")]
    Sequence,
}

/// A registration number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationNumber {
    kecamatan: String,
    device: String,
    sequence: u32,
}

impl RegistrationNumber {
    pub fn new(kecamatan6: &str, device: &str, sequence: u32) -> Result<Self, RegistrationNumberError> {
        if kecamatan6.len() != 6 || !kecamatan6.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegistrationNumberError::Kecamatan);
        }
        if !is_device_code(device) {
            return Err(RegistrationNumberError::Device);
        }
        if !(1..=999_999).contains(&sequence) {
            return Err(RegistrationNumberError::Sequence);
        }
        Ok(Self { kecamatan: kecamatan6.to_string(), device: device.to_string(), sequence })
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.kecamatan, self.device, self.sequence)
    }
}

impl std::str::FromStr for RegistrationNumber {
    type Err = RegistrationNumberError;

    /// Parse the printed form, `360101-K7QX-000042` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let mut parts = upper.split('-');
        let (Some(k), Some(d), Some(n), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(RegistrationNumberError::Kecamatan);
        };
        if n.len() != 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegistrationNumberError::Sequence);
        }
        Self::new(k, d, n.parse().map_err(|_| RegistrationNumberError::Sequence)?)
    }
}

/// True for four characters of [`DEVICE_CODE_ALPHABET`].
pub fn is_device_code(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| DEVICE_CODE_ALPHABET.contains(&b))
}

/// Turn 20 random bits into a device code. The caller supplies the randomness (no IO here).
pub fn device_code_from_bits(bits: u32) -> String {
    (0..4).map(|i| DEVICE_CODE_ALPHABET[((bits >> (15 - 5 * i)) & 31) as usize] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_zero_padding() {
        let n = RegistrationNumber::new("360101", "K7QX", 42).unwrap();
        assert_eq!(n.to_string(), "360101-K7QX-000042");
    }

    #[test]
    fn refuses_bad_parts() {
        assert_eq!(RegistrationNumber::new("36010", "K7QX", 1), Err(RegistrationNumberError::Kecamatan));
        assert_eq!(RegistrationNumber::new("360101", "K7QI", 1), Err(RegistrationNumberError::Device));
        assert_eq!(RegistrationNumber::new("360101", "K7QX", 0), Err(RegistrationNumberError::Sequence));
        assert_eq!(
            RegistrationNumber::new("360101", "K7QX", 1_000_000),
            Err(RegistrationNumberError::Sequence)
        );
    }

    #[test]
    fn parses_the_printed_form() {
        let n: RegistrationNumber = " 360101-k7qx-000042 ".parse().unwrap();
        assert_eq!(n.to_string(), "360101-K7QX-000042");
        for bad in ["360101-K7QX", "360101-K7QX-42", "360101-K7QI-000042", "36010-K7QX-000042", "a-b-c-d"] {
            assert!(bad.parse::<RegistrationNumber>().is_err(), "{bad}");
        }
    }

    #[test]
    fn device_codes_are_valid_and_distinct() {
        let a = device_code_from_bits(0);
        let b = device_code_from_bits(0xFFFFF);
        assert_eq!((a.as_str(), b.as_str()), ("0000", "ZZZZ"));
        assert!(is_device_code(&device_code_from_bits(0x12345)));
        assert_ne!(device_code_from_bits(1), device_code_from_bits(2));
    }
}
