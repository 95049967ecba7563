//! The PATEN service catalogue of a kecamatan counter (Pelayanan Administrasi Terpadu
//! Kecamatan, Permendagri 4/2010): what each service needs, costs and promises.

/// A document the applicant hands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document {
    pub code: &'static str,
    pub name: &'static str,
}

/// How the fee or levy (retribusi) is computed, in rupiah.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fee {
    Free,
    Fixed(u64),
    /// Per square metre of building or advertising area.
    PerSquareMetre(u64),
    /// Per square metre of advertising area per month displayed.
    PerSquareMetreMonth(u64),
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
}

const KTP: Document = Document { code: "ktp", name: "Fotokopi KTP pemohon" };
const KK: Document = Document { code: "kk", name: "Fotokopi Kartu Keluarga" };
const PENGANTAR_RT: Document = Document { code: "pengantar_rt", name: "Surat pengantar RT/RW" };
const PENGANTAR_DESA: Document = Document { code: "pengantar_desa", name: "Surat pengantar desa/kelurahan" };
const PBB: Document = Document { code: "pbb", name: "Fotokopi SPPT PBB tahun berjalan" };
const BUKTI_TANAH: Document =
    Document { code: "bukti_tanah", name: "Bukti kepemilikan tanah (sertifikat/AJB/girik)" };

/// The catalogue.
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
        fee: Fee::PerSquareMetre(10_000),
        sla_days: 7,
    },
    Service {
        code: "IUMK",
        name: "Izin Usaha Mikro dan Kecil (IUMK)",
        kind: ServiceKind::Business,
        documents: &[
            KTP,
            KK,
            PENGANTAR_RT,
            PENGANTAR_DESA,
            Document { code: "pas_foto", name: "Pas foto 4x6 (2 lembar)" },
        ],
        fee: Fee::Free,
        sla_days: 3,
    },
    Service {
        code: "REKLAME",
        name: "Izin Reklame",
        kind: ServiceKind::Advertising,
        documents: &[
            KTP,
            Document { code: "desain", name: "Desain dan ukuran reklame" },
            Document { code: "foto_lokasi", name: "Foto lokasi pemasangan" },
            Document { code: "izin_pemilik", name: "Izin pemilik lahan/bangunan" },
        ],
        fee: Fee::PerSquareMetreMonth(15_000),
        sla_days: 5,
    },
    Service {
        code: "SKTM",
        name: "Surat Keterangan Tidak Mampu (SKTM)",
        kind: ServiceKind::Certificate,
        documents: &[KTP, KK, PENGANTAR_RT, PENGANTAR_DESA],
        fee: Fee::Free,
        sla_days: 1,
    },
    Service {
        code: "SKDU",
        name: "Surat Keterangan Domisili Usaha",
        kind: ServiceKind::BusinessDomicile,
        documents: &[
            KTP,
            PENGANTAR_DESA,
            Document { code: "foto_usaha", name: "Foto tempat usaha" },
            Document { code: "bukti_tempat", name: "Bukti kepemilikan/sewa tempat usaha" },
        ],
        fee: Fee::Free,
        sla_days: 2,
    },
];

/// A service by code.
pub fn service(code: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.code == code)
}

impl Service {
    pub fn document(&self, code: &str) -> Option<&'static Document> {
        self.documents.iter().find(|d| d.code == code)
    }
}

impl Fee {
    /// The amount for an area (m²) and a duration (months); unused inputs are ignored.
    pub fn amount(self, area_m2: u32, months: u32) -> u64 {
        match self {
            Fee::Free => 0,
            Fee::Fixed(x) => x,
            Fee::PerSquareMetre(x) => x * u64::from(area_m2),
            Fee::PerSquareMetreMonth(x) => x * u64::from(area_m2) * u64::from(months),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete_and_consistent() {
        for code in ["PBG", "IUMK", "REKLAME", "SKTM", "SKDU"] {
            let s = service(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!(!s.documents.is_empty() && s.sla_days > 0, "{code}");
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
        assert_eq!(Fee::PerSquareMetre(10_000).amount(36, 0), 360_000);
        assert_eq!(Fee::PerSquareMetreMonth(15_000).amount(2, 6), 180_000);
    }
}
