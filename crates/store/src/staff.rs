//! Repository of staff (ASN records) and user accounts.

use chrono::{DateTime, Utc};
use loket_domain::staff::{ValidStaff, ValidUser};
use loket_domain::workflow::Role;
use loket_protocol::{
    OpBody, StaffConflictData, StaffCreatePayload, StaffFields, StaffUpdatePayload, UserCreatePayload,
    UserDeactivatePayload,
};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::json;
use uuid::Uuid;

use crate::writer::{Actor, Change};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: String,
    pub status: String,
    pub employee_number: Option<String>,
    pub full_name: String,
    pub golongan: Option<String>,
    pub jabatan: String,
    pub unit_code: String,
    pub active: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub staff_id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub version: i64,
}

/// Mark a staff record's conflicts settled (by the losing operations' ids): here by a
/// supervisor, or as the server relays another laptop's settlement.
pub(crate) fn settle_conflicts(
    tx: &rusqlite::Connection,
    staff_id: &str,
    op_ids: &[String],
) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare_cached("UPDATE staff_conflict SET resolved = 1 WHERE staff_id = ?1 AND op_id = ?2")?;
    for op_id in op_ids {
        stmt.execute(params![staff_id, op_id])?;
    }
    Ok(())
}

fn staff_row(r: &Row<'_>) -> rusqlite::Result<StaffRow> {
    Ok(StaffRow {
        id: r.get(0)?,
        status: r.get(1)?,
        employee_number: r.get(2)?,
        full_name: r.get(3)?,
        golongan: r.get(4)?,
        jabatan: r.get(5)?,
        unit_code: r.get(6)?,
        active: r.get(7)?,
        version: r.get(8)?,
    })
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    let roles: String = r.get(3)?;
    Ok(UserRow {
        id: r.get(0)?,
        staff_id: r.get(1)?,
        username: r.get(2)?,
        roles: roles.split(',').filter_map(Role::parse).collect(),
        active: r.get(4)?,
        version: r.get(5)?,
    })
}

