//! How stored records are shown: DTOs from store rows, plus the few words the Rust side still
//! writes (region labels, fee rules). Status, action, role and sync-state labels are the UI's
//! (`ui/src/lib/labels.ts`): the DTOs carry the enums.

use chrono::{DateTime, SecondsFormat, Utc};
use loket_domain::issue::{FieldIssue, Severity};
use loket_domain::region::{catalogue, Level, Region};
use loket_domain::sla::{sla_state, HolidayCalendar};
use loket_domain::workflow::{self, Action, ApplicationKind};
use loket_domain::{aid, service};
use loket_store::{Actor, ApplicationRow, ConflictRow, Store};

use crate::dto::*;
use crate::AppError;

/// List rows as the UI shows them to `actor` (the holiday calendar read once for all).
pub(crate) fn application_rows(
    store: &Store,
    actor: &Actor,
    rows: Vec<ApplicationRow>,
    now: DateTime<Utc>,
) -> Result<Vec<ApplicationDto>, AppError> {
    let calendar = store.holiday_calendar()?;
    let today = (now + chrono::Duration::hours(7)).date_naive();
    Ok(rows.into_iter().map(|row| application(row, actor, today, &calendar)).collect())
}

fn application(
    row: ApplicationRow,
    actor: &Actor,
    today: chrono::NaiveDate,
    calendar: &HolidayCalendar,
) -> ApplicationDto {
    let ApplicationRow { application: a, checklist, attachments, flags, conflicts, history } = row;
    let documents: Vec<ChecklistDto> = if a.kind == ApplicationKind::Permit {
        checklist
            .into_iter()
            .map(|c| ChecklistDto { code: c.code, name: c.name, received: c.received })
            .collect()
    } else {
        Vec::new()
    };
    // A draft permit is submitted once its checklist is complete (the store refuses otherwise).
    let documents_complete = documents.iter().all(|d| d.received);
    let actions = Action::ALL
        .into_iter()
        .filter(|act| {
            (*act != Action::Submit || documents_complete)
                && workflow::transition(a.status, *act, &actor.roles, "-").is_ok()
        })
        .collect();
    // Under the catalogue version it was registered under.
    let permit_service = (a.kind == ApplicationKind::Permit)
        .then(|| loket_domain::catalogue::of(a.catalogue.as_ref()).and_then(|c| c.service(&a.service_code)))
        .flatten();
    let service_name = match a.kind {
        ApplicationKind::Permit => permit_service.map(|s| s.name),
        ApplicationKind::Bansos | ApplicationKind::Hibah => aid::programme(&a.service_code).map(|p| p.name),
    }
    .unwrap_or(&a.service_code)
    .to_string();
    // Only a running clock has a due date.
    let due_date = permit_service
        .filter(|_| a.status.sla_running())
        .and_then(|s| sla_state(&history, s.sla_days, today, calendar).due_date)
        .map(|d| d.to_string());
    let sla = match (&due_date, permit_service) {
        (Some(due), _) => Some(sla_of(due, today)),
        (None, Some(_)) if a.status == loket_domain::workflow::Status::Returned => Some(SlaStatus::Paused),
        _ => None,
    };
    let amount_proposed = (a.kind == ApplicationKind::Hibah)
        .then(|| a.details.get("amount_proposed").and_then(serde_json::Value::as_f64))
        .flatten();
    ApplicationDto {
        village_label: village_label(&a.village_code),
        service_name,
        id: a.id,
        registration_number: a.registration_number,
        kind: a.kind,
        service_code: a.service_code,
        status: a.status,
        applicant_nik_masked: a.applicant_nik.as_deref().map(loket_domain::nik::mask),
        applicant_nik: a.applicant_nik,
        applicant_name: a.applicant_name,
        applicant_address: a.applicant_address,
        organization_name: a.organization_name,
        village_code: a.village_code,
        created_at: a.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        version: u32::try_from(a.version).unwrap_or(u32::MAX),
        aid_flags: flags.into_iter().filter_map(aid_flag).collect(),
        open_conflicts: u32::try_from(conflicts.len()).unwrap_or(u32::MAX),
        conflicts: conflicts.iter().map(conflict).collect(),
        actions,
        attachments: attachments
            .into_iter()
            .map(|x| AttachmentDto {
                sha256: x.sha256,
                file_name: x.file_name,
                media_type: x.media_type,
                size: u32::try_from(x.size).unwrap_or(u32::MAX),
            })
            .collect(),
        fee: u32::try_from(a.fee).unwrap_or(u32::MAX),
        amount_proposed,
        period: a.period,
        documents,
        due_date,
        sla,
    }
}

