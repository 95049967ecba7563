//! Repository of applications (permits, bansos, hibah) and their workflow.

use chrono::{DateTime, SubsecRound, Utc};
use loket_domain::aid::{ValidBansos, ValidHibah};
use loket_domain::applicant::{validate_change, Applicant};
use loket_domain::permit::ValidPermit;
use loket_domain::registration::RegistrationNumber;
use loket_domain::workflow::ApplicationKind;
use loket_domain::workflow::{self, Action, Status};
use loket_protocol::{
    ApplicantFields, BansosDetails, ChecklistEntry, DocumentPayload, EditPayload, HibahDetails,
    HouseholdMember, OpBody, RawJson, RegisterPayload, TransitionPayload,
};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::search;
use crate::writer::{next_counter, Actor, Change, Writer};
use crate::{Store, StoreError};

const ENTITY: &str = "application";
const REGISTRATION_COUNTER: &str = "registration";
const OFFICE_SETTING: &str = "office.kecamatan_code";

/// A stored application.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: String,
    pub registration_number: Option<String>,
    pub kind: ApplicationKind,
    /// Permit service code or aid programme code.
    pub service_code: String,
    pub period: Option<String>,
    pub status: Status,
    pub applicant_nik: Option<String>,
    pub applicant_name: String,
    pub applicant_address: String,
    pub applicant_phone: Option<String>,
    pub organization_name: Option<String>,
    pub kk: Option<String>,
    pub village_code: String,
    pub office_code: String,
    pub details: Value,
    pub fee: i64,
    pub created_at: DateTime<Utc>,
    pub created_hlc: String,
    pub updated_hlc: String,
    pub version: i64,
    /// The catalogue version a permit was registered under (`None`: the default).
    pub catalogue: Option<loket_domain::catalogue::CatalogueRef>,
}

/// One line of a permit's documents checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistRow {
    pub code: String,
    pub name: String,
    pub received: bool,
}

/// A household member of a bansos application (the type the registration carries).
pub type MemberRow = HouseholdMember;

/// One workflow event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowEventRow {
    pub id: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub hlc: String,
    pub note: String,
}

pub(crate) const COLUMNS: &str =
    "id, registration_number, kind, service_code, period, status, applicant_nik, applicant_name,
    applicant_address, applicant_phone, organization_name, kk, village_code, office_code, details, fee,
    created_at, created_hlc, updated_hlc, version, catalogue_region, catalogue_version";

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Application> {
    let status: String = r.get(5)?;
    let kind: String = r.get(2)?;
    let details: String = r.get(14)?;
    let created: String = r.get(16)?;
    let bad =
        |what: String| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into());
    Ok(Application {
        id: r.get(0)?,
        registration_number: r.get(1)?,
        kind: ApplicationKind::parse(&kind).ok_or_else(|| bad(format!("kind {kind:?}")))?,
        service_code: r.get(3)?,
        period: r.get(4)?,
        status: Status::parse(&status).ok_or_else(|| bad(format!("status {status:?}")))?,
        applicant_nik: r.get(6)?,
        applicant_name: r.get(7)?,
        applicant_address: r.get(8)?,
        applicant_phone: r.get(9)?,
        organization_name: r.get(10)?,
        kk: r.get(11)?,
        village_code: r.get(12)?,
        office_code: r.get(13)?,
        details: serde_json::from_str(&details).map_err(|e| bad(format!("details: {e}")))?,
        fee: r.get(15)?,
        created_at: DateTime::parse_from_rfc3339(&created)
            .map_err(|e| bad(format!("created_at: {e}")))?
            .with_timezone(&Utc),
        created_hlc: r.get(17)?,
        updated_hlc: r.get(18)?,
        catalogue: match (r.get::<_, Option<String>>(20)?, r.get::<_, Option<u32>>(21)?) {
            (Some(region), Some(version)) => Some(loket_domain::catalogue::CatalogueRef { region, version }),
            _ => None,
        },
        version: r.get(19)?,
    })
}

