//! What the server does with operations: a pure function of the operations and the state they
//! refer to. A backend decodes a push into a [`Batch`], loads what [`Batch::needs`] asks for,
//! calls [`Batch::plan`] and executes the planned [`Write`]s in one transaction. Keeping the
//! rules here — not in two SQL dialects — is what lets both backends behave identically (and be
//! tested without a database).
//!
//! Every payload is decoded once, by its kind, into the protocol's typed payloads; one that does
//! not decode is rejected alone (`invalid_payload`) and the rest of the batch goes on.

mod batch;
pub mod holiday;
mod proof;
pub mod receipt;
pub mod release;

pub use batch::{refusals, Batch, BatchNeeds, Loaded, Step};
pub use proof::Signer;

use std::sync::Arc;

use loket_domain::workflow::{self, ApplicationKind, Role, Status};
use loket_protocol::{
    ApplicantFields, AttachPayload, ChangeBody, ChangeKind, ConflictData, DocumentPayload, EditData,
    EditPayload, EventData, FlagData, FlagReason, OpBody, OpKind, OpResult, OpStatus, Operation,
    RegisterPayload, Relayed, ResolvePayload, ResolvedData, StaffCreatePayload, StaffUpdatePayload,
    StateData, StepConflict, TransitionPayload, ValuesConflict,
};

/// JSON text shared by the writes that hold the same value (a registration's row and its
/// change): encoded once.
pub type Json = Arc<str>;

fn json(body: &ChangeBody) -> Json {
    body.encode().into()
}

/// The server's view of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub id: String,
    pub office_code: String,
    pub kind: ApplicationKind,
    pub status: Status,
    pub version: i64,
    pub service_code: String,
    pub period: Option<String>,
    pub applicant_nik: Option<String>,
    pub kk: Option<String>,
    pub registration_number: Option<String>,
    /// The current values of the editable applicant fields.
    pub fields: ApplicantFields,
    /// A permit's catalogue version (`None`: the default).
    pub catalogue: Option<loket_domain::catalogue::CatalogueRef>,
}

/// The server's state of an application, published after an operation on it was refused or
/// lost a conflict: the device drops its optimistic change and shows this.
fn state_change(app: &AppState) -> Write {
    let data = ChangeBody::State(StateData {
        application_id: app.id.clone(),
        status: app.status,
        version: app.version,
        registration_number: app.registration_number.clone(),
        fields: app.fields.clone(),
    });
    Write::change(&app.office_code, &app.id, &data)
}

/// Rejected, with the application's server state for the device.
fn rejected_on(app: &AppState, code: &'static str, message: impl Into<String>) -> Decision {
    let mut d = Decision::rejected(code, message);
    d.writes.push(state_change(app));
    d
}

/// Key of the cross-kecamatan duplicate-aid check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub programme: String,
    pub period: String,
    pub nik: Option<String>,
    pub kk: Option<String>,
}

/// What a backend must load before deciding one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The application the operation refers to.
    pub application_id: Option<String>,
    /// The user whose proof the operation carries.
    pub actor: Option<String>,
    /// Active applications elsewhere with the same NIK or KK, programme and period.
    pub duplicates_of: Option<DuplicateKey>,
    /// The registration number the operation assigns (checked for uniqueness).
    pub registration_number: Option<String>,
    /// The staff record the operation creates or updates.
    pub staff_id: Option<String>,
}

/// A staff record as the server keeps it: its office, version and fields (to settle a
/// concurrent update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffState {
    pub id: String,
    pub office: String,
    pub version: i64,
    pub fields: loket_protocol::StaffFields,
}

/// What was loaded for one operation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub device_office: String,
    pub app: Option<AppState>,
    /// The user whose proof the operation carries, if the server knows them.
    pub actor: Option<Arc<Signer>>,
    /// Matches of the duplicate key, in any office (the rules skip the device's own).
    pub duplicates: Vec<AppState>,
    /// Whether the proof's signature verifies, when the batch already checked it with all the
    /// push's others (`None`: the rules check it themselves).
    pub verified: Option<bool>,
    /// The application that already holds the operation's registration number, if any.
    pub number_holder: Option<String>,
    /// The staff record the operation is about, if the server keeps it.
    pub staff: Option<StaffState>,
}

