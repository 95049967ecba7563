//! What of a record is personal data, and how it is removed once the record's retention period
//! is over (`loket-server retention run`, docs/RETENTION.md). One list, used by the server on its
//! own rows and change feed and by devices on what they keep.
//!
//! What stays is what statistics need: kind, service, programme and period, status and its
//! history, dates, desa/kelurahan, fees and amounts, income band, category, organisation names
//! (an organisation is not a natural person), registration numbers, checklists.

use serde_json::Value;

/// Optional values that identify a person: become `null`.
const CLEARED: &[&str] = &["applicant_nik", "kk", "applicant_phone"];
/// Text that identifies or describes a person: becomes `""` (the field stays, so every reader
/// still decodes the record).
const BLANKED: &[&str] = &[
    "applicant_name",
    "applicant_address",
    "full_name",
    "secretary_nik",
    "secretary_name",
    "account_number",
    "account_holder",
    "npwp",
    "note",
    "file_name",
    "location",
    "purpose",
    "business_name",
    "message",
];
/// Lists of people: become empty (a household member's NIK has no empty form).
const EMPTIED: &[&str] = &["household"];

/// Remove the personal data of a record, at any depth of its JSON.
pub fn scrub_personal(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let key = key.as_str();
                if CLEARED.contains(&key) {
                    // A value, or a `[before, after]` pair of an edit's audit entry.
                    match v {
                        Value::Array(items) => items.iter_mut().for_each(|i| *i = Value::Null),
                        _ => *v = Value::Null,
                    }
                } else if BLANKED.contains(&key) {
                    blank_strings(v);
                } else if EMPTIED.contains(&key) && v.is_array() {
                    *v = Value::Array(Vec::new());
                } else {
                    scrub_personal(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_personal),
        _ => {}
    }
}

/// Every string in `value` becomes `""`; numbers, booleans and nulls stay.
fn blank_strings(value: &mut Value) {
    match value {
        Value::String(text) => text.clear(),
        Value::Array(items) => items.iter_mut().for_each(blank_strings),
        Value::Object(map) => map.values_mut().for_each(blank_strings),
        _ => {}
    }
}

/// [`scrub_personal`] on JSON text; text that is not JSON becomes `{}`.
pub fn scrub_personal_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            scrub_personal(&mut v);
            v.to_string()
        }
        Err(_) => "{}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn personal_fields_go_and_statistics_stay() {
        let mut registration = json!({
            "id": "app-1", "office_code": "36.01.01", "kind": "bansos", "status": "approved", "service_code": "PKH", "period": "2026",
            "registration_number": "360101-K7QX-000001", "village_code": "36.01.01.2001", "fee": 0,
            "applicant_nik": "3601011205900001", "kk": "3601011501100003", "applicant_phone": "0812",
            "applicant_name": "Siti Aminah", "applicant_address": "Kp. Cibadak RT 03/01",
            "organization_name": null,
            "details": {"monthly_income": 750000, "category": "miskin"},
            "household": [{"nik": "3601015508150002", "full_name": "Aisyah", "relationship": "Anak"}],
            "checklist": [{"code": "ktp", "received": true}],
        });
        scrub_personal(&mut registration);
        let text = registration.to_string();
        for personal in ["3601011205900001", "3601011501100003", "0812", "Siti", "Cibadak", "Aisyah"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        for kept in ["PKH", "2026", "360101-K7QX-000001", "36.01.01.2001", "750000", "miskin", "ktp"] {
            assert!(text.contains(kept), "{kept} gone from {text}");
        }
        // Still a registration every reader decodes.
        let decoded: crate::RegisterPayload = serde_json::from_value(registration).unwrap();
        assert_eq!(decoded.applicant_nik, None);
        assert!(decoded.household.is_empty());
        let mut hibah = json!({"details": {"secretary_nik": "3601011205900009", "amount_proposed": 5000000}});
        scrub_personal(&mut hibah);
        assert_eq!(hibah, json!({"details": {"secretary_nik": "", "amount_proposed": 5000000}}));
        assert_eq!(scrub_personal_text("not json"), "{}");
        // An edit's audit entry: before and after.
        let mut edit =
            json!({"applicant_address": ["Kp. Satu", "Kp. Dua"], "applicant_phone": ["0812", null]});
        scrub_personal(&mut edit);
        assert_eq!(edit, json!({"applicant_address": ["", ""], "applicant_phone": [null, null]}));
    }
}
