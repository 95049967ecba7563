//! NPWP (Nomor Pokok Wajib Pajak), the taxpayer number: the old 15-digit format
//! (`XX.XXX.XXX.X-XXX.XXX`) or the 16-digit format introduced in 2024 (a person's NIK, or
//! `0` + the old 15 digits for organisations).

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NpwpError {
    #[error("NPWP wajib diisi.")]
    Empty,
    #[error("NPWP hanya boleh berisi angka, titik dan tanda hubung.")]
    InvalidChars,
    #[error("NPWP harus 15 atau 16 digit (yang diisi {0} digit).")]
    Length(usize),
    #[error("NPWP tidak boleh semuanya nol.")]
    AllZero,
}

impl NpwpError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "npwp.empty",
            Self::InvalidChars => "npwp.invalid_chars",
            Self::Length(_) => "npwp.length",
            Self::AllZero => "npwp.all_zero",
        }
    }
}

/// Validate an NPWP; returns its digits.
pub fn parse_npwp(input: &str) -> Result<String, NpwpError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NpwpError::Empty);
    }
    if !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ' ')) {
        return Err(NpwpError::InvalidChars);
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(15..=16).contains(&digits.len()) {
        return Err(NpwpError::Length(digits.len()));
    }
    if digits.bytes().all(|b| b == b'0') {
        return Err(NpwpError::AllZero);
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npwp_table() {
        let cases: &[(&str, &str)] = &[
            ("01.234.567.8-901.000", "ok"),
            ("012345678901000", "ok"),
            ("3601011205900001", "ok"),
            ("0012345678901000", "ok"),
            ("", "npwp.empty"),
            ("01.234.567.8/901.000", "npwp.invalid_chars"),
            ("01.234.567.8-901", "npwp.length"),
            ("000000000000000", "npwp.all_zero"),
        ];
        for (input, want) in cases {
            let got = parse_npwp(input).map(|_| "ok").unwrap_or_else(|e| e.code());
            assert_eq!(got, *want, "{input:?}");
        }
    }
}