/// One write to execute.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    InsertApplication {
        app: AppState,
        data: Json,
    },
    SetStatus {
        id: String,
        status: Status,
        version: i64,
        registration_number: Option<String>,
    },
    SetFields {
        id: String,
        fields: ApplicantFields,
        version: i64,
    },
    /// A change for an office's devices to pull.
    Change {
        office: String,
        kind: ChangeKind,
        entity_id: String,
        data: Json,
    },
    Flag {
        application_id: String,
        other_application_id: String,
        reason: FlagReason,
    },
    Conflict {
        application_id: String,
        data: Json,
    },
    /// A staff record's version and fields as the server now keeps them.
    Staff(StaffState),
    /// A staff member left the office (deactivated, or transferred to another): the office's
    /// accounts that name their NIP / NI PPPK are deactivated, and the office's devices told.
    DeactivateAccounts {
        office: String,
        nip: String,
    },
    /// A supervisor settled these conflicts (ids = the losing operations' ids).
    ResolveConflicts {
        application_id: String,
        ids: Vec<String>,
    },
    /// Somebody looked at personal data (kept for IT's audit, not relayed). A searched NIK or
    /// KK (`identifier`) is stored as its keyed hash only.
    Access {
        office: String,
        username: String,
        payload: loket_protocol::AccessPayload,
    },
    /// An accepted attach operation announces its content: only announced contents may be
    /// uploaded, of the declared size and type.
    ExpectBlob {
        office: String,
        sha256: String,
        size: i64,
        media_type: String,
    },
}

impl Write {
    fn change(office: &str, entity_id: &str, body: &ChangeBody) -> Self {
        Self::Change {
            office: office.into(),
            kind: body.kind(),
            entity_id: entity_id.into(),
            data: json(body),
        }
    }
}

/// The verdict and the writes that carry it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub status: OpStatus,
    pub code: Option<&'static str>,
    pub message: Option<String>,
    pub writes: Vec<Write>,
}

impl Decision {
    fn accepted(writes: Vec<Write>) -> Self {
        Self { status: OpStatus::Accepted, code: None, message: None, writes }
    }

    fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: OpStatus::Rejected, code: Some(code), message: Some(message.into()), writes: vec![] }
    }

    fn conflict(code: &'static str, message: String, app: &AppState, data: ConflictData) -> Self {
        let data = json(&ChangeBody::Conflict(Box::new(data)));
        Self {
            status: OpStatus::Conflict,
            code: Some(code),
            message: Some(message),
            writes: vec![
                Write::Conflict { application_id: app.id.clone(), data: data.clone() },
                Write::Change {
                    office: app.office_code.clone(),
                    kind: ChangeKind::Conflict,
                    entity_id: app.id.clone(),
                    data,
                },
                state_change(app),
            ],
        }
    }

    pub fn result(&self, op: &Operation) -> OpResult {
        OpResult {
            op_id: op.op_id.clone(),
            seq: op.seq,
            status: self.status,
            code: self.code.map(str::to_string),
            message: self.message.clone(),
        }
    }
}

/// The final result of an operation that broke a database constraint despite the rules: it is
/// rejected alone, and the rest of its batch goes on.
pub fn constraint_rejection(op: &Operation) -> OpResult {
    OpResult {
        op_id: op.op_id.clone(),
        seq: op.seq,
        status: OpStatus::Rejected,
        code: Some("constraint".into()),
        message: Some("the operation conflicts with stored data".into()),
    }
}

/// Statuses in which an aid application still counts for the duplicate check.
pub fn is_active(status: Status) -> bool {
    !matches!(status, Status::Rejected | Status::Cancelled | Status::Draft)
}

