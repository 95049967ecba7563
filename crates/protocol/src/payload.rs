//! One payload type per operation kind, and [`OpBody`], an operation's payload decoded by its
//! kind. The desktop's store writes these, the server's rules decide on them, and devices apply
//! them when the server relays them: the same types on every side.

use loket_domain::workflow::{Action, ApplicationKind, Role, Status};
use serde::{Deserialize, Serialize};

use crate::kinds::{AccessAction, OpKind};
use crate::raw::{present, RawJson};
use crate::typed_bodies;

/// `application.register`: a new application, whole. Also the data of an `application`
/// change: the server relays the registration it accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterPayload {
    pub id: String,
    /// Dotted kecamatan code of the registering office.
    pub office_code: String,
    pub kind: ApplicationKind,
    pub status: Status,
    /// `None` for a draft.
    pub registration_number: Option<String>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub created_hlc: String,
    pub service_code: String,
    /// Aid programme period (`2026`, `2026-S1`); `None` for permits.
    pub period: Option<String>,
    #[serde(default)]
    pub fee: i64,
    pub applicant_nik: Option<String>,
    pub kk: Option<String>,
    #[serde(default)]
    pub applicant_name: String,
    #[serde(default)]
    pub applicant_address: String,
    pub applicant_phone: Option<String>,
    #[serde(default)]
    pub village_code: String,
    pub organization_name: Option<String>,
    /// Kind-specific fields, carried as they were written.
    #[serde(default)]
    pub details: RawJson,
    #[serde(default)]
    pub checklist: Vec<ChecklistEntry>,
    #[serde(default)]
    pub household: Vec<HouseholdMember>,
    /// The catalogue version a permit was registered under (its service, documents and fee);
    /// absent: the default catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<loket_domain::catalogue::CatalogueRef>,
}

/// A required document and whether the counter received it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistEntry {
    pub code: String,
    #[serde(default)]
    pub received: bool,
}

/// A member of a bansos applicant's household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub nik: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub relationship: String,
}

/// The applicant fields devices may edit, each only when set. `applicant_phone: Some(None)`
/// clears the phone number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant_address: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub applicant_phone: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village_code: Option<String>,
}

impl ApplicantFields {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Name, address, phone and village, in that order: `None` when not set, `Some(None)` when
    /// cleared.
    pub fn values(&self) -> [Option<Option<&str>>; 4] {
        fn set(v: &Option<String>) -> Option<Option<&str>> {
            v.as_deref().map(Some)
        }
        [
            set(&self.applicant_name),
            set(&self.applicant_address),
            self.applicant_phone.as_ref().map(Option::as_deref),
            set(&self.village_code),
        ]
    }

    /// Take every field `other` sets.
    pub fn merge(&mut self, other: &ApplicantFields) {
        if other.applicant_name.is_some() {
            self.applicant_name.clone_from(&other.applicant_name);
        }
        if other.applicant_address.is_some() {
            self.applicant_address.clone_from(&other.applicant_address);
        }
        if other.applicant_phone.is_some() {
            self.applicant_phone.clone_from(&other.applicant_phone);
        }
        if other.village_code.is_some() {
            self.village_code.clone_from(&other.village_code);
        }
    }

    /// The editable fields of a stored registration and the catalogue version it names
    /// (`None`: the default), in one reading of it (its other fields are ignored).
    pub fn with_catalogue_of_record(
        record: &str,
    ) -> Result<(Self, Option<loket_domain::catalogue::CatalogueRef>), serde_json::Error> {
        #[derive(Deserialize)]
        struct Record {
            #[serde(default)]
            applicant_name: Option<String>,
            #[serde(default)]
            applicant_address: Option<String>,
            #[serde(default, deserialize_with = "present")]
            applicant_phone: Option<Option<String>>,
            #[serde(default)]
            village_code: Option<String>,
            #[serde(default)]
            catalogue: Option<loket_domain::catalogue::CatalogueRef>,
        }
        let r: Record = serde_json::from_str(record)?;
        let fields = Self {
            applicant_name: r.applicant_name,
            applicant_address: r.applicant_address,
            applicant_phone: r.applicant_phone,
            village_code: r.village_code,
        };
        Ok((fields, r.catalogue))
    }
}

