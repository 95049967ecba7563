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

/// One service of the counter.
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

const KTP: Document = Document { code: "ktp", name: "Fotokopi KTP pemohon" };
const KK: Document = Document { code: "kk", name: "Fotokopi Kartu Keluarga" };
const PENGANTAR_RT: Document = Document { code: "pengantar_rt", name: "Surat pengantar RT/RW" };
const PENGANTAR_DESA: Document = Document { code: "pengantar_desa", name: "Surat pengantar desa/kelurahan" };
const PBB: Document = Document { code: "pbb", name: "Fotokopi SPPT PBB tahun berjalan" };
const BUKTI_TANAH: Document =
    Document { code: "bukti_tanah", name: "Bukti kepemilikan tanah (sertifikat/AJB/girik)" };
const FOTO_USAHA: Document = Document { code: "foto_usaha", name: "Foto tempat usaha" };
const PAS_FOTO: Document = Document { code: "pas_foto", name: "Pas foto 4x6 (2 lembar)" };

/// The basis of the non-licensing letters a camat issues under PATEN; what each kabupaten/kota
/// delegates, and its requirements, are in its own Perbup/Perwal.
const PATEN_NONPERIZINAN: &str =
    "Permendagri 4/2010 (PATEN: pelayanan nonperizinan), Perbup/Perwal PATEN kabupaten/kota";