/// How close a running clock is to its due date: overdue once past it, due soon within two
/// days of it.
fn sla_of(due: &str, today: chrono::NaiveDate) -> SlaStatus {
    match due.parse::<chrono::NaiveDate>() {
        Ok(d) if d < today => SlaStatus::Overdue,
        Ok(d) if d <= today + chrono::Duration::days(2) => SlaStatus::DueSoon,
        _ => SlaStatus::OnTime,
    }
}

fn aid_flag(f: loket_store::AidFlagRow) -> Option<AidFlagDto> {
    Some(AidFlagDto {
        reason: FlagReason::parse(&f.reason)?,
        other_office_label: catalogue()
            .get(&f.other_office_code)
            .map(|r| {
                let k = kecamatan(r);
                format!("Kec. {}, {}", k.name, k.regency)
            })
            .unwrap_or_else(|| f.other_office_code.clone()),
        other_office_code: f.other_office_code,
        reference: f.reference,
    })
}

/// What an open conflict is about.
fn conflict(c: &ConflictRow) -> ConflictDto {
    let d = &c.data;
    if d.values.fields.is_empty() {
        return ConflictDto::Step { action: d.step.action, server_status: d.step.server_status };
    }
    // In the order of `ApplicantFields::values`.
    const FIELDS: [ApplicantField; 4] = [
        ApplicantField::ApplicantName,
        ApplicantField::ApplicantAddress,
        ApplicantField::ApplicantPhone,
        ApplicantField::VillageCode,
    ];
    let fields = FIELDS
        .into_iter()
        .zip(d.values.fields.values())
        .zip(d.values.server_fields.values())
        .filter_map(|((field, device), server)| {
            Some(FieldConflictDto {
                field,
                device: device?.map(str::to_string),
                server: server.flatten().map(str::to_string),
            })
        })
        .collect();
    ConflictDto::Fields { fields }
}

pub(crate) fn sync_status(s: &loket_sync::worker::SyncStatus) -> SyncStatusDto {
    let clamp = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    SyncStatusDto {
        state: s.state,
        pending: clamp(s.pending),
        last_success: s.last_success.clone(),
        pushed: s.progress.map(|p| clamp(p.pushed as i64)),
        pulled: s.progress.map(|p| clamp(p.pulled as i64)),
        attention: clamp(s.attention),
        clock_warning: s.clock_warning(),
        clock_offset_seconds: s.clock_offset_seconds.map(clamp),
    }
}

pub(crate) fn kecamatan(r: &Region) -> KecamatanDto {
    let regency = r.parent_code().and_then(|c| catalogue().get(c)).map(|p| p.name).unwrap_or_default();
    KecamatanDto { code: r.code.to_string(), name: r.name.to_string(), regency: regency.to_string() }
}

pub(crate) fn village_name(r: &Region) -> String {
    let prefix = if r.level == Level::UrbanVillage { "Kelurahan" } else { "Desa" };
    format!("{prefix} {}", r.name)
}

fn village_label(code: &str) -> String {
    let c = catalogue();
    let Some(village) = c.get(code) else { return code.to_string() };
    let kec = village.parent_code().and_then(|k| c.get(k));
    let regency = kec.and_then(|k| k.parent_code()).and_then(|r| c.get(r));
    match (kec, regency) {
        (Some(k), Some(r)) => format!("{}, Kec. {}, {}", village_name(village), k.name, r.name),
        _ => village_name(village),
    }
}

pub(crate) fn staff(s: loket_store::StaffRow, conflicts: &[loket_protocol::StaffConflictData]) -> StaffDto {
    let conflicts = conflicts
        .iter()
        .filter(|c| c.staff_id == s.id)
        .map(|c| StaffConflictDto {
            op_id: c.op_id.clone(),
            actor: c.actor.clone(),
            differences: staff_differences(&c.server_fields, &c.fields),
        })
        .collect();
    StaffDto {
        version: u32::try_from(s.version).unwrap_or(u32::MAX),
        conflicts,
        id: s.id,
        status: EmploymentStatus::parse(&s.status).unwrap_or(EmploymentStatus::NonAsn),
        employee_number: s.employee_number,
        full_name: s.full_name,
        golongan: s.golongan,
        jabatan: s.jabatan,
        unit_code: s.unit_code,
        active: s.active,
    }
}