/// Everything needed to insert a new application.
struct NewApplication<'a> {
    kind: ApplicationKind,
    service_code: &'a str,
    period: Option<&'a str>,
    applicant_nik: Option<&'a str>,
    applicant_name: &'a str,
    applicant_address: &'a str,
    applicant_phone: Option<&'a str>,
    organization_name: Option<&'a str>,
    kk: Option<&'a str>,
    village_code: &'a str,
    details: Value,
    fee: i64,
    submit: bool,
    checklist: Vec<(&'static str, &'static str, bool)>,
    household: Vec<(&'a str, &'a str, &'a str)>,
    /// A permit's catalogue version (`None` for aid, and for the default catalogue).
    catalogue: Option<loket_domain::catalogue::CatalogueRef>,
}

fn office_code(w: &Writer<'_>) -> Result<String, StoreError> {
    w.tx.prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([OFFICE_SETTING], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::OfficeNotConfigured)
}

fn assign_number(w: &Writer<'_>, office: &str) -> Result<String, StoreError> {
    let seq = next_counter(&w.tx, REGISTRATION_COUNTER)?;
    let seq = u32::try_from(seq).map_err(|_| StoreError::Corrupt("registration counter overflow".into()))?;
    Ok(RegistrationNumber::new(&office.replace('.', ""), &w.device, seq)?.to_string())
}

fn load(conn: &rusqlite::Connection, id: &str) -> Result<Application, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM application WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound { entity: ENTITY, id: id.to_string() })
}

fn insert(w: &mut Writer<'_>, a: NewApplication<'_>) -> Result<String, StoreError> {
    let office = office_code(w)?;
    let id = Uuid::now_v7().to_string();
    let created_at = w.now.trunc_subsecs(6).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let status = if a.submit { Status::Submitted } else { Status::Draft };
    let number = if a.submit { Some(assign_number(w, &office)?) } else { None };
    // Indexed for search by the next search's catch-up (search.rs), not here.
    let record = RegisterPayload {
        id: id.clone(),
        registration_number: number.clone(),
        kind: a.kind,
        service_code: a.service_code.to_string(),
        period: a.period.map(str::to_string),
        status,
        applicant_nik: a.applicant_nik.map(str::to_string),
        applicant_name: a.applicant_name.to_string(),
        applicant_address: a.applicant_address.to_string(),
        applicant_phone: a.applicant_phone.map(str::to_string),
        organization_name: a.organization_name.map(str::to_string),
        kk: a.kk.map(str::to_string),
        village_code: a.village_code.to_string(),
        office_code: office,
        details: RawJson::encode(&a.details),
        fee: a.fee,
        created_at,
        created_hlc: w.tick().to_string(),
        checklist: a
            .checklist
            .iter()
            .map(|(c, _, r)| ChecklistEntry { code: c.to_string(), received: *r })
            .collect(),
        household: a
            .household
            .iter()
            .map(|(n, f, r)| HouseholdMember {
                nik: n.to_string(),
                full_name: f.to_string(),
                relationship: r.to_string(),
            })
            .collect(),
        catalogue: a.catalogue,
    };
    // One way to write a registration's rows, here and for pulled ones.
    crate::registration_rows::insert(&w.tx, &record, &w.actor.username)?;
    w.record(Change {
        entity_id: &id,
        action: "register",
        audit: json!({ "registration_number": number, "kind": a.kind, "service_code": a.service_code, "status": status }),
        body: OpBody::Register(Box::new(record)),
        base_version: None,
    })?;
    Ok(id)
}

fn insert_event(
    w: &Writer<'_>,
    app_id: &str,
    action: Action,
    from: Status,
    to: Status,
    note: &str,
    hlc: &str,
) -> Result<String, StoreError> {
    let id = Uuid::now_v7().to_string();
    w.tx.prepare_cached(
        "INSERT INTO workflow_event (id, application_id, action, from_status, to_status, actor, hlc, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id,
        app_id,
        action.as_str(),
        from.as_str(),
        to.as_str(),
        w.actor.username,
        hlc,
        note
    ])?;
    Ok(id)
}

fn applicant_fields(a: &Applicant) -> (&str, &str, &str, Option<&str>, &str) {
    (a.nik.as_str(), &a.full_name, &a.address, a.phone.as_deref(), &a.village_code)
}