/// Every service of the counter delegated under PATEN (Permendagri 4/2010 on Pelayanan
/// Administrasi Terpadu Kecamatan: licensing and non-licensing services a bupati/wali kota
/// delegates to the camat by Perbup/Perwal). What a Banten kecamatan serves today; each entry
/// names its basis, and marks as an example what waits for the kabupaten/kota's own rule.
pub const SERVICES: &[Service] = &[
    Service {
        code: "PBG",
        name: "Persetujuan Bangunan Gedung (bangunan sederhana tidak bertingkat)",
        kind: ServiceKind::Building,
        documents: &[
            KTP,
            BUKTI_TANAH,
            PBB,
            Document { code: "denah", name: "Gambar denah dan tampak bangunan" },
            PENGANTAR_DESA,
        ],
        fee: Fee::PbgLevy(PbgLevy { shst: 4_500_000, ilo: 4, it: 500, ibg: 1000 }),
        sla_days: 7,
        legal_basis: "PP 16/2021 (PBG; rumus retribusi), Perda retribusi kabupaten/kota (UU 1/2022), pelimpahan ke camat dengan Perbup/Perwal",
        example: true,
        retired: false,
    },
    Service {
        code: "NIB",
        name: "Pendampingan pendaftaran NIB usaha mikro dan kecil (OSS)",
        kind: ServiceKind::Business,
        documents: &[KTP, PENGANTAR_DESA, FOTO_USAHA],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: "PP 5/2021 (perizinan berusaha berbasis risiko: NIB lewat OSS, tanpa biaya), PP 7/2021 Pasal 35 (usaha mikro dan kecil); menggantikan IUMK",
        example: false,
        retired: false,
    },
    Service {
        code: "IUMK",
        name: "Izin Usaha Mikro dan Kecil (IUMK) — tidak berlaku lagi, gunakan NIB",
        kind: ServiceKind::Business,
        documents: &[KTP, KK, PENGANTAR_RT, PENGANTAR_DESA, PAS_FOTO],
        fee: Fee::Free,
        sla_days: 3,
        legal_basis: "Perpres 98/2014, dicabut; usaha mikro dan kecil mendaftar NIB lewat OSS sejak PP 7/2021",
        example: false,
        retired: true,
    },
    Service {
        code: "REKLAME",
        name: "Izin penyelenggaraan reklame (dengan perkiraan pajak reklame)",
        kind: ServiceKind::Advertising,
        documents: &[
            KTP,
            Document { code: "desain", name: "Desain dan ukuran reklame" },
            Document { code: "foto_lokasi", name: "Foto lokasi pemasangan" },
            Document { code: "izin_pemilik", name: "Izin pemilik lahan/bangunan" },
        ],
        fee: Fee::AdvertisingTax(AdvertisingTax { tariff_percent: 25, rate_m2_month: 25_000, location: 1000 }),
        sla_days: 5,
        legal_basis: "UU 1/2022 (pajak reklame paling tinggi 25 % dari nilai sewa reklame), Perda pajak daerah dan Perbup/Perwal nilai sewa reklame",
        example: true,
        retired: false,
    },
    Service {
        code: "SKTM",
        name: "Surat Keterangan Tidak Mampu (SKTM)",
        kind: ServiceKind::Certificate,
        documents: &[KTP, KK, PENGANTAR_RT, PENGANTAR_DESA],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "SKDU",
        name: "Surat Keterangan Domisili Usaha",
        kind: ServiceKind::BusinessDomicile,
        documents: &[
            KTP,
            PENGANTAR_DESA,
            FOTO_USAHA,
            Document { code: "bukti_tempat", name: "Bukti kepemilikan/sewa tempat usaha" },
        ],
        fee: Fee::Free,
        sla_days: 2,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "DOMISILI",
        name: "Surat Keterangan Domisili",
        kind: ServiceKind::Certificate,
        documents: &[KTP, KK, PENGANTAR_RT, PENGANTAR_DESA],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "AHLI_WARIS",
        name: "Penguatan Surat Keterangan Ahli Waris",
        kind: ServiceKind::Certificate,
        documents: &[
            KTP,
            KK,
            Document { code: "akta_kematian", name: "Akta kematian pewaris" },
            Document { code: "pernyataan_waris", name: "Surat pernyataan ahli waris dengan dua saksi" },
            PENGANTAR_DESA,
        ],
        fee: Fee::Free,
        sla_days: 3,
        legal_basis: "Permen Agraria/Kepala BPN 3/1997 Pasal 111 (surat keterangan waris disaksikan dan dikuatkan kepala desa/lurah dan camat); Permendagri 4/2010",
        example: true,
        retired: false,
    },
    Service {
        code: "STATUS_KAWIN",
        name: "Surat Keterangan Status Perkawinan (belum/pernah kawin)",
        kind: ServiceKind::Certificate,
        documents: &[KTP, KK, PENGANTAR_RT, PENGANTAR_DESA],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "PENGANTAR_SKCK",
        name: "Surat Pengantar SKCK ke Polsek",
        kind: ServiceKind::Certificate,
        documents: &[KTP, KK, PENGANTAR_DESA, PAS_FOTO],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "KERAMAIAN",
        name: "Rekomendasi izin keramaian (acara, hajatan) ke Polsek",
        kind: ServiceKind::Certificate,
        documents: &[
            KTP,
            PENGANTAR_DESA,
            Document { code: "rincian_acara", name: "Surat permohonan dengan waktu, tempat dan jenis acara" },
        ],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: PATEN_NONPERIZINAN,
        example: true,
        retired: false,
    },
    Service {
        code: "DISPENSASI_NIKAH",
        name: "Dispensasi camat untuk pendaftaran nikah kurang dari 10 hari kerja",
        kind: ServiceKind::Certificate,
        documents: &[
            KTP,
            KK,
            Document { code: "pemberitahuan_kua", name: "Surat pemberitahuan kehendak nikah dari KUA" },
            PENGANTAR_DESA,
        ],
        fee: Fee::Free,
        sla_days: 1,
        legal_basis: "Permendagri 4/2010; pencatatan nikah kurang dari 10 hari kerja sejak pemberitahuan memerlukan dispensasi camat (peraturan Menteri Agama tentang pencatatan pernikahan)",
        example: true,
        retired: false,
    },
];

/// A service by code (retired ones too: earlier applications still read).
pub fn service(code: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.code == code)
}

/// The services offered for new applications.
pub fn offered() -> impl Iterator<Item = &'static Service> {
    SERVICES.iter().filter(|s| !s.retired)
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

    #[test]
    fn catalogue_is_complete_and_consistent() {
        let mut codes: Vec<_> = SERVICES.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SERVICES.len(), "service codes are unique");
        for s in SERVICES {
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
        assert!(service("IUMK").is_some_and(|s| s.retired));
        assert!(offered().all(|s| s.code != "IUMK"));
        assert!(offered().any(|s| s.code == "NIB" && s.fee == Fee::Free));
        assert!(offered().count() >= 10, "what a Banten kecamatan serves, not five letters");
    }
}