/// An operation's payload decoded by its kind, or why it does not decode.
pub type Decoded = Result<OpBody, String>;

/// Decode an operation's payload.
pub fn decode(op: &Operation) -> Decoded {
    if op.payload.get().len() > loket_protocol::MAX_OP_PAYLOAD_BYTES {
        // Refused by its envelope; never decoded.
        return Err(format!("{} payload is too large", op.op));
    }
    op.body().map_err(|e| format!("{} payload: {e}", op.op))
}

/// What to load for `op`.
pub fn needs(op: &Operation, body: &Decoded) -> Needs {
    let on_application = || Needs { application_id: Some(op.entity_id.clone()), ..Needs::default() };
    let needs = match body {
        Ok(OpBody::Register(p)) => Needs {
            registration_number: p.registration_number.clone(),
            duplicates_of: (p.kind == ApplicationKind::Bansos).then(|| DuplicateKey {
                programme: p.service_code.clone(),
                period: p.period.clone().unwrap_or_default(),
                nik: p.applicant_nik.clone(),
                kk: p.kk.clone(),
            }),
            ..on_application()
        },
        Ok(OpBody::Transition(p)) => {
            Needs { registration_number: p.registration_number.clone(), ..on_application() }
        }
        Ok(OpBody::Resolve(_) | OpBody::Edit(_) | OpBody::Document(_) | OpBody::Attach(_)) => {
            on_application()
        }
        Ok(OpBody::StaffCreate(_) | OpBody::StaffUpdate(_)) => {
            Needs { staff_id: Some(op.entity_id.clone()), ..Needs::default() }
        }
        Ok(_) => Needs::default(),
        // Refused, with the application's state when it is about one.
        Err(_) if op.op.entity() == loket_protocol::Entity::Application => on_application(),
        Err(_) => Needs::default(),
    };
    Needs { actor: op.proof.as_ref().map(|p| p.user.clone()), ..needs }
}

/// Decide what to do with `op` (decoding its payload first).
pub fn decide(op: &Operation, ctx: &Context) -> Decision {
    decide_decoded(op, &decode(op), ctx)
}

