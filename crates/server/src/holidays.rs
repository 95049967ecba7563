//! The province's holiday calendars (issue 17). IT checks and loads a calendar file — the
//! national days of a year's SKB 3 Menteri, or a kabupaten/kota's own holidays — and sets, per
//! kabupaten/kota, whether cuti bersama counts as a working day for the service standard. Each
//! office's laptops learn their calendar through sync (`holiday.set` records): every due date,
//! SLA state and overdue report on them counts it. Format and procedure: docs/CALENDAR.md.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Utc};
use loket_domain::region::{catalogue, Level};
use loket_domain::sla::{parse_calendar, Holiday, HolidayKind};
use loket_protocol::{ChangeBody, OpBody, Relayed};

use crate::rules::holiday::{changes, regency_of, Day, NATIONAL};
use crate::storage::{CalendarUpdate, Storage, StorageError};

/// Why IT's calendar command was refused.
#[derive(Debug, thiserror::Error)]
pub enum HolidayError {
    /// The file's problems, line by line (nothing was loaded).
    #[error("the calendar file has errors:\n{}", .0.join("\n"))]
    File(Vec<String>),
    #[error("{0} is not a kabupaten/kota of Banten (e.g. 36.01)")]
    Regency(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a load or a policy change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub days: usize,
    pub offices: usize,
    /// Calendar entries sent to offices (only what changed).
    pub changes: usize,
}

fn regency(code: &str) -> Result<String, HolidayError> {
    match catalogue().get(code) {
        Some(r) if r.level == Level::Regency && code.starts_with("36.") => Ok(code.to_string()),
        _ => Err(HolidayError::Regency(code.to_string())),
    }
}

/// Check a calendar file for `regency` (`None`: the national calendar): every line, and that a
/// national file holds national days and cuti bersama, a regional one its own holidays.
pub fn check(text: &str, regency: Option<&str>) -> Result<Vec<Holiday>, HolidayError> {
    let days = parse_calendar(text).map_err(HolidayError::File)?;
    let misplaced: Vec<String> = days
        .iter()
        .filter(|h| (h.kind == HolidayKind::LiburDaerah) != regency.is_some())
        .map(|h| match regency {
            None => format!("{}: libur_daerah hanya dimuat dengan --regency", h.day),
            Some(r) => format!(
                "{}: kalender {r} hanya memuat libur_daerah (hari nasional dimuat tanpa --regency)",
                h.day
            ),
        })
        .collect();
    if !misplaced.is_empty() {
        return Err(HolidayError::File(misplaced));
    }
    Ok(days)
}

fn policies_of(rows: Vec<(String, bool)>) -> BTreeMap<String, bool> {
    rows.into_iter().collect()
}

fn encode(office_changes: Vec<(String, loket_protocol::HolidayPayload)>) -> Vec<(String, String, String)> {
    office_changes
        .into_iter()
        .map(|(office, h)| {
            let day = h.day.clone();
            (office, day, ChangeBody::Record(Relayed(OpBody::HolidaySet(h))).encode())
        })
        .collect()
}

async fn offices_in(s: &dyn Storage, regency: Option<&str>) -> Result<Vec<String>, HolidayError> {
    Ok(s.offices()
        .await?
        .into_iter()
        .map(|o| o.code)
        .filter(|code| regency.is_none_or(|r| regency_of(code) == r))
        .collect())
}

/// Load a calendar file: the days of `regency` (`None`: national) for the years the file
/// covers are replaced by the file's, and the offices concerned are told what changed.
pub async fn load(s: &dyn Storage, text: &str, regency: Option<&str>) -> Result<Published, HolidayError> {
    let region = match regency {
        Some(r) => self::regency(r)?,
        None => NATIONAL.to_string(),
    };
    let file = check(text, regency)?;
    let years: BTreeSet<i32> = file.iter().map(|h| h.day.year()).collect();
    let days: Vec<Day> = file
        .iter()
        .map(|h| Day { region: region.clone(), day: h.day.to_string(), kind: h.kind, name: h.name.clone() })
        .collect();
    let before = s.holidays().await?;
    let in_replaced = |d: &Day| {
        d.region == region
            && d.day.get(..4).and_then(|y| y.parse().ok()).is_some_and(|y: i32| years.contains(&y))
    };
    let mut after: Vec<Day> = before.iter().filter(|d| !in_replaced(d)).cloned().collect();
    after.extend(days.iter().cloned());
    let policies = policies_of(s.holiday_policies().await?);
    let offices = offices_in(s, regency).await?;
    let sent = encode(changes(&offices, (&before, &policies), (&after, &policies)));
    let published = Published { days: days.len(), offices: offices.len(), changes: sent.len() };
    let update = CalendarUpdate {
        region: Some(region),
        years: years.into_iter().collect(),
        days,
        policy: None,
        changes: sent,
    };
    s.update_calendar(&update, Utc::now()).await?;
    Ok(published)
}

/// Set whether cuti bersama is a working day for the service standard in `regency`, and tell
/// its offices what changed.
pub async fn policy(
    s: &dyn Storage,
    regency: &str,
    cuti_bersama_is_working_day: bool,
) -> Result<Published, HolidayError> {
    let regency = self::regency(regency)?;
    let days = s.holidays().await?;
    let before = policies_of(s.holiday_policies().await?);
    let mut after = before.clone();
    after.insert(regency.clone(), cuti_bersama_is_working_day);
    let offices = offices_in(s, Some(&regency)).await?;
    let sent = encode(changes(&offices, (&days, &before), (&days, &after)));
    let published = Published { days: 0, offices: offices.len(), changes: sent.len() };
    let update = CalendarUpdate {
        policy: Some((regency, cuti_bersama_is_working_day)),
        changes: sent,
        ..CalendarUpdate::default()
    };
    s.update_calendar(&update, Utc::now()).await?;
    Ok(published)
}

/// Send the whole calendar, and the published catalogue versions, to offices created after
/// they were published.
pub async fn publish_to_new_offices(s: &dyn Storage, offices: &[String]) -> Result<usize, HolidayError> {
    if offices.is_empty() {
        return Ok(0);
    }
    let days = s.holidays().await?;
    let policies = policies_of(s.holiday_policies().await?);
    let mut sent = encode(changes(offices, (&[], &policies), (&days, &policies)));
    sent.extend(crate::catalogues::changes_for_new_offices(s, offices).await?);
    let n = sent.len();
    if n > 0 {
        s.update_calendar(&CalendarUpdate { changes: sent, ..CalendarUpdate::default() }, Utc::now()).await?;
    }
    Ok(n)
}
