//! The person applying at the counter, shared by permit and aid applications.

use crate::issue::FieldIssue;
use crate::nik::{self, Nik};
use crate::phone::parse_phone;
use crate::region;

/// What the clerk typed about the applicant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantDraft {
    pub nik: String,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    /// Optional.
    pub phone: String,
}

/// A validated applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub nik: Nik,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    pub phone: Option<String>,
}

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const ADDRESS_MAX: usize = 200;

/// Collapse runs of whitespace and trim.
pub fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Validate a NIK field; pushes an error, or a warning for an unknown region.
pub(crate) fn check_nik(field: &'static str, input: &str, issues: &mut Vec<FieldIssue>) -> Option<Nik> {
    match nik::parse(input) {
        Ok(info) => {
            if !info.region_known() {
                issues.push(FieldIssue::warning(
                    field,
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
            issues.push(FieldIssue::error(field, e.code(), e.to_string()));
            None
        }
    }
}

/// Validate a person's or organisation's name.
pub(crate) fn check_name(field: &'static str, input: &str, issues: &mut Vec<FieldIssue>) -> Option<String> {
    let name = collapse_spaces(input);
    if name.is_empty() {
        issues.push(FieldIssue::error(field, "name.empty", "Nama wajib diisi."));
    } else if name.chars().count() > NAME_MAX {
        issues.push(FieldIssue::error(
            field,
            "name.too_long",
            format!("Nama paling panjang {NAME_MAX} karakter."),
        ));
    } else if !name.chars().all(|c| c.is_alphabetic() || " .,'-".contains(c)) {
        issues.push(FieldIssue::error(
            field,
            "name.invalid_chars",
            "Nama hanya boleh berisi huruf, spasi, titik, koma, apostrof dan tanda hubung.",
        ));
    } else {
        return Some(name);
    }
    None
}

/// A required free-text field of bounded length, with its stable codes.
pub(crate) struct TextRule {
    pub field: &'static str,
    pub label: &'static str,
    pub max: usize,
    pub empty: &'static str,
    pub too_long: &'static str,
}

/// Declare a [`TextRule`] whose codes are `<prefix>.empty` and `<prefix>.too_long`.
macro_rules! text_rule {
    ($field:literal, $label:literal, $max:expr) => {
        $crate::applicant::TextRule {
            field: $field,
            label: $label,
            max: $max,
            empty: concat!($field, ".empty"),
            too_long: concat!($field, ".too_long"),
        }
    };
}
pub(crate) use text_rule;

/// Validate a required free text.
pub(crate) fn check_text(rule: &TextRule, input: &str, issues: &mut Vec<FieldIssue>) -> Option<String> {
    let text = collapse_spaces(input);
    if text.is_empty() {
        issues.push(FieldIssue::error(rule.field, rule.empty, format!("{} wajib diisi.", rule.label)));
        None
    } else if text.chars().count() > rule.max {
        issues.push(FieldIssue::error(
            rule.field,
            rule.too_long,
            format!("{} paling panjang {} karakter.", rule.label, rule.max),
        ));
        None
    } else {
        Some(text)
    }
}

/// Validate a desa/kelurahan code against the Banten reference list.
pub(crate) fn check_village(
    field: &'static str,
    input: &str,
    issues: &mut Vec<FieldIssue>,
) -> Option<String> {
    match region::catalogue().get(input.trim()) {
        Some(r) if r.is_village() => Some(r.code.to_string()),
        _ => {
            issues.push(FieldIssue::error(
                field,
                "village.unknown",
                "Pilih desa/kelurahan dari daftar wilayah Banten.",
            ));
            None
        }
    }
}

/// Validate the applicant block; field names are prefixed with nothing (`nik`, `full_name`, ...).
pub fn validate_applicant(draft: &ApplicantDraft, issues: &mut Vec<FieldIssue>) -> Option<Applicant> {
    let nik = check_nik("nik", &draft.nik, issues);
    let full_name = check_name("full_name", &draft.full_name, issues);
    let address = check_text(&text_rule!("address", "Alamat", ADDRESS_MAX), &draft.address, issues);
    let village_code = check_village("village_code", &draft.village_code, issues);
    let phone = if draft.phone.trim().is_empty() {
        Some(None)
    } else {
        match parse_phone(&draft.phone) {
            Ok(p) => Some(Some(p)),
            Err(e) => {
                issues.push(FieldIssue::error("phone", e.code(), e.to_string()));
                None
            }
        }
    };
    Some(Applicant {
        nik: nik?,
        full_name: full_name?,
        address: address?,
        village_code: village_code?,
        phone: phone?,
    })
}

/// Applicant fields changed after registration: `None` leaves a field as it is, and
/// `phone: Some(None)` clears the phone number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantChange {
    pub full_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<Option<String>>,
    pub village_code: Option<String>,
}

/// Validate a change of applicant fields by the rules of registration; `Ok` holds the
/// normalised values (an empty phone number clears it).
pub fn validate_change(c: &ApplicantChange) -> Result<ApplicantChange, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let full_name = c.full_name.as_deref().map(|v| check_name("full_name", v, &mut issues));
    let address = c
        .address
        .as_deref()
        .map(|v| check_text(&text_rule!("address", "Alamat", ADDRESS_MAX), v, &mut issues));
    let village_code = c.village_code.as_deref().map(|v| check_village("village_code", v, &mut issues));
    let phone = match c.phone.as_ref().map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty())) {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) => match parse_phone(p) {
            Ok(p) => Some(Some(p)),
            Err(e) => {
                issues.push(FieldIssue::error("phone", e.code(), e.to_string()));
                None
            }
        },
    };
    if crate::issue::has_errors(&issues) {
        return Err(issues);
    }
    Ok(ApplicantChange {
        full_name: full_name.flatten(),
        address: address.flatten(),
        phone,
        village_code: village_code.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(issues: &[FieldIssue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn text_codes_are_derived_from_the_field() {
        let mut issues = vec![];
        let rule = text_rule!("location", "Lokasi", 10);
        check_text(&rule, " ", &mut issues);
        check_text(&rule, "sebelas huruf", &mut issues);
        assert_eq!(codes(&issues), ["location.empty", "location.too_long"]);
    }

    #[test]
    fn phone_is_optional_but_checked() {
        let mut draft = ApplicantDraft {
            nik: "3601011205900001".into(),
            full_name: "Ahmad".into(),
            address: "Kp. Baru".into(),
            village_code: "36.01.01.2001".into(),
            phone: String::new(),
        };
        let mut issues = vec![];
        assert_eq!(validate_applicant(&draft, &mut issues).unwrap().phone, None);
        draft.phone = "+62 812 1111 2222".into();
        assert_eq!(validate_applicant(&draft, &mut issues).unwrap().phone.as_deref(), Some("081211112222"));
        draft.phone = "12".into();
        assert!(validate_applicant(&draft, &mut issues).is_none());
        assert_eq!(codes(&issues), ["phone.prefix"]);
    }

    #[test]
    fn a_change_is_checked_and_normalised_like_a_registration() {
        let change = ApplicantChange {
            full_name: Some("  Siti   Aminah ".into()),
            phone: Some(Some("+62 812 1111 2222".into())),
            ..Default::default()
        };
        let v = validate_change(&change).unwrap();
        assert_eq!(v.full_name.as_deref(), Some("Siti Aminah"));
        assert_eq!(v.phone, Some(Some("081211112222".into())));
        assert_eq!(v.address, None, "untouched fields stay untouched");
        let cleared = ApplicantChange { phone: Some(Some(" ".into())), ..Default::default() };
        assert_eq!(validate_change(&cleared).unwrap().phone, Some(None));
        let bad = ApplicantChange {
            full_name: Some("x".repeat(101)),
            address: Some(String::new()),
            village_code: Some("99.99".into()),
            phone: Some(Some("12".into())),
        };
        assert_eq!(
            codes(&validate_change(&bad).unwrap_err()),
            ["name.too_long", "address.empty", "village.unknown", "phone.prefix"]
        );
    }
}