/// Decide what to do with `op`, whose payload was decoded as `body`.
pub fn decide_decoded(op: &Operation, body: &Decoded, ctx: &Context) -> Decision {
    // A device numbers its operations from 1; anything else is not one of its operations.
    if op.seq < 1 {
        return Decision::rejected("invalid_sequence", "operation sequence numbers start at 1");
    }
    if let Err(invalid) = loket_protocol::validate::envelope(op) {
        return Decision::rejected(invalid.code, invalid.to_string());
    }
    let body = match body {
        Ok(body) => body,
        Err(why) => return refused(op, ctx, "invalid_payload", why.clone()),
    };
    if op.op.entity() != body.kind().entity() || body.application_id().is_some_and(|id| id != op.entity_id) {
        return Decision::rejected("invalid_payload", "payload id does not match the entity id");
    }
    let roles = match proof::check(op, body, ctx) {
        Ok(roles) => roles,
        Err((code, message)) => return refused(op, ctx, code, message),
    };
    // Another office's application is refused as such, whatever the payload holds.
    let app = match body {
        OpBody::Register(_) => None,
        b if b.application_id().is_some() => match own_app(ctx) {
            Ok(app) => Some(app),
            Err(d) => return d,
        },
        _ => None,
    };
    // The domain's validators, as the desktop runs them: what is relayed is what they accept.
    if let Err(invalid) = loket_protocol::validate::check(body) {
        return refused(op, ctx, invalid.code, invalid.to_string());
    }
    match (body, app) {
        (OpBody::Register(p), _) => register(p, ctx),
        (OpBody::Transition(p), Some(app)) => transition(op, p, &roles, app, ctx),
        (OpBody::Edit(p), Some(app)) => edit(op, p, app),
        (OpBody::Resolve(p), Some(app)) => resolve(op, p, app),
        (OpBody::Document(p), Some(app)) => document(p, app, body),
        (OpBody::Attach(p), Some(app)) => attach(p, app, body),
        (
            OpBody::Transition(_)
            | OpBody::Edit(_)
            | OpBody::Resolve(_)
            | OpBody::Document(_)
            | OpBody::Attach(_),
            None,
        ) => Decision::rejected("unknown_application", "application is not known to the server"),
        (OpBody::StaffCreate(StaffCreatePayload { fields, .. }), _)
            if fields.unit_code != ctx.device_office =>
        {
            Decision::rejected("forbidden_office", "a staff record of another office")
        }
        // An update moves a record to another office only from the office that keeps it.
        (OpBody::StaffUpdate(StaffUpdatePayload { fields, .. }), _)
            if fields.unit_code != ctx.device_office
                && ctx.staff.as_ref().is_none_or(|s| s.office != ctx.device_office) =>
        {
            Decision::rejected("forbidden_office", "a staff record of another office")
        }
        (OpBody::StaffCreate(p), _) => staff_create(p, ctx, body),
        (OpBody::StaffUpdate(p), _) => staff_update(op, p, ctx),
        (OpBody::UserCreate(_) | OpBody::UserDeactivate(_) | OpBody::HolidaySet(_), _) => {
            relay(&ctx.device_office, &op.entity_id, body)
        }
        // A catalogue version is published on the server by IT (`loket-server catalogue
        // publish`), for every office it covers, never from one laptop.
        (OpBody::CataloguePublish(_), _) => {
            Decision::rejected("catalogue.server_only", "catalogues are published on the provincial server")
        }
        (OpBody::Access(p), _) => Decision::accepted(vec![Write::Access {
            office: ctx.device_office.clone(),
            username: op.proof.as_ref().map(|p| p.user.clone()).unwrap_or_default(),
            payload: p.clone(),
        }]),
    }
}

/// A new staff record: kept at version 1, and relayed to the office's devices.
fn staff_create(p: &StaffCreatePayload, ctx: &Context, body: &OpBody) -> Decision {
    if ctx.staff.is_some() {
        return Decision::rejected("staff.exists", "a staff record with this id already exists");
    }
    let mut d = relay(&ctx.device_office, &p.id, body);
    d.writes.push(Write::Staff(StaffState {
        id: p.id.clone(),
        office: ctx.device_office.clone(),
        version: 1,
        fields: p.fields.clone(),
    }));
    d
}

/// A staff record's update, made on `base_version`. On the server's version it is applied and
/// relayed; on an older one (another laptop updated the record meanwhile) it is kept as a
/// `staff_conflict` for a supervisor to settle — never silently overwritten — and devices take
/// the server's record. A record the server has not kept (created before it kept them) is taken
/// as it comes.
fn staff_update(op: &Operation, p: &StaffUpdatePayload, ctx: &Context) -> Decision {
    let base = op.base_version.unwrap_or(0);
    match &ctx.staff {
        Some(s) if s.office != ctx.device_office => {
            Decision::rejected("forbidden_office", "a staff record of another office")
        }
        Some(s) if s.version != base => {
            let data = ChangeBody::StaffConflict(Box::new(loket_protocol::StaffConflictData {
                staff_id: s.id.clone(),
                op_id: op.op_id.clone(),
                fields: p.fields.clone(),
                base_version: base,
                server_fields: s.fields.clone(),
                server_version: s.version,
                actor: op.proof.as_ref().map(|p| p.user.clone()).unwrap_or_default(),
            }));
            Decision {
                status: OpStatus::Conflict,
                code: Some("staff_changed"),
                message: Some(format!(
                    "the staff record was updated to version {} meanwhile; kept for a supervisor",
                    s.version
                )),
                writes: vec![Write::change(&s.office, &s.id, &data)],
            }
        }
        current => {
            let version = current.as_ref().map_or(base, |s| s.version) + 1;
            let relayed = OpBody::StaffUpdate(StaffUpdatePayload { version: Some(version), ..p.clone() });
            let mut d = relay(&ctx.device_office, &p.id, &relayed);
            // A transfer (mutasi): the record moves to the other kecamatan's office, whose
            // devices get it too.
            if p.fields.unit_code != ctx.device_office {
                d.writes.push(Write::change(
                    &p.fields.unit_code,
                    &p.id,
                    &ChangeBody::Record(Relayed(relayed.clone())),
                ));
            }
            d.writes.push(Write::Staff(StaffState {
                id: p.id.clone(),
                office: p.fields.unit_code.clone(),
                version,
                fields: p.fields.clone(),
            }));
            // Whoever is no longer staff of this office no longer acts for it.
            let left = !p.fields.active || p.fields.unit_code != ctx.device_office;
            if let (true, Some(nip)) = (left, &p.fields.employee_number) {
                d.writes
                    .push(Write::DeactivateAccounts { office: ctx.device_office.clone(), nip: nip.clone() });
            }
            d
        }
    }
}

