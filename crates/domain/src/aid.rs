//! Aid applications: bansos (social aid for individuals and their household) and hibah
//! (grants to organisations).

use crate::applicant::{
    check_name, check_nik, check_text, text_rule, validate_applicant, Applicant, ApplicantDraft, NAME_MAX,
};
use crate::issue::{has_errors, FieldIssue};
use crate::kk::Kk;
use crate::nik::Nik;
use crate::npwp::parse_npwp;
use crate::region;

/// Bansos or hibah.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AidKind {
    Bansos,
    Hibah,
}

impl AidKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bansos => "bansos",
            Self::Hibah => "hibah",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bansos" => Some(Self::Bansos),
            "hibah" => Some(Self::Hibah),
            _ => None,
        }
    }
}

/// Why two bansos applications in different kecamatan were flagged as one household's
/// (the same programme and period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum FlagReason {
    /// The same applicant NIK.
    Nik,
    /// The same family card (KK).
    Kk,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nik => "nik",
            Self::Kk => "kk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Nik, Self::Kk].into_iter().find(|r| r.as_str() == s)
    }
}

/// An aid programme that a kecamatan counter takes applications for, in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Programme {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: AidKind,
    /// The budget period, e.g. `2026`. Duplicate-aid checks are per programme and period.
    pub period: &'static str,
}

/// The programmes offered at the counter.
pub const PROGRAMMES: &[Programme] = &[
    Programme { code: "PKH", name: "Program Keluarga Harapan (PKH)", kind: AidKind::Bansos, period: "2026" },
    Programme {
        code: "BPNT",
        name: "Bantuan Pangan Non Tunai / Sembako (BPNT)",
        kind: AidKind::Bansos,
        period: "2026",
    },
    Programme { code: "BLT-DD", name: "BLT Dana Desa", kind: AidKind::Bansos, period: "2026" },
    Programme {
        code: "RTLH",
        name: "Bantuan Rumah Tidak Layak Huni (RTLH)",
        kind: AidKind::Bansos,
        period: "2026",
    },
    Programme { code: "JSB", name: "Jaminan Sosial Banten", kind: AidKind::Bansos, period: "2026" },
    Programme {
        code: "HIBAH-ORMAS",
        name: "Hibah Organisasi Kemasyarakatan",
        kind: AidKind::Hibah,
        period: "2027",
    },
    Programme {
        code: "HIBAH-IBADAH",
        name: "Hibah Sarana Tempat Ibadah",
        kind: AidKind::Hibah,
        period: "2027",
    },
];

/// Find a programme by code.
pub fn programme(code: &str) -> Option<&'static Programme> {
    PROGRAMMES.iter().find(|p| p.code == code)
}

/// Why the household asks for aid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub code: &'static str,
    pub name: &'static str,
}

pub const BANSOS_CATEGORIES: &[Category] = &[
    Category { code: "miskin", name: "Keluarga miskin/rentan miskin" },
    Category { code: "lansia", name: "Lanjut usia terlantar" },
    Category { code: "disabilitas", name: "Penyandang disabilitas" },
    Category { code: "yatim", name: "Anak yatim/piatu" },
    Category { code: "bencana", name: "Korban bencana" },
];

pub fn category(code: &str) -> Option<&'static Category> {
    BANSOS_CATEGORIES.iter().find(|c| c.code == code)
}

/// A household member listed on the KK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDraft {
    pub nik: String,
    pub full_name: String,
    /// Relationship to the head of household as on the KK (istri, anak, ...).
    pub relationship: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub nik: Nik,
    pub full_name: String,
    pub relationship: String,
}

/// What the clerk typed for a bansos application, unvalidated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BansosDraft {
    pub applicant: ApplicantDraft,
    pub kk: String,
    pub household: Vec<MemberDraft>,
    /// Household income per month, rupiah.
    pub monthly_income: i64,
    pub category_code: String,
    pub programme_code: String,
}

