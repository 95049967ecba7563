//! Every operation's payload checked by the domain's own validators — the ones the desktop runs
//! on what the clerk typed — so that the server accepts exactly what a correct desktop writes.
//!
//! A payload is turned back into the draft the clerk would have typed, validated, and then
//! compared with what the validators produce: a value that is valid but not in the form the
//! desktop writes (extra spaces, a phone number in another notation, an unknown detail key) is
//! refused too, so every text relayed to devices is bounded and normalised. What needs the
//! server's state (the device's office, a registration number's uniqueness, an application's
//! service) is checked by the server's rules; this module needs nothing but the payload.

use loket_domain::aid::{self, AidKind, BansosDraft, HibahDraft, MemberDraft};
use loket_domain::applicant::{validate_change, ApplicantChange, ApplicantDraft};
use loket_domain::attachment::{is_sha256_hex, ACCEPTED_MEDIA_TYPES, FILE_NAME_MAX, MAX_ATTACHMENT_BYTES};
use loket_domain::hlc::HlcTimestamp;
use loket_domain::permit::{validate_permit_in, PermitDraft};
use loket_domain::region::{self, Level};
use loket_domain::registration::RegistrationNumber;
use loket_domain::staff::{validate_staff, validate_user, StaffDraft, UserDraft};
use loket_domain::workflow::{ApplicationKind, Status, NOTE_MAX};
use loket_domain::FieldIssue;

use crate::details::{BansosDetails, HibahDetails};
use crate::payload::{
    AccessPayload, ApplicantFields, AttachPayload, OpBody, RegisterPayload, ResolvePayload, StaffFields,
    TransitionPayload,
};

/// Why a payload is refused: the validator's stable code, the field, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    fn new(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        Self { code, field, message: message.into() }
    }

    /// A value that validates but is not what the validators make of it.
    fn not_normalised(field: &'static str) -> Self {
        Self::new("payload.not_normalised", field, format!("{field} is not in its normalised form"))
    }
}

