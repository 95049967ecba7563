//! What the server does with one operation: a pure function of the operation and the state it
//! refers to. Backends load the [`Context`] that [`needs`] asks for, call [`decide`], and execute
//! the returned [`Write`]s in the same transaction. Keeping the rules here — not in two SQL
//! dialects — is what lets both backends behave identically (and be tested without a database).

use std::sync::Arc;

use loket_domain::workflow::{self, Action, Role, Status};
use loket_protocol::{OpResult, OpStatus, Operation};
use serde_json::{json, Map, Value};

/// The server's view of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub id: String,
    pub office_code: String,
    pub kind: String,
    pub status: String,
    pub version: i64,
    pub service_code: String,
    pub period: Option<String>,
    pub applicant_nik: Option<String>,
    pub kk: Option<String>,
    pub registration_number: Option<String>,
    /// The current values of the editable applicant fields ([`EDITABLE`]).
    pub fields: Map<String, Value>,
}

/// Applicant fields devices may edit (with a base version).
pub const EDITABLE: &[&str] = &["applicant_name", "applicant_address", "applicant_phone", "village_code"];

/// The editable fields of a stored record.
pub fn editable_fields(data: &Value) -> Map<String, Value> {
    EDITABLE.iter().filter_map(|k| data.get(*k).map(|v| (k.to_string(), v.clone()))).collect()
}

/// The server's state of an application, published after an operation on it was refused or
/// lost a conflict: the device drops its optimistic change and shows this.
fn state_change(app: &AppState) -> Write {
    Write::Change {
        office: app.office_code.clone(),
        kind: "state",
        entity_id: app.id.clone(),
        data: Arc::new(json!({
            "application_id": app.id, "status": app.status, "version": app.version,
            "registration_number": app.registration_number, "fields": app.fields,
        })),
    }
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

/// What a backend must load before deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The application the operation refers to.
    pub application_id: Option<String>,
    /// The user named as actor in the payload (roles are checked for decisions).
    pub actor: Option<String>,
    /// Active applications elsewhere with the same NIK or KK, programme and period.
    pub duplicates_of: Option<DuplicateKey>,
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub device_office: String,
    pub app: Option<AppState>,
    /// `(office, roles)` of the actor if the user exists and is active.
    pub actor: Option<(String, Vec<Role>)>,
    /// Matches of the duplicate key, in any office (the rules skip the device's own).
    pub duplicates: Vec<AppState>,
}

/// One write to execute.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    InsertApplication {
        app: AppState,
        data: Arc<Value>,
    },
    SetStatus {
        id: String,
        status: String,
        version: i64,
        registration_number: Option<String>,
    },
    SetFields {
        id: String,
        fields: Map<String, Value>,
        version: i64,
    },
    /// A change for an office's devices to pull.
    Change {
        office: String,
        kind: &'static str,
        entity_id: String,
        /// Shared with the row write that holds the same value (a registration's payload).
        data: Arc<Value>,
    },
    Flag {
        application_id: String,
        other_application_id: String,
        reason: &'static str,
    },
    Conflict {
        application_id: String,
        data: Arc<Value>,
    },
    /// A supervisor settled these conflicts (ids = the losing operations' ids).
    ResolveConflicts {
        application_id: String,
        ids: Vec<String>,
    },
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

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
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
pub fn is_active(status: &str) -> bool {
    !matches!(status, "rejected" | "cancelled" | "draft")
}

/// What to load for `op`.
pub fn needs(op: &Operation) -> Needs {
    let p = &op.payload;
    match op.op.as_str() {
        "application.register" => Needs {
            application_id: Some(op.entity_id.clone()),
            actor: None,
            duplicates_of: (str_field(p, "kind") == Some("bansos")).then(|| DuplicateKey {
                programme: str_field(p, "service_code").unwrap_or_default().to_string(),
                period: str_field(p, "period").unwrap_or_default().to_string(),
                nik: str_field(p, "applicant_nik").map(str::to_string),
                kk: str_field(p, "kk").map(str::to_string),
            }),
        },
        "application.transition" | "application.resolve" => Needs {
            application_id: Some(op.entity_id.clone()),
            actor: str_field(p, "actor").map(str::to_string),
            duplicates_of: None,
        },
        o if o.starts_with("application.") => {
            Needs { application_id: Some(op.entity_id.clone()), ..Needs::default() }
        }
        _ => Needs::default(),
    }
}

