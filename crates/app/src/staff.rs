//! ASN staff records of the office, kept by supervisors and admins.

use chrono::Utc;
use loket_domain::staff::{self, StaffDraft};
use loket_domain::workflow::Role;

use crate::dto::{Keep, StaffDto, StaffInput, StaffResolveInput, StaffUpdateInput};
use crate::{present, AppError, Loket};

/// A staff record checked by the domain, its findings as the form shows them.
fn validated(draft: &StaffDraft) -> Result<staff::ValidStaff, AppError> {
    staff::validate_staff(draft).map_err(|issues| AppError::Validation {
        issues: present::issues(&issues),
        needs_confirmation: false,
    })
}

impl Loket {
    /// The office's staff, by name, each with its open conflicts.
    pub fn list_staff(&self) -> Result<Vec<StaffDto>, AppError> {
        self.reading()?;
        let store = self.store();
        let conflicts = store.staff_conflicts(None)?;
        Ok(store.list_staff()?.into_iter().map(|row| present::staff(row, &conflicts)).collect())
    }

    fn staff_manager(&self) -> Result<loket_store::Actor, AppError> {
        let actor = self.acting()?;
        if !actor.roles.iter().any(|r| matches!(r, Role::Supervisor | Role::Admin)) {
            return Err(AppError::StaffManagersOnly);
        }
        Ok(actor)
    }

    /// Edit a staff record (jabatan, golongan, name, status), deactivate it (`active: false`:
    /// the member's user accounts go with it) or transfer it (mutasi: another kecamatan's
    /// `unit_code`), on the version the form was filled from. Supervisors and admins only.
    pub fn update_staff(&self, input: StaffUpdateInput) -> Result<StaffDto, AppError> {
        let actor = self.staff_manager()?;
        let draft = StaffDraft {
            status: input.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            employee_number: input.employee_number,
            full_name: input.full_name,
            golongan: input.golongan,
            jabatan: input.jabatan,
            unit_code: input.unit_code,
            active: input.active,
        };
        let valid = validated(&draft)?;
        let row = self.store().update_staff(
            &input.id,
            i64::from(input.base_version),
            &valid,
            &actor,
            Utc::now(),
        )?;
        self.sync_now();
        Ok(present::staff(row, &[]))
    }

    /// Settle a staff record's conflicts: keep the server's record, or take the other laptop's
    /// update instead, made on the server's version.
    pub fn resolve_staff_conflict(&self, input: StaffResolveInput) -> Result<StaffDto, AppError> {
        let actor = self.staff_manager()?;
        let (current, conflicts) = {
            let store = self.store();
            (store.staff(&input.staff_id)?, store.staff_conflicts(Some(&input.staff_id))?)
        };
        let Some(last) = conflicts.last() else { return Err(AppError::NotFound) };
        let fields = match input.keep {
            Keep::Server => loket_protocol::StaffFields {
                full_name: current.full_name.clone(),
                status: current.status.clone(),
                jabatan: current.jabatan.clone(),
                employee_number: current.employee_number.clone(),
                unit_code: current.unit_code.clone(),
                golongan: current.golongan.clone(),
                active: current.active,
            },
            Keep::Device => last.fields.clone(),
        };
        let draft = StaffDraft {
            status: fields.status,
            employee_number: fields.employee_number.unwrap_or_default(),
            full_name: fields.full_name,
            golongan: fields.golongan.unwrap_or_default(),
            jabatan: fields.jabatan,
            unit_code: fields.unit_code,
            active: fields.active,
        };
        let valid = validated(&draft)?;
        let resolves: Vec<String> = conflicts.iter().map(|c| c.op_id.clone()).collect();
        let row = self.store().update_staff_settling(
            &input.staff_id,
            current.version,
            &valid,
            &resolves,
            &actor,
            Utc::now(),
        )?;
        self.sync_now();
        Ok(present::staff(row, &[]))
    }

    /// Add a staff member (ASN record): supervisors and admins only.
    pub fn add_staff(&self, input: StaffInput) -> Result<StaffDto, AppError> {
        let actor = self.staff_manager()?;
        let unit_code = match input.unit_code.trim() {
            "" => self.store().office_kecamatan()?.ok_or(AppError::OfficeNotConfigured)?,
            code => code.to_string(),
        };
        let draft = StaffDraft {
            status: input.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            employee_number: input.employee_number,
            full_name: input.full_name,
            golongan: input.golongan,
            jabatan: input.jabatan,
            unit_code,
            active: true,
        };
        let valid = validated(&draft)?;
        let row = self.store().add_staff(&valid, &actor, Utc::now())?;
        self.sync_now();
        Ok(present::staff(row, &[]))
    }
}

#[cfg(test)]
mod tests {
    use loket_domain::staff::EmploymentStatus;

    use super::*;
    use crate::dto::LoginInput;
    use crate::test_support::{configured, synced_user};

    #[test]
    fn staff_are_kept_by_supervisors_with_checked_nip() {
        let (_dir, loket) = configured();
        let ahmad = StaffInput {
            status: Some(EmploymentStatus::Pns),
            employee_number: "19850315 201001 1 002".into(),
            full_name: "Ahmad Fauzi".into(),
            golongan: "III/d".into(),
            jabatan: "Kepala Seksi Pelayanan".into(),
            unit_code: String::new(),
        };
        assert_eq!(loket.add_staff(ahmad.clone()).unwrap_err().code(), "staff_managers_only", "local clerk");
        synced_user(&loket, "kasi", &[Role::Supervisor], "rahasia-panjang");
        loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() }).unwrap();
        let saved = loket.add_staff(ahmad.clone()).unwrap();
        assert_eq!(
            (saved.employee_number.as_deref(), saved.unit_code.as_str(), saved.active),
            (Some("198503152010011002"), "36.01.01", true)
        );
        assert_eq!(loket.add_staff(ahmad.clone()).unwrap_err().code(), "duplicate");
        let cases = [
            (StaffInput { employee_number: "198513152010011002".into(), ..ahmad.clone() }, "employee_number"),
            (StaffInput { golongan: "IX".into(), ..ahmad.clone() }, "golongan"),
            (StaffInput { status: Some(EmploymentStatus::NonAsn), ..ahmad.clone() }, "employee_number"),
            (StaffInput { jabatan: " ".into(), ..ahmad.clone() }, "jabatan"),
            (StaffInput { status: None, ..ahmad.clone() }, "status"),
        ];
        for (input, field) in cases {
            match loket.add_staff(input) {
                Err(AppError::Validation { issues, .. }) => {
                    assert!(issues.iter().any(|i| i.field == field), "{field}: {issues:?}")
                }
                other => panic!("{field}: expected a validation error, got {other:?}"),
            }
        }
        assert_eq!(loket.list_staff().unwrap(), [saved]);
    }
}