/// A checklist document of the application's own service.
fn document(p: &DocumentPayload, app: &AppState, body: &OpBody) -> Decision {
    let known = loket_domain::catalogue::of(app.catalogue.as_ref())
        .and_then(|c| c.service(&app.service_code))
        .and_then(|s| s.document(&p.code));
    if app.kind != ApplicationKind::Permit || known.is_none() {
        return rejected_on(
            app,
            "documents.unknown",
            format!("{} is not a document of this service", p.code),
        );
    }
    relay(&app.office_code, &app.id, body)
}

/// An attachment's metadata, relayed; its content may then be uploaded.
fn attach(p: &AttachPayload, app: &AppState, body: &OpBody) -> Decision {
    let mut d = relay(&app.office_code, &app.id, body);
    d.writes.push(Write::ExpectBlob {
        office: app.office_code.clone(),
        sha256: p.sha256.clone(),
        size: p.size,
        media_type: p.media_type.clone(),
    });
    d
}

/// Refuse a registration number held by another application.
fn number_taken(ctx: &Context, app_id: &str) -> Option<Decision> {
    ctx.number_holder
        .as_deref()
        .filter(|holder| *holder != app_id)
        .map(|_| Decision::rejected("registration_number.taken", "the registration number is already in use"))
}

/// Refused before its content was looked at; a device's own application gets its server state
/// with the refusal (a registration never does: the application is not the device's).
fn refused(op: &Operation, ctx: &Context, code: &'static str, message: String) -> Decision {
    match &ctx.app {
        Some(app) if op.op != OpKind::ApplicationRegister && app.office_code == ctx.device_office => {
            rejected_on(app, code, message)
        }
        _ => Decision::rejected(code, message),
    }
}

/// Accepted and relayed to the office's devices as it is.
fn relay(office: &str, entity_id: &str, body: &OpBody) -> Decision {
    Decision::accepted(vec![Write::change(office, entity_id, &ChangeBody::Record(Relayed(body.clone())))])
}