/// Decide what to do with `op`.
pub fn decide(op: &Operation, ctx: &Context) -> Decision {
    if !op.payload.is_object() {
        return Decision::rejected("invalid_payload", "payload must be a JSON object");
    }
    match op.op.as_str() {
        "application.register" => register(op, ctx),
        "application.transition" => transition(op, ctx),
        "application.edit" => edit(op, ctx),
        "application.resolve" => resolve(op, ctx),
        "application.document" | "application.attach" => forward_for_application(op, ctx),
        "staff.create" | "staff.update" | "user.create" | "user.deactivate" | "holiday.set" => {
            Decision::accepted(vec![Write::Change {
                office: ctx.device_office.clone(),
                kind: "record",
                entity_id: op.entity_id.clone(),
                data: Arc::new(json!({ "op": op.op, "payload": op.payload })),
            }])
        }
        _ => Decision::rejected("unknown_op", format!("unknown operation {:?}", op.op)),
    }
}

fn register(op: &Operation, ctx: &Context) -> Decision {
    let p = &op.payload;
    if str_field(p, "id") != Some(op.entity_id.as_str()) {
        return Decision::rejected("invalid_payload", "payload id does not match the entity id");
    }
    let office = str_field(p, "office_code").unwrap_or_default();
    if office != ctx.device_office {
        return Decision::rejected("forbidden_office", "application belongs to another office");
    }
    let Some(kind) = str_field(p, "kind").filter(|k| matches!(*k, "permit" | "bansos" | "hibah")) else {
        return Decision::rejected("invalid_payload", "unknown application kind");
    };
    let Some(status) = str_field(p, "status").filter(|s| matches!(*s, "draft" | "submitted")) else {
        return Decision::rejected("invalid_payload", "a new application is a draft or submitted");
    };
    let nik = str_field(p, "applicant_nik");
    if let Some(nik) = nik {
        if let Err(e) = loket_domain::nik::parse(nik) {
            return Decision::rejected("invalid_payload", format!("applicant NIK: {}", e.code()));
        }
    }
    let Some(service_code) = str_field(p, "service_code").filter(|s| !s.is_empty()) else {
        return Decision::rejected("invalid_payload", "missing service code");
    };
    if let Some(existing) = &ctx.app {
        return if existing.office_code == ctx.device_office {
            Decision::rejected("already_registered", "an application with this id already exists")
        } else {
            Decision::rejected("forbidden_office", "application belongs to another office")
        };
    }
    let app = AppState {
        id: op.entity_id.clone(),
        office_code: office.to_string(),
        kind: kind.to_string(),
        status: status.to_string(),
        version: 1,
        service_code: service_code.to_string(),
        period: str_field(p, "period").map(str::to_string),
        applicant_nik: nik.map(str::to_string),
        kk: str_field(p, "kk").map(str::to_string),
        registration_number: str_field(p, "registration_number").map(str::to_string),
        fields: editable_fields(p),
    };
    // One copy of the payload for the row and its change: a backend encodes it once.
    let data = Arc::new(p.clone());
    let mut writes = vec![
        Write::InsertApplication { app: app.clone(), data: data.clone() },
        Write::Change {
            office: app.office_code.clone(),
            kind: "application",
            entity_id: app.id.clone(),
            data,
        },
    ];
    if kind == "bansos" && is_active(status) {
        for other in
            ctx.duplicates.iter().filter(|o| o.office_code != app.office_code && is_active(&o.status))
        {
            let reason = if app.applicant_nik.is_some() && other.applicant_nik == app.applicant_nik {
                "nik"
            } else {
                "kk"
            };
            writes.push(Write::Flag {
                application_id: app.id.clone(),
                other_application_id: other.id.clone(),
                reason,
            });
            for (here, there) in [(&app, other), (other, &app)] {
                writes.push(Write::Change {
                    office: here.office_code.clone(),
                    kind: "flag",
                    entity_id: here.id.clone(),
                    data: Arc::new(json!({
                        "application_id": here.id,
                        "other_application_id": there.id,
                        "other_office_code": there.office_code,
                        "other_registration_number": there.registration_number,
                        "programme": app.service_code,
                        "period": app.period,
                        "reason": reason,
                    })),
                });
            }
        }
    }
    Decision::accepted(writes)
}