impl From<FieldIssue> for Invalid {
    fn from(i: FieldIssue) -> Self {
        Self { code: i.code, field: i.field, message: i.message }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The first error among a validator's findings (warnings were confirmed by the clerk).
fn first_error(issues: Vec<FieldIssue>) -> Invalid {
    issues
        .into_iter()
        .find(FieldIssue::is_error)
        .map_or_else(|| Invalid::new("payload.invalid", "payload", "invalid"), Invalid::from)
}

/// Longest identifier (UUIDs, usernames, document codes) and HLC node name.
const ID_MAX: usize = 64;
/// Most conflicts one resolution settles.
const RESOLVES_MAX: usize = 100;

/// Check an operation's envelope: bounded identifiers, a clock reading, a payload of bounded
/// size (checked before the payload is decoded).
pub fn envelope(op: &crate::Operation) -> Result<(), Invalid> {
    id("op_id", &op.op_id)?;
    id("entity_id", &op.entity_id)?;
    hlc("hlc", &op.hlc)?;
    let size = op.payload.get().len();
    if size > crate::MAX_OP_PAYLOAD_BYTES {
        return Err(Invalid::new(
            "payload_too_large",
            "payload",
            format!("{size} bytes; an operation's payload is at most {} bytes", crate::MAX_OP_PAYLOAD_BYTES),
        ));
    }
    Ok(())
}

/// Check an operation's payload. `Ok` when a correct desktop could have written it.
pub fn check(body: &OpBody) -> Result<(), Invalid> {
    match body {
        OpBody::Register(p) => register(p),
        OpBody::Transition(p) => transition(p),
        OpBody::Edit(p) => {
            id("application_id", &p.application_id)?;
            if p.fields.is_empty() {
                return Err(Invalid::new("payload.empty", "fields", "an edit changes at least one field"));
            }
            fields(&p.fields)
        }
        OpBody::Resolve(p) => resolve(p),
        OpBody::Document(p) => {
            id("application_id", &p.application_id)?;
            code("code", &p.code)
        }
        OpBody::Attach(p) => attach(p),
        OpBody::StaffCreate(p) => {
            id("id", &p.id)?;
            staff(&p.fields)
        }
        OpBody::StaffUpdate(p) => {
            id("id", &p.id)?;
            staff(&p.fields)
        }
        OpBody::UserCreate(p) => {
            id("id", &p.id)?;
            id("staff_id", &p.staff_id)?;
            let draft = UserDraft {
                username: p.username.clone(),
                roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            };
            let v = validate_user(&draft, true).map_err(first_error)?;
            same("username", v.username.as_str(), p.username.as_str())
        }
        OpBody::UserDeactivate(p) => id("id", &p.id),
        OpBody::HolidaySet(p) => {
            loket_domain::sla::check_holiday(&p.day, &p.name)?;
            same("name", p.name.trim(), p.name.as_str())
        }
        OpBody::Access(p) => access(p),
        OpBody::CataloguePublish(p) => catalogue(p),
    }
}

/// A published catalogue version: a valid file, saying what the operation says.
fn catalogue(p: &crate::CataloguePayload) -> Result<(), Invalid> {
    let file = loket_domain::catalogue::parse(&p.file)
        .map_err(|errors| Invalid::new("catalogue.invalid", "file", errors.join("; ")))?;
    same("region", file.region.as_str(), p.region.as_str())?;
    same("version", &file.version, &p.version)?;
    same("effective_from", file.effective_from.as_str(), p.effective_from.as_str())
}

fn same<T: PartialEq>(field: &'static str, validated: T, sent: T) -> Result<(), Invalid> {
    if validated == sent {
        Ok(())
    } else {
        Err(Invalid::not_normalised(field))
    }
}

/// An identifier: what the desktop makes are UUIDs; anything of 1 to 64 letters, digits, `.`,
/// `_` and `-` is accepted (bounded, printable, never markup).
fn id(field: &'static str, value: &str) -> Result<(), Invalid> {
    if !value.is_empty()
        && value.len() <= ID_MAX
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        Ok(())
    } else {
        Err(Invalid::new(
            "payload.id_invalid",
            field,
            format!("{field} must be an identifier of 1 to {ID_MAX} characters"),
        ))
    }
}

/// A short code: letters, digits, `_` and `-`.
fn code(field: &'static str, value: &str) -> Result<(), Invalid> {
    if !value.is_empty()
        && value.len() <= ID_MAX
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
    {
        Ok(())
    } else {
        Err(Invalid::new("payload.code_invalid", field, format!("{field} is not a code")))
    }
}

fn hlc(field: &'static str, value: &str) -> Result<(), Invalid> {
    match value.parse::<HlcTimestamp>() {
        Ok(_) if value.len() <= 16 + 1 + 5 + 1 + ID_MAX => Ok(()),
        _ => Err(Invalid::new("payload.hlc_invalid", field, format!("{field} is not a clock reading"))),
    }
}

/// A username as IT makes them (the proof's checks compare it with the signer).
fn username(field: &'static str, value: &str) -> Result<(), Invalid> {
    if !value.is_empty() && value.len() <= ID_MAX && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Invalid::new("payload.username_invalid", field, format!("{field} is not a username")))
    }
}

/// A registration number in its printed form, of the office `office_code` (dotted).
pub fn registration_number(number: &str, office_code: &str) -> Result<(), Invalid> {
    let field = "registration_number";
    let parsed: RegistrationNumber =
        number.parse().map_err(|e: loket_domain::registration::RegistrationNumberError| {
            Invalid::new("registration_number.invalid", field, e.to_string())
        })?;
    same(field, parsed.to_string().as_str(), number)?;
    if number[..6] != office_code.replace('.', "") {
        return Err(Invalid::new(
            "registration_number.other_office",
            field,
            format!("{number} is not a number of office {office_code}"),
        ));
    }
    Ok(())
}

fn register(p: &RegisterPayload) -> Result<(), Invalid> {
    id("id", &p.id)?;
    match region::catalogue().get(&p.office_code) {
        Some(r) if r.level == Level::District => {}
        _ => {
            return Err(Invalid::new(
                "office.unknown",
                "office_code",
                "office_code is not a Banten kecamatan",
            ))
        }
    }
    hlc("created_hlc", &p.created_hlc)?;
    if p.created_at.len() > 40 {
        return Err(Invalid::new("payload.created_at_invalid", "created_at", "created_at is too long"));
    }
    match (p.status, &p.registration_number) {
        (Status::Draft, None) => {}
        (Status::Submitted, Some(n)) => registration_number(n, &p.office_code)?,
        (Status::Draft, Some(_)) => {
            return Err(Invalid::new(
                "registration_number.on_draft",
                "registration_number",
                "a draft has no number",
            ))
        }
        (Status::Submitted, None) => {
            return Err(Invalid::new(
                "registration_number.missing",
                "registration_number",
                "a submitted application has its number",
            ))
        }
        _ => {
            return Err(Invalid::new(
                "payload.status_invalid",
                "status",
                "a new application is a draft or submitted",
            ))
        }
    }
    match p.kind {
        ApplicationKind::Permit => permit(p),
        ApplicationKind::Bansos => bansos(p),
        ApplicationKind::Hibah => hibah(p),
    }
}

