//! The desk's queue: applications waiting for someone's decision, the most urgent first —
//! overdue, then by due date (permits under their service-time standard), then the oldest —
//! filtered by service, status, desa and registration period, a page at a time.
//!
//! Due dates are kept in `application.due_date` so that the order is an index's
//! (`application_queue`): a status change marks its row stale (a trigger), a changed holiday
//! calendar marks every permit, and [`Store::queue_rows`] computes the stale ones again first.
//! For a running clock the due date does not move with today (projected, it is the day the
//! standard is reached), so a stored one stays right until the history or the calendar changes.

use chrono::NaiveDate;
use loket_domain::sla::sla_state;
use loket_domain::workflow::{ApplicationKind, Status};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Transaction};

use crate::listing::{wib_day, ApplicationRow};
use crate::{Store, StoreError};

const CALENDAR_CHANGED: &str = "queue.calendar_changed";
/// Sorts after every date: applications without a due date come after those with one.
const NO_DUE: &str = "9999-12-31";

/// What the queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// The statuses it holds (those awaiting the user's decision); empty: none.
    pub statuses: Vec<Status>,
    pub service_code: Option<String>,
    pub village_code: Option<String>,
    /// Registered on or after this day (WIB).
    pub from: Option<NaiveDate>,
    /// Registered on or before this day (WIB).
    pub to: Option<NaiveDate>,
}

/// One page of the queue, and how many the whole filtered queue holds.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    pub rows: Vec<ApplicationRow>,
    pub total: u64,
    /// Of `total`, how many are past their due date as of the day asked.
    pub overdue: u64,
}

/// The holiday calendar changed: every permit's due date is computed again before the queue is
/// next read.
pub(crate) fn calendar_changed(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO setting (key, value) VALUES (?1, '1') ON CONFLICT (key) DO UPDATE SET value = '1'",
    )?
    .execute([CALENDAR_CHANGED])?;
    Ok(())
}

/// A permit decided (the service was given or refused): its clock has stopped for good.
fn decided(s: Status) -> bool {
    matches!(s, Status::Approved | Status::Rejected | Status::Completed)
}

/// The first HLC of a WIB day (HLCs begin with the wall time in zero-padded milliseconds).
pub(crate) fn hlc_of_day(day: NaiveDate) -> String {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(7);
    format!("{:016}", start.timestamp_millis().max(0))
}

impl Store {
    /// Compute the due dates that are stale; returns how many were.
    pub fn refresh_due_dates(&mut self, today: NaiveDate) -> Result<usize, StoreError> {
        self.refresh_some_due_dates(today, i64::MAX)
    }

    /// Compute at most `limit` stale due dates, in one transaction (the desktop's background
    /// thread does a large backlog, after a first pull or an upgrade, in parts, so that the
    /// store is never held for long); returns how many it computed.
    pub fn refresh_some_due_dates(&mut self, today: NaiveDate, limit: i64) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let all: Option<String> = tx
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
            .query_row([CALENDAR_CHANGED], |r| r.get(0))
            .optional()?;
        if all.is_some() {
            tx.execute("UPDATE application SET due_stale = 1 WHERE kind = 'permit' AND due_stale = 0", [])?;
            tx.execute("DELETE FROM setting WHERE key = ?1", [CALENDAR_CHANGED])?;
        }
        let stale: Vec<crate::Application> = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {} FROM application WHERE due_stale = 1 LIMIT ?1",
                crate::application::COLUMNS
            ))?;
            let rows = stmt.query_map([limit], crate::application::from_row)?;
            rows.collect::<Result<_, _>>()?
        };
        if stale.is_empty() {
            return Ok(0);
        }
        let calendar = crate::holiday::calendar(&tx)?;
        {
            let mut history = tx.prepare_cached(
                "SELECT hlc, to_status FROM workflow_event WHERE application_id = ?1 ORDER BY hlc",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE application SET due_date = ?2, sla_met = ?3, due_stale = 0 WHERE id = ?1",
            )?;
            for a in &stale {
                let standard = (a.kind == ApplicationKind::Permit)
                    .then(|| {
                        loket_domain::catalogue::of(a.catalogue.as_ref())
                            .and_then(|c| c.service(&a.service_code))
                    })
                    .flatten()
                    .map(|s| s.sla_days);
                let (due, met) = match standard {
                    Some(days) if a.status.sla_running() || decided(a.status) => {
                        let events: Vec<(NaiveDate, Status)> = history
                            .query_map([&a.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                            .filter_map(|r| r.ok())
                            .filter_map(|(hlc, to)| Some((wib_day(&hlc)?, Status::parse(&to)?)))
                            .collect();
                        let sla = sla_state(&events, days, today, &calendar);
                        // Decided: the clock stopped at the decision, within the standard or not.
                        (sla.due_date.map(|d| d.to_string()), decided(a.status).then_some(!sla.overdue))
                    }
                    _ => (None, None),
                };
                update.execute(params![a.id, due.as_deref().unwrap_or(NO_DUE), met])?;
            }
        }
        tx.commit()?;
        Ok(stale.len())
    }

    /// A page of the queue (`limit` rows after `offset`), as of `today`.
    pub fn queue_rows(
        &mut self,
        filter: &QueueFilter,
        today: NaiveDate,
        limit: u32,
        offset: u32,
    ) -> Result<QueuePage, StoreError> {
        self.refresh_due_dates(today)?;
        if filter.statuses.is_empty() {
            return Ok(QueuePage { rows: Vec::new(), total: 0, overdue: 0 });
        }
        // Statuses come from the workflow's enum, never from the user: written in, so that the
        // planner sees the list it can range over in the index.
        let statuses =
            filter.statuses.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        // Only the filters set are written in (an `?n IS NULL OR …` would keep the planner from
        // the index of the one that is set).
        let mut clause = format!("WHERE a.status IN ({statuses})");
        let mut bind: Vec<Value> = Vec::new();
        let mut condition = |sql: &str, value: Option<String>| {
            if let Some(v) = value {
                bind.push(Value::Text(v));
                clause.push_str(&format!(" AND {sql} ?{}", bind.len()));
            }
        };
        condition("a.service_code =", filter.service_code.clone());
        condition("a.village_code =", filter.village_code.clone());
        condition("a.created_hlc >=", filter.from.map(hlc_of_day));
        condition("a.created_hlc <", filter.to.and_then(|d| d.succ_opt()).map(hlc_of_day));
        let n = bind.len();
        let (total, overdue): (i64, i64) = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*), coalesce(sum(a.due_date < ?{}), 0) FROM application a {clause}",
                n + 1
            ))?
            .query_row(
                params_from_iter(bind.iter().cloned().chain([Value::Text(today.to_string())])),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
        // The page's ids first, from the index alone (a deep page skips index entries, not
        // rows read whole), then those rows with what they show.
        let ids: Vec<String> = self
            .conn
            .prepare_cached(&format!(
                "SELECT a.id FROM application a {clause}
                 ORDER BY a.due_date, a.created_hlc LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            ))?
            .query_map(
                params_from_iter(
                    bind.iter().cloned().chain([i64::from(limit).into(), i64::from(offset).into()]),
                ),
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        let mut rows = self.rows_where(
            "WHERE a.id IN (SELECT value FROM json_each(?1))",
            [serde_json::to_string(&ids).unwrap_or_default()],
        )?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.application.id));
        Ok(QueuePage { rows, total: total as u64, overdue: overdue as u64 })
    }
}