fn own_app(ctx: &Context) -> Result<&AppState, Decision> {
    match &ctx.app {
        None => Err(Decision::rejected("unknown_application", "application is not known to the server")),
        Some(a) if a.office_code != ctx.device_office => {
            Err(Decision::rejected("forbidden_office", "application belongs to another office"))
        }
        Some(a) => Ok(a),
    }
}

fn transition(op: &Operation, ctx: &Context) -> Decision {
    let app = match own_app(ctx) {
        Ok(a) => a,
        Err(d) => return d,
    };
    let p = &op.payload;
    let (Some(action), Some(from)) =
        (str_field(p, "action").and_then(Action::parse), str_field(p, "from").and_then(Status::parse))
    else {
        return rejected_on(app, "invalid_payload", "transition needs a known action and from-status");
    };
    let note = str_field(p, "note").unwrap_or_default();
    let roles: Vec<Role> = match &ctx.actor {
        Some((office, roles)) if *office == ctx.device_office => roles.clone(),
        _ if action.is_decision() || action == Action::StartReview => {
            return rejected_on(app, "unknown_user", "the deciding user is not a user of this office")
        }
        // Counter actions by a user the server does not know yet are taken on trust.
        _ => vec![Role::Clerk, Role::Supervisor],
    };
    let current = Status::parse(&app.status).unwrap_or(Status::Draft);
    if current != from {
        // Someone else moved the application first (e.g. approve vs reject): the first to
        // arrive wins; this one is reported back and kept for the supervisor to see.
        return Decision {
            status: OpStatus::Conflict,
            code: Some("status_changed"),
            message: Some(format!(
                "application is {} on the server, not {}",
                current.as_str(),
                from.as_str()
            )),
            writes: vec![
                Write::Conflict {
                    application_id: app.id.clone(),
                    data: Arc::new(json!({ "op": op.op, "payload": p, "server_status": current.as_str() })),
                },
                Write::Change {
                    office: app.office_code.clone(),
                    kind: "conflict",
                    entity_id: app.id.clone(),
                    data: Arc::new(json!({
                        "application_id": app.id, "op_id": op.op_id, "action": action.as_str(),
                        "from": from.as_str(), "server_status": current.as_str(), "payload": p,
                    })),
                },
                state_change(app),
            ],
        };
    }
    let to = match workflow::transition(current, action, &roles, note) {
        Ok(to) => to,
        Err(e) => return rejected_on(app, workflow_code(&e), e.to_string()),
    };
    // The first number the server saw stays: two devices that submitted one draft offline each
    // numbered it, and a later step from the losing device still carries its own number.
    let registration_number =
        app.registration_number.clone().or_else(|| str_field(p, "registration_number").map(str::to_string));
    Decision::accepted(vec![
        Write::SetStatus {
            id: app.id.clone(),
            status: to.as_str().to_string(),
            version: app.version + 1,
            registration_number: registration_number.clone(),
        },
        Write::Change {
            office: app.office_code.clone(),
            kind: "event",
            entity_id: app.id.clone(),
            // The server's verdict travels with the event: devices take status and version
            // from here, so every device ends on the server's state.
            data: Arc::new({
                let mut data = p.clone();
                data["application_id"] = json!(app.id);
                data["status"] = json!(to.as_str());
                data["version"] = json!(app.version + 1);
                data["registration_number"] = json!(registration_number);
                data
            }),
        },
    ])
}

fn workflow_code(e: &workflow::WorkflowError) -> &'static str {
    match e {
        workflow::WorkflowError::RoleNotAllowed { .. } => "role_not_allowed",
        workflow::WorkflowError::NotAllowedFrom { .. } => "not_allowed_from",
        workflow::WorkflowError::NoteRequired { .. } => "note_required",
    }
}

