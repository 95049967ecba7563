//! Registering applications at the counter: PATEN permits, bansos and hibah. Nothing is
//! stored unless every check passes and every warning was confirmed.

use chrono::Utc;
use loket_domain::aid::{self, BansosDraft, HibahDraft, MemberDraft, ValidBansos, ValidHibah};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::issue::FieldIssue;
use loket_domain::permit::{self, PermitDetails, PermitDraft, ValidPermit};
use loket_domain::service::ServiceKind;
use loket_store::{Actor, Application, Store};

use crate::dto::{ApplicationDto, BansosInput, HibahInput, PermitInput};
use crate::{present, AppError, Loket};

impl Loket {
    /// Register a bansos application.
    pub fn register_bansos(&self, input: BansosInput) -> Result<ApplicationDto, AppError> {
        let draft = BansosDraft {
            applicant: applicant(input.nik, input.full_name, input.address, input.village_code, input.phone),
            kk: input.kk,
            household: input
                .household
                .into_iter()
                .map(|m| MemberDraft { nik: m.nik, full_name: m.full_name, relationship: m.relationship })
                .collect(),
            monthly_income: i64::from(input.monthly_income),
            category_code: input.category_code,
            programme_code: input.programme_code,
        };
        self.register(aid::validate_bansos(&draft), input.confirm_warnings)
    }

    /// Register a permit application. Submitted with its registration number when every
    /// required document was received; otherwise kept as a draft (no number yet).
    pub fn register_permit(&self, input: PermitInput) -> Result<ApplicationDto, AppError> {
        use {PermitDetails as D, ServiceKind as K};
        let PermitInput {
            nik,
            full_name,
            address,
            village_code,
            phone,
            service_code,
            location,
            land_area_m2,
            building_area_m2,
            building_use,
            business_name,
            business_type,
            capital,
            advertising_text,
            area_m2,
            months,
            purpose,
            documents_received,
            confirm_warnings,
        } = input;
        let capital = whole_rupiah(capital);
        // The details the service's kind asks for; the form's other fields are ignored.
        // The catalogue version in effect for this office today: its services, documents, fee.
        let catalogue = self.catalogue_in_effect()?;
        let details = match catalogue.service(service_code.trim()).map(|s| s.kind) {
            Some(K::Building) => D::Building { location, land_area_m2, building_area_m2, building_use },
            Some(K::Business) => D::Business { business_name, business_type, capital, location },
            Some(K::Advertising) => D::Advertising { advertising_text, area_m2, location, months },
            Some(K::BusinessDomicile) => D::BusinessDomicile { business_name, business_type, location },
            Some(K::Certificate) | None => D::Certificate { purpose },
        };
        let applicant = applicant(nik, full_name, address, village_code, phone);
        let draft = PermitDraft { applicant, service_code, details, documents_received };
        // A retired service (IUMK since PP 7/2021) is not registered again; earlier ones stay.
        if let Some(retired) = catalogue.service(draft.service_code.trim()).filter(|s| s.retired) {
            let issue = FieldIssue::error(
                "service_code",
                "service.retired",
                format!("Layanan {} tidak berlaku lagi ({}).", retired.code, retired.legal_basis),
            );
            return self.register(Err::<permit::ValidPermit, _>(vec![issue]), confirm_warnings);
        }
        self.register(permit::validate_permit_in(&draft, catalogue), confirm_warnings)
    }

    /// Register a hibah application of an organisation: submitted, with its registration number.
    pub fn register_hibah(&self, input: HibahInput) -> Result<ApplicationDto, AppError> {
        let draft = HibahDraft {
            organization_name: input.organization_name,
            legal_basis: input.legal_basis,
            npwp: input.npwp,
            address: input.address,
            village_code: input.village_code,
            bank_name: input.bank_name,
            account_number: input.account_number,
            account_holder: input.account_holder,
            chair_nik: input.chair_nik,
            chair_name: input.chair_name,
            secretary_nik: input.secretary_nik,
            secretary_name: input.secretary_name,
            amount_proposed: whole_rupiah(input.amount_proposed),
            rab_total: whole_rupiah(input.rab_total),
            programme_code: input.programme_code,
        };
        self.register(aid::validate_hibah(&draft), input.confirm_warnings)
    }