/// What two versions of a staff record disagree on: (field, server's, the other laptop's).
fn staff_differences(
    server: &loket_protocol::StaffFields,
    device: &loket_protocol::StaffFields,
) -> Vec<StaffDifferenceDto> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let pairs = [
        (StaffField::FullName, server.full_name.clone(), device.full_name.clone()),
        (StaffField::Status, server.status.clone(), device.status.clone()),
        (StaffField::EmployeeNumber, opt(&server.employee_number), opt(&device.employee_number)),
        (StaffField::Golongan, opt(&server.golongan), opt(&device.golongan)),
        (StaffField::Jabatan, server.jabatan.clone(), device.jabatan.clone()),
        (StaffField::UnitCode, server.unit_code.clone(), device.unit_code.clone()),
        (StaffField::Active, server.active.to_string(), device.active.to_string()),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, server, device)| StaffDifferenceDto { field, server, device })
        .collect()
}

/// A fee rule in words, rupiah grouped with dots as printed in Indonesia.
pub(crate) fn fee_rule(fee: service::Fee) -> String {
    match fee {
        service::Fee::Free => "Gratis".to_string(),
        service::Fee::Fixed(x) => format!("Rp {}", rupiah(x)),
        service::Fee::PbgLevy(p) => format!(
            "Retribusi PBG = luas lantai × SHST Rp {} × Ilo {} × It {} × Ibg {}",
            rupiah(p.shst),
            per_mille(p.ilo),
            per_mille(p.it),
            per_mille(p.ibg)
        ),
        service::Fee::AdvertisingTax(t) => format!(
            "Pajak reklame {} % × nilai sewa (luas × bulan × Rp {} per m² per bulan × indeks lokasi {})",
            t.tariff_percent,
            rupiah(t.rate_m2_month),
            per_mille(t.location)
        ),
    }
}

/// A per-mille index as Indonesians write a decimal: 4 → "0,004", 500 → "0,5", 1000 → "1".
fn per_mille(x: u32) -> String {
    let whole = x / 1000;
    let frac = format!("{:03}", x % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole},{frac}")
    }
}

pub(crate) fn rupiah(x: u64) -> String {
    let digits = x.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

pub(crate) fn issues(issues: &[FieldIssue]) -> Vec<FieldIssueDto> {
    issues
        .iter()
        .map(|i| FieldIssueDto {
            field: i.field.to_string(),
            code: i.code.to_string(),
            message: i.message.clone(),
            severity: match i.severity {
                Severity::Error => SeverityDto::Error,
                Severity::Warning => SeverityDto::Warning,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use loket_domain::workflow::Status;
    use loket_protocol::{ApplicantFields, ConflictData, StepConflict, ValuesConflict};

    use super::*;

    fn row(data: ConflictData) -> ConflictRow {
        ConflictRow {
            server_seq: 1,
            application_id: "a".into(),
            op_id: Some("o".into()),
            data,
            received_at: "t".into(),
        }
    }

    #[test]
    fn a_field_conflict_pairs_each_edited_field_with_the_servers_value() {
        let c = conflict(&row(ConflictData {
            values: ValuesConflict {
                fields: ApplicantFields {
                    applicant_name: Some("Siti A.".into()),
                    applicant_phone: Some(None),
                    ..Default::default()
                },
                server_fields: ApplicantFields {
                    applicant_name: Some("Siti Aminah".into()),
                    applicant_phone: Some(Some("0812".into())),
                    ..Default::default()
                },
                ..ValuesConflict::default()
            },
            ..ConflictData::default()
        }));
        assert_eq!(
            c,
            ConflictDto::Fields {
                fields: vec![
                    FieldConflictDto {
                        field: ApplicantField::ApplicantName,
                        server: Some("Siti Aminah".into()),
                        device: Some("Siti A.".into()),
                    },
                    FieldConflictDto {
                        field: ApplicantField::ApplicantPhone,
                        server: Some("0812".into()),
                        device: None,
                    },
                ]
            }
        );
    }

    #[test]
    fn a_step_conflict_names_the_action_and_the_servers_status() {
        let c = conflict(&row(ConflictData {
            step: StepConflict {
                action: Some(Action::Approve),
                server_status: Some(Status::Rejected),
                ..StepConflict::default()
            },
            ..ConflictData::default()
        }));
        assert_eq!(
            c,
            ConflictDto::Step { action: Some(Action::Approve), server_status: Some(Status::Rejected) }
        );
    }
}
