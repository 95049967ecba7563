//! The holiday calendar used for service-time standards.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use loket_domain::sla::{sla_state, HolidayCalendar, HolidayKind, SlaState};
use loket_domain::workflow::Status;
use loket_protocol::{HolidayPayload, OpBody};
use rusqlite::params;
use serde_json::json;

use crate::writer::{Actor, Change};
use crate::{Store, StoreError};

impl Store {
    /// An admin adds or renames a day of this office's calendar (the province publishes the
    /// national one; `off`: whether it stops the service clock).
    pub fn set_holiday(
        &mut self,
        day: NaiveDate,
        name: &str,
        kind: HolidayKind,
        off: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let payload = HolidayPayload { day: day.to_string(), name: name.to_string(), kind, off };
        self.write(actor, now, |w| {
            upsert(&w.tx, &payload)?;
            w.record(Change {
                entity_id: &payload.day,
                action: "set",
                audit: json!({ "day": payload.day, "name": name, "kind": kind.as_str(), "off": off }),
                body: OpBody::HolidaySet(payload.clone()),
                base_version: None,
            })?;
            Ok(())
        })
    }

    /// The days of this office's calendar: day, kind, name, whether it stops the clock.
    pub fn holidays(&self) -> Result<Vec<(NaiveDate, HolidayKind, String, bool)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day, kind, name, off FROM holiday ORDER BY day")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?))
        })?;
        let mut days = Vec::new();
        for row in rows {
            let (day, kind, name, off) = row?;
            if let (Ok(day), Some(kind)) = (day.parse(), HolidayKind::parse(&kind)) {
                days.push((day, kind, name, off));
            }
        }
        Ok(days)
    }

    /// The days off of the service clock.
    pub fn holiday_calendar(&self) -> Result<HolidayCalendar, StoreError> {
        calendar(&self.conn)
    }

    /// The SLA of an application as of `today`, from its workflow events (event dates are taken
    /// from their HLC wall time, in WIB).
    pub fn application_sla(
        &self,
        id: &str,
        standard_days: u32,
        today: NaiveDate,
    ) -> Result<SlaState, StoreError> {
        let history: Vec<(NaiveDate, Status)> = self
            .workflow_events(id)?
            .into_iter()
            .filter_map(|e| Some((crate::listing::wib_day(&e.hlc)?, Status::parse(&e.to_status)?)))
            .collect();
        Ok(sla_state(&history, standard_days, today, &self.holiday_calendar()?))
    }
}

/// The days off of the service clock, read on `conn`.
pub(crate) fn calendar(conn: &rusqlite::Connection) -> Result<HolidayCalendar, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT day FROM holiday WHERE off = 1")?;
    let days = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|d| d.ok().and_then(|d| d.parse::<NaiveDate>().ok()))
        .collect::<Vec<_>>();
    Ok(HolidayCalendar::new(days))
}

/// Add or change a day of the calendar (set here, or pulled from the server).
pub(crate) fn upsert(tx: &rusqlite::Transaction<'_>, h: &HolidayPayload) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO holiday (day, name, kind, off) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (day) DO UPDATE SET name = excluded.name, kind = excluded.kind, off = excluded.off",
    )?
    .execute(params![h.day, h.name, h.kind.as_str(), h.off])?;
    crate::queue::calendar_changed(tx)
}