fn details<T: serde::de::DeserializeOwned>(p: &RegisterPayload) -> Result<T, Invalid> {
    serde_json::from_str(p.details.get())
        .map_err(|e| Invalid::new("payload.details_invalid", "details", format!("details: {e}")))
}

fn absent<T>(field: &'static str, value: &Option<T>) -> Result<(), Invalid> {
    match value {
        None => Ok(()),
        Some(_) => {
            Err(Invalid::new("payload.not_applicable", field, format!("{field} does not apply to this kind")))
        }
    }
}

fn applicant_draft(p: &RegisterPayload) -> ApplicantDraft {
    ApplicantDraft {
        nik: p.applicant_nik.clone().unwrap_or_default(),
        full_name: p.applicant_name.clone(),
        address: p.applicant_address.clone(),
        village_code: p.village_code.clone(),
        phone: p.applicant_phone.clone().unwrap_or_default(),
    }
}

fn applicant_same(p: &RegisterPayload, a: &loket_domain::applicant::Applicant) -> Result<(), Invalid> {
    same("applicant_nik", Some(a.nik.as_str()), p.applicant_nik.as_deref())?;
    same("applicant_name", a.full_name.as_str(), p.applicant_name.as_str())?;
    same("applicant_address", a.address.as_str(), p.applicant_address.as_str())?;
    same("applicant_phone", a.phone.as_deref(), p.applicant_phone.as_deref())?;
    same("village_code", a.village_code.as_str(), p.village_code.as_str())
}

fn permit(p: &RegisterPayload) -> Result<(), Invalid> {
    absent("period", &p.period)?;
    absent("kk", &p.kk)?;
    absent("organization_name", &p.organization_name)?;
    if !p.household.is_empty() {
        return Err(Invalid::new("payload.not_applicable", "household", "a permit has no household"));
    }
    let sent: loket_domain::permit::PermitDetails = details(p)?;
    let draft = PermitDraft {
        applicant: applicant_draft(p),
        service_code: p.service_code.clone(),
        details: sent.clone(),
        documents_received: p.checklist.iter().filter(|c| c.received).map(|c| c.code.clone()).collect(),
    };
    // The catalogue version it was registered under: its services, documents and fee.
    let catalogue = loket_domain::catalogue::of(p.catalogue.as_ref()).ok_or_else(|| {
        Invalid::new("catalogue.unknown", "catalogue", "a catalogue version this server has not published")
    })?;
    let v = validate_permit_in(&draft, catalogue).map_err(first_error)?;
    applicant_same(p, &v.applicant)?;
    same("service_code", v.service.code, p.service_code.as_str())?;
    same("details", &v.details, &sent)?;
    let checklist: Vec<(&str, bool)> = v.checklist.iter().map(|c| (c.code, c.received)).collect();
    let sent_checklist: Vec<(&str, bool)> =
        p.checklist.iter().map(|c| (c.code.as_str(), c.received)).collect();
    same("checklist", &checklist, &sent_checklist)?;
    same("fee", &i64::try_from(v.fee).unwrap_or(i64::MAX), &p.fee)?;
    if p.status == Status::Submitted && !v.documents_complete() {
        return Err(Invalid::new(
            "documents.incomplete",
            "checklist",
            "a permit is submitted only with every required document",
        ));
    }
    Ok(())
}

/// The programme of an aid application, of the right kind, with its period.
fn programme(p: &RegisterPayload, kind: AidKind) -> Result<(), Invalid> {
    let programme = aid::programme(&p.service_code)
        .filter(|g| g.kind == kind)
        .ok_or_else(|| Invalid::new("programme.unknown", "service_code", "not a programme of this kind"))?;
    same("period", Some(programme.period), p.period.as_deref())?;
    same("fee", &0, &p.fee)?;
    if !p.checklist.is_empty() {
        return Err(Invalid::new("payload.not_applicable", "checklist", "aid has no documents checklist"));
    }
    Ok(())
}

