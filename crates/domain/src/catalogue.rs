//! The PATEN service catalogue as data: the file a kabupaten/kota's catalogue is written in,
//! and its checks (`loket-server catalogue check` runs them before IT publishes one). The
//! default catalogue of Banten is such a file, `data/katalog-paten-banten.json`, read once
//! ([`crate::service::services`]). Format and procedure: docs/CATALOGUE.md.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::service::{AdvertisingTax, Document, Fee, PbgLevy, Service, ServiceKind};

/// The format this version reads (the file's `format`).
pub const FORMAT: &str = "loket-katalog-paten/1";

/// A catalogue file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFile {
    pub format: String,
    /// `36` (the province's default) or a kabupaten/kota (`36.01`).
    pub region: String,
    /// Raised at each change; an application keeps the version it was registered under.
    pub version: u32,
    /// `YYYY-MM-DD`: from when new applications use it.
    pub effective_from: String,
    /// The regulation the catalogue as a whole stands on (the Perbup/Perwal on PATEN).
    pub legal_basis: String,
    pub services: Vec<ServiceSpec>,
}

/// A service as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub code: String,
    pub name: String,
    pub kind: ServiceKind,
    pub documents: Vec<DocumentSpec>,
    pub fee: FeeSpec,
    pub sla_days: u32,
    pub legal_basis: String,
    /// An example pending the kabupaten/kota's own rule.
    #[serde(default)]
    pub example: bool,
    /// No longer offered (kept so that earlier applications read).
    #[serde(default)]
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    pub code: String,
    pub name: String,
}

/// A fee rule as the file writes it (`rule` names it; a typo in a rule does not parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeeSpec {
    Free,
    Fixed { amount: u64 },
    PbgLevy { shst: u64, ilo: u32, it: u32, ibg: u32 },
    AdvertisingTax { tariff_percent: u32, rate_m2_month: u64, location: u32 },
}

impl FeeSpec {
    fn fee(self) -> Fee {
        match self {
            Self::Free => Fee::Free,
            Self::Fixed { amount } => Fee::Fixed(amount),
            Self::PbgLevy { shst, ilo, it, ibg } => Fee::PbgLevy(PbgLevy { shst, ilo, it, ibg }),
            Self::AdvertisingTax { tariff_percent, rate_m2_month, location } => {
                Fee::AdvertisingTax(AdvertisingTax { tariff_percent, rate_m2_month, location })
            }
        }
    }
}

fn code_ok(code: &str, max: usize) -> bool {
    !code.is_empty()
        && code.len() <= max
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn text_ok(text: &str, max: usize) -> bool {
    let t = text.trim();
    !t.is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control)
}

