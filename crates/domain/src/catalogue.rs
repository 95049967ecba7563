//! The PATEN service catalogue as data: the file a kabupaten/kota's catalogue is written in,
//! its checks (`loket-server catalogue check` runs them before IT publishes one), and the
//! versions this process knows. The default catalogue of Banten is such a file,
//! `data/katalog-paten-banten.json` (region `36`, version 1); IT publishes a kabupaten/kota's
//! own versions, each from an effective date ([`in_effect`]), and an application keeps the
//! version it was registered under ([`find`]). Format and procedure: docs/CATALOGUE.md.

use std::collections::BTreeSet;
use std::sync::{LazyLock, RwLock};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

/// The default catalogue of Banten, as data.
pub const DEFAULT: &str = include_str!("../data/katalog-paten-banten.json");

/// Which catalogue version an application was registered under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueRef {
    pub region: String,
    pub version: u32,
}

/// A catalogue version this process knows, kept for its life (versions are few, and an
/// application may need its own years later).
#[derive(Debug, PartialEq, Eq)]
pub struct Catalogue {
    pub region: &'static str,
    pub version: u32,
    pub effective_from: NaiveDate,
    pub legal_basis: &'static str,
    pub services: &'static [Service],
}

impl Catalogue {
    /// A service by code (retired ones too: earlier applications still read).
    pub fn service(&self, code: &str) -> Option<&'static Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// The services offered for new applications.
    pub fn offered(&self) -> impl Iterator<Item = &'static Service> {
        self.services.iter().filter(|s| !s.retired)
    }

    pub fn reference(&self) -> CatalogueRef {
        CatalogueRef { region: self.region.to_string(), version: self.version }
    }

    /// The default catalogue (region `36`, version 1), which every application registered
    /// without naming one was registered under.
    pub fn is_default(&self) -> bool {
        self.region == "36" && self.version == 1
    }
}

static REGISTRY: LazyLock<RwLock<Vec<&'static Catalogue>>> = LazyLock::new(|| {
    let file = parse(DEFAULT)
        .unwrap_or_else(|errors| panic!("the shipped catalogue is checked by its tests: {errors:?}"));
    RwLock::new(vec![file.into_catalogue()])
});

fn registry() -> std::sync::RwLockReadGuard<'static, Vec<&'static Catalogue>> {
    REGISTRY.read().unwrap_or_else(|p| p.into_inner())
}

/// The default catalogue of Banten.
pub fn default_catalogue() -> &'static Catalogue {
    registry()[0]
}

/// Keep a checked catalogue version; a version already known is kept as it was (a published
/// version never changes).
pub fn register(file: CatalogueFile) -> &'static Catalogue {
    if let Some(known) = find(&file.region, file.version) {
        return known;
    }
    let mut all = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = all.iter().find(|c| c.region == file.region && c.version == file.version) {
        return known;
    }
    let c = file.into_catalogue();
    all.push(c);
    c
}

/// The catalogue version `region`/`version`, if this process knows it.
pub fn find(region: &str, version: u32) -> Option<&'static Catalogue> {
    registry().iter().copied().find(|c| c.region == region && c.version == version)
}

/// The catalogue of an application registered under `r` (`None`: the default).
pub fn of(r: Option<&CatalogueRef>) -> Option<&'static Catalogue> {
    match r {
        None => Some(default_catalogue()),
        Some(r) => find(&r.region, r.version),
    }
}

/// Every version this process knows.
pub fn known() -> Vec<CatalogueRef> {
    registry().iter().map(|c| c.reference()).collect()
}

/// The catalogue new applications of `office` use on `on`: its kabupaten/kota's latest version
/// in effect, else the province's, else the default.
pub fn in_effect(office: &str, on: NaiveDate) -> &'static Catalogue {
    let regency = office.get(..5).unwrap_or(office);
    let all = registry();
    let latest = |region: &str| {
        all.iter().copied().filter(|c| c.region == region && c.effective_from <= on).max_by_key(|c| c.version)
    };
    latest(regency).or_else(|| latest("36")).unwrap_or(all[0])
}

impl CatalogueFile {
    fn into_catalogue(self) -> &'static Catalogue {
        let effective_from =
            NaiveDate::parse_from_str(&self.effective_from, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
        let (region, version, legal_basis) = (leak(&self.region), self.version, leak(&self.legal_basis));
        Box::leak(Box::new(Catalogue {
            region,
            version,
            effective_from,
            legal_basis,
            services: self.into_services(),
        }))
    }

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

    #[test]
    fn the_default_catalogue_of_banten_is_a_valid_file() {
        let file = parse(DEFAULT).unwrap();
        assert_eq!((file.region.as_str(), file.version), ("36", 1));
        assert!(file.services.len() >= 12);
    }

    #[test]
    fn new_applications_use_the_version_in_effect_and_old_ones_keep_theirs() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["region"] = "36.04".into(); // Kabupaten Serang
        v["version"] = 2.into();
        v["effective_from"] = "2027-01-01".into();
        v["services"][0]["fee"]["shst"] = 5_000_000.into();
        let v2 = register(parse(&v.to_string()).unwrap());
        assert_eq!(in_effect("36.04.05", d("2026-12-31")), default_catalogue(), "not yet in effect");
        assert_eq!(in_effect("36.04.05", d("2027-01-01")), v2);
        assert_eq!(in_effect("36.01.01", d("2027-06-01")), default_catalogue(), "another kabupaten");
        assert_eq!(find("36.04", 2), Some(v2));
        assert_eq!(of(None), Some(default_catalogue()));
        assert_eq!(of(Some(&CatalogueRef { region: "36.04".into(), version: 3 })), None);
        // A version is registered once: the same version again is the first one.
        v["services"][0]["fee"]["shst"] = 1.into();
        assert!(std::ptr::eq(register(parse(&v.to_string()).unwrap()), v2));
        assert!(known().contains(&CatalogueRef { region: "36.04".into(), version: 2 }));
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