    /// What every registration shares after building its draft: refuse errors, ask for the
    /// warnings to be confirmed, save as the acting user, then index and sync soon.
    fn register<V: Registration>(
        &self,
        validated: Result<V, Vec<FieldIssue>>,
        confirmed: bool,
    ) -> Result<ApplicationDto, AppError> {
        let valid = validated.map_err(|issues| AppError::Validation {
            issues: present::issues(&issues),
            needs_confirmation: false,
        })?;
        if !valid.warnings().is_empty() && !confirmed {
            return Err(AppError::Validation {
                issues: present::issues(valid.warnings()),
                needs_confirmation: true,
            });
        }
        let dto = self.change(|store, actor| Ok(valid.save(store, actor)?))?;
        if let Some(indexer) = &self.indexer {
            indexer.poke();
        }
        Ok(dto)
    }
}

/// A validated application, ready to be saved.
trait Registration {
    /// Unusual values the clerk must confirm.
    fn warnings(&self) -> &[FieldIssue];
    fn save(&self, store: &mut Store, actor: &Actor) -> Result<Application, loket_store::StoreError>;
}

/// `Valid => |store, valid, actor| how it is saved;` for each kind of application.
macro_rules! registrations {
    ($($valid:ty => |$store:ident, $v:ident, $actor:ident| $save:expr;)+) => {$(
        impl Registration for $valid {
            fn warnings(&self) -> &[FieldIssue] {
                &self.warnings
            }

            fn save(&self, $store: &mut Store, $actor: &Actor) -> Result<Application, loket_store::StoreError> {
                let $v = self;
                $save
            }
        }
    )+};
}

registrations! {
    ValidBansos => |store, v, actor| store.register_bansos(v, actor, Utc::now());
    ValidHibah => |store, v, actor| store.register_hibah(v, actor, Utc::now());
    // A permit is submitted (and numbered) when every required document was received.
    ValidPermit => |store, v, actor| store.register_permit(v, v.documents_complete(), actor, Utc::now());
}

/// The person at the counter, as the forms send it.
fn applicant(
    nik: String,
    full_name: String,
    address: String,
    village_code: String,
    phone: String,
) -> ApplicantDraft {
    ApplicantDraft { nik, full_name, address, village_code, phone }
}

