//! Aid applications. This first slice covers bansos (social aid for individuals).

use crate::issue::{has_errors, FieldIssue};
use crate::nik::{self, Nik, NikError};
use crate::region;

/// A bansos programme that a kecamatan counter takes applications for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Programme {
    pub code: &'static str,
    pub name: &'static str,
}

/// The bansos programmes offered at the counter.
pub const BANSOS_PROGRAMMES: &[Programme] = &[
    Programme { code: "PKH", name: "Program Keluarga Harapan (PKH)" },
    Programme { code: "BPNT", name: "Bantuan Pangan Non Tunai / Sembako (BPNT)" },
    Programme { code: "BLT-DD", name: "BLT Dana Desa" },
    Programme { code: "RTLH", name: "Bantuan Rumah Tidak Layak Huni (RTLH)" },
    Programme { code: "JSB", name: "Jaminan Sosial Banten" },
];

/// Find a programme by code.
pub fn programme(code: &str) -> Option<&'static Programme> {
    BANSOS_PROGRAMMES.iter().find(|p| p.code == code)
}

/// What the clerk typed, unvalidated.
#[derive(Debug, Clone, Default)]
pub struct BansosDraft {
    pub nik: String,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    pub programme_code: String,
}

/// A bansos application that passed validation. Warnings (if any) need the clerk's confirmation.
#[derive(Debug, Clone)]
pub struct ValidBansos {
    pub nik: Nik,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    pub programme: &'static Programme,
    pub warnings: Vec<FieldIssue>,
}

const NAME_MAX: usize = 100;
const ADDRESS_MAX: usize = 200;

/// Validate a draft. `Err` carries every error and warning found; `Ok` carries warnings only.
pub fn validate_bansos(draft: &BansosDraft) -> Result<ValidBansos, Vec<FieldIssue>> {
    let mut issues = Vec::new();

    let nik = match nik::parse(&draft.nik) {
        Ok(info) => {
            if !info.region_known() {
                issues.push(FieldIssue::warning(
                    "nik",
                    "nik.region_unknown",
                    format!(
                        "Kode wilayah {} pada NIK tidak ada dalam daftar kecamatan Kemendagri 2025. \
                         Periksa kembali KTP; simpan hanya jika sudah benar.",
                        info.nik.region_code()
                    ),
                ));
            }
            Some(info.nik)
        }
        Err(e) => {
            issues.push(nik_issue(&e));
            None
        }
    };

    let full_name = collapse_spaces(&draft.full_name);
    if full_name.is_empty() {
        issues.push(FieldIssue::error("full_name", "name.empty", "Nama lengkap wajib diisi."));
    } else if full_name.chars().count() > NAME_MAX {
        issues.push(FieldIssue::error(
            "full_name",
            "name.too_long",
            format!("Nama lengkap paling panjang {NAME_MAX} karakter."),
        ));
    } else if !full_name.chars().all(|c| c.is_alphabetic() || " .,'-".contains(c)) {
        issues.push(FieldIssue::error(
            "full_name",
            "name.invalid_chars",
            "Nama lengkap hanya boleh berisi huruf, spasi, titik, koma, apostrof dan tanda hubung.",
        ));
    }

    let address = collapse_spaces(&draft.address);
    if address.is_empty() {
        issues.push(FieldIssue::error("address", "address.empty", "Alamat wajib diisi."));
    } else if address.chars().count() > ADDRESS_MAX {
        issues.push(FieldIssue::error(
            "address",
            "address.too_long",
            format!("Alamat paling panjang {ADDRESS_MAX} karakter."),
        ));
    }

    let village = region::catalogue().get(draft.village_code.trim());
    if !village.is_some_and(|r| r.is_village()) {
        issues.push(FieldIssue::error(
            "village_code",
            "village.unknown",
            "Pilih desa/kelurahan dari daftar wilayah Banten.",
        ));
    }

    let programme = programme(draft.programme_code.trim());
    if programme.is_none() {
        issues.push(FieldIssue::error("programme_code", "programme.unknown", "Pilih program bantuan."));
    }

    match (nik, village, programme) {
        (Some(nik), Some(village), Some(programme)) if !has_errors(&issues) => Ok(ValidBansos {
            nik,
            full_name,
            address,
            village_code: village.code.to_string(),
            programme,
            warnings: issues,
        }),
        _ => Err(issues),
    }
}

fn nik_issue(e: &NikError) -> FieldIssue {
    FieldIssue::error("nik", e.code(), e.to_string())
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> BansosDraft {
        BansosDraft {
            nik: "3601011205900001".into(),
            full_name: "  Siti   Nurhaliza ".into(),
            address: "Kp. Sukamaju RT 01/02".into(),
            village_code: "36.01.01.2001".into(),
            programme_code: "PKH".into(),
        }
    }

    fn codes(issues: &[FieldIssue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn valid_draft_is_normalised() {
        let v = validate_bansos(&draft()).unwrap();
        assert_eq!(v.full_name, "Siti Nurhaliza");
        assert_eq!(v.programme.code, "PKH");
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn unknown_region_is_a_warning_not_an_error() {
        let v = validate_bansos(&BansosDraft { nik: "9999011205900001".into(), ..draft() }).unwrap();
        assert_eq!(codes(&v.warnings), ["nik.region_unknown"]);
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let bad = BansosDraft {
            nik: "12".into(),
            full_name: "".into(),
            address: " ".into(),
            village_code: "36.01.01".into(), // a kecamatan, not a village
            programme_code: "XYZ".into(),
        };
        let issues = validate_bansos(&bad).unwrap_err();
        assert_eq!(
            codes(&issues),
            ["nik.length", "name.empty", "address.empty", "village.unknown", "programme.unknown"]
        );
    }

    #[test]
    fn name_rules() {
        for (name, code) in [("R2D2", "name.invalid_chars"), (&"a".repeat(101), "name.too_long")] {
            let issues =
                validate_bansos(&BansosDraft { full_name: name.to_string(), ..draft() }).unwrap_err();
            assert_eq!(codes(&issues), [code]);
        }
        assert!(
            validate_bansos(&BansosDraft { full_name: "Ma'ruf Al-Bantani, S.Pd.".into(), ..draft() }).is_ok()
        );
    }
}
