//! NIK (Nomor Induk Kependudukan), the 16-digit national identity number.
//!
//! Layout: `PPKKCC DDMMYY SSSS`
//! - `PPKKCC`: code of the kecamatan where the NIK was issued. Regions are split and renumbered
//!   over the years, so a code missing from today's list is only a warning.
//! - `DDMMYY`: birth date; women have 40 added to the day (`DD` 41–71).
//! - `SSSS`: serial number, never `0000`.
//!
//! A NIK is personal data: [`Nik`]'s `Debug` and `Display` print it masked, so it cannot end up
//! in a log line by accident. Use [`Nik::as_str`] where the clear value is really needed.

use std::fmt;

use thiserror::Error;

use crate::region;

/// Why a string is not a valid NIK. Each variant has a stable [`code`](NikError::code).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NikError {
    #[error("NIK wajib diisi.")]
    Empty,
    #[error("NIK hanya boleh berisi angka.")]
    NotDigits,
    #[error("NIK harus 16 digit (yang diisi {0} digit).")]
    Length(usize),
    #[error("Tanggal lahir pada NIK (digit ke-7 sampai ke-12) tidak valid.")]
    BirthDate,
    #[error("Nomor urut NIK (4 digit terakhir) tidak boleh 0000.")]
    SerialZero,
}

impl NikError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "nik.empty",
            Self::NotDigits => "nik.not_digits",
            Self::Length(_) => "nik.length",
            Self::BirthDate => "nik.birth_date",
            Self::SerialZero => "nik.serial_zero",
        }
    }
}

/// Sex as encoded in the NIK's day of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A structurally valid NIK.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nik(String);

impl Nik {
    /// Validate and normalise (spaces, dots and dashes are removed: clerks copy NIKs in groups
    /// of four; [`crate::separators`]).
    pub fn parse(input: &str) -> Result<Self, NikError> {
        parse(input).map(|info| info.nik)
    }

    /// The clear 16-digit value. Do not log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked form for logs, messages and receipts: `3601********0001` ([`mask`]).
    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    /// The six-digit kecamatan code of issue.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }
}

/// The one way a NIK is shown where it must not be read whole — logs, messages, printed
/// receipts: the province and regency (first four digits) and the last four of the serial,
/// `3601********0001`. Anything that is not 16 digits is hidden whole.
pub fn mask(nik: &str) -> String {
    if nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}********{}", &nik[..4], &nik[12..])
    } else {
        "****".to_string()
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// What a valid NIK tells about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NikInfo {
    pub nik: Nik,
    pub sex: Sex,
    /// Day and month of birth; the two-digit year is ambiguous between centuries.
    pub birth_day: u8,
    pub birth_month: u8,
    pub birth_year_2d: u8,
    /// Name of the kecamatan of issue when its code is in the national reference list.
    pub region_name: Option<&'static str>,
}

impl NikInfo {
    /// False when the region code is not in today's list: a warning, not an error.
    pub fn region_known(&self) -> bool {
        self.region_name.is_some()
    }

    /// The region code with dots (`36.01.01`).
    pub fn region_dotted(&self) -> String {
        region::dotted_kecamatan(self.nik.region_code()).unwrap_or_default()
    }
}

/// Validate a NIK and decode it. The layout is Dukcapil's (UU 24/2013 on population
/// administration and its implementing regulations): kecamatan of issue, birth date (+40 on the
/// day for women), serial.
pub fn parse(input: &str) -> Result<NikInfo, NikError> {
    let digits = crate::separators::strip(input);
    if digits.is_empty() {
        return Err(NikError::Empty);
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(NikError::NotDigits);
    }
    if digits.len() != 16 {
        return Err(NikError::Length(digits.len()));
    }
    let two = |i: usize| -> u8 { digits[i..i + 2].parse().unwrap_or(0) };
    let (raw_day, month, year) = (two(6), two(8), two(10));
    let (sex, day) = if raw_day > 40 { (Sex::Female, raw_day - 40) } else { (Sex::Male, raw_day) };
    if !is_valid_birth_date(day, month, year) {
        return Err(NikError::BirthDate);
    }
    if &digits[12..] == "0000" {
        return Err(NikError::SerialZero);
    }
    let region_name = region::catalogue().national_kecamatan_name(&digits[..6]);
    Ok(NikInfo {
        nik: Nik(digits),
        sex,
        birth_day: day,
        birth_month: month,
        birth_year_2d: year,
        region_name,
    })
}

