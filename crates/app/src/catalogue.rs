//! What the forms offer: kecamatan and desa, aid programmes, PATEN services, categories,
//! golongan, and the office this installation serves.

use loket_domain::aid::{BANSOS_CATEGORIES, PROGRAMMES};
use loket_domain::region::{catalogue, Level};
use loket_domain::staff;

use crate::dto::{
    CategoryDto, DocumentDto, GolonganDto, KecamatanDto, OfficeDto, ProgrammeDto, RegionDto, ServiceDto,
};
use crate::{present, AppError, Loket};

impl Loket {
    /// The 155 kecamatan of Banten with their kabupaten/kota.
    pub fn kecamatan_list(&self) -> Vec<KecamatanDto> {
        catalogue().kecamatan().map(present::kecamatan).collect()
    }

    /// Desa and kelurahan of one kecamatan.
    pub fn villages(&self, kecamatan_code: &str) -> Vec<RegionDto> {
        catalogue()
            .villages_of(kecamatan_code)
            .map(|r| RegionDto { code: r.code.to_string(), name: present::village_name(r) })
            .collect()
    }

    /// The aid programmes (bansos and hibah) with their periods.
    pub fn programmes(&self) -> Vec<ProgrammeDto> {
        PROGRAMMES
            .iter()
            .map(|p| ProgrammeDto {
                code: p.code.to_string(),
                name: p.name.to_string(),
                kind: p.kind,
                period: p.period.to_string(),
            })
            .collect()
    }

    /// The PATEN services of the counter: those offered by the catalogue version in effect for
    /// this office today (its kabupaten/kota's, as the province published it, else the default).
    pub fn services(&self) -> Result<Vec<ServiceDto>, AppError> {
        Ok(self
            .catalogue_in_effect()?
            .offered()
            .map(|s| ServiceDto {
                code: s.code.to_string(),
                name: s.name.to_string(),
                kind: s.kind,
                documents: s
                    .documents
                    .iter()
                    .map(|d| DocumentDto { code: d.code.to_string(), name: d.name.to_string() })
                    .collect(),
                fee_rule: present::fee_rule(s.fee),
                sla_days: s.sla_days,
                legal_basis: s.legal_basis.to_string(),
                example: s.example,
            })
            .collect())
    }

    /// The catalogue version new applications of this office use today.
    pub(crate) fn catalogue_in_effect(
        &self,
    ) -> Result<&'static loket_domain::catalogue::Catalogue, AppError> {
        let office = self.store().office_kecamatan()?.unwrap_or_default();
        Ok(loket_domain::catalogue::in_effect(&office, crate::today()))
    }

    /// Bansos recipient categories.
    pub fn categories(&self) -> Vec<CategoryDto> {
        BANSOS_CATEGORIES
            .iter()
            .map(|c| CategoryDto { code: c.code.to_string(), name: c.name.to_string() })
            .collect()
    }

    /// Golongan/ruang of PNS and golongan of PPPK, for the staff form.
    pub fn golongan(&self) -> GolonganDto {
        GolonganDto {
            pns: staff::PNS_GOLONGAN.iter().map(|g| g.to_string()).collect(),
            pppk: staff::PPPK_GOLONGAN.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// The configured office, if any.
    pub fn office(&self) -> Result<Option<OfficeDto>, AppError> {
        self.not_wiped()?;
        let mut store = self.store();
        let Some(code) = store.office_kecamatan()? else { return Ok(None) };
        let region = catalogue().get(&code).ok_or_else(|| AppError::UnknownKecamatan(code.clone()))?;
        Ok(Some(OfficeDto {
            kecamatan: present::kecamatan(region),
            device_code: store.device_code()?,
            enrolled: store.enrollment()?.is_some(),
        }))
    }

    /// Choose which kecamatan office this installation serves.
    pub fn set_office(&self, kecamatan_code: &str) -> Result<OfficeDto, AppError> {
        self.not_wiped()?;
        if self.store().enrollment()?.is_some() {
            return Err(AppError::OfficeEnrolled);
        }
        self.acting()?;
        let region = catalogue()
            .get(kecamatan_code)
            .filter(|r| r.level == Level::District)
            .ok_or_else(|| AppError::UnknownKecamatan(kecamatan_code.to_string()))?;
        self.store().set_office_kecamatan(region.code)?;
        tracing::info!(kecamatan = region.code, "office configured");
        self.office()?.ok_or(AppError::OfficeNotConfigured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::configured;

    #[test]
    fn office_must_be_a_banten_kecamatan() {
        let dir = tempfile::tempdir().unwrap();
        let loket = Loket::open(dir.path(), &crate::KeySource::Given(crate::StoreKey::generate())).unwrap();
        assert_eq!(loket.set_office("36.01.01").unwrap_err().code(), "first_user_required");
        let first = crate::dto::FirstUserInput {
            username: "petugas".into(),
            full_name: "Petugas".into(),
            password: crate::test_support::FIRST_PASSWORD.into(),
        };
        loket.create_first_user(first.clone()).unwrap();
        assert_eq!(loket.create_first_user(first).unwrap_err().code(), "users_exist");
        assert_eq!(loket.set_office("36.01").unwrap_err().code(), "unknown_kecamatan");
        assert_eq!(
            loket.register_bansos(crate::test_support::bansos("3601011205900001")).unwrap_err().code(),
            "office_not_configured"
        );
        let office = loket.set_office("36.01.01").unwrap();
        assert_eq!(office.kecamatan.regency, "Kabupaten Pandeglang");
    }

    #[test]
    fn lists_are_complete() {
        let dir = tempfile::tempdir().unwrap();
        let loket = Loket::open(dir.path(), &crate::KeySource::Given(crate::StoreKey::generate())).unwrap();
        assert_eq!(loket.kecamatan_list().len(), 155);
        assert!(loket.villages("36.01.01").iter().all(|v| v.code.starts_with("36.01.01.")));
        assert_eq!(loket.programmes().len(), PROGRAMMES.len());
        assert_eq!(loket.categories().len(), BANSOS_CATEGORIES.len());
    }

    #[test]
    fn services_carry_documents_and_fee_rules() {
        let (_dir, loket) = configured();
        let services = loket.services().unwrap();
        let rule = |code: &str| services.iter().find(|s| s.code == code).unwrap().fee_rule.clone();
        assert_eq!(
            services.len(),
            loket_domain::catalogue::default_catalogue().offered().count(),
            "the default catalogue"
        );
        assert_eq!(rule("SKTM"), "Gratis");
        assert_eq!(
            rule("PBG"),
            "Retribusi PBG = luas lantai × SHST Rp 4.500.000 × Ilo 0,004 × It 0,5 × Ibg 1"
        );
        assert_eq!(
            rule("REKLAME"),
            "Pajak reklame 25 % × nilai sewa (luas × bulan × Rp 25.000 per m² per bulan × indeks lokasi 1)"
        );
        let pbg = services.iter().find(|s| s.code == "PBG").unwrap();
        assert!(pbg.example && pbg.legal_basis.contains("PP 16/2021"));
        assert_eq!(present::rupiah(5_000_000_000), "5.000.000.000");
        assert_eq!(present::rupiah(999), "999");
    }
}