fn bansos(p: &RegisterPayload) -> Result<(), Invalid> {
    programme(p, AidKind::Bansos)?;
    absent("organization_name", &p.organization_name)?;
    let sent: BansosDetails = details(p)?;
    let draft = BansosDraft {
        applicant: applicant_draft(p),
        kk: p.kk.clone().unwrap_or_default(),
        household: p
            .household
            .iter()
            .map(|m| MemberDraft {
                nik: m.nik.clone(),
                full_name: m.full_name.clone(),
                relationship: m.relationship.clone(),
            })
            .collect(),
        monthly_income: sent.monthly_income,
        category_code: sent.category.clone(),
        programme_code: p.service_code.clone(),
    };
    let v = aid::validate_bansos(&draft).map_err(first_error)?;
    applicant_same(p, &v.applicant)?;
    same("kk", Some(v.kk.as_str()), p.kk.as_deref())?;
    same("category", v.category.code, sent.category.as_str())?;
    let household: Vec<(&str, &str, &str)> =
        v.household.iter().map(|m| (m.nik.as_str(), m.full_name.as_str(), m.relationship.as_str())).collect();
    let sent_household: Vec<(&str, &str, &str)> =
        p.household.iter().map(|m| (m.nik.as_str(), m.full_name.as_str(), m.relationship.as_str())).collect();
    same("household", &household, &sent_household)
}

fn hibah(p: &RegisterPayload) -> Result<(), Invalid> {
    programme(p, AidKind::Hibah)?;
    absent("kk", &p.kk)?;
    absent("applicant_phone", &p.applicant_phone)?;
    if !p.household.is_empty() {
        return Err(Invalid::new("payload.not_applicable", "household", "a grant has no household"));
    }
    let sent: HibahDetails = details(p)?;
    let draft = HibahDraft {
        organization_name: p.organization_name.clone().unwrap_or_default(),
        legal_basis: sent.legal_basis.clone(),
        npwp: sent.npwp.clone(),
        address: p.applicant_address.clone(),
        village_code: p.village_code.clone(),
        bank_name: sent.bank_name.clone(),
        account_number: sent.account_number.clone(),
        account_holder: sent.account_holder.clone(),
        chair_nik: p.applicant_nik.clone().unwrap_or_default(),
        chair_name: p.applicant_name.clone(),
        secretary_nik: sent.secretary_nik.clone(),
        secretary_name: sent.secretary_name.clone(),
        amount_proposed: sent.amount_proposed,
        rab_total: sent.rab_total,
        programme_code: p.service_code.clone(),
    };
    let v = aid::validate_hibah(&draft).map_err(first_error)?;
    same("organization_name", Some(v.organization_name.as_str()), p.organization_name.as_deref())?;
    same("applicant_nik", Some(v.chair_nik.as_str()), p.applicant_nik.as_deref())?;
    same("applicant_name", v.chair_name.as_str(), p.applicant_name.as_str())?;
    same("applicant_address", v.address.as_str(), p.applicant_address.as_str())?;
    same("village_code", v.village_code.as_str(), p.village_code.as_str())?;
    let expected = HibahDetails {
        legal_basis: v.legal_basis,
        npwp: v.npwp,
        bank_name: v.bank_name,
        account_number: v.account_number,
        account_holder: v.account_holder,
        secretary_nik: v.secretary_nik.as_str().to_string(),
        secretary_name: v.secretary_name,
        amount_proposed: v.amount_proposed,
        rab_total: v.rab_total,
    };
    same("details", &expected, &sent)
}

fn transition(p: &TransitionPayload) -> Result<(), Invalid> {
    id("event_id", &p.event_id)?;
    id("application_id", &p.application_id)?;
    username("actor", &p.actor)?;
    if !p.hlc.is_empty() {
        hlc("hlc", &p.hlc)?;
    }
    if p.note.chars().count() > NOTE_MAX {
        return Err(Invalid::new(
            "workflow.note_too_long",
            "note",
            format!("a note has at most {NOTE_MAX} characters"),
        ));
    }
    if let Some(n) = &p.registration_number {
        // The office is checked by the server's rules, which know the application's.
        let parsed: Result<RegistrationNumber, _> = n.parse();
        if !parsed.is_ok_and(|r| r.to_string() == *n) {
            return Err(Invalid::new(
                "registration_number.invalid",
                "registration_number",
                "not a registration number",
            ));
        }
    }
    Ok(())
}