/// Kind-specific details as the wire carries them (one shape, shared with the server's checks).
fn details_json(details: &impl serde::Serialize) -> Value {
    serde_json::to_value(details).unwrap_or_default()
}

/// Editable applicant fields; `None` leaves a field unchanged (the domain's type, checked by
/// its validator before anything is written).
pub use loket_domain::applicant::ApplicantChange as ApplicantEdit;

impl Store {
    /// Register a validated bansos application: submitted, with its registration number.
    pub fn register_bansos(
        &mut self,
        v: &ValidBansos,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        let (nik, name, address, phone, village) = applicant_fields(&v.applicant);
        let id = self.write(actor, now, |w| {
            insert(
                w,
                NewApplication {
                    kind: ApplicationKind::Bansos,
                    service_code: v.programme.code,
                    period: Some(v.programme.period),
                    applicant_nik: Some(nik),
                    applicant_name: name,
                    applicant_address: address,
                    applicant_phone: phone,
                    organization_name: None,
                    kk: Some(v.kk.as_str()),
                    village_code: village,
                    details: details_json(&BansosDetails {
                        monthly_income: v.monthly_income,
                        category: v.category.code.to_string(),
                    }),
                    fee: 0,
                    submit: true,
                    checklist: vec![],
                    household: v
                        .household
                        .iter()
                        .map(|m| (m.nik.as_str(), m.full_name.as_str(), m.relationship.as_str()))
                        .collect(),
                    catalogue: None,
                },
            )
        })?;
        let app = self.application(&id)?;
        tracing::info!(registration = ?app.registration_number, nik = %v.applicant.nik, "registered bansos application");
        Ok(app)
    }

    /// Register a validated hibah application: submitted, with its registration number.
    pub fn register_hibah(
        &mut self,
        v: &ValidHibah,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        let id = self.write(actor, now, |w| {
            insert(
                w,
                NewApplication {
                    kind: ApplicationKind::Hibah,
                    service_code: v.programme.code,
                    period: Some(v.programme.period),
                    applicant_nik: Some(v.chair_nik.as_str()),
                    applicant_name: &v.chair_name,
                    applicant_address: &v.address,
                    applicant_phone: None,
                    organization_name: Some(&v.organization_name),
                    kk: None,
                    village_code: &v.village_code,
                    details: details_json(&HibahDetails {
                        legal_basis: v.legal_basis.clone(),
                        npwp: v.npwp.clone(),
                        bank_name: v.bank_name.clone(),
                        account_number: v.account_number.clone(),
                        account_holder: v.account_holder.clone(),
                        secretary_nik: v.secretary_nik.as_str().to_string(),
                        secretary_name: v.secretary_name.clone(),
                        amount_proposed: v.amount_proposed,
                        rab_total: v.rab_total,
                    }),
                    fee: 0,
                    submit: true,
                    checklist: vec![],
                    household: vec![],
                    catalogue: None,
                },
            )
        })?;
        let app = self.application(&id)?;
        tracing::info!(registration = ?app.registration_number, "registered hibah application");
        Ok(app)
    }

    /// Register a validated permit application. With `submit` it gets its registration number
    /// at once (every required document must have been received); otherwise it is a draft.
    pub fn register_permit(
        &mut self,
        v: &ValidPermit,
        submit: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        if submit && !v.documents_complete() {
            let missing = v.checklist.iter().filter(|c| !c.received).map(|c| c.code.to_string()).collect();
            return Err(StoreError::DocumentsIncomplete { missing });
        }
        let (nik, name, address, phone, village) = applicant_fields(&v.applicant);
        let id = self.write(actor, now, |w| {
            insert(
                w,
                NewApplication {
                    kind: ApplicationKind::Permit,
                    service_code: v.service.code,
                    period: None,
                    applicant_nik: Some(nik),
                    applicant_name: name,
                    applicant_address: address,
                    applicant_phone: phone,
                    organization_name: None,
                    kk: None,
                    village_code: village,
                    details: details_json(&v.details),
                    fee: i64::try_from(v.fee).unwrap_or(i64::MAX),
                    submit,
                    checklist: v.checklist.iter().map(|c| (c.code, c.name, c.received)).collect(),
                    household: vec![],
                    catalogue: (!v.catalogue.is_default()).then(|| v.catalogue.reference()),
                },
            )
        })?;
        let app = self.application(&id)?;
        tracing::info!(registration = ?app.registration_number, service = v.service.code, "registered permit application");
        Ok(app)
    }