/// `application.transition`: a workflow step taken on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionPayload {
    pub event_id: String,
    pub application_id: String,
    pub action: Action,
    pub from: Status,
    pub to: Status,
    #[serde(default)]
    pub note: String,
    /// The number the device assigned (or had) when it took the step.
    pub registration_number: Option<String>,
    #[serde(default)]
    pub hlc: String,
    /// Username of the user who took the step.
    pub actor: String,
}

/// `application.edit`: applicant fields changed on the operation's base version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditPayload {
    pub application_id: String,
    pub fields: ApplicantFields,
}

/// `application.resolve`: a supervisor settles conflicts, keeping the server's values (no
/// fields) or taking others (made on the operation's base version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvePayload {
    pub application_id: String,
    /// Ids of the operations whose conflicts this settles.
    pub resolves: Vec<String>,
    #[serde(default)]
    pub fields: ApplicantFields,
    pub actor: String,
}

/// `application.document`: a checklist document marked received or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPayload {
    pub application_id: String,
    pub code: String,
    pub received: bool,
}

/// `application.attach`: a scanned document's metadata (the content is uploaded apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachPayload {
    pub application_id: String,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    #[serde(default)]
    pub file_name: String,
    #[serde(default)]
    pub document_code: String,
}

/// The fields of an ASN staff record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffFields {
    pub full_name: String,
    /// `pns`, `pppk`, `non_asn`.
    pub status: String,
    pub jabatan: String,
    /// NIP (PNS) or NI PPPK; none for non-ASN staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    pub unit_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golongan: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// `staff.create`: a new staff record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCreatePayload {
    pub id: String,
    #[serde(flatten)]
    pub fields: StaffFields,
}

/// `staff.update`: a staff record's new fields, made on the operation's base version. One made
/// to settle `staff_conflict`s names them (the losing operations' ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUpdatePayload {
    pub id: String,
    pub fields: StaffFields,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves: Vec<String>,
    /// The record's version after this update: set by the server when it relays the update
    /// (devices keep the server's numbering), ignored when a device sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `user.create`: an account for a staff member. Closed: no password or key material is ever
/// taken from a device (IT makes accounts and their keys on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserCreatePayload {
    pub id: String,
    pub staff_id: String,
    pub username: String,
    pub roles: Vec<Role>,
}

/// `user.deactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDeactivatePayload {
    pub id: String,
}

/// `holiday.set`: a day of the office's calendar — as the province publishes it to every office
/// (`loket-server holiday load`), or as an admin sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayPayload {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub name: String,
    pub kind: loket_domain::sla::HolidayKind,
    /// Whether the day stops the office's service clock (`false`: a cuti bersama its
    /// kabupaten/kota counts as a working day, or a day taken off the calendar).
    pub off: bool,
}

/// `access.record`: a user looked at personal data — an application's detail, an attachment, a
/// search by NIK or KK — or exported it. Kept by the server for IT's `loket-server audit`, never
/// relayed to devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPayload {
    /// The record's own id.
    pub id: String,
    pub action: AccessAction,
    /// The application looked at (`view_application`, `open_attachment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The attachment opened (its SHA-256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// The NIK or KK searched for (`search_number`). It travels only inside the
    /// encrypted store and TLS: the server keeps a keyed hash of it, not the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

/// `catalogue.publish`: a version of a kabupaten/kota's (or the province's) PATEN catalogue, as
/// IT published it (`loket-server catalogue publish`), for the offices it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CataloguePayload {
    pub region: String,
    pub version: u32,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    /// The catalogue file, as published (docs/CATALOGUE.md).
    pub file: String,
}

typed_bodies! {
    /// An operation's payload decoded by its kind: one variant per [`OpKind`].
    pub enum OpBody by OpKind {
        Register(Box<RegisterPayload>) = ApplicationRegister, Transition(TransitionPayload) = ApplicationTransition,
        Edit(EditPayload) = ApplicationEdit, Resolve(ResolvePayload) = ApplicationResolve,
        Document(DocumentPayload) = ApplicationDocument, Attach(AttachPayload) = ApplicationAttach,
        StaffCreate(StaffCreatePayload) = StaffCreate, StaffUpdate(StaffUpdatePayload) = StaffUpdate,
        UserCreate(UserCreatePayload) = UserCreate, UserDeactivate(UserDeactivatePayload) = UserDeactivate,
        HolidaySet(HolidayPayload) = HolidaySet, Access(AccessPayload) = AccessRecord,
        CataloguePublish(CataloguePayload) = CataloguePublish,
    }
}

