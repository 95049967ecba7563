//! NPWP (Nomor Pokok Wajib Pajak), the taxpayer number: the old 15-digit format
//! (`XX.XXX.XXX.X-XXX.XXX`) or the 16-digit format of PMK 112/PMK.03/2022: for a resident
//! person, their NIK; for others (organisations, non-residents), `0` + the old 15 digits. A
//! 16-digit NPWP that does not start with `0` is therefore checked as a NIK.

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
    /// PMK 112/2022: a 16-digit NPWP not starting with 0 is the holder's NIK.
    #[error("NPWP 16 digit orang pribadi adalah NIK, tetapi ini bukan NIK yang sah: {0}")]
    NotNik(crate::nik::NikError),
}

impl NpwpError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "npwp.empty",
            Self::InvalidChars => "npwp.invalid_chars",
            Self::Length(_) => "npwp.length",
            Self::AllZero => "npwp.all_zero",
            Self::NotNik(_) => "npwp.not_nik",
        }
    }
}

/// Validate an NPWP; returns its digits.
pub fn parse_npwp(input: &str) -> Result<String, NpwpError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NpwpError::Empty);
    }
    if !trimmed.chars().all(|c| c.is_ascii_digit() || crate::separators::is_separator(c)) {
        return Err(NpwpError::InvalidChars);
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(15..=16).contains(&digits.len()) {
        return Err(NpwpError::Length(digits.len()));
    }
    if digits.bytes().all(|b| b == b'0') {
        return Err(NpwpError::AllZero);
    }
    if digits.len() == 16 && !digits.starts_with('0') {
        crate::nik::parse(&digits).map_err(NpwpError::NotNik)?;
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

    /// PMK 112/PMK.03/2022: a resident person's 16-digit NPWP is their NIK (checked as one);
    /// an organisation's is 0 followed by its old 15 digits.
    #[test]
    fn pmk_112_2022_sixteen_digit_npwp_of_a_person_is_a_nik() {
        let cases: &[(&str, &str)] = &[
            ("3601011205900001", "ok"),
            ("3601 0112 0590 0001", "ok"),
            ("3601011213900001", "npwp.not_nik"), // month 13
            ("3601011205900000", "npwp.not_nik"), // serial 0000
            ("0012345678901000", "ok"),           // an organisation's
            ("0012.3456.7890.1000", "ok"),
        ];
        for (input, want) in cases {
            let got = parse_npwp(input).map(|_| "ok").unwrap_or_else(|e| e.code());
            assert_eq!(got, *want, "{input:?}");
        }
        assert_eq!(parse_npwp("3601-0112-0590-0001").unwrap(), "3601011205900001", "shown back as digits");
    }
}
