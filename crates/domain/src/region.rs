//! Reference regions (kode wilayah, Kepmendagri No. 300.2.2-2430 Tahun 2025).
//!
//! Two lists are compiled in: every region of Banten down to desa/kelurahan (for addresses and
//! offices), and every kecamatan of Indonesia (so that a NIK issued outside Banten is still
//! recognised). Both are parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

const BANTEN_CSV: &str = include_str!("../data/wilayah-banten.csv");
const INDONESIA_KECAMATAN_CSV: &str = include_str!("../data/wilayah-indonesia-kecamatan.csv");

/// Administrative level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Province,
    Regency,
    District,
    UrbanVillage,
    Village,
}

impl Level {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "provinsi" => Self::Province,
            "kabupaten_kota" => Self::Regency,
            "kecamatan" => Self::District,
            "kelurahan" => Self::UrbanVillage,
            "desa" => Self::Village,
            _ => return None,
        })
    }
}

/// One region with its dotted code (`36.01.01.2001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
}

impl Region {
    /// The code of the parent region (`36.01.01` for `36.01.01.2001`), if any.
    pub fn parent_code(&self) -> Option<&'static str> {
        self.code.rfind('.').map(|i| &self.code[..i])
    }

    /// True for desa and kelurahan.
    pub fn is_village(&self) -> bool {
        matches!(self.level, Level::Village | Level::UrbanVillage)
    }
}

/// The parsed reference lists.
pub struct Catalogue {
    banten: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
    /// Six-digit kecamatan codes of all Indonesia, without dots, with their names.
    national_kecamatan: HashMap<String, &'static str>,
}

fn parse_rows(csv: &'static str) -> impl Iterator<Item = Region> {
    csv.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|line| {
        let mut parts = line.splitn(3, ',');
        let code = parts.next().unwrap_or_default();
        let name = parts.next().unwrap_or_default();
        let level = parts.next().and_then(|l| Level::parse(l.trim()));
        // The files are compiled in and checked by tests: a malformed row is a build defect.
        let level = level.unwrap_or_else(|| panic!("bad level in reference row {line:?}"));
        Region { code, name, level }
    })
}

impl Catalogue {
    fn load() -> Self {
        let banten: Vec<Region> = parse_rows(BANTEN_CSV).collect();
        let by_code = banten.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
        let national_kecamatan = parse_rows(INDONESIA_KECAMATAN_CSV)
            .filter(|r| r.level == Level::District)
            .map(|r| (r.code.replace('.', ""), r.name))
            .collect();
        Self { banten, by_code, national_kecamatan }
    }

    /// A Banten region by dotted code.
    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.banten[i])
    }

    /// All regions of Banten in reference order.
    pub fn banten(&self) -> &[Region] {
        &self.banten
    }

    /// Banten regions of one level.
    pub fn of_level(&self, level: Level) -> impl Iterator<Item = &Region> {
        self.banten.iter().filter(move |r| r.level == level)
    }

    /// The kecamatan of Banten.
    pub fn kecamatan(&self) -> impl Iterator<Item = &Region> {
        self.of_level(Level::District)
    }

    /// Desa and kelurahan of one kecamatan, by the kecamatan's dotted code.
    pub fn villages_of<'a>(&'a self, kecamatan_code: &'a str) -> impl Iterator<Item = &'a Region> {
        self.banten.iter().filter(move |r| r.is_village() && r.parent_code() == Some(kecamatan_code))
    }

    /// Name of any Indonesian kecamatan by its six-digit code (as in a NIK), if known.
    pub fn national_kecamatan_name(&self, six_digits: &str) -> Option<&'static str> {
        self.national_kecamatan.get(six_digits).copied()
    }
}

/// The process-wide catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(Catalogue::load)
}

/// `360101` → `36.01.01`. Returns `None` unless given exactly six ASCII digits.
pub fn dotted_kecamatan(six_digits: &str) -> Option<String> {
    if six_digits.len() != 6 || !six_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}.{}.{}", &six_digits[0..2], &six_digits[2..4], &six_digits[4..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banten_counts_match_the_reference() {
        let c = catalogue();
        assert_eq!(c.of_level(Level::Province).count(), 1);
        assert_eq!(c.of_level(Level::Regency).count(), 8);
        assert_eq!(c.kecamatan().count(), 155);
        assert_eq!(c.of_level(Level::UrbanVillage).count(), 314);
        assert_eq!(c.of_level(Level::Village).count(), 1238);
    }

    #[test]
    fn national_kecamatan_count_matches_the_reference() {
        assert_eq!(catalogue().national_kecamatan.len(), 7285);
    }

    #[test]
    fn every_banten_village_has_a_known_kecamatan() {
        let c = catalogue();
        for v in c.banten().iter().filter(|r| r.is_village()) {
            let parent = v.parent_code().unwrap();
            assert_eq!(c.get(parent).map(|r| r.level), Some(Level::District), "{}", v.code);
        }
    }

    #[test]
    fn villages_of_sumur() {
        let names: Vec<_> = catalogue().villages_of("36.01.01").map(|r| r.name).collect();
        assert!(names.contains(&"Sumberjaya"), "{names:?}");
        assert!(names.len() > 3);
    }

    #[test]
    fn dotted_kecamatan_cases() {
        assert_eq!(dotted_kecamatan("360101").as_deref(), Some("36.01.01"));
        assert_eq!(dotted_kecamatan("36010"), None);
        assert_eq!(dotted_kecamatan("3601a1"), None);
    }

    #[test]
    fn national_lookup_knows_aceh_and_banten() {
        let c = catalogue();
        assert_eq!(c.national_kecamatan_name("110101"), Some("Bakongan"));
        assert_eq!(c.national_kecamatan_name("360101"), Some("Sumur"));
        assert_eq!(c.national_kecamatan_name("999999"), None);
    }
}