/// A bansos application that passed validation. Warnings (if any) need the clerk's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBansos {
    pub applicant: Applicant,
    pub kk: Kk,
    pub household: Vec<Member>,
    pub monthly_income: i64,
    pub category: &'static Category,
    pub programme: &'static Programme,
    pub warnings: Vec<FieldIssue>,
}

/// Households of more members than this are certainly a typing error.
const HOUSEHOLD_MAX: usize = 20;
/// Income above this (Rp 100 million a month) is certainly a typing error.
const INCOME_MAX: i64 = 100_000_000;

/// Validate a bansos draft. `Err` carries every error and warning; `Ok` carries warnings only.
pub fn validate_bansos(draft: &BansosDraft) -> Result<ValidBansos, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let applicant = validate_applicant(&draft.applicant, &mut issues);

    let kk = match Kk::parse(&draft.kk) {
        Ok(kk) => {
            if !kk.region_known {
                issues.push(FieldIssue::warning(
                    "kk",
                    "kk.region_unknown",
                    format!(
                        "Kode wilayah {} pada nomor KK tidak dikenal. Periksa kembali KK.",
                        kk.region_code()
                    ),
                ));
            }
            Some(kk)
        }
        Err(e) => {
            issues.push(FieldIssue::error("kk", e.code(), e.to_string()));
            None
        }
    };

    let mut household = Vec::new();
    if draft.household.len() > HOUSEHOLD_MAX {
        issues.push(FieldIssue::error(
            "household",
            "household.too_many",
            format!("Anggota keluarga paling banyak {HOUSEHOLD_MAX} orang."),
        ));
    }
    for m in &draft.household {
        let nik = check_nik("household", &m.nik, &mut issues);
        let name = check_name("household", &m.full_name, &mut issues);
        let rel =
            check_text(&text_rule!("relationship", "Hubungan keluarga", 30), &m.relationship, &mut issues);
        if let (Some(nik), Some(full_name), Some(relationship)) = (nik, name, rel) {
            household.push(Member { nik, full_name, relationship });
        }
    }
    if let Some(a) = &applicant {
        let mut seen = vec![a.nik.as_str()];
        for m in &household {
            if seen.contains(&m.nik.as_str()) {
                issues.push(FieldIssue::error(
                    "household",
                    "household.duplicate_nik",
                    format!("NIK {} tercantum lebih dari sekali.", m.nik.masked()),
                ));
            }
            seen.push(m.nik.as_str());
        }
    }

    if !(0..=INCOME_MAX).contains(&draft.monthly_income) {
        issues.push(FieldIssue::error(
            "monthly_income",
            "income.out_of_range",
            "Penghasilan per bulan harus antara Rp 0 dan Rp 100.000.000.",
        ));
    }

    let category = category(draft.category_code.trim());
    if category.is_none() {
        issues.push(FieldIssue::error("category_code", "category.unknown", "Pilih kategori penerima."));
    }
    let programme = programme(draft.programme_code.trim()).filter(|p| p.kind == AidKind::Bansos);
    if programme.is_none() {
        issues.push(FieldIssue::error("programme_code", "programme.unknown", "Pilih program bantuan."));
    }

    match (applicant, kk, category, programme) {
        (Some(applicant), Some(kk), Some(category), Some(programme)) if !has_errors(&issues) => {
            Ok(ValidBansos {
                applicant,
                kk,
                household,
                monthly_income: draft.monthly_income,
                category,
                programme,
                warnings: issues,
            })
        }
        _ => Err(issues),
    }
}

