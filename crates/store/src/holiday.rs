//! The holiday calendar used for service-time standards.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use loket_domain::sla::{sla_state, HolidayCalendar, SlaState};
use loket_domain::workflow::Status;
use loket_protocol::{HolidayPayload, OpBody};
use rusqlite::params;
use serde_json::json;

use crate::writer::{Actor, Change};
use crate::{Store, StoreError};

impl Store {
    /// Add or rename a holiday (national holidays and cuti bersama).
    pub fn set_holiday(
        &mut self,
        day: NaiveDate,
        name: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let day = day.to_string();
        self.write(actor, now, |w| {
            w.tx.prepare_cached("INSERT INTO holiday (day, name) VALUES (?1, ?2) ON CONFLICT (day) DO UPDATE SET name = excluded.name")?.execute(params![day, name])?;
            w.record(Change {
                entity_id: &day,
                action: "set",
                audit: json!({ "day": day, "name": name }),
                body: OpBody::HolidaySet(HolidayPayload { day: day.clone(), name: name.to_string() }),
                base_version: None,
            })?;
            Ok(())
        })
    }

    pub fn holiday_calendar(&self) -> Result<HolidayCalendar, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day FROM holiday")?;
        let days = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|d| d.ok().and_then(|d| d.parse::<NaiveDate>().ok()))
            .collect::<Vec<_>>();
        Ok(HolidayCalendar::new(days))
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
