//! The kind-specific `details` of a registration, as the wire carries them. The desktop's store
//! encodes them from validated domain values with these types, and the server decodes them
//! with the same types to validate them again: one shape, written once, no unknown keys. A
//! permit's details are the domain's own `PermitDetails` (tagged by `type`, closed).

use serde::{Deserialize, Serialize};

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
    use loket_domain::permit::PermitDetails;

    #[test]
    fn permit_details_are_tagged_and_closed() {
        let d = PermitDetails::Certificate { purpose: "Melamar kerja".into() };
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(text, r#"{"type":"certificate","purpose":"Melamar kerja"}"#);
        assert_eq!(serde_json::from_str::<PermitDetails>(&text).unwrap(), d);
        for bad in [
            r#"{"type":"certificate","purpose":"x","extra":"y"}"#,
            r#"{"type":"certificate","purpose":5}"#,
            r#"{"type":"building","location":"x","land_area_m2":-1,"building_area_m2":1,"building_use":"x"}"#,
            r#"{"type":"iumk"}"#,
        ] {
            assert!(serde_json::from_str::<PermitDetails>(bad).is_err(), "{bad}");
        }
        assert!(
            serde_json::from_str::<BansosDetails>(r#"{"monthly_income":1,"category":"x","a":[]}"#).is_err()
        );
    }
}