const STAFF_COLUMNS: &str =
    "id, status, employee_number, full_name, golongan, jabatan, unit_code, active, version";

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl Store {
    /// Add a staff record.
    pub fn add_staff(
        &mut self,
        s: &ValidStaff,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<StaffRow, StoreError> {
        let id = Uuid::now_v7().to_string();
        self.write(actor, now, |w| {
            let hlc = w.tick().to_string();
            w.tx
                .prepare_cached("INSERT INTO staff (id, status, employee_number, full_name, golongan, jabatan, unit_code, active, updated_hlc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![id, s.status.as_str(), s.employee_number, s.full_name, s.golongan, s.jabatan, s.unit_code, s.active, hlc])
                .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate("NIP/NI PPPK") } else { e.into() })?;
            let fields = staff_fields(s);
            w.record(Change {
                entity_id: &id,
                action: "create",
                audit: json!({ "id": id, "fields": fields }),
                body: OpBody::StaffCreate(StaffCreatePayload { id: id.clone(), fields }),
                base_version: None,
            })?;
            Ok(())
        })?;
        self.staff(&id)
    }

    /// Update a staff record made on `base_version`.
    pub fn update_staff(
        &mut self,
        id: &str,
        base_version: i64,
        s: &ValidStaff,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<StaffRow, StoreError> {
        self.update_staff_settling(id, base_version, s, &[], actor, now)
    }

    /// [`Store::update_staff`] that also settles the record's conflicts `resolves` (their
    /// operations' ids): the supervisor's choice, made on the server's version.
    pub fn update_staff_settling(
        &mut self,
        id: &str,
        base_version: i64,
        s: &ValidStaff,
        resolves: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<StaffRow, StoreError> {
        self.write(actor, now, |w| {
            let old = w
                .tx
                .prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = ?1"))?.query_row([id], staff_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound { entity: "staff", id: id.to_string() })?;
            if old.version != base_version {
                return Err(StoreError::VersionConflict {
                    entity: "staff",
                    id: id.to_string(),
                    base: base_version,
                    current: old.version,
                });
            }
            let hlc = w.tick().to_string();
            w.tx.prepare_cached("UPDATE staff SET status = ?2, employee_number = ?3, full_name = ?4, golongan = ?5, jabatan = ?6,
                     unit_code = ?7, active = ?8, updated_hlc = ?9, version = version + 1 WHERE id = ?1")?.execute(params![id, s.status.as_str(), s.employee_number, s.full_name, s.golongan, s.jabatan, s.unit_code, s.active, hlc])?;
            let new = staff_fields(s);
            w.record(Change {
                entity_id: id,
                action: "update",
                audit: json!({ "before": {
                    "status": old.status, "employee_number": old.employee_number, "full_name": old.full_name,
                    "golongan": old.golongan, "jabatan": old.jabatan, "unit_code": old.unit_code, "active": old.active,
                }, "after": new }),
                body: OpBody::StaffUpdate(StaffUpdatePayload {
                    id: id.to_string(),
                    fields: new,
                    resolves: resolves.to_vec(),
                    version: None,
                }),
                base_version: Some(base_version),
            })?;
            settle_conflicts(&w.tx, id, resolves)?;
            // Deactivating a staff member deactivates their accounts.
            if !s.active {
                let users: Vec<(String, i64)> = w
                    .tx
                    .prepare("SELECT id, version FROM user_account WHERE staff_id = ?1 AND active = 1")?
                    .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                for (user_id, version) in users {
                    w.tx.prepare_cached("UPDATE user_account SET active = 0, version = version + 1, updated_hlc = ?2 WHERE id = ?1")?.execute(params![user_id, hlc])?;
                    w.record(Change {
                        entity_id: &user_id,
                        action: "deactivate",
                        audit: json!({ "reason": "staff_inactive", "staff_id": id }),
                        body: OpBody::UserDeactivate(UserDeactivatePayload { id: user_id.clone() }),
                        base_version: Some(version),
                    })?;
                }
            }
            Ok(())
        })?;
        self.staff(id)
    }

    /// The open conflicts of staff records (all of the office's when `staff_id` is `None`),
    /// oldest first.
    pub fn staff_conflicts(&self, staff_id: Option<&str>) -> Result<Vec<StaffConflictData>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT data FROM staff_conflict WHERE resolved = 0 AND (?1 IS NULL OR staff_id = ?1) ORDER BY server_seq",
        )?;
        let rows = stmt.query_map([staff_id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(d) = serde_json::from_str(&row?) {
                out.push(d);
            }
        }
        Ok(out)
    }

    pub fn staff(&self, id: &str) -> Result<StaffRow, StoreError> {
        self.conn
            .prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = ?1"))?
            .query_row([id], staff_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: "staff", id: id.to_string() })
    }

    pub fn list_staff(&self) -> Result<Vec<StaffRow>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY full_name"))?;
        let rows = stmt.query_map([], staff_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Create a user account for an active staff member.
    pub fn add_user(
        &mut self,
        staff_id: &str,
        u: &ValidUser,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<UserRow, StoreError> {
        let staff = self.staff(staff_id)?;
        if !staff.active {
            return Err(StoreError::NotFound { entity: "active staff", id: staff_id.to_string() });
        }
        let id = Uuid::now_v7().to_string();
        let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
        self.write(actor, now, |w| {
            let hlc = w.tick().to_string();
            w.tx.prepare_cached(
                "INSERT INTO user_account (id, staff_id, username, roles, active, updated_hlc)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            )?
            .execute(params![id, staff_id, u.username, roles.join(","), hlc])
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate("nama pengguna")
                } else {
                    e.into()
                }
            })?;
            let record = UserCreatePayload {
                id: id.clone(),
                staff_id: staff_id.to_string(),
                username: u.username.clone(),
                roles: u.roles.iter().copied().collect(),
            };
            w.record(Change {
                entity_id: &id,
                action: "create",
                audit: serde_json::to_value(&record).unwrap_or_default(),
                body: OpBody::UserCreate(record),
                base_version: None,
            })?;
            Ok(())
        })?;
        self.user(&id)
    }

    pub fn user(&self, id: &str) -> Result<UserRow, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, staff_id, username, roles, active, version FROM user_account WHERE id = ?1",
            )?
            .query_row([id], user_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: "user", id: id.to_string() })
    }

    pub fn users_of_staff(&self, staff_id: &str) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, staff_id, username, roles, active, version FROM user_account WHERE staff_id = ?1 ORDER BY username",
        )?;
        let rows = stmt.query_map([staff_id], user_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A valid staff record as the sync payloads carry it.
fn staff_fields(s: &ValidStaff) -> StaffFields {
    StaffFields {
        status: s.status.as_str().to_string(),
        employee_number: s.employee_number.clone(),
        full_name: s.full_name.clone(),
        golongan: s.golongan.map(str::to_string),
        jabatan: s.jabatan.clone(),
        unit_code: s.unit_code.clone(),
        active: s.active,
    }
}