/// What the clerk typed for a hibah application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HibahDraft {
    pub organization_name: String,
    /// SK Kemenkumham number, e.g. `AHU-0012345.AH.01.07.Tahun 2021`.
    pub legal_basis: String,
    pub npwp: String,
    pub address: String,
    pub village_code: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder: String,
    pub chair_nik: String,
    pub chair_name: String,
    pub secretary_nik: String,
    pub secretary_name: String,
    /// Rupiah.
    pub amount_proposed: i64,
    /// Total of the budget plan (RAB), rupiah.
    pub rab_total: i64,
    pub programme_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHibah {
    pub organization_name: String,
    pub legal_basis: String,
    pub npwp: String,
    pub address: String,
    pub village_code: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder: String,
    pub chair_nik: Nik,
    pub chair_name: String,
    pub secretary_nik: Nik,
    pub secretary_name: String,
    pub amount_proposed: i64,
    pub rab_total: i64,
    pub programme: &'static Programme,
    pub warnings: Vec<FieldIssue>,
}

/// `AHU-0012345.AH.01.07.Tahun 2021` (case of "Tahun" varies on real decrees).
pub fn looks_like_ahu_number(s: &str) -> bool {
    let s = s.trim().to_ascii_uppercase();
    let Some(rest) = s.strip_prefix("AHU-") else { return false };
    let mut parts = rest.splitn(5, '.');
    let digits =
        |p: Option<&str>, n: usize| p.is_some_and(|p| p.len() == n && p.bytes().all(|b| b.is_ascii_digit()));
    let serial = parts.next();
    let ah = parts.next();
    let a = parts.next();
    let b = parts.next();
    let year = parts.next();
    serial.is_some_and(|p| (5..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && ah == Some("AH")
        && digits(a, 2)
        && digits(b, 2)
        && year.and_then(|y| y.strip_prefix("TAHUN ")).is_some_and(|y| digits(Some(y), 4))
}

const HIBAH_MAX: i64 = 10_000_000_000;

/// Validate a hibah draft.
pub fn validate_hibah(draft: &HibahDraft) -> Result<ValidHibah, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let organization_name = check_text(
        &text_rule!("organization_name", "Nama organisasi", 150),
        &draft.organization_name,
        &mut issues,
    );

    let legal_basis = crate::applicant::collapse_spaces(&draft.legal_basis);
    if legal_basis.is_empty() {
        issues.push(FieldIssue::error(
            "legal_basis",
            "legal_basis.empty",
            "Nomor SK Kemenkumham wajib diisi.",
        ));
    } else if !looks_like_ahu_number(&legal_basis) {
        issues.push(FieldIssue::warning(
            "legal_basis",
            "legal_basis.format",
            "Nomor SK tidak berformat AHU-XXXXXXX.AH.01.XX.Tahun XXXX. Periksa kembali salinan SK.",
        ));
    }

    let npwp = match parse_npwp(&draft.npwp) {
        Ok(n) => Some(n),
        Err(e) => {
            issues.push(FieldIssue::error("npwp", e.code(), e.to_string()));
            None
        }
    };
    let address = check_text(&text_rule!("address", "Alamat", 200), &draft.address, &mut issues);
    let village_code = crate::applicant::check_village("village_code", &draft.village_code, &mut issues);
    let bank_name = check_text(&text_rule!("bank_name", "Nama bank", 60), &draft.bank_name, &mut issues);
    let account: String = draft.account_number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !(6..=20).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()) {
        issues.push(FieldIssue::error(
            "account_number",
            "account.invalid",
            "Nomor rekening harus 6 sampai 20 digit angka.",
        ));
    }
    let account_holder = check_text(
        &text_rule!("account_holder", "Nama pemilik rekening", NAME_MAX),
        &draft.account_holder,
        &mut issues,
    );
    let chair_nik = check_nik("chair_nik", &draft.chair_nik, &mut issues);
    let chair_name = check_name("chair_name", &draft.chair_name, &mut issues);
    let secretary_nik = check_nik("secretary_nik", &draft.secretary_nik, &mut issues);
    let secretary_name = check_name("secretary_name", &draft.secretary_name, &mut issues);
    if let (Some(c), Some(s)) = (&chair_nik, &secretary_nik) {
        if c == s {
            issues.push(FieldIssue::error(
                "secretary_nik",
                "officers.same_person",
                "Ketua dan sekretaris harus orang yang berbeda.",
            ));
        }
    }
    if !(1..=HIBAH_MAX).contains(&draft.amount_proposed) {
        issues.push(FieldIssue::error(
            "amount_proposed",
            "amount.out_of_range",
            "Nilai usulan harus lebih dari Rp 0 dan paling banyak Rp 10.000.000.000.",
        ));
    }
    if draft.rab_total <= 0 {
        issues.push(FieldIssue::error("rab_total", "rab.empty", "Total RAB wajib diisi."));
    } else if draft.amount_proposed > draft.rab_total {
        issues.push(FieldIssue::error(
            "amount_proposed",
            "amount.exceeds_rab",
            "Nilai usulan tidak boleh melebihi total RAB.",
        ));
    }
    let programme = programme(draft.programme_code.trim()).filter(|p| p.kind == AidKind::Hibah);
    if programme.is_none() {
        issues.push(FieldIssue::error("programme_code", "programme.unknown", "Pilih program hibah."));
    }
    if has_errors(&issues) {
        return Err(issues);
    }
    match (
        organization_name,
        npwp,
        address,
        village_code,
        bank_name,
        account_holder,
        chair_nik,
        chair_name,
        secretary_nik,
        secretary_name,
        programme,
    ) {
        (
            Some(organization_name),
            Some(npwp),
            Some(address),
            Some(village_code),
            Some(bank_name),
            Some(account_holder),
            Some(chair_nik),
            Some(chair_name),
            Some(secretary_nik),
            Some(secretary_name),
            Some(programme),
        ) => Ok(ValidHibah {
            organization_name,
            legal_basis,
            npwp,
            address,
            village_code,
            bank_name,
            account_number: account,
            account_holder,
            chair_nik,
            chair_name,
            secretary_nik,
            secretary_name,
            amount_proposed: draft.amount_proposed,
            rab_total: draft.rab_total,
            programme,
            warnings: issues,
        }),
        _ => Err(issues),
    }
}