impl OpBody {
    /// The application an application operation is about (`None` for staff, users, holidays).
    pub fn application_id(&self) -> Option<&str> {
        match self {
            Self::Register(p) => Some(&p.id),
            Self::Transition(p) => Some(&p.application_id),
            Self::Edit(p) => Some(&p.application_id),
            Self::Resolve(p) => Some(&p.application_id),
            Self::Document(p) => Some(&p.application_id),
            Self::Attach(p) => Some(&p.application_id),
            _ => None,
        }
    }
}

/// A relayed operation, as a `record` change carries it: `{"op": …, "payload": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordData<P = RawJson> {
    pub op: OpKind,
    pub payload: P,
}

impl RecordData {
    pub fn of(body: &OpBody) -> Self {
        Self { op: body.kind(), payload: RawJson::encode(body) }
    }

    /// The relayed operation's payload, decoded by its kind.
    pub fn body(&self) -> Result<OpBody, serde_json::Error> {
        OpBody::decode(self.op, self.payload.get())
    }
}

/// An operation relayed by the server (a `record` change): `{"op": …, "payload": …}` on the
/// wire, its payload decoded by its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Relayed(pub OpBody);

impl Serialize for Relayed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RecordData::of(&self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Relayed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let record = RecordData::deserialize(d)?;
        record.body().map(Self).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applicant_fields_tell_absent_from_cleared() {
        let f: ApplicantFields = serde_json::from_str(r#"{"applicant_phone":null}"#).unwrap();
        assert_eq!(f.applicant_phone, Some(None));
        assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"applicant_phone":null}"#);
        let none: ApplicantFields = serde_json::from_str("{}").unwrap();
        assert!(none.is_empty());
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
        assert!(serde_json::from_str::<ApplicantFields>(r#"{"status":"approved"}"#).is_err());
        assert!(serde_json::from_str::<ApplicantFields>(r#"{"applicant_name":{"x":1}}"#).is_err());
    }

    #[test]
    fn editable_fields_of_a_record_ignore_the_rest() {
        let (f, catalogue) = ApplicantFields::with_catalogue_of_record(
            r#"{"id":"a","applicant_name":"Siti","applicant_phone":null}"#,
        )
        .unwrap();
        assert_eq!(catalogue, None, "the default catalogue");
        let (_, named) = ApplicantFields::with_catalogue_of_record(
            r#"{"id":"b","catalogue":{"region":"36.01","version":2}}"#,
        )
        .unwrap();
        assert_eq!(named, Some(loket_domain::catalogue::CatalogueRef { region: "36.01".into(), version: 2 }));
        assert_eq!(f.applicant_name.as_deref(), Some("Siti"));
        assert_eq!(f.applicant_phone, Some(None));
        assert_eq!(f.village_code, None);
        let mut merged = f.clone();
        merged.merge(&ApplicantFields { village_code: Some("36.01.01.2001".into()), ..Default::default() });
        assert_eq!(merged.applicant_name.as_deref(), Some("Siti"));
        assert_eq!(merged.village_code.as_deref(), Some("36.01.01.2001"));
    }

    #[test]
    fn a_body_decodes_by_its_kind_and_encodes_back() {
        let text = r#"{"application_id":"a","code":"KTP","received":true}"#;
        let body = OpBody::decode(OpKind::ApplicationDocument, text).unwrap();
        assert_eq!(body.kind(), OpKind::ApplicationDocument);
        assert_eq!(body.application_id(), Some("a"));
        assert_eq!(body.encode(), text);
        assert!(OpBody::decode(OpKind::ApplicationEdit, text).is_err(), "a document is not an edit");
        let record = RecordData::of(&body);
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(json, format!(r#"{{"op":"application.document","payload":{text}}}"#));
        assert_eq!(serde_json::from_str::<RecordData>(&json).unwrap().body().unwrap(), body);
    }

    #[test]
    fn staff_create_is_flat_on_the_wire() {
        let text = r#"{"id":"s1","full_name":"A","status":"pns","jabatan":"Kasi","employee_number":"198503302010012001","unit_code":"36.01.01","golongan":"III/a","active":true}"#;
        let body = OpBody::decode(OpKind::StaffCreate, text).unwrap();
        assert_eq!(body.encode(), text);
    }
}
