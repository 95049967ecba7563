//! The kind-specific `details` of a registration, as the wire carries them. The desktop's store
//! encodes them from validated domain values with these types, and the server decodes them
//! with the same types to validate them again: one shape, written once, no unknown keys.

use loket_domain::permit::PermitDetails;
use serde::{Deserialize, Serialize};

/// A permit's details, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PermitDetailsData {
    Building { location: String, land_area_m2: u32, building_area_m2: u32, building_use: String },
    Business { business_name: String, business_type: String, capital: i64, location: String },
    Advertising { advertising_text: String, area_m2: u32, location: String, months: u32 },
    Certificate { purpose: String },
    BusinessDomicile { business_name: String, business_type: String, location: String },
}

impl From<&PermitDetails> for PermitDetailsData {
    fn from(d: &PermitDetails) -> Self {
        match d.clone() {
            PermitDetails::Building { location, land_area_m2, building_area_m2, building_use } => {
                Self::Building { location, land_area_m2, building_area_m2, building_use }
            }
            PermitDetails::Business { business_name, business_type, capital, location } => {
                Self::Business { business_name, business_type, capital, location }
            }
            PermitDetails::Advertising { advertising_text, area_m2, location, months } => {
                Self::Advertising { advertising_text, area_m2, location, months }
            }
            PermitDetails::Certificate { purpose } => Self::Certificate { purpose },
            PermitDetails::BusinessDomicile { business_name, business_type, location } => {
                Self::BusinessDomicile { business_name, business_type, location }
            }
        }
    }
}

impl From<PermitDetailsData> for PermitDetails {
    fn from(d: PermitDetailsData) -> Self {
        use PermitDetailsData as D;
        match d {
            D::Building { location, land_area_m2, building_area_m2, building_use } => {
                Self::Building { location, land_area_m2, building_area_m2, building_use }
            }
            D::Business { business_name, business_type, capital, location } => {
                Self::Business { business_name, business_type, capital, location }
            }
            D::Advertising { advertising_text, area_m2, location, months } => {
                Self::Advertising { advertising_text, area_m2, location, months }
            }
            D::Certificate { purpose } => Self::Certificate { purpose },
            D::BusinessDomicile { business_name, business_type, location } => {
                Self::BusinessDomicile { business_name, business_type, location }
            }
        }
    }
}

/// A bansos application's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BansosDetails {
    /// Household income per month, rupiah.
    pub monthly_income: i64,
    /// Code of the recipient category.
    pub category: String,
}

/// A hibah application's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HibahDetails {
    pub legal_basis: String,
    pub npwp: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder: String,
    pub secretary_nik: String,
    pub secretary_name: String,
    pub amount_proposed: i64,
    pub rab_total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permit_details_are_tagged_and_closed() {
        let d = PermitDetails::Certificate { purpose: "Melamar kerja".into() };
        let text = serde_json::to_string(&PermitDetailsData::from(&d)).unwrap();
        assert_eq!(text, r#"{"type":"certificate","purpose":"Melamar kerja"}"#);
        let back: PermitDetailsData = serde_json::from_str(&text).unwrap();
        assert_eq!(PermitDetails::from(back), d);
        for bad in [
            r#"{"type":"certificate","purpose":"x","extra":"y"}"#,
            r#"{"type":"certificate","purpose":5}"#,
            r#"{"type":"building","location":"x","land_area_m2":-1,"building_area_m2":1,"building_use":"x"}"#,
            r#"{"type":"iumk"}"#,
        ] {
            assert!(serde_json::from_str::<PermitDetailsData>(bad).is_err(), "{bad}");
        }
        assert!(
            serde_json::from_str::<BansosDetails>(r#"{"monthly_income":1,"category":"x","a":[]}"#).is_err()
        );
    }
}