fn register(p: &RegisterPayload, ctx: &Context) -> Decision {
    if p.office_code != ctx.device_office {
        return Decision::rejected("forbidden_office", "application belongs to another office");
    }
    if let Some(existing) = &ctx.app {
        return if existing.office_code == ctx.device_office {
            Decision::rejected("already_registered", "an application with this id already exists")
        } else {
            Decision::rejected("forbidden_office", "application belongs to another office")
        };
    }
    if let Some(taken) = number_taken(ctx, &p.id) {
        return taken;
    }
    let app = AppState {
        id: p.id.clone(),
        office_code: p.office_code.clone(),
        kind: p.kind,
        status: p.status,
        version: 1,
        service_code: p.service_code.clone(),
        period: p.period.clone(),
        applicant_nik: p.applicant_nik.clone(),
        kk: p.kk.clone(),
        registration_number: p.registration_number.clone(),
        fields: ApplicantFields {
            applicant_name: Some(p.applicant_name.clone()),
            applicant_address: Some(p.applicant_address.clone()),
            applicant_phone: Some(p.applicant_phone.clone()),
            village_code: Some(p.village_code.clone()),
        },
        catalogue: p.catalogue.clone(),
    };
    // One encoding of the registration for its row and its change.
    let data = json(&ChangeBody::Application(Box::new(p.clone())));
    let mut writes = vec![
        Write::InsertApplication { app: app.clone(), data: data.clone() },
        Write::Change {
            office: app.office_code.clone(),
            kind: ChangeKind::Application,
            entity_id: app.id.clone(),
            data,
        },
    ];
    if app.kind == ApplicationKind::Bansos && is_active(app.status) {
        for other in ctx.duplicates.iter().filter(|o| o.office_code != app.office_code && is_active(o.status))
        {
            let reason = if app.applicant_nik.is_some() && other.applicant_nik == app.applicant_nik {
                FlagReason::Nik
            } else {
                FlagReason::Kk
            };
            writes.push(Write::Flag {
                application_id: app.id.clone(),
                other_application_id: other.id.clone(),
                reason,
            });
            let reference = flag_reference(&app.id, &other.id);
            for (here, there) in [(&app, other), (other, &app)] {
                let flag = ChangeBody::Flag(FlagData {
                    application_id: here.id.clone(),
                    reference: reference.clone(),
                    other_office_code: there.office_code.clone(),
                    programme: app.service_code.clone(),
                    period: app.period.clone(),
                    reason,
                });
                writes.push(Write::change(&here.office_code, &here.id, &flag));
            }
        }
    }
    Decision::accepted(writes)
}

/// The reference of a duplicate-aid pair: the same whichever side it is computed from, and
/// telling nothing about either application (`DUP-` and eight Crockford base32 characters of
/// the SHA-256 of the two ids).
pub fn flag_reference(a: &str, b: &str) -> String {
    use sha2::{Digest, Sha256};
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let digest = Sha256::new().chain_update(first).chain_update([0]).chain_update(second).finalize();
    let bits = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    let alphabet = loket_domain::registration::DEVICE_CODE_ALPHABET;
    let code: String = (0..8).map(|i| alphabet[((bits >> (59 - 5 * i)) & 31) as usize] as char).collect();
    format!("DUP-{code}")
}

/// The device's own application, or its refusal (unknown, or another office's).
fn own_app(ctx: &Context) -> Result<&AppState, Decision> {
    match &ctx.app {
        None => Err(Decision::rejected("unknown_application", "application is not known to the server")),
        Some(a) if a.office_code != ctx.device_office => {
            Err(Decision::rejected("forbidden_office", "application belongs to another office"))
        }
        Some(a) => Ok(a),
    }
}

fn transition(
    op: &Operation,
    p: &TransitionPayload,
    roles: &[Role],
    app: &AppState,
    ctx: &Context,
) -> Decision {
    let action = p.action;
    let current = app.status;
    if current != p.from {
        // Someone else moved the application first (e.g. approve vs reject): the first to
        // arrive wins; this one is reported back and kept for the supervisor to see.
        return Decision::conflict(
            "status_changed",
            format!("application is {current} on the server, not {}", p.from),
            app,
            ConflictData {
                application_id: app.id.clone(),
                op_id: op.op_id.clone(),
                step: StepConflict {
                    action: Some(action),
                    from: Some(p.from),
                    server_status: Some(current),
                    payload: Some(p.clone()),
                },
                values: ValuesConflict::default(),
            },
        );
    }
    let to = match workflow::transition(current, action, roles, &p.note) {
        Ok(to) => to,
        Err(e) => return rejected_on(app, workflow_code(&e), e.to_string()),
    };
    // The first number the server saw stays: two devices that submitted one draft offline each
    // numbered it, and a later step from the losing device still carries its own number.
    if app.registration_number.is_none() {
        if let Some(number) = &p.registration_number {
            if let Err(invalid) = loket_protocol::validate::registration_number(number, &app.office_code) {
                return rejected_on(app, invalid.code, invalid.to_string());
            }
            if let Some(mut taken) = number_taken(ctx, &app.id) {
                taken.writes.push(state_change(app));
                return taken;
            }
        }
    }
    let registration_number = app.registration_number.clone().or_else(|| p.registration_number.clone());
    // The server's verdict travels with the event: devices take status and version from here,
    // so every device ends on the server's state.
    let event = ChangeBody::Event(EventData {
        step: TransitionPayload { registration_number: registration_number.clone(), ..p.clone() },
        status: to,
        version: app.version + 1,
    });
    Decision::accepted(vec![
        Write::SetStatus { id: app.id.clone(), status: to, version: app.version + 1, registration_number },
        Write::change(&app.office_code, &app.id, &event),
    ])
}

