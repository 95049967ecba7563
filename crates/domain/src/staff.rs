//! Staff (ASN records) and the user accounts they drive.

use std::collections::BTreeSet;

use crate::applicant::{check_name, check_text, text_rule};
use crate::issue::{has_errors, FieldIssue};
use crate::nip::{parse_ni_pppk, parse_nip};
use crate::region::{catalogue, Level};
use crate::workflow::Role;

/// Employment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum EmploymentStatus {
    /// Pegawai Negeri Sipil: has a NIP and a golongan/ruang I/a … IV/e.
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja: has an NI PPPK and a golongan I … XVII.
    Pppk,
    /// Honorary or contract staff outside ASN: no employee number, no golongan.
    NonAsn,
}

impl EmploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pns => "pns",
            Self::Pppk => "pppk",
            Self::NonAsn => "non_asn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pns" => Some(Self::Pns),
            "pppk" => Some(Self::Pppk),
            "non_asn" => Some(Self::NonAsn),
            _ => None,
        }
    }
}

/// PNS golongan/ruang, in rank order.
pub const PNS_GOLONGAN: [&str; 17] = [
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a",
    "IV/b", "IV/c", "IV/d", "IV/e",
];

/// PPPK golongan, in rank order.
pub const PPPK_GOLONGAN: [&str; 17] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
    "XVII",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffDraft {
    pub status: String,
    /// NIP for PNS, NI PPPK for PPPK, empty for non-ASN.
    pub employee_number: String,
    pub full_name: String,
    pub golongan: String,
    pub jabatan: String,
    /// Dotted kecamatan code of the unit.
    pub unit_code: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStaff {
    pub status: EmploymentStatus,
    pub employee_number: Option<String>,
    pub full_name: String,
    pub golongan: Option<&'static str>,
    pub jabatan: String,
    pub unit_code: String,
    pub active: bool,
}

pub fn validate_staff(d: &StaffDraft) -> Result<ValidStaff, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let status = EmploymentStatus::parse(d.status.trim());
    if status.is_none() {
        issues.push(FieldIssue::error("status", "staff.status_unknown", "Pilih status kepegawaian."));
    }
    let number = d.employee_number.trim();
    let employee_number = match status {
        Some(EmploymentStatus::Pns) => match parse_nip(number) {
            Ok(n) => Some(n.digits),
            Err(e) => {
                issues.push(FieldIssue::error("employee_number", e.code(), e.to_string()));
                None
            }
        },
        Some(EmploymentStatus::Pppk) => match parse_ni_pppk(number) {
            Ok(n) => Some(n.digits),
            Err(e) => {
                issues.push(FieldIssue::error("employee_number", e.code(), e.to_string()));
                None
            }
        },
        Some(EmploymentStatus::NonAsn) if !number.is_empty() => {
            issues.push(FieldIssue::error(
                "employee_number",
                "staff.number_not_applicable",
                "Pegawai non-ASN tidak memiliki NIP/NI PPPK.",
            ));
            None
        }
        _ => None,
    };
    let golongan = match status {
        Some(EmploymentStatus::Pns) => PNS_GOLONGAN.iter().find(|g| **g == d.golongan.trim()).copied(),
        Some(EmploymentStatus::Pppk) => PPPK_GOLONGAN.iter().find(|g| **g == d.golongan.trim()).copied(),
        _ => None,
    };
    match status {
        Some(EmploymentStatus::Pns | EmploymentStatus::Pppk) if golongan.is_none() => {
            issues.push(FieldIssue::error(
                "golongan",
                "staff.golongan_invalid",
                "Golongan tidak sesuai status kepegawaian.",
            ))
        }
        Some(EmploymentStatus::NonAsn) if !d.golongan.trim().is_empty() => issues.push(FieldIssue::error(
            "golongan",
            "staff.golongan_not_applicable",
            "Pegawai non-ASN tidak memiliki golongan.",
        )),
        _ => {}
    }
    let full_name = check_name("full_name", &d.full_name, &mut issues);
    let jabatan = check_text(&text_rule!("jabatan", "Jabatan", 100), &d.jabatan, &mut issues);
    let unit = catalogue().get(d.unit_code.trim()).filter(|r| r.level == Level::District);
    if unit.is_none() {
        issues.push(FieldIssue::error("unit_code", "staff.unit_unknown", "Pilih unit kerja (kecamatan)."));
    }
    if has_errors(&issues) {
        return Err(issues);
    }
    match (status, full_name, jabatan, unit) {
        (Some(status), Some(full_name), Some(jabatan), Some(unit)) => Ok(ValidStaff {
            status,
            employee_number,
            full_name,
            golongan,
            jabatan,
            unit_code: unit.code.to_string(),
            active: d.active,
        }),
        _ => Err(issues),
    }
}

