//! KK (Nomor Kartu Keluarga), the 16-digit family card number.
//!
//! Layout: `PPKKCC DDMMYY SSSS`: kecamatan of issue, date of issue (no +40 offset), serial.

use thiserror::Error;

use crate::nik::is_valid_birth_date;
use crate::region;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KkError {
    #[error("Nomor KK wajib diisi.")]
    Empty,
    #[error("Nomor KK hanya boleh berisi angka.")]
    NotDigits,
    #[error("Nomor KK harus 16 digit (yang diisi {0} digit).")]
    Length(usize),
    #[error("Tanggal penerbitan pada nomor KK (digit ke-7 sampai ke-12) tidak valid.")]
    IssueDate,
    #[error("Nomor urut KK (4 digit terakhir) tidak boleh 0000.")]
    SerialZero,
}

impl KkError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "kk.empty",
            Self::NotDigits => "kk.not_digits",
            Self::Length(_) => "kk.length",
            Self::IssueDate => "kk.issue_date",
            Self::SerialZero => "kk.serial_zero",
        }
    }
}

/// A structurally valid KK number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kk {
    digits: String,
    /// Whether its region code is in today's national list (unknown is a warning).
    pub region_known: bool,
}

impl Kk {
    pub fn parse(input: &str) -> Result<Self, KkError> {
        let digits = crate::separators::strip(input);
        if digits.is_empty() {
            return Err(KkError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(KkError::NotDigits);
        }
        if digits.len() != 16 {
            return Err(KkError::Length(digits.len()));
        }
        let two = |i: usize| -> u8 { digits[i..i + 2].parse().unwrap_or(0) };
        if !is_valid_birth_date(two(6), two(8), two(10)) {
            return Err(KkError::IssueDate);
        }
        if &digits[12..] == "0000" {
            return Err(KkError::SerialZero);
        }
        let region_known = region::catalogue().national_kecamatan_name(&digits[..6]).is_some();
        Ok(Self { digits, region_known })
    }

    pub fn as_str(&self) -> &str {
        &self.digits
    }

    pub fn region_code(&self) -> &str {
        &self.digits[..6]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kk_table() {
        let cases: &[(&str, &str)] = &[
            ("3601011501100003", "ok"),
            ("3601 0115 0110 0003", "ok"),
            ("9999011501100003", "ok"),
            ("", "kk.empty"),
            ("360101150110000x", "kk.not_digits"),
            ("36010115011000", "kk.length"),
            ("3601015501100003", "kk.issue_date"), // day 55: no +40 on a KK
            ("3601013002100003", "kk.issue_date"), // 30 Feb
            ("3601011513100003", "kk.issue_date"), // month 13
            ("3601011501100000", "kk.serial_zero"),
        ];
        for (input, want) in cases {
            let got = Kk::parse(input).map(|_| "ok").unwrap_or_else(|e| e.code());
            assert_eq!(got, *want, "{input:?}");
        }
        assert!(!Kk::parse("9999011501100003").unwrap().region_known);
        assert!(Kk::parse("3601011501100003").unwrap().region_known);
    }
}