/// A rupiah amount from the UI (a JSON number). Negative, fractional or non-finite amounts
/// become -1, which every amount check of the domain refuses with its own message.
fn whole_rupiah(x: f64) -> i64 {
    if x.is_finite() && x.fract() == 0.0 && x >= 0.0 {
        x.min(i64::MAX as f64) as i64
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use loket_domain::workflow::{Action, ApplicationKind, Status};

    use super::*;
    use crate::dto::{DecisionInput, DocumentInput};
    use crate::test_support::{bansos, configured, permit};

    #[test]
    fn permit_with_every_document_is_submitted_with_number_fee_and_due_date() {
        let (_dir, loket) = configured();
        let all = ["ktp", "bukti_tanah", "pbb", "denah", "pengantar_desa"];
        let saved = loket.register_permit(permit("PBG", &all)).unwrap();
        assert_eq!((saved.kind, saved.status), (ApplicationKind::Permit, Status::Submitted));
        assert!(saved.registration_number.is_some());
        // PP 16/2021's formula with the example indices: 60 m² × 4.500.000 × 0,004 × 0,5 × 1.
        assert_eq!(saved.fee, 540_000, "PBG levy of the building's floor area");
        assert_eq!(saved.documents.len(), 5);
        assert!(saved.documents.iter().all(|d| d.received));
        assert!(saved.due_date.is_some(), "the service-time clock runs once submitted");
        assert_eq!(loket.search_applications("ujang").unwrap().len(), 1);
    }

    #[test]
    fn permit_with_missing_documents_stays_a_draft_without_number() {
        let (_dir, loket) = configured();
        let saved = loket.register_permit(permit("SKTM", &["ktp", "kk"])).unwrap();
        assert_eq!(saved.status, Status::Draft);
        assert_eq!(saved.registration_number, None);
        let missing: Vec<_> =
            saved.documents.iter().filter(|d| !d.received).map(|d| d.code.as_str()).collect();
        assert_eq!(missing, ["pengantar_rt", "pengantar_desa"]);
        assert_eq!(saved.due_date, None, "no clock before submission");
    }

    #[test]
    fn draft_permit_is_submitted_once_its_documents_are_complete() {
        let (_dir, loket) = configured();
        let draft = loket.register_permit(permit("SKTM", &["ktp", "kk"])).unwrap();
        assert!(!draft.actions.contains(&Action::Submit), "{:?}", draft.actions);
        let submit = |id: &str| {
            loket.decide(DecisionInput {
                application_id: id.into(),
                action: Action::Submit,
                note: String::new(),
                password: None,
            })
        };
        assert_eq!(submit(&draft.id).unwrap_err().code(), "documents_incomplete");
        let mut now = draft.clone();
        for code in ["pengantar_rt", "pengantar_desa"] {
            now = loket
                .set_document_received(DocumentInput {
                    application_id: draft.id.clone(),
                    code: code.into(),
                    received: true,
                })
                .unwrap();
        }
        assert!(now.documents.iter().all(|d| d.received));
        assert!(now.actions.contains(&Action::Submit), "{:?}", now.actions);
        let submitted = submit(&draft.id).unwrap();
        assert_eq!(submitted.status, Status::Submitted);
        assert!(submitted.registration_number.is_some());
        assert!(submitted.due_date.is_some());
    }

    #[test]
    fn a_retired_service_is_not_registered_again() {
        let (_dir, loket) = configured();
        let err = loket.register_permit(permit("IUMK", &[])).unwrap_err();
        let AppError::Validation { issues, .. } = err else { panic!("{err:?}") };
        assert_eq!(issues[0].code, "service.retired");
        assert!(loket.services().unwrap().iter().all(|s| s.code != "IUMK"), "not offered");
    }

    #[test]
    fn permit_details_are_validated_per_service() {
        let (_dir, loket) = configured();
        let business = |capital: f64| PermitInput {
            capital,
            business_name: "Warung".into(),
            business_type: "Dagang".into(),
            ..permit("NIB", &[])
        };
        let cases: &[(PermitInput, &str, &str)] = &[
            (
                PermitInput { building_area_m2: 200, ..permit("PBG", &[]) },
                "building_area_m2",
                "area.exceeds_land",
            ),
            (business(-5.0), "capital", "capital.out_of_range"),
            (business(1.5), "capital", "capital.out_of_range"),
            (
                PermitInput {
                    months: 13,
                    area_m2: 2,
                    advertising_text: "Diskon".into(),
                    ..permit("REKLAME", &[])
                },
                "months",
                "months.out_of_range",
            ),
            (permit("XYZ", &[]), "service_code", "service.unknown"),
        ];
        for (input, field, code) in cases {
            match loket.register_permit(input.clone()) {
                Err(AppError::Validation { issues, .. }) => assert!(
                    issues.iter().any(|i| i.field == *field && i.code == *code),
                    "{field}/{code} not in {issues:?}"
                ),
                other => panic!("{field}/{code}: expected a validation error, got {other:?}"),
            }
        }
        assert!(loket.list_applications().unwrap().is_empty(), "nothing stored");
    }

    /// A hibah form as the window sends it over IPC.
    fn hibah() -> HibahInput {
        serde_json::from_value(serde_json::json!({
            "organization_name": "Yayasan Nurul Huda", "legal_basis": "AHU-0012345.AH.01.04.Tahun 2019",
            "npwp": "01.234.567.8-901.000", "address": "Jl. Masjid No. 1", "village_code": "36.01.01.2001",
            "bank_name": "Bank BJB", "account_number": "0012345678", "account_holder": "Yayasan Nurul Huda",
            "chair_nik": "3601011205700001", "chair_name": "H. Mahmud",
            "secretary_nik": "3601011208800002", "secretary_name": "Rahmat",
            "amount_proposed": 50_000_000.0, "rab_total": 75_000_000.0, "programme_code": "HIBAH-IBADAH",
            "confirm_warnings": false,
        }))
        .unwrap()
    }

    #[test]
    fn hibah_is_registered_for_the_organisation() {
        let (_dir, loket) = configured();
        let saved = loket.register_hibah(hibah()).unwrap();
        assert_eq!((saved.kind, saved.status), (ApplicationKind::Hibah, Status::Submitted));
        assert!(saved.registration_number.is_some());
        assert_eq!(saved.organization_name.as_deref(), Some("Yayasan Nurul Huda"));
        // The receipt shows what was asked for, and for which period.
        assert_eq!(saved.amount_proposed, Some(50_000_000.0));
        assert!(saved.period.as_deref().is_some_and(|p| !p.is_empty()));
        assert_eq!(loket.search_applications("nurul").unwrap().len(), 1);
    }

    #[test]
    fn hibah_amounts_and_legal_basis_are_checked() {
        let (_dir, loket) = configured();
        let cases: &[(HibahInput, &str, bool)] = &[
            (HibahInput { amount_proposed: 80_000_000.0, ..hibah() }, "amount_proposed", false),
            (HibahInput { amount_proposed: 0.5, ..hibah() }, "amount_proposed", false),
            (HibahInput { rab_total: -1.0, ..hibah() }, "rab_total", false),
            (HibahInput { chair_nik: "3601011205700000".into(), ..hibah() }, "chair_nik", false),
            (HibahInput { npwp: "12345".into(), ..hibah() }, "npwp", false),
            // An unusual SK number is a warning the clerk confirms, not a refusal.
            (HibahInput { legal_basis: "SK 12/2019".into(), ..hibah() }, "legal_basis", true),
        ];
        for (input, field, confirmable) in cases {
            match loket.register_hibah(input.clone()) {
                Err(AppError::Validation { issues, needs_confirmation }) => {
                    assert!(issues.iter().any(|i| i.field == *field), "{field} not in {issues:?}");
                    assert_eq!(needs_confirmation, *confirmable, "{field}");
                }
                other => panic!("{field}: expected a validation error, got {other:?}"),
            }
        }
        assert!(loket.list_applications().unwrap().is_empty(), "nothing stored");
        let confirmed = HibahInput { legal_basis: "SK 12/2019".into(), confirm_warnings: true, ..hibah() };
        assert_eq!(loket.register_hibah(confirmed).unwrap().status, Status::Submitted);
    }

    #[test]
    fn invalid_nik_stores_nothing() {
        let (_dir, loket) = configured();
        let err = loket.register_bansos(bansos("3601011205900000")).unwrap_err();
        assert_eq!(err.code(), "validation");
        let dto = crate::ErrorDto::from(err);
        assert_eq!(dto.issues[0].code, "nik.serial_zero");
        assert!(loket.list_applications().unwrap().is_empty());
    }

    #[test]
    fn unknown_region_needs_confirmation_then_saves() {
        let (_dir, loket) = configured();
        let err = loket.register_bansos(bansos("9999011205900001")).unwrap_err();
        assert_eq!(err.code(), "needs_confirmation");
        assert!(loket.list_applications().unwrap().is_empty());
        let saved = loket
            .register_bansos(BansosInput { confirm_warnings: true, ..bansos("9999011205900001") })
            .unwrap();
        assert_eq!(saved.village_label, "Desa Sumberjaya, Kec. Sumur, Kabupaten Pandeglang");
        assert_eq!(saved.service_name, "Program Keluarga Harapan (PKH)");
        // Lists carry the NIK masked only.
        let listed = crate::ApplicationDto { applicant_nik: None, ..saved };
        assert_eq!(loket.search_applications("ujang").unwrap(), vec![listed.clone()]);
        assert_eq!(loket.list_applications().unwrap(), vec![listed]);
    }
}
