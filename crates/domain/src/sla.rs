//! Service-time standard (SLA): due dates in working days.
//!
//! A working day is Monday to Friday and not a holiday (the holiday calendar is data, kept in
//! the store). The clock runs only while an application is submitted or in review: it pauses
//! while the application is returned to the applicant, and stops at a decision.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::workflow::Status;

/// Longest name of a holiday, in characters.
pub const HOLIDAY_NAME_MAX: usize = 100;

/// Check a holiday as it is published: an ISO date (`2026-03-20`) and a name.
pub fn check_holiday(day: &str, name: &str) -> Result<NaiveDate, crate::FieldIssue> {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()) && d.format("%Y-%m-%d").to_string() == day)
        .ok_or_else(|| crate::FieldIssue::error("day", "holiday.day_invalid", "Tanggal libur tidak sah."))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > HOLIDAY_NAME_MAX || name.chars().any(char::is_control) {
        return Err(crate::FieldIssue::error(
            "name",
            "holiday.name_invalid",
            format!("Nama hari libur wajib diisi, paling panjang {HOLIDAY_NAME_MAX} karakter."),
        ));
    }
    Ok(date)
}

/// National holidays and collective leave days (cuti bersama).
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    days: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    pub fn new(days: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self { days: days.into_iter().collect() }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.days.contains(&d)
    }

    /// Working days `d` with `from < d <= to`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// The `n`-th working day after `start` (`start` itself if `n == 0`).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

/// Where an application stands against its service-time standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaState {
    /// Working days counted so far.
    pub used_days: u32,
    /// The standard, in working days.
    pub standard_days: u32,
    /// Projected due date while the clock runs; `None` while paused or stopped.
    pub due_date: Option<NaiveDate>,
    pub paused: bool,
    pub overdue: bool,
}

/// Compute the SLA from the dates at which each status began (in order) and today.
pub fn sla_state(
    history: &[(NaiveDate, Status)],
    standard_days: u32,
    today: NaiveDate,
    calendar: &HolidayCalendar,
) -> SlaState {
    let mut used = 0;
    for (i, (start, status)) in history.iter().enumerate() {
        if !status.sla_running() {
            continue;
        }
        let end = history.get(i + 1).map_or(today, |(d, _)| *d).max(*start);
        used += calendar.working_days_between(*start, end);
    }
    let running = history.last().is_some_and(|(_, s)| s.sla_running());
    let due_date = running.then(|| calendar.add_working_days(today, standard_days.saturating_sub(used)));
    SlaState {
        used_days: used,
        standard_days,
        due_date,
        paused: history.last().is_some_and(|(_, s)| *s == Status::Returned),
        overdue: used > standard_days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn holidays_are_real_dates_with_short_names() {
        assert_eq!(check_holiday("2026-03-20", "Idul Fitri 1447 H"), Ok(d("2026-03-20")));
        for day in ["2026-02-30", "20260320", "2026-3-20", "1999-12-31", " 2026-03-20"] {
            assert_eq!(check_holiday(day, "x").unwrap_err().code, "holiday.day_invalid", "{day}");
        }
        for name in ["", " ", &"x".repeat(101), "a\u{0}b"] {
            assert_eq!(check_holiday("2026-03-20", name).unwrap_err().code, "holiday.name_invalid");
        }
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        // 2026-08-14 is a Friday; 2026-08-17 (Monday) is Independence Day.
        let cal = HolidayCalendar::new([d("2026-08-17")]);
        assert_eq!(cal.add_working_days(d("2026-08-14"), 1), d("2026-08-18"));
        assert_eq!(cal.add_working_days(d("2026-08-14"), 0), d("2026-08-14"));
        assert_eq!(cal.working_days_between(d("2026-08-14"), d("2026-08-18")), 1);
        assert_eq!(cal.add_working_days(d("2026-08-10"), 5), d("2026-08-18"));
    }

    #[test]
    fn running_clock_projects_a_due_date() {
        let cal = HolidayCalendar::default();
        // Submitted Monday 2026-11-02, standard 5 days, today Wednesday 2026-11-04: 2 used.
        let s = sla_state(&[(d("2026-11-02"), Status::Submitted)], 5, d("2026-11-04"), &cal);
        assert_eq!(s.used_days, 2);
        assert_eq!(s.due_date, Some(d("2026-11-09")));
        assert!(!s.paused && !s.overdue);
    }

    #[test]
    fn clock_pauses_while_returned() {
        let cal = HolidayCalendar::default();
        let history = [
            (d("2026-11-02"), Status::Submitted), // Mon
            (d("2026-11-03"), Status::InReview),  // Tue: 1 day
            (d("2026-11-04"), Status::Returned),  // Wed: 2 days, then paused
            (d("2026-11-16"), Status::Submitted), // resubmitted two weeks later
        ];
        let paused = sla_state(&history[..3], 5, d("2026-11-13"), &cal);
        assert_eq!((paused.used_days, paused.due_date, paused.paused), (2, None, true));
        let resumed = sla_state(&history, 5, d("2026-11-17"), &cal);
        assert_eq!(resumed.used_days, 3);
        assert_eq!(resumed.due_date, Some(d("2026-11-19")));
    }

    #[test]
    fn overdue_and_stopped() {
        let cal = HolidayCalendar::default();
        let late = sla_state(&[(d("2026-11-02"), Status::Submitted)], 1, d("2026-11-05"), &cal);
        assert!(late.overdue);
        let decided = sla_state(
            &[(d("2026-11-02"), Status::InReview), (d("2026-11-03"), Status::Approved)],
            5,
            d("2026-11-30"),
            &cal,
        );
        assert_eq!((decided.used_days, decided.due_date, decided.overdue), (1, None, false));
    }
}