/// A user account as configured by IT: linked to a staff record, with roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDraft {
    pub username: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidUser {
    pub username: String,
    pub roles: BTreeSet<Role>,
}

/// Validate a user account for a staff member. Inactive staff cannot have an account.
pub fn validate_user(d: &UserDraft, staff_active: bool) -> Result<ValidUser, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let username = d.username.trim().to_ascii_lowercase();
    let ok_chars =
        username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !(3..=32).contains(&username.len()) || !ok_chars {
        issues.push(FieldIssue::error(
            "username",
            "user.username_invalid",
            "Nama pengguna 3–32 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.",
        ));
    }
    let mut roles = BTreeSet::new();
    for r in &d.roles {
        match Role::parse(r.trim()) {
            Some(role) => {
                roles.insert(role);
            }
            None => issues.push(FieldIssue::error(
                "roles",
                "user.role_unknown",
                format!("Peran {r:?} tidak dikenal."),
            )),
        }
    }
    if d.roles.is_empty() {
        issues.push(FieldIssue::error("roles", "user.roles_empty", "Pilih minimal satu peran."));
    }
    if !staff_active {
        issues.push(FieldIssue::error(
            "staff",
            "user.staff_inactive",
            "Pegawai tidak aktif tidak dapat diberi akun.",
        ));
    }
    if has_errors(&issues) {
        Err(issues)
    } else {
        Ok(ValidUser { username, roles })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pns() -> StaffDraft {
        StaffDraft {
            status: "pns".into(),
            employee_number: "198503152010011002".into(),
            full_name: "Drs. Ahmad Fauzi".into(),
            golongan: "III/d".into(),
            jabatan: "Kepala Seksi Pelayanan".into(),
            unit_code: "36.01.01".into(),
            active: true,
        }
    }

    fn codes(issues: &[FieldIssue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn valid_staff_of_each_status() {
        assert_eq!(validate_staff(&pns()).unwrap().golongan, Some("III/d"));
        let pppk = StaffDraft {
            status: "pppk".into(),
            employee_number: "199001012022211001".into(),
            golongan: "IX".into(),
            ..pns()
        };
        assert_eq!(validate_staff(&pppk).unwrap().employee_number.as_deref(), Some("199001012022211001"));
        let honorer =
            StaffDraft { status: "non_asn".into(), employee_number: "".into(), golongan: "".into(), ..pns() };
        assert_eq!(validate_staff(&honorer).unwrap().employee_number, None);
    }

    #[test]
    fn staff_errors_table() {
        type Edit = fn(&mut StaffDraft);
        let cases: &[(&str, Edit)] = &[
            ("staff.status_unknown", |d| d.status = "tamu".into()),
            ("nip.sex", |d| d.employee_number = "198503152010013002".into()),
            ("nip.pppk_marker", |d| {
                d.status = "pppk".into();
                d.employee_number = "199001012022011001".into();
                d.golongan = "IX".into();
            }),
            ("staff.golongan_invalid", |d| d.golongan = "V/a".into()),
            ("staff.golongan_invalid", |d| d.golongan = "IX".into()),
            ("name.empty", |d| d.full_name = "".into()),
            ("jabatan.empty", |d| d.jabatan = "".into()),
            ("staff.unit_unknown", |d| d.unit_code = "36.01".into()),
        ];
        for (code, edit) in cases {
            let mut d = pns();
            edit(&mut d);
            assert_eq!(codes(&validate_staff(&d).unwrap_err()), [*code], "{code}");
        }
        let honorer = StaffDraft { status: "non_asn".into(), ..pns() };
        assert_eq!(
            codes(&validate_staff(&honorer).unwrap_err()),
            ["staff.number_not_applicable", "staff.golongan_not_applicable"]
        );
    }

    #[test]
    fn user_accounts() {
        let ok = validate_user(
            &UserDraft { username: "Ahmad.Fauzi".into(), roles: vec!["supervisor".into(), "clerk".into()] },
            true,
        )
        .unwrap();
        assert_eq!(ok.username, "ahmad.fauzi");
        assert_eq!(ok.roles.into_iter().collect::<Vec<_>>(), vec![Role::Clerk, Role::Supervisor]);
        let cases = [
            (
                "user.username_invalid",
                UserDraft { username: "a b".into(), roles: vec!["clerk".into()] },
                true,
            ),
            ("user.role_unknown", UserDraft { username: "abc".into(), roles: vec!["root".into()] }, true),
            ("user.roles_empty", UserDraft { username: "abc".into(), roles: vec![] }, true),
            ("user.staff_inactive", UserDraft { username: "abc".into(), roles: vec!["clerk".into()] }, false),
        ];
        for (code, d, active) in cases {
            assert_eq!(codes(&validate_user(&d, active).unwrap_err()), [code], "{code}");
        }
    }
}