/// Read and check a catalogue file: every problem is reported (in Bahasa Indonesia, for IT).
pub fn parse(json: &str) -> Result<CatalogueFile, Vec<String>> {
    let file: CatalogueFile =
        serde_json::from_str(json).map_err(|e| vec![format!("bukan berkas katalog: {e}")])?;
    let mut errors = Vec::new();
    if file.format != FORMAT {
        errors.push(format!("format {:?} tidak dikenal (harus {FORMAT:?})", file.format));
    }
    let region_ok = file.region == "36"
        || crate::region::catalogue()
            .get(&file.region)
            .is_some_and(|r| r.level == crate::region::Level::Regency);
    if !region_ok {
        errors.push(format!("wilayah {:?} bukan 36 (provinsi) atau kabupaten/kota Banten", file.region));
    }
    if file.version == 0 {
        errors.push("versi mulai dari 1".into());
    }
    if chrono::NaiveDate::parse_from_str(&file.effective_from, "%Y-%m-%d").is_err() {
        errors.push(format!("tanggal berlaku {:?} bukan YYYY-MM-DD", file.effective_from));
    }
    if !text_ok(&file.legal_basis, 300) {
        errors.push("dasar hukum katalog wajib diisi (paling panjang 300 karakter)".into());
    }
    if !file.services.iter().any(|s| !s.retired) {
        errors.push("katalog tanpa layanan".into());
    }
    let mut codes = BTreeSet::new();
    for s in &file.services {
        let at = format!("layanan {:?}", s.code);
        if !code_ok(&s.code, 40) {
            errors.push(format!("{at}: kode hanya huruf, angka dan _ (paling panjang 40)"));
        }
        if !codes.insert(s.code.as_str()) {
            errors.push(format!("{at}: kode tercantum dua kali"));
        }
        if !text_ok(&s.name, 150) {
            errors.push(format!("{at}: nama wajib diisi (paling panjang 150 karakter)"));
        }
        if !text_ok(&s.legal_basis, 300) {
            errors.push(format!("{at}: dasar hukum wajib diisi (paling panjang 300 karakter)"));
        }
        if !(1..=60).contains(&s.sla_days) {
            errors.push(format!("{at}: waktu layanan 1 sampai 60 hari kerja"));
        }
        if s.documents.is_empty() {
            errors.push(format!("{at}: tanpa persyaratan dokumen"));
        }
        let mut docs = BTreeSet::new();
        for d in &s.documents {
            if !code_ok(&d.code, 40) || !text_ok(&d.name, 150) {
                errors.push(format!("{at}: dokumen {:?} tidak sah", d.code));
            }
            if !docs.insert(d.code.as_str()) {
                errors.push(format!("{at}: dokumen {:?} tercantum dua kali", d.code));
            }
        }
        match s.fee {
            FeeSpec::PbgLevy { shst, ilo, it, ibg } if shst == 0 || ilo == 0 || it == 0 || ibg == 0 => {
                errors.push(format!("{at}: indeks retribusi PBG tidak boleh nol"));
            }
            FeeSpec::PbgLevy { .. } if s.kind != ServiceKind::Building => {
                errors.push(format!("{at}: retribusi PBG hanya untuk layanan bangunan"));
            }
            FeeSpec::AdvertisingTax { tariff_percent, .. } if !(1..=25).contains(&tariff_percent) => {
                errors.push(format!("{at}: tarif pajak reklame 1 sampai 25 % (UU 1/2022)"));
            }
            FeeSpec::AdvertisingTax { .. } if s.kind != ServiceKind::Advertising => {
                errors.push(format!("{at}: pajak reklame hanya untuk layanan reklame"));
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

impl CatalogueFile {
    /// The services, for the life of the process (a catalogue is read once and kept).
    pub fn into_services(self) -> &'static [Service] {
        let services: Vec<Service> = self
            .services
            .iter()
            .map(|s| Service {
                code: leak(&s.code),
                name: leak(&s.name),
                kind: s.kind,
                documents: Box::leak(
                    s.documents
                        .iter()
                        .map(|d| Document { code: leak(&d.code), name: leak(&d.name) })
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
                fee: s.fee.fee(),
                sla_days: s.sla_days,
                legal_basis: leak(&s.legal_basis),
                example: s.example,
                retired: s.retired,
            })
            .collect();
        Box::leak(services.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../data/katalog-paten-banten.json");

    #[test]
    fn the_default_catalogue_of_banten_is_a_valid_file() {
        let file = parse(DEFAULT).unwrap();
        assert_eq!((file.region.as_str(), file.version), ("36", 1));
        assert!(file.services.len() >= 12);
    }

    #[test]
    fn every_problem_of_a_file_is_reported() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["region"] = "36.99".into();
        v["services"][1]["code"] = "PBG".into();
        v["services"][0]["documents"] = serde_json::json!([]);
        v["services"][3]["fee"] = serde_json::json!({"rule": "advertising_tax", "tariff_percent": 40, "rate_m2_month": 1, "location": 1});
        v["services"][4]["sla_days"] = 0.into();
        let errors = parse(&v.to_string()).unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors.iter().any(|e| e.contains("dua kali")) && errors.iter().any(|e| e.contains("25 %")));
        // A typo in a fee rule, or a field the format does not have, does not parse at all.
        v["services"][3]["fee"] = serde_json::json!({"rule": "flat", "amount": 1});
        assert!(parse(&v.to_string()).unwrap_err()[0].starts_with("bukan berkas katalog"));
        assert!(parse("{}").is_err());
    }
}
