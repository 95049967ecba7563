//! Repository of aid applications.

use chrono::{DateTime, SubsecRound, Utc};
use loket_domain::aid::ValidBansos;
use loket_domain::registration::RegistrationNumber;
use rusqlite::{params, Row, Transaction};
use uuid::Uuid;

use crate::{Store, StoreError};

const REGISTRATION_COUNTER: &str = "registration";

/// Workflow status of an application (the full state machine arrives with the workflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AidStatus {
    Submitted,
}

impl AidStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "submitted" => Ok(Self::Submitted),
            other => Err(StoreError::Corrupt(format!("unknown status {other:?}"))),
        }
    }
}

/// A stored aid application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AidApplication {
    pub id: Uuid,
    pub registration_number: String,
    pub nik: String,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    pub programme_code: String,
    pub status: AidStatus,
    pub created_at: DateTime<Utc>,
}

impl AidApplication {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<(Self, String, String)> {
        let id: String = row.get("id")?;
        let status: String = row.get("status")?;
        let created: String = row.get("created_at")?;
        Ok((
            Self {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                registration_number: row.get("registration_number")?,
                nik: row.get("nik")?,
                full_name: row.get("full_name")?,
                address: row.get("address")?,
                village_code: row.get("village_code")?,
                programme_code: row.get("programme_code")?,
                status: AidStatus::Submitted,
                created_at: DateTime::default(),
            },
            status,
            created,
        ))
    }
}

fn decode(parts: (AidApplication, String, String)) -> Result<AidApplication, StoreError> {
    let (mut app, status, created) = parts;
    app.status = AidStatus::parse(&status)?;
    app.created_at = DateTime::parse_from_rfc3339(&created)
        .map_err(|e| StoreError::Corrupt(format!("created_at {created:?}: {e}")))?
        .with_timezone(&Utc);
    Ok(app)
}

fn next_counter(tx: &Transaction<'_>, name: &str) -> Result<u32, StoreError> {
    let value: u32 = tx.query_row(
        "INSERT INTO counter (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1
         RETURNING value",
        [name],
        |r| r.get(0),
    )?;
    Ok(value)
}

impl Store {
    /// Register a validated bansos application: assign its registration number and store it,
    /// in one transaction. Durable when this returns.
    pub fn register_bansos(
        &mut self,
        app: &ValidBansos,
        now: DateTime<Utc>,
    ) -> Result<AidApplication, StoreError> {
        let kecamatan = self.office_kecamatan()?.ok_or(StoreError::OfficeNotConfigured)?;
        let device = self.device_code()?;
        let tx = self.conn.transaction()?;
        let seq = next_counter(&tx, REGISTRATION_COUNTER)?;
        let number = RegistrationNumber::new(&kecamatan.replace('.', ""), &device, seq)?;
        let row = AidApplication {
            id: Uuid::now_v7(),
            registration_number: number.to_string(),
            nik: app.nik.as_str().to_string(),
            full_name: app.full_name.clone(),
            address: app.address.clone(),
            village_code: app.village_code.clone(),
            programme_code: app.programme.code.to_string(),
            status: AidStatus::Submitted,
            // Stored with microsecond precision: return exactly what a later read returns.
            created_at: now.trunc_subsecs(6),
        };
        tx.execute(
            "INSERT INTO aid_application (id, registration_number, kind, nik, full_name, address,
                 village_code, programme_code, status, created_at)
             VALUES (?1, ?2, 'bansos', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.id.to_string(),
                row.registration_number,
                row.nik,
                row.full_name,
                row.address,
                row.village_code,
                row.programme_code,
                row.status.as_str(),
                row.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ],
        )?;
        tx.commit()?;
        tracing::info!(registration = %row.registration_number, nik = %app.nik, "registered bansos application");
        Ok(row)
    }

    /// The most recent applications first.
    pub fn list_aid_applications(&self, limit: u32) -> Result<Vec<AidApplication>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT * FROM aid_application ORDER BY created_at DESC, id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], AidApplication::from_row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// Number of stored aid applications.
    pub fn count_aid_applications(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM aid_application", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}