fn edit(op: &Operation, ctx: &Context) -> Decision {
    let app = match own_app(ctx) {
        Ok(a) => a,
        Err(d) => return d,
    };
    let Some(fields) = op.payload.get("fields").and_then(Value::as_object) else {
        return rejected_on(app, "invalid_payload", "edit needs fields");
    };
    if let Some(bad) = fields.keys().find(|k| !EDITABLE.contains(&k.as_str())) {
        return rejected_on(app, "invalid_payload", format!("field {bad:?} is not editable"));
    }
    match op.base_version {
        Some(base) if base == app.version => Decision::accepted(vec![
            Write::SetFields { id: app.id.clone(), fields: fields.clone(), version: app.version + 1 },
            Write::Change {
                office: app.office_code.clone(),
                kind: "edit",
                entity_id: app.id.clone(),
                data: Arc::new(
                    json!({ "application_id": app.id, "fields": fields, "version": app.version + 1 }),
                ),
            },
        ]),
        base => Decision {
            status: OpStatus::Conflict,
            code: Some("stale_base_version"),
            message: Some(format!("edited version {base:?}, server has version {}", app.version)),
            writes: vec![
                Write::Conflict {
                    application_id: app.id.clone(),
                    data: Arc::new(
                        json!({ "op": op.op, "fields": fields, "base_version": base, "server_version": app.version }),
                    ),
                },
                Write::Change {
                    office: app.office_code.clone(),
                    kind: "conflict",
                    entity_id: app.id.clone(),
                    data: Arc::new(json!({
                        "application_id": app.id, "op_id": op.op_id, "fields": fields,
                        "base_version": base, "server_version": app.version, "server_fields": app.fields,
                    })),
                },
                state_change(app),
            ],
        },
    }
}

/// A supervisor settles conflicts on an application: keeps the server's values (no fields) or
/// takes other values (fields, made on the current version). Both sides then show it resolved.
fn resolve(op: &Operation, ctx: &Context) -> Decision {
    let app = match own_app(ctx) {
        Ok(a) => a,
        Err(d) => return d,
    };
    match &ctx.actor {
        Some((office, roles)) if *office == ctx.device_office && roles.contains(&Role::Supervisor) => {}
        _ => {
            return rejected_on(
                app,
                "role_not_allowed",
                "only a supervisor of this office resolves conflicts",
            )
        }
    }
    let ids: Vec<String> = op
        .payload
        .get("resolves")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return rejected_on(app, "invalid_payload", "resolve names the conflicts it settles");
    }
    let empty = Map::new();
    let fields = op.payload.get("fields").and_then(Value::as_object).unwrap_or(&empty);
    if let Some(bad) = fields.keys().find(|k| !EDITABLE.contains(&k.as_str())) {
        return rejected_on(app, "invalid_payload", format!("field {bad:?} is not editable"));
    }
    if !fields.is_empty() && op.base_version != Some(app.version) {
        // The application moved again meanwhile: this choice is itself a conflict to look at.
        return Decision {
            status: OpStatus::Conflict,
            code: Some("stale_base_version"),
            message: Some(format!(
                "resolved on version {:?}, server has version {}",
                op.base_version, app.version
            )),
            writes: vec![
                Write::Conflict {
                    application_id: app.id.clone(),
                    data: Arc::new(json!({ "op": op.op, "fields": fields, "base_version": op.base_version })),
                },
                Write::Change {
                    office: app.office_code.clone(),
                    kind: "conflict",
                    entity_id: app.id.clone(),
                    data: Arc::new(json!({
                        "application_id": app.id, "op_id": op.op_id, "fields": fields,
                        "base_version": op.base_version, "server_version": app.version, "server_fields": app.fields,
                    })),
                },
                state_change(app),
            ],
        };
    }
    let version = if fields.is_empty() { app.version } else { app.version + 1 };
    let mut writes = Vec::new();
    if !fields.is_empty() {
        writes.push(Write::SetFields { id: app.id.clone(), fields: fields.clone(), version });
    }
    writes.push(Write::ResolveConflicts { application_id: app.id.clone(), ids: ids.clone() });
    writes.push(Write::Change {
        office: app.office_code.clone(),
        kind: "resolved",
        entity_id: app.id.clone(),
        data: Arc::new(json!({
            "application_id": app.id, "resolves": ids, "fields": fields, "version": version,
            "actor": op.payload.get("actor"),
        })),
    });
    Decision::accepted(writes)
}

fn forward_for_application(op: &Operation, ctx: &Context) -> Decision {
    let app = match own_app(ctx) {
        Ok(a) => a,
        Err(d) => return d,
    };
    Decision::accepted(vec![Write::Change {
        office: app.office_code.clone(),
        kind: "record",
        entity_id: app.id.clone(),
        data: Arc::new(json!({ "op": op.op, "payload": op.payload })),
    }])
}

#[cfg(test)]
mod tests;