    /// One application by id.
    pub fn application(&self, id: &str) -> Result<Application, StoreError> {
        load(&self.conn, id)
    }

    /// One application by registration number.
    pub fn application_by_number(&self, number: &str) -> Result<Option<Application>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM application WHERE registration_number = ?1"))?
            .query_row([number], from_row)
            .optional()?)
    }

    /// The most recent applications first.
    pub fn list_applications(&self, limit: u32) -> Result<Vec<Application>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM application ORDER BY rowid DESC LIMIT ?1"))?;
        let rows = stmt.query_map([limit], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn count_applications(&self) -> Result<i64, StoreError> {
        Ok(self.conn.prepare_cached("SELECT count(*) FROM application")?.query_row([], |r| r.get(0))?)
    }

    pub fn checklist(&self, id: &str) -> Result<Vec<ChecklistRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, name, received FROM application_document WHERE application_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(ChecklistRow { code: r.get(0)?, name: r.get(1)?, received: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn household(&self, id: &str) -> Result<Vec<MemberRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT nik, full_name, relationship FROM household_member WHERE application_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(MemberRow { nik: r.get(0)?, full_name: r.get(1)?, relationship: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Workflow events of an application, oldest first.
    pub fn workflow_events(&self, id: &str) -> Result<Vec<WorkflowEventRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, action, from_status, to_status, actor, hlc, note
             FROM workflow_event WHERE application_id = ?1 ORDER BY hlc",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(WorkflowEventRow {
                id: r.get(0)?,
                action: r.get(1)?,
                from_status: r.get(2)?,
                to_status: r.get(3)?,
                actor: r.get(4)?,
                hlc: r.get(5)?,
                note: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Take a workflow action. The actor's roles are checked by the domain rules; submitting a
    /// permit needs a complete documents checklist and assigns the registration number.
    pub fn transition(
        &mut self,
        id: &str,
        action: Action,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        self.write(actor, now, |w| {
            let app = load(&w.tx, id)?;
            let to = workflow::transition(app.status, action, &actor.roles, note)?;
            if action == Action::Submit && app.kind == ApplicationKind::Permit {
                let missing: Vec<String> = w
                    .tx
                    .prepare_cached("SELECT code FROM application_document WHERE application_id = ?1 AND received = 0")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                if !missing.is_empty() {
                    return Err(StoreError::DocumentsIncomplete { missing });
                }
            }
            let number = match &app.registration_number {
                Some(n) => n.clone(),
                None if to == Status::Submitted => assign_number(w, &app.office_code)?,
                None => String::new(),
            };
            let hlc = w.tick().to_string();
            w.tx.prepare_cached("UPDATE application SET status = ?2, registration_number = NULLIF(?3, ''), version = version + 1,
                     updated_hlc = ?4 WHERE id = ?1")?.execute(params![id, to.as_str(), number, hlc])?;
            let event_id = insert_event(w, id, action, app.status, to, note.trim(), &hlc)?;
            if app.registration_number.is_none() && !number.is_empty() {
                search::index(&w.tx, id)?;
            }
            w.record(Change {
                entity_id: id,
                action: "transition",
                audit: json!({ "action": action, "from": app.status, "to": to, "note": note.trim() }),
                body: OpBody::Transition(TransitionPayload {
                    event_id,
                    application_id: id.to_string(),
                    action,
                    from: app.status,
                    to,
                    note: note.trim().to_string(),
                    registration_number: (!number.is_empty()).then(|| number.clone()),
                    hlc,
                    actor: actor.username.clone(),
                }),
                base_version: Some(app.version),
            })?;
            load(&w.tx, id)
        })
    }

    /// Edit applicant fields made on `base_version`. A stale base version is refused.
    pub fn edit_applicant(
        &mut self,
        id: &str,
        base_version: i64,
        edit: &ApplicantEdit,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        let edit = &validate_change(edit).map_err(|issues| {
            let i = issues.into_iter().find(|i| i.is_error()).expect("refused with an error");
            StoreError::Invalid { field: i.field, code: i.code, message: i.message }
        })?;
        self.write(actor, now, |w| {
            let app = load(&w.tx, id)?;
            if app.version != base_version {
                return Err(StoreError::VersionConflict {
                    entity: ENTITY,
                    id: id.to_string(),
                    base: base_version,
                    current: app.version,
                });
            }
            let mut changes = serde_json::Map::new();
            let mut audit = serde_json::Map::new();
            let mut set = |field: &str, old: Value, new: Value| {
                if old != new {
                    audit.insert(field.to_string(), json!([old, new.clone()]));
                    changes.insert(field.to_string(), new);
                }
            };
            if let Some(v) = &edit.full_name {
                set("applicant_name", json!(app.applicant_name), json!(v));
            }
            if let Some(v) = &edit.address {
                set("applicant_address", json!(app.applicant_address), json!(v));
            }
            if let Some(v) = &edit.phone {
                set("applicant_phone", json!(app.applicant_phone), json!(v));
            }
            if let Some(v) = &edit.village_code {
                set("village_code", json!(app.village_code), json!(v));
            }
            if changes.is_empty() {
                return Ok(app);
            }
            let hlc = w.tick().to_string();
            let str_of = |field: &str, old: &str| {
                changes
                    .get(field)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| old.to_string())
            };
            let phone = match changes.get("applicant_phone") {
                Some(v) => v.as_str().map(str::to_string),
                None => app.applicant_phone.clone(),
            };
            w.tx.prepare_cached(
                "UPDATE application SET applicant_name = ?2, applicant_address = ?3, applicant_phone = ?4,
                     village_code = ?5, version = version + 1, updated_hlc = ?6 WHERE id = ?1",
            )?
            .execute(params![
                id,
                str_of("applicant_name", &app.applicant_name),
                str_of("applicant_address", &app.applicant_address),
                phone,
                str_of("village_code", &app.village_code),
                hlc
            ])?;
            // Of the edited fields only the name is searched: an address or phone edit leaves
            // the search index alone (re-indexing a row costs FTS segment merges).
            if changes.contains_key("applicant_name") {
                search::index(&w.tx, id)?;
            }
            let fields: ApplicantFields = serde_json::from_value(Value::Object(changes))
                .map_err(|e| StoreError::Corrupt(format!("edited fields: {e}")))?;
            w.record(Change {
                entity_id: id,
                action: "edit",
                audit: Value::Object(audit),
                body: OpBody::Edit(EditPayload { application_id: id.to_string(), fields }),
                base_version: Some(base_version),
            })?;
            load(&w.tx, id)
        })
    }

    /// Mark a checklist document received or not (permits in draft or returned).
    pub fn set_document_received(
        &mut self,
        id: &str,
        code: &str,
        received: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Application, StoreError> {
        self.write(actor, now, |w| {
            let app = load(&w.tx, id)?;
            let hlc = w.tick().to_string();
            let n =
                w.tx.prepare_cached(
                    "UPDATE application_document SET received = ?3 WHERE application_id = ?1 AND code = ?2",
                )?
                .execute(params![id, code, received])?;
            if n == 0 {
                return Err(StoreError::NotFound { entity: "document", id: code.to_string() });
            }
            // Not a new version: the version guards applicant fields against concurrent edits
            // and moves with workflow steps, the same on every device and on the server.
            w.tx.prepare_cached("UPDATE application SET updated_hlc = ?2 WHERE id = ?1")?
                .execute(params![id, hlc])?;
            w.record(Change {
                entity_id: id,
                action: "document",
                audit: json!({ "document": code, "received": received }),
                body: OpBody::Document(DocumentPayload {
                    application_id: id.to_string(),
                    code: code.to_string(),
                    received,
                }),
                base_version: Some(app.version),
            })?;
            load(&w.tx, id)
        })
    }
}
