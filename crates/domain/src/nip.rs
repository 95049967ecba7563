//! NIP (Nomor Induk Pegawai) of a PNS, and NI PPPK of a contract civil servant. Both 18 digits.
//!
//! NIP:     `YYYYMMDD YYYYMM S NNN`: birth date, TMT CPNS (year and month of appointment as
//!          candidate civil servant), sex (1 male, 2 female), serial.
//! NI PPPK: `YYYYMMDD YYYY 21 S NNN`: birth date, year of appointment, the fixed marker `21`
//!          where a NIP has a month, sex, serial.

use thiserror::Error;

use crate::nik::Sex;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NipError {
    #[error("{kind} wajib diisi.")]
    Empty { kind: &'static str },
    #[error("{kind} hanya boleh berisi angka.")]
    NotDigits { kind: &'static str },
    #[error("{kind} harus 18 digit (yang diisi {len} digit).")]
    Length { kind: &'static str, len: usize },
    #[error("Tanggal lahir pada {kind} (digit ke-1 sampai ke-8) tidak valid.")]
    BirthDate { kind: &'static str },
    #[error("TMT pada NIP (digit ke-9 sampai ke-14) tidak valid.")]
    Tmt,
    #[error("Tahun pengangkatan pada NI PPPK (digit ke-9 sampai ke-12) tidak valid.")]
    AppointmentYear,
    #[error("Digit ke-13 dan ke-14 NI PPPK harus 21.")]
    PppkMarker,
    #[error("Digit jenis kelamin pada {kind} (digit ke-15) harus 1 atau 2.")]
    Sex { kind: &'static str },
    #[error("Nomor urut {kind} (3 digit terakhir) tidak boleh 000.")]
    SerialZero { kind: &'static str },
}

impl NipError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } => "nip.empty",
            Self::NotDigits { .. } => "nip.not_digits",
            Self::Length { .. } => "nip.length",
            Self::BirthDate { .. } => "nip.birth_date",
            Self::Tmt => "nip.tmt",
            Self::AppointmentYear => "nip.appointment_year",
            Self::PppkMarker => "nip.pppk_marker",
            Self::Sex { .. } => "nip.sex",
            Self::SerialZero { .. } => "nip.serial_zero",
        }
    }
}

/// A decoded NIP or NI PPPK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeNumber {
    pub digits: String,
    pub birth: (u16, u8, u8),
    /// Year and month of appointment (month is `None` for NI PPPK).
    pub appointed: (u16, Option<u8>),
    pub sex: Sex,
}

const NIP: &str = "NIP";
const NI_PPPK: &str = "NI PPPK";

fn digits18(input: &str, kind: &'static str) -> Result<String, NipError> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err(NipError::Empty { kind });
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(NipError::NotDigits { kind });
    }
    if digits.len() != 18 {
        return Err(NipError::Length { kind, len: digits.len() });
    }
    Ok(digits)
}

fn num(d: &str, from: usize, len: usize) -> u16 {
    d[from..from + len].parse().unwrap_or(0)
}

/// Plausible years for an employee's birth and appointment.
const YEARS: std::ops::RangeInclusive<u16> = 1940..=2099;

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

pub(crate) fn valid_date(y: u16, m: u16, d: u16) -> bool {
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    YEARS.contains(&y) && (1..=max).contains(&d)
}

fn common_tail(d: &str, kind: &'static str) -> Result<Sex, NipError> {
    let sex = match &d[14..15] {
        "1" => Sex::Male,
        "2" => Sex::Female,
        _ => return Err(NipError::Sex { kind }),
    };
    if &d[15..] == "000" {
        return Err(NipError::SerialZero { kind });
    }
    Ok(sex)
}

/// Validate a PNS NIP.
pub fn parse_nip(input: &str) -> Result<EmployeeNumber, NipError> {
    let d = digits18(input, NIP)?;
    let (by, bm, bd) = (num(&d, 0, 4), num(&d, 4, 2), num(&d, 6, 2));
    if !valid_date(by, bm, bd) {
        return Err(NipError::BirthDate { kind: NIP });
    }
    let (ty, tm) = (num(&d, 8, 4), num(&d, 12, 2));
    // Appointed as an adult: at least 18 years after birth.
    if !YEARS.contains(&ty) || !(1..=12).contains(&tm) || ty < by + 18 {
        return Err(NipError::Tmt);
    }
    let sex = common_tail(&d, NIP)?;
    Ok(EmployeeNumber { birth: (by, bm as u8, bd as u8), appointed: (ty, Some(tm as u8)), sex, digits: d })
}

/// Validate an NI PPPK.
pub fn parse_ni_pppk(input: &str) -> Result<EmployeeNumber, NipError> {
    let d = digits18(input, NI_PPPK)?;
    let (by, bm, bd) = (num(&d, 0, 4), num(&d, 4, 2), num(&d, 6, 2));
    if !valid_date(by, bm, bd) {
        return Err(NipError::BirthDate { kind: NI_PPPK });
    }
    let ay = num(&d, 8, 4);
    if !(2019..=2099).contains(&ay) || ay < by + 18 {
        return Err(NipError::AppointmentYear);
    }
    if &d[12..14] != "21" {
        return Err(NipError::PppkMarker);
    }
    let sex = common_tail(&d, NI_PPPK)?;
    Ok(EmployeeNumber { birth: (by, bm as u8, bd as u8), appointed: (ay, None), sex, digits: d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nip_table() {
        let cases: &[(&str, &str)] = &[
            ("198503152010011002", "ok"),
            ("1985 0315 2010 01 1 002", "ok"),
            ("199002292015032001", "nip.birth_date"), // 1990 is not a leap year
            ("199202292015032001", "ok"),             // 1992 is
            ("", "nip.empty"),
            ("19850315201001100x", "nip.not_digits"),
            ("19850315201001100", "nip.length"),
            ("198513152010011002", "nip.birth_date"),
            ("193003152010011002", "nip.birth_date"), // before 1940
            ("198503152010131002", "nip.tmt"),        // month 13
            ("198503152010001002", "nip.tmt"),        // month 0
            ("198503152000011002", "nip.tmt"),        // appointed at 14
            ("198503152010013002", "nip.sex"),
            ("198503152010010002", "nip.sex"),
            ("198503152010011000", "nip.serial_zero"),
        ];
        for (input, want) in cases {
            let got = parse_nip(input).map(|_| "ok").unwrap_or_else(|e| e.code());
            assert_eq!(got, *want, "{input:?}");
        }
        let n = parse_nip("198503152010012002").unwrap();
        assert_eq!((n.birth, n.appointed, n.sex), ((1985, 3, 15), (2010, Some(1)), Sex::Female));
    }

    #[test]
    fn ni_pppk_table() {
        let cases: &[(&str, &str)] = &[
            ("199001012022211001", "ok"),
            ("199001012022212001", "ok"),
            ("199001012022011001", "nip.pppk_marker"),
            ("199001012010211001", "nip.appointment_year"), // PPPK exists since 2019
            ("200801012022211001", "nip.appointment_year"), // appointed at 14
            ("199013012022211001", "nip.birth_date"),
            ("199001012022213001", "nip.sex"),
            ("199001012022211000", "nip.serial_zero"),
            ("1990010120222110", "nip.length"),
        ];
        for (input, want) in cases {
            let got = parse_ni_pppk(input).map(|_| "ok").unwrap_or_else(|e| e.code());
            assert_eq!(got, *want, "{input:?}");
        }
        assert_eq!(parse_ni_pppk("").unwrap_err().to_string(), "NI PPPK wajib diisi.");
    }
}