fn workflow_code(e: &workflow::WorkflowError) -> &'static str {
    match e {
        workflow::WorkflowError::RoleNotAllowed { .. } => "role_not_allowed",
        workflow::WorkflowError::NotAllowedFrom { .. } => "not_allowed_from",
        workflow::WorkflowError::NoteRequired { .. } => "note_required",
        workflow::WorkflowError::NoteTooLong => "note_too_long",
    }
}

/// A conflict over field values made on a version the server has moved past.
fn stale_fields(op: &Operation, app: &AppState, fields: &ApplicantFields, what: &str) -> Decision {
    Decision::conflict(
        "stale_base_version",
        format!("{what} version {:?}, server has version {}", op.base_version, app.version),
        app,
        ConflictData {
            application_id: app.id.clone(),
            op_id: op.op_id.clone(),
            step: StepConflict::default(),
            values: ValuesConflict {
                fields: fields.clone(),
                base_version: op.base_version,
                server_version: app.version,
                server_fields: app.fields.clone(),
            },
        },
    )
}

fn edit(op: &Operation, p: &EditPayload, app: &AppState) -> Decision {
    if p.fields.is_empty() {
        return rejected_on(app, "invalid_payload", "edit needs fields");
    }
    if op.base_version != Some(app.version) {
        return stale_fields(op, app, &p.fields, "edited");
    }
    let version = app.version + 1;
    let data =
        ChangeBody::Edit(EditData { application_id: app.id.clone(), fields: p.fields.clone(), version });
    Decision::accepted(vec![
        Write::SetFields { id: app.id.clone(), fields: p.fields.clone(), version },
        Write::change(&app.office_code, &app.id, &data),
    ])
}

/// A supervisor settles conflicts on an application: keeps the server's values (no fields) or
/// takes other values (fields, made on the current version). Both sides then show it resolved.
fn resolve(op: &Operation, p: &ResolvePayload, app: &AppState) -> Decision {
    if p.resolves.is_empty() {
        return rejected_on(app, "invalid_payload", "resolve names the conflicts it settles");
    }
    if !p.fields.is_empty() && op.base_version != Some(app.version) {
        // The application moved again meanwhile: this choice is itself a conflict to look at.
        return stale_fields(op, app, &p.fields, "resolved on");
    }
    let version = if p.fields.is_empty() { app.version } else { app.version + 1 };
    let mut writes = Vec::new();
    if !p.fields.is_empty() {
        writes.push(Write::SetFields { id: app.id.clone(), fields: p.fields.clone(), version });
    }
    writes.push(Write::ResolveConflicts { application_id: app.id.clone(), ids: p.resolves.clone() });
    let data = ChangeBody::Resolved(ResolvedData {
        application_id: app.id.clone(),
        resolves: p.resolves.clone(),
        fields: p.fields.clone(),
        version,
        actor: Some(p.actor.clone()),
    });
    writes.push(Write::change(&app.office_code, &app.id, &data));
    Decision::accepted(writes)
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