/// Day/month valid in at least one century for a two-digit year. Feb 29 is accepted when
/// `yy % 4 == 0` (true for 2000 even though 1900 was not a leap year).
pub(crate) fn is_valid_birth_date(day: u8, month: u8, yy: u8) -> bool {
    let max_day = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=max_day).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected code or "ok")
    const CASES: &[(&str, &str)] = &[
        ("3601011205900001", "ok"),    // Sumur, male, 12-05-1990
        ("3601015205900001", "ok"),    // same, female: day + 40
        ("3601 0112 0590 0001", "ok"), // groups of four are accepted
        ("3674012902000003", "ok"),    // 29 Feb 2000
        ("1101013112990009", "ok"),    // Aceh, 31 Dec
        ("9999011205900001", "ok"),    // unknown region: valid, warned elsewhere
        ("", "nik.empty"),
        ("   ", "nik.empty"),
        ("36010112059000a1", "nik.not_digits"),
        ("3601-0112-0590-0001", "ok"), // dashes and dots of copied text are separators too
        ("3601.0112.0590.0001", "ok"),
        ("360101120590000", "nik.length"),
        ("36010112059000011", "nik.length"),
        ("3601010005900001", "nik.birth_date"), // day 0
        ("3601014005900001", "nik.birth_date"), // day 0 for a woman
        ("3601013205900001", "nik.birth_date"), // day 32
        ("3601017205900001", "nik.birth_date"), // day 72 (32 + 40)
        ("3601011200900001", "nik.birth_date"), // month 0
        ("3601011213900001", "nik.birth_date"), // month 13
        ("3601013104900001", "nik.birth_date"), // 31 April
        ("3601012902010001", "nik.birth_date"), // 29 Feb 2001
        ("3601017002000001", "nik.birth_date"), // 30 Feb for a woman
        ("3601011205900000", "nik.serial_zero"),
    ];

    #[test]
    fn nik_table() {
        for (input, expected) in CASES {
            let got = match parse(input) {
                Ok(_) => "ok",
                Err(e) => e.code(),
            };
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn decodes_sex_and_birth_date() {
        let m = parse("3601011205900001").unwrap();
        assert_eq!((m.sex, m.birth_day, m.birth_month, m.birth_year_2d), (Sex::Male, 12, 5, 90));
        let f = parse("3601015205900001").unwrap();
        assert_eq!((f.sex, f.birth_day), (Sex::Female, 12));
    }

    #[test]
    fn region_known_and_unknown() {
        let known = parse("3601011205900001").unwrap();
        assert_eq!(known.region_name, Some("Sumur"));
        assert_eq!(known.region_dotted(), "36.01.01");
        assert!(!parse("9999011205900001").unwrap().region_known());
    }

    #[test]
    fn nik_never_prints_in_clear() {
        let nik = Nik::parse("3601011205900001").unwrap();
        assert_eq!(format!("{nik}"), "3601********0001");
        assert_eq!(mask("3601011205900001"), "3601********0001");
        assert_eq!(mask("12345"), "****", "anything that is not a NIK is hidden whole");
        assert!(!format!("{nik:?}").contains("3601011205900001"));
        assert_eq!(nik.as_str(), "3601011205900001");
    }

    #[test]
    fn length_message_says_how_many_digits() {
        assert_eq!(parse("123").unwrap_err().to_string(), "NIK harus 16 digit (yang diisi 3 digit).");
    }
}
