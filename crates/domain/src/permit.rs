//! Permit applications at the PATEN counter.

use crate::applicant::{check_text, text_rule, validate_applicant, Applicant, ApplicantDraft};
use crate::issue::{has_errors, FieldIssue};
use crate::service::{Service, ServiceKind};

/// Service-specific details as typed by the clerk. Numbers are whole units (m², months, rupiah).
/// Also their wire form in a registration's `details`: tagged by `type`, closed to other keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PermitDetails {
    Building { location: String, land_area_m2: u32, building_area_m2: u32, building_use: String },
    Business { business_name: String, business_type: String, capital: i64, location: String },
    Advertising { advertising_text: String, area_m2: u32, location: String, months: u32 },
    Certificate { purpose: String },
    BusinessDomicile { business_name: String, business_type: String, location: String },
}

impl PermitDetails {
    pub fn kind(&self) -> ServiceKind {
        match self {
            Self::Building { .. } => ServiceKind::Building,
            Self::Business { .. } => ServiceKind::Business,
            Self::Advertising { .. } => ServiceKind::Advertising,
            Self::Certificate { .. } => ServiceKind::Certificate,
            Self::BusinessDomicile { .. } => ServiceKind::BusinessDomicile,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitDraft {
    pub applicant: ApplicantDraft,
    pub service_code: String,
    pub details: PermitDetails,
    /// Codes of the documents received at the counter.
    pub documents_received: Vec<String>,
}

/// One line of the documents checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistItem {
    pub code: &'static str,
    pub name: &'static str,
    pub received: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPermit {
    pub applicant: Applicant,
    /// The catalogue version it is registered under (its service, documents and fee).
    pub catalogue: &'static crate::catalogue::Catalogue,
    pub service: &'static Service,
    pub details: PermitDetails,
    pub checklist: Vec<ChecklistItem>,
    /// Fee or levy in rupiah.
    pub fee: u64,
    pub warnings: Vec<FieldIssue>,
}

impl ValidPermit {
    /// All required documents received: the application can be submitted, not only drafted.
    pub fn documents_complete(&self) -> bool {
        self.checklist.iter().all(|c| c.received)
    }
}

/// Largest building a kecamatan may permit (bigger ones go to the regency's DPMPTSP).
pub const BUILDING_MAX_M2: u32 = 200;
/// Micro and small enterprises (PP 7/2021 Pasal 35): business capital up to Rp 5 billion
/// excluding land and buildings (micro up to Rp 1 billion, small above it).
pub const SMALL_BUSINESS_CAPITAL_MAX: i64 = 5_000_000_000;

/// [`validate_permit_in`] the default catalogue.
pub fn validate_permit(draft: &PermitDraft) -> Result<ValidPermit, Vec<FieldIssue>> {
    validate_permit_in(draft, crate::catalogue::default_catalogue())
}

/// Validate a permit application against the services, documents and fees of `catalogue`.
pub fn validate_permit_in(
    draft: &PermitDraft,
    catalogue: &'static crate::catalogue::Catalogue,
) -> Result<ValidPermit, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let applicant = validate_applicant(&draft.applicant, &mut issues);
    let Some(service) = catalogue.service(draft.service_code.trim()) else {
        issues.push(FieldIssue::error("service_code", "service.unknown", "Pilih jenis layanan."));
        return Err(issues);
    };
    if draft.details.kind() != service.kind {
        issues.push(FieldIssue::error(
            "service_code",
            "service.details_mismatch",
            "Rincian permohonan tidak sesuai dengan jenis layanan.",
        ));
        return Err(issues);
    }
    let details = check_details(&draft.details, &mut issues);

    for code in &draft.documents_received {
        if service.document(code).is_none() {
            issues.push(FieldIssue::error(
                "documents",
                "documents.unknown",
                format!("Dokumen {code:?} bukan persyaratan layanan ini."),
            ));
        }
    }
    let checklist: Vec<ChecklistItem> = service
        .documents
        .iter()
        .map(|d| ChecklistItem {
            code: d.code,
            name: d.name,
            received: draft.documents_received.iter().any(|c| c == d.code),
        })
        .collect();

    let fee = match &draft.details {
        PermitDetails::Building { building_area_m2, .. } => service.fee.amount(*building_area_m2, 0),
        PermitDetails::Advertising { area_m2, months, .. } => service.fee.amount(*area_m2, *months),
        _ => service.fee.amount(0, 0),
    };

    match (applicant, details) {
        (Some(applicant), Some(details)) if !has_errors(&issues) => {
            Ok(ValidPermit { applicant, catalogue, service, details, checklist, fee, warnings: issues })
        }
        _ => Err(issues),
    }
}

fn check_details(d: &PermitDetails, issues: &mut Vec<FieldIssue>) -> Option<PermitDetails> {
    let location_rule = text_rule!("location", "Lokasi", 200);
    let name_rule = text_rule!("business_name", "Nama usaha", 100);
    let type_rule = text_rule!("business_type", "Jenis usaha", 100);
    match d {
        PermitDetails::Building { location, land_area_m2, building_area_m2, building_use } => {
            let location = check_text(&location_rule, location, issues);
            let building_use =
                check_text(&text_rule!("building_use", "Fungsi bangunan", 60), building_use, issues);
            let mut ok = true;
            if *building_area_m2 == 0 || *land_area_m2 == 0 {
                issues.push(FieldIssue::error(
                    "building_area_m2",
                    "area.zero",
                    "Luas tanah dan bangunan wajib diisi.",
                ));
                ok = false;
            } else if building_area_m2 > land_area_m2 {
                issues.push(FieldIssue::error(
                    "building_area_m2",
                    "area.exceeds_land",
                    "Luas bangunan tidak bertingkat tidak boleh melebihi luas tanah.",
                ));
                ok = false;
            } else if *building_area_m2 > BUILDING_MAX_M2 {
                issues.push(FieldIssue::error(
                    "building_area_m2",
                    "area.above_kecamatan_authority",
                    format!("Bangunan di atas {BUILDING_MAX_M2} m² diurus di DPMPTSP kabupaten/kota."),
                ));
                ok = false;
            }
            Some(PermitDetails::Building {
                location: location?,
                land_area_m2: *land_area_m2,
                building_area_m2: *building_area_m2,
                building_use: building_use?,
            })
            .filter(|_| ok)
        }
        PermitDetails::Business { business_name, business_type, capital, location } => {
            let name = check_text(&name_rule, business_name, issues);
            let kind = check_text(&type_rule, business_type, issues);
            let location = check_text(&location_rule, location, issues);
            let ok = (0..=SMALL_BUSINESS_CAPITAL_MAX).contains(capital);
            if !ok {
                issues.push(FieldIssue::error(
                    "capital",
                    "capital.out_of_range",
                    "Modal usaha mikro/kecil paling banyak Rp 5.000.000.000 (di luar tanah dan bangunan).",
                ));
            }
            Some(PermitDetails::Business {
                business_name: name?,
                business_type: kind?,
                capital: *capital,
                location: location?,
            })
            .filter(|_| ok)
        }
        PermitDetails::Advertising { advertising_text, area_m2, location, months } => {
            let text =
                check_text(&text_rule!("advertising_text", "Teks reklame", 200), advertising_text, issues);
            let location = check_text(&location_rule, location, issues);
            let mut ok = true;
            if !(1..=50).contains(area_m2) {
                issues.push(FieldIssue::error(
                    "area_m2",
                    "area.out_of_range",
                    "Luas reklame harus 1 sampai 50 m².",
                ));
                ok = false;
            }
            if !(1..=12).contains(months) {
                issues.push(FieldIssue::error(
                    "months",
                    "months.out_of_range",
                    "Masa pasang harus 1 sampai 12 bulan.",
                ));
                ok = false;
            }
            Some(PermitDetails::Advertising {
                advertising_text: text?,
                area_m2: *area_m2,
                location: location?,
                months: *months,
            })
            .filter(|_| ok)
        }
        PermitDetails::Certificate { purpose } => {
            let purpose = check_text(&text_rule!("purpose", "Keperluan", 200), purpose, issues)?;
            Some(PermitDetails::Certificate { purpose })
        }
        PermitDetails::BusinessDomicile { business_name, business_type, location } => {
            let name = check_text(&name_rule, business_name, issues);
            let kind = check_text(&type_rule, business_type, issues);
            let location = check_text(&location_rule, location, issues);
            Some(PermitDetails::BusinessDomicile {
                business_name: name?,
                business_type: kind?,
                location: location?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant() -> ApplicantDraft {
        ApplicantDraft {
            nik: "3601011205900001".into(),
            full_name: "Dedi Mulyadi".into(),
            address: "Kp. Cisalak RT 01/01".into(),
            village_code: "36.01.01.2001".into(),
            phone: "081234567890".into(),
        }
    }

    fn draft(service: &str, details: PermitDetails, docs: &[&str]) -> PermitDraft {
        PermitDraft {
            applicant: applicant(),
            service_code: service.into(),
            details,
            documents_received: docs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn building(land: u32, area: u32) -> PermitDetails {
        PermitDetails::Building {
            location: "Kp. Cisalak".into(),
            land_area_m2: land,
            building_area_m2: area,
            building_use: "Rumah tinggal".into(),
        }
    }

    fn codes(issues: &[FieldIssue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn building_fee_and_checklist() {
        let v = validate_permit(&draft("PBG", building(120, 36), &["ktp", "pbb"])).unwrap();
        assert_eq!(v.fee, 324_000); // the PBG levy formula of PP 16/2021 with the example indices
        assert_eq!(v.checklist.iter().filter(|c| c.received).count(), 2);
        assert!(!v.documents_complete());
        let all: Vec<_> = v.service.documents.iter().map(|d| d.code).collect();
        assert!(validate_permit(&draft("PBG", building(120, 36), &all)).unwrap().documents_complete());
    }

    #[test]
    fn permit_errors_table() {
        let ad = |area, months| PermitDetails::Advertising {
            advertising_text: "Toko Berkah".into(),
            area_m2: area,
            location: "Jl. Raya".into(),
            months,
        };
        let business = |capital| PermitDetails::Business {
            business_name: "Warung Berkah".into(),
            business_type: "Warung sembako".into(),
            capital,
            location: "Kp. Cisalak".into(),
        };
        let cases = [
            ("service.unknown", draft("XYZ", building(100, 50), &[])),
            ("service.details_mismatch", draft("NIB", building(100, 50), &[])),
            ("area.exceeds_land", draft("PBG", building(50, 60), &[])),
            ("area.zero", draft("PBG", building(0, 0), &[])),
            ("area.above_kecamatan_authority", draft("PBG", building(500, 300), &[])),
            ("capital.out_of_range", draft("NIB", business(6_000_000_000), &[])),
            ("area.out_of_range", draft("REKLAME", ad(0, 3), &[])),
            ("months.out_of_range", draft("REKLAME", ad(2, 13), &[])),
            ("purpose.empty", draft("SKTM", PermitDetails::Certificate { purpose: " ".into() }, &[])),
            (
                "documents.unknown",
                draft("SKTM", PermitDetails::Certificate { purpose: "Sekolah".into() }, &["pbb"]),
            ),
        ];
        for (code, d) in cases {
            assert_eq!(codes(&validate_permit(&d).unwrap_err()), [code], "{code}");
        }
    }

    #[test]
    fn advertising_fee_counts_months() {
        let d = draft(
            "REKLAME",
            PermitDetails::Advertising {
                advertising_text: "Toko Berkah".into(),
                area_m2: 2,
                location: "Jl. Raya".into(),
                months: 6,
            },
            &["ktp"],
        );
        // The advertisement tax: 25 % of 2 m² × 6 months × Rp 25.000 (UU 1/2022; example rates).
        assert_eq!(validate_permit(&d).unwrap().fee, 75_000);
    }
}