/// The kecamatan (dotted) of a desa/kelurahan code, if known.
pub fn kecamatan_of_village(village_code: &str) -> Option<&'static str> {
    region::catalogue().get(village_code).and_then(|v| v.parent_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant() -> ApplicantDraft {
        ApplicantDraft {
            nik: "3601011205900001".into(),
            full_name: "  Siti   Nurhaliza ".into(),
            address: "Kp. Sukamaju RT 01/02".into(),
            village_code: "36.01.01.2001".into(),
            phone: String::new(),
        }
    }

    fn bansos() -> BansosDraft {
        BansosDraft {
            applicant: applicant(),
            kk: "3601011501100003".into(),
            household: vec![MemberDraft {
                nik: "3601015508150002".into(),
                full_name: "Aisyah".into(),
                relationship: "anak".into(),
            }],
            monthly_income: 900_000,
            category_code: "miskin".into(),
            programme_code: "PKH".into(),
        }
    }

    fn hibah() -> HibahDraft {
        HibahDraft {
            organization_name: "Yayasan Nurul Huda".into(),
            legal_basis: "AHU-0012345.AH.01.04.Tahun 2019".into(),
            npwp: "01.234.567.8-901.000".into(),
            address: "Jl. Masjid No. 1".into(),
            village_code: "36.01.01.2001".into(),
            bank_name: "Bank BJB".into(),
            account_number: "0012-3456-7890".into(),
            account_holder: "Yayasan Nurul Huda".into(),
            chair_nik: "3601011205700001".into(),
            chair_name: "H. Mahmud".into(),
            secretary_nik: "3601011208800002".into(),
            secretary_name: "Rahmat".into(),
            amount_proposed: 50_000_000,
            rab_total: 75_000_000,
            programme_code: "HIBAH-IBADAH".into(),
        }
    }

    fn codes(issues: &[FieldIssue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn valid_bansos_is_normalised() {
        let v = validate_bansos(&bansos()).unwrap();
        assert_eq!(v.applicant.full_name, "Siti Nurhaliza");
        assert_eq!((v.programme.code, v.programme.period), ("PKH", "2026"));
        assert_eq!(v.household.len(), 1);
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn unknown_region_is_a_warning_not_an_error() {
        let mut d = bansos();
        d.applicant.nik = "9999011205900001".into();
        let v = validate_bansos(&d).unwrap();
        assert_eq!(codes(&v.warnings), ["nik.region_unknown"]);
    }

    #[test]
    fn bansos_errors_table() {
        type Edit = fn(&mut BansosDraft);
        let cases: &[(&str, Edit)] = &[
            ("nik.length", |d| d.applicant.nik = "12".into()),
            ("name.empty", |d| d.applicant.full_name = "".into()),
            ("name.invalid_chars", |d| d.applicant.full_name = "R2D2".into()),
            ("name.too_long", |d| d.applicant.full_name = "a".repeat(101)),
            ("address.empty", |d| d.applicant.address = " ".into()),
            ("village.unknown", |d| d.applicant.village_code = "36.01.01".into()),
            ("kk.serial_zero", |d| d.kk = "3601011501100000".into()),
            ("nik.birth_date", |d| d.household[0].nik = "3601019908150002".into()),
            ("household.duplicate_nik", |d| d.household[0].nik = "3601011205900001".into()),
            ("relationship.empty", |d| d.household[0].relationship = "".into()),
            ("income.out_of_range", |d| d.monthly_income = -1),
            ("category.unknown", |d| d.category_code = "kaya".into()),
            ("programme.unknown", |d| d.programme_code = "XYZ".into()),
            ("programme.unknown", |d| d.programme_code = "HIBAH-ORMAS".into()),
        ];
        for (code, edit) in cases {
            let mut d = bansos();
            edit(&mut d);
            let issues = validate_bansos(&d).unwrap_err();
            assert_eq!(codes(&issues), [*code], "{code}");
        }
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let mut d = bansos();
        d.applicant.nik = "12".into();
        d.applicant.full_name = "".into();
        d.kk = "".into();
        d.programme_code = "".into();
        assert_eq!(
            codes(&validate_bansos(&d).unwrap_err()),
            ["nik.length", "name.empty", "kk.empty", "programme.unknown"]
        );
    }

    #[test]
    fn valid_hibah() {
        let v = validate_hibah(&hibah()).unwrap();
        assert_eq!(v.account_number, "001234567890");
        assert_eq!(v.npwp, "012345678901000");
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn hibah_errors_table() {
        type Edit = fn(&mut HibahDraft);
        let cases: &[(&str, Edit)] = &[
            ("organization_name.empty", |d| d.organization_name = "".into()),
            ("legal_basis.empty", |d| d.legal_basis = "".into()),
            ("npwp.length", |d| d.npwp = "0123".into()),
            ("account.invalid", |d| d.account_number = "12ab".into()),
            ("nik.serial_zero", |d| d.chair_nik = "3601011205700000".into()),
            ("officers.same_person", |d| d.secretary_nik = d.chair_nik.clone()),
            ("amount.out_of_range", |d| d.amount_proposed = 0),
            ("amount.exceeds_rab", |d| d.amount_proposed = 80_000_000),
            ("rab.empty", |d| d.rab_total = 0),
            ("programme.unknown", |d| d.programme_code = "PKH".into()),
        ];
        for (code, edit) in cases {
            let mut d = hibah();
            edit(&mut d);
            let issues = validate_hibah(&d).unwrap_err();
            assert_eq!(codes(&issues), [*code], "{code}");
        }
    }

    #[test]
    fn odd_legal_basis_is_a_warning() {
        let v = validate_hibah(&HibahDraft { legal_basis: "SKT 220/123/2019".into(), ..hibah() }).unwrap();
        assert_eq!(codes(&v.warnings), ["legal_basis.format"]);
        assert!(looks_like_ahu_number("AHU-0001234.AH.01.07.TAHUN 2020"));
        assert!(!looks_like_ahu_number("AHU-12.AH.01.07.Tahun 2020"));
    }
}
