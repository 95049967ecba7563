//! The PATEN service catalogue of a kecamatan counter (Pelayanan Administrasi Terpadu
//! Kecamatan, Permendagri 4/2010): what each service needs, costs and promises.

/// A document the applicant hands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document {
    pub code: &'static str,
    pub name: &'static str,
}

/// How the fee, levy (retribusi) or tax an applicant pays is computed, in rupiah. Each
/// kabupaten/kota sets the amounts by its own regulation; the parameters here are what its
/// regulation fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fee {
    Free,
    Fixed(u64),
    /// Retribusi PBG as PP 16/2021 (Bangunan Gedung) sets its formula and each kabupaten/kota's
    /// Perda on regional levies (UU 1/2022) its indices: floor area (LLt) × SHST × Ilo × It × Ibg.
    PbgLevy(PbgLevy),
    /// Pajak reklame (UU 1/2022, HKPD: at most 25 % of the advertisement's rental value, NSR):
    /// tariff × NSR, the NSR being area × months × the rate per m² per month × the location
    /// index the Perkada sets. A regional tax paid to the Bapenda, estimated at the counter.
    AdvertisingTax(AdvertisingTax),
}

/// The indices of the PBG levy formula (per mille, so that 0,4 % is 4 and 0,5 is 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PbgLevy {
    /// Standar harga satuan tertinggi of a building, rupiah per m² (Perkada).
    pub shst: u64,
    /// Indeks lokalitas, ‰ of SHST (Perda).
    pub ilo: u32,
    /// Indeks terintegrasi (building function, classification, ownership), ‰.
    pub it: u32,
    /// Indeks bangunan gedung terbangun (1,00 for a new building), ‰.
    pub ibg: u32,
}

/// The parameters of the advertisement tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertisingTax {
    /// Tax rate, % of the NSR (at most 25).
    pub tariff_percent: u32,
    /// Base rental value, rupiah per m² per month (Perkada).
    pub rate_m2_month: u64,
    /// Location index, ‰ (1000: an ordinary street).
    pub location: u32,
}

/// What kind of details a service's application carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ServiceKind {
    Building,
    Business,
    Advertising,
    Certificate,
    BusinessDomicile,
}

/// One service of the counter (read from a catalogue file, [`crate::catalogue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: ServiceKind,
    pub documents: &'static [Document],
    pub fee: Fee,
    /// Service-time standard in working days.
    pub sla_days: u32,
    /// The regulation the service, its requirements and its fee stand on.
    pub legal_basis: &'static str,
    /// Requirements, fee or time are an example pending the kabupaten/kota's own regulation
    /// (its Perbup/Perwal on PATEN and its Perda on levies).
    pub example: bool,
    /// No longer offered for new applications (kept so that earlier ones still read).
    pub retired: bool,
}

impl Service {
    pub fn document(&self, code: &str) -> Option<&'static Document> {
        self.documents.iter().find(|d| d.code == code)
    }
}

impl Fee {
    /// The amount for an area (m²) and a duration (months), in whole rupiah (rounded down);
    /// unused inputs are ignored.
    pub fn amount(self, area_m2: u32, months: u32) -> u64 {
        let whole = |x: u128| u64::try_from(x).unwrap_or(u64::MAX);
        match self {
            Fee::Free => 0,
            Fee::Fixed(x) => x,
            Fee::PbgLevy(p) => whole(
                u128::from(area_m2)
                    * u128::from(p.shst)
                    * u128::from(p.ilo)
                    * u128::from(p.it)
                    * u128::from(p.ibg)
                    / 1_000_000_000,
            ),
            Fee::AdvertisingTax(t) => {
                let nsr = u128::from(area_m2)
                    * u128::from(months)
                    * u128::from(t.rate_m2_month)
                    * u128::from(t.location)
                    / 1000;
                whole(nsr * u128::from(t.tariff_percent) / 100)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> &'static crate::catalogue::Catalogue {
        crate::catalogue::default_catalogue()
    }

    #[test]
    fn catalogue_is_complete_and_consistent() {
        let mut codes: Vec<_> = default().services.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), default().services.len(), "service codes are unique");
        for s in default().services {
            let code = s.code;
            assert!(!s.documents.is_empty() && s.sla_days > 0 && !s.legal_basis.is_empty(), "{code}");
            let mut codes: Vec<_> = s.documents.iter().map(|d| d.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), s.documents.len(), "{code} has duplicate documents");
        }
    }

    #[test]
    fn fees() {
        assert_eq!(Fee::Free.amount(100, 3), 0);
        assert_eq!(Fee::Fixed(50_000).amount(100, 3), 50_000);
    }

    /// PP 16/2021: retribusi PBG = LLt × SHST × Ilo × It × Ibg. A 36 m² house where the Perda
    /// sets SHST Rp 4.500.000/m², Ilo 0,4 %, It 0,5 and a new building (Ibg 1): Rp 324.000.
    #[test]
    fn pp_16_2021_pbg_levy_is_the_formula_of_its_indices() {
        let levy = Fee::PbgLevy(PbgLevy { shst: 4_500_000, ilo: 4, it: 500, ibg: 1000 });
        assert_eq!(levy.amount(36, 0), 324_000);
        assert_eq!(levy.amount(0, 0), 0);
        // Not a flat rate per m²: another Perda's indices give another levy for the same house.
        let other = Fee::PbgLevy(PbgLevy { shst: 3_800_000, ilo: 5, it: 400, ibg: 1000 });
        assert_eq!(other.amount(36, 0), 273_600);
        // Rounded down to whole rupiah.
        assert_eq!(Fee::PbgLevy(PbgLevy { shst: 1_000_001, ilo: 1, it: 1, ibg: 1 }).amount(1, 0), 0);
    }

    /// UU 1/2022: pajak reklame at most 25 % of the rental value (NSR); the NSR is area ×
    /// months × the Perkada's rate × the location index. 2 m² for 6 months at Rp 25.000 per m²
    /// per month on an ordinary street: NSR Rp 300.000, tax Rp 75.000; on a main road (index
    /// 1,5): Rp 112.500.
    #[test]
    fn uu_1_2022_advertisement_tax_is_a_share_of_the_rental_value() {
        let tax = |location| {
            Fee::AdvertisingTax(AdvertisingTax { tariff_percent: 25, rate_m2_month: 25_000, location })
        };
        assert_eq!(tax(1000).amount(2, 6), 75_000);
        assert_eq!(tax(1500).amount(2, 6), 112_500);
        assert_eq!(tax(1000).amount(2, 0), 0, "no months displayed, no tax");
    }

    /// PP 7/2021 replaced IUMK with the NIB issued through OSS: IUMK is kept so that earlier
    /// applications read, but is no longer offered.
    #[test]
    fn pp_7_2021_micro_businesses_get_a_nib_not_an_iumk() {
        assert!(default().service("IUMK").is_some_and(|s| s.retired));
        assert!(default().offered().all(|s| s.code != "IUMK"));
        assert!(default().offered().any(|s| s.code == "NIB" && s.fee == Fee::Free));
        assert!(default().offered().count() >= 10, "what a Banten kecamatan serves, not five letters");
    }
}