/// Changed applicant fields, as the desktop's validators normalise them.
pub fn fields(f: &ApplicantFields) -> Result<(), Invalid> {
    let change = ApplicantChange {
        full_name: f.applicant_name.clone(),
        address: f.applicant_address.clone(),
        phone: f.applicant_phone.clone(),
        village_code: f.village_code.clone(),
    };
    let v = validate_change(&change).map_err(first_error)?;
    same("applicant_name", &v.full_name, &f.applicant_name)?;
    same("applicant_address", &v.address, &f.applicant_address)?;
    same("applicant_phone", &v.phone, &f.applicant_phone)?;
    same("village_code", &v.village_code, &f.village_code)
}

fn resolve(p: &ResolvePayload) -> Result<(), Invalid> {
    id("application_id", &p.application_id)?;
    username("actor", &p.actor)?;
    if p.resolves.is_empty() || p.resolves.len() > RESOLVES_MAX {
        return Err(Invalid::new(
            "payload.resolves_invalid",
            "resolves",
            format!("a resolution settles 1 to {RESOLVES_MAX} conflicts"),
        ));
    }
    for r in &p.resolves {
        id("resolves", r)?;
    }
    if p.fields.is_empty() {
        Ok(())
    } else {
        fields(&p.fields)
    }
}

/// An access record names what its action is about, and nothing else.
fn access(p: &AccessPayload) -> Result<(), Invalid> {
    use crate::kinds::AccessAction as A;
    id("id", &p.id)?;
    let wrong = |field: &'static str, what: &str| {
        Err(Invalid::new("access.invalid", field, format!("{what} for {}", p.action)))
    };
    let (needs_app, needs_attachment, needs_identifier) = match p.action {
        A::ViewApplication => (true, false, false),
        A::OpenAttachment => (true, true, false),
        A::SearchNumber => (false, false, true),
        A::Export => (false, false, false),
    };
    match (&p.application_id, needs_app) {
        (Some(app), true) => id("application_id", app)?,
        (None, false) => {}
        (Some(_), false) => return wrong("application_id", "no application"),
        (None, true) => return wrong("application_id", "an application is required"),
    }
    match (&p.attachment, needs_attachment) {
        (Some(sha), true) if is_sha256_hex(sha) => {}
        (None, false) => {}
        (Some(_), true) => return wrong("attachment", "a lower-case SHA-256"),
        (Some(_), false) => return wrong("attachment", "no attachment"),
        (None, true) => return wrong("attachment", "an attachment is required"),
    }
    match (&p.identifier, needs_identifier) {
        (Some(n), true) if n.len() == 16 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        (None, false) => Ok(()),
        (Some(_), true) => wrong("identifier", "16 digits"),
        (Some(_), false) => wrong("identifier", "no identifier"),
        (None, true) => wrong("identifier", "the number searched for is required"),
    }
}

fn attach(p: &AttachPayload) -> Result<(), Invalid> {
    id("application_id", &p.application_id)?;
    if !is_sha256_hex(&p.sha256) {
        return Err(Invalid::new("attachment.sha256_invalid", "sha256", "not a lower-case SHA-256"));
    }
    if !(1..=MAX_ATTACHMENT_BYTES as i64).contains(&p.size) {
        return Err(Invalid::new(
            "attachment.too_large",
            "size",
            format!("1 to {MAX_ATTACHMENT_BYTES} bytes"),
        ));
    }
    if !ACCEPTED_MEDIA_TYPES.contains(&p.media_type.as_str()) {
        return Err(Invalid::new("attachment.type", "media_type", "only PDF, JPEG and PNG are accepted"));
    }
    if p.file_name.chars().count() > FILE_NAME_MAX || p.file_name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "attachment.file_name_invalid",
            "file_name",
            "file name too long or with control characters",
        ));
    }
    if !p.document_code.is_empty() {
        code("document_code", &p.document_code)?;
    }
    Ok(())
}

fn staff(f: &StaffFields) -> Result<(), Invalid> {
    let draft = StaffDraft {
        status: f.status.clone(),
        employee_number: f.employee_number.clone().unwrap_or_default(),
        full_name: f.full_name.clone(),
        golongan: f.golongan.clone().unwrap_or_default(),
        jabatan: f.jabatan.clone(),
        unit_code: f.unit_code.clone(),
        active: f.active,
    };
    let v = validate_staff(&draft).map_err(first_error)?;
    same("status", v.status.as_str(), f.status.as_str())?;
    same("employee_number", &v.employee_number, &f.employee_number)?;
    same("full_name", &v.full_name, &f.full_name)?;
    same("golongan", v.golongan, f.golongan.as_deref())?;
    same("jabatan", &v.jabatan, &f.jabatan)?;
    same("unit_code", &v.unit_code, &f.unit_code)
}
