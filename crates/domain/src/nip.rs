//! NIP (Nomor Induk Pegawai) of a PNS, and NI PPPK of a contract civil servant. Both 18 digits,
//! written with or without the dots, dashes and spaces of official documents
//! ([`crate::separators`]).
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
    /// PP 11/2017 (Manajemen PNS) Pasal 23 ayat (1) huruf a: a CPNS applicant is at least 18.
    #[error("Menurut NIP, pegawai belum berusia 18 tahun pada TMT CPNS (PP 11/2017: usia paling rendah 18 tahun).")]
    CpnsTooYoung,
    /// PP 49/2018 (Manajemen PPPK) Pasal 16 huruf a: a PPPK applicant is at least 20.
    #[error("Menurut NI PPPK, pegawai belum berusia 20 tahun pada tahun pengangkatan (PP 49/2018: usia paling rendah 20 tahun).")]
    PppkTooYoung,
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
            Self::CpnsTooYoung => "nip.cpns_age",
            Self::PppkTooYoung => "nip.pppk_age",
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
    let digits = crate::separators::strip(input);
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

/// Age in whole years on `on` of someone born on `birth` (year, month, day): by the full date,
/// so 17 years and 8 months is 17.
pub(crate) fn age_on(birth: (u16, u16, u16), on: (u16, u16, u16)) -> u16 {
    let years = on.0.saturating_sub(birth.0);
    if (on.1, on.2) < (birth.1, birth.2) {
        years.saturating_sub(1)
    } else {
        years
    }
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

/// Validate a PNS NIP (layout: Perka BKN 22/2007): birth date, TMT CPNS (year and month), sex,
/// serial; the holder was at least 18 on the first day of the TMT month (PP 11/2017).
pub fn parse_nip(input: &str) -> Result<EmployeeNumber, NipError> {
    let d = digits18(input, NIP)?;
    let (by, bm, bd) = (num(&d, 0, 4), num(&d, 4, 2), num(&d, 6, 2));
    if !valid_date(by, bm, bd) {
        return Err(NipError::BirthDate { kind: NIP });
    }
    let (ty, tm) = (num(&d, 8, 4), num(&d, 12, 2));
    if !YEARS.contains(&ty) || !(1..=12).contains(&tm) || ty < by {
        return Err(NipError::Tmt);
    }
    if age_on((by, bm, bd), (ty, tm, 1)) < 18 {
        return Err(NipError::CpnsTooYoung);
    }
    let sex = common_tail(&d, NIP)?;
    Ok(EmployeeNumber { birth: (by, bm as u8, bd as u8), appointed: (ty, Some(tm as u8)), sex, digits: d })
}

/// Validate an NI PPPK: birth date, year of appointment, `21`, sex, serial; the holder was at
/// least 20 within the year of appointment (PP 49/2018; the number carries no month, so the
/// last day of that year is the latest the appointment can be).
pub fn parse_ni_pppk(input: &str) -> Result<EmployeeNumber, NipError> {
    let d = digits18(input, NI_PPPK)?;
    let (by, bm, bd) = (num(&d, 0, 4), num(&d, 4, 2), num(&d, 6, 2));
    if !valid_date(by, bm, bd) {
        return Err(NipError::BirthDate { kind: NI_PPPK });
    }
    let ay = num(&d, 8, 4);
    if !(2019..=2099).contains(&ay) || ay < by {
        return Err(NipError::AppointmentYear);
    }
    if age_on((by, bm, bd), (ay, 12, 31)) < 20 {
        return Err(NipError::PppkTooYoung);
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
            ("198503152000011002", "nip.cpns_age"),   // appointed at 14
            ("198503151980011002", "nip.tmt"),        // appointed before birth
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
            ("200801012022211001", "nip.pppk_age"),         // appointed at 14
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

    /// Perka BKN 22/2007: the NIP as official documents write it, with dots, dashes or spaces,
    /// is the same NIP, shown back as its 18 digits.
    #[test]
    fn perka_bkn_22_2007_nip_written_with_separators_is_normalised() {
        for written in [
            "19600809 198603 1 001",
            "19600809.198603.1.001",
            "19600809-198603-1-001",
            " 196008091986031001 ",
            "19600809\u{a0}198603\u{a0}1\u{a0}001",
        ] {
            assert_eq!(
                parse_nip(written).map(|n| n.digits),
                Ok("196008091986031001".to_string()),
                "{written:?}"
            );
        }
        assert_eq!(
            parse_ni_pppk("19900101.2022.21.1.001").map(|n| n.digits),
            Ok("199001012022211001".into())
        );
        assert_eq!(parse_nip("19600809/198603/1/001").unwrap_err().code(), "nip.not_digits");
    }

    /// PP 11/2017 Pasal 23: at least 18, by the full date. Born 15 March 1985: a TMT of March
    /// 2003 (the 1st, 17 years 11 months) is too young; April 2003 is 18.
    #[test]
    fn pp_11_2017_cpns_is_at_least_18_by_the_full_date() {
        let cases = [
            ("198503152003031001", "nip.cpns_age"),
            ("198503152003041001", "ok"),
            ("198503012003031001", "ok"), // the 18th birthday is the TMT day itself
            ("198507202003031001", "nip.cpns_age"), // 17 years 8 months: not 18 by year alone
        ];
        for (nip, want) in cases {
            assert_eq!(parse_nip(nip).map(|_| "ok").unwrap_or_else(|e| e.code()), want, "{nip}");
        }
    }

    /// PP 49/2018 Pasal 16: a PPPK is at least 20; the NI PPPK names only the year of
    /// appointment, so the holder must turn 20 within it.
    #[test]
    fn pp_49_2018_pppk_is_at_least_20() {
        let cases = [
            ("200212312022211001", "ok"),           // 20 on 31 December 2022
            ("200301012022211001", "nip.pppk_age"), // 19 all of 2022
            ("200401012022211001", "nip.pppk_age"), // 18: a CPNS could be, a PPPK cannot
            ("199001012022211001", "ok"),
        ];
        for (n, want) in cases {
            assert_eq!(parse_ni_pppk(n).map(|_| "ok").unwrap_or_else(|e| e.code()), want, "{n}");
        }
    }
}
