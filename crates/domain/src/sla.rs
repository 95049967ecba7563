//! Service-time standard (SLA): due dates in working days.
//!
//! A working day is Monday to Friday and not a day off (the holiday calendar is data: the
//! province publishes it, the store keeps it). The clock runs only while an application is
//! submitted or in review: it pauses while the application is returned to the applicant, and
//! stops at a decision.
//!
//! The days off are those of the joint decree of three ministers (SKB Menteri Agama, Menteri
//! Ketenagakerjaan and Menteri PANRB) on national holidays and cuti bersama of each year — for
//! 2026 SKB No. 1497/2025, 2/2025, 5/2025 (`data/hari-libur-2026.csv`) — and the regional
//! holidays a kabupaten/kota sets. Civil servants take cuti bersama, but units that serve the
//! public are expected to keep serving; whether a cuti bersama day counts as a working day for
//! the service standard is each kabupaten/kota's setting ([`day_off`]).

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::workflow::Status;

/// Longest name of a holiday, in characters.
pub const HOLIDAY_NAME_MAX: usize = 100;

/// A month written `YYYY-MM` (the reports' period): its first day and the first day of the
/// next month; `None` when it is not a month.
pub fn month_span(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()?;
    Some((first, first.checked_add_months(chrono::Months::new(1))?))
}

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

/// What kind of day off (the `kind` column of the calendar file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A national holiday (hari libur nasional) of the SKB.
    LiburNasional,
    /// A joint leave day (cuti bersama) of the SKB.
    CutiBersama,
    /// A holiday a kabupaten/kota sets for its own region.
    LiburDaerah,
}

impl HolidayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiburNasional => "libur_nasional",
            Self::CutiBersama => "cuti_bersama",
            Self::LiburDaerah => "libur_daerah",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::LiburNasional, Self::CutiBersama, Self::LiburDaerah].into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether a day of `kind` stops the service clock, in a kabupaten/kota where cuti bersama
/// `cuti_bersama_is_working_day` (its setting: offices that keep serving on cuti bersama count
/// those days).
pub fn day_off(kind: HolidayKind, cuti_bersama_is_working_day: bool) -> bool {
    !(kind == HolidayKind::CutiBersama && cuti_bersama_is_working_day)
}

/// One day of a published calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub day: NaiveDate,
    pub kind: HolidayKind,
    pub name: String,
}

/// Read a calendar file as IT publishes it: CSV with the header `date,kind,name`, one day per
/// line (`2026-03-20,cuti_bersama,Cuti bersama Idulfitri 1447 H`). Every line's problem is
/// reported, by line number; a day may appear once.
pub fn parse_calendar(text: &str) -> Result<Vec<Holiday>, Vec<String>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let mut errors = Vec::new();
    match lines.next() {
        Some((_, header)) if header.trim().trim_start_matches('\u{feff}') == "date,kind,name" => {}
        _ => return Err(vec!["baris 1: kepala kolom harus \"date,kind,name\"".to_string()]),
    }
    let mut days = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, line) in lines {
        let n = i + 1;
        let mut cols = line.splitn(3, ',');
        let (Some(day), Some(kind), Some(name)) = (cols.next(), cols.next(), cols.next()) else {
            errors.push(format!("baris {n}: harus tiga kolom: tanggal,jenis,nama"));
            continue;
        };
        let Some(kind) = HolidayKind::parse(kind.trim()) else {
            errors.push(format!(
                "baris {n}: jenis {kind:?} tidak dikenal (libur_nasional, cuti_bersama, libur_daerah)"
            ));
            continue;
        };
        match check_holiday(day.trim(), name.trim_matches(|c: char| c.is_whitespace() || c == '"')) {
            Ok(date) if !seen.insert(date) => {
                errors.push(format!("baris {n}: tanggal {date} tercantum dua kali"))
            }
            Ok(date) => days.push(Holiday {
                day: date,
                kind,
                name: name.trim_matches(|c: char| c.is_whitespace() || c == '"').to_string(),
            }),
            Err(issue) => errors.push(format!("baris {n}: {}", issue.message)),
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

/// The days off of the service clock (national holidays, cuti bersama where it is not a
/// working day, regional holidays).
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
    /// While the clock runs: the day the standard is reached — projected from today, or, once
    /// the application is overdue, the day it fell due (not today). `None` while paused or
    /// stopped.
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
    // The working day on which the count reached the standard, if it has.
    let mut fell_due = (standard_days == 0).then(|| history.first().map(|(d, _)| *d)).flatten();
    for (i, (start, status)) in history.iter().enumerate() {
        if !status.sla_running() {
            continue;
        }
        let end = history.get(i + 1).map_or(today, |(d, _)| *d).max(*start);
        let here = calendar.working_days_between(*start, end);
        if fell_due.is_none() && used + here >= standard_days {
            fell_due = Some(calendar.add_working_days(*start, standard_days - used));
        }
        used += here;
    }
    let running = history.last().is_some_and(|(_, s)| s.sla_running());
    let due_date = running.then(|| {
        fell_due.unwrap_or_else(|| calendar.add_working_days(today, standard_days.saturating_sub(used)))
    });
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
    fn a_month_spans_from_its_first_day_to_the_next_months() {
        assert_eq!(month_span(" 2026-02 "), Some((d("2026-02-01"), d("2026-03-01"))));
        assert_eq!(month_span("2026-12"), Some((d("2026-12-01"), d("2027-01-01"))));
        assert_eq!(month_span("2026-13"), None);
        assert_eq!(month_span("Desember"), None);
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
        // It fell due on Tuesday the 3rd (one working day after Monday), not today.
        assert_eq!(late.due_date, Some(d("2026-11-03")));
        let due_today = sla_state(&[(d("2026-11-02"), Status::Submitted)], 1, d("2026-11-03"), &cal);
        assert_eq!((due_today.due_date, due_today.overdue), (Some(d("2026-11-03")), false));
        let decided = sla_state(
            &[(d("2026-11-02"), Status::InReview), (d("2026-11-03"), Status::Approved)],
            5,
            d("2026-11-30"),
            &cal,
        );
        assert_eq!((decided.used_days, decided.due_date, decided.overdue), (1, None, false));
    }

    fn skb_2026(cuti_bersama_is_working_day: bool) -> HolidayCalendar {
        let days = parse_calendar(include_str!("../data/hari-libur-2026.csv")).unwrap();
        HolidayCalendar::new(
            days.into_iter().filter(|h| day_off(h.kind, cuti_bersama_is_working_day)).map(|h| h.day),
        )
    }

    /// SKB 3 Menteri 2026 (No. 1497/2025, 2/2025, 5/2025): 17 national holidays and 8 cuti
    /// bersama days. A permit submitted on Tuesday 17 March 2026 with a 5-day standard: Nyepi
    /// (19th), the cuti bersama around it (18th, 20th) and after Idulfitri (23rd, 24th) are off,
    /// so it is due on the 31st — not on the 24th, as without the calendar.
    #[test]
    fn skb_3_menteri_2026_a_permit_before_idul_fitri_is_due_after_cuti_bersama() {
        let days = parse_calendar(include_str!("../data/hari-libur-2026.csv")).unwrap();
        let count = |k| days.iter().filter(|h| h.kind == k).count();
        assert_eq!((count(HolidayKind::LiburNasional), count(HolidayKind::CutiBersama)), (17, 8));
        let submitted = [(d("2026-03-17"), Status::Submitted)];
        let due = |cal: &HolidayCalendar| sla_state(&submitted, 5, d("2026-03-17"), cal).due_date;
        assert_eq!(due(&HolidayCalendar::default()), Some(d("2026-03-24")));
        assert_eq!(due(&skb_2026(false)), Some(d("2026-03-31")));
        // Where the kabupaten/kota counts cuti bersama as working days: only the holidays stop it.
        assert_eq!(due(&skb_2026(true)), Some(d("2026-03-25")));
        // Overdue after Lebaran: the day it fell due is reported, not today.
        let late = sla_state(&submitted, 5, d("2026-04-08"), &skb_2026(false));
        assert_eq!((late.overdue, late.due_date), (true, Some(d("2026-03-31"))));
    }

    #[test]
    fn a_calendar_file_is_checked_line_by_line() {
        let good = "date,kind,name\n2026-08-17,libur_nasional,Hari Proklamasi\n2026-08-18,libur_daerah,\"Hari Jadi, Kab. X\"\n";
        let days = parse_calendar(good).unwrap();
        assert_eq!(days[1].name, "Hari Jadi, Kab. X");
        assert_eq!(days[1].kind, HolidayKind::LiburDaerah);
        let bad = "date,kind,name\n2026-02-30,libur_nasional,X\n2026-08-17,libur,Y\n2026-08-17,cuti_bersama,Z\n2026-08-17,cuti_bersama,Z\nsatu\n";
        let errors = parse_calendar(bad).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("baris 2") && errors[1].contains("tidak dikenal"), "{errors:?}");
        assert!(errors[2].contains("dua kali") && errors[3].starts_with("baris 6"), "{errors:?}");
        assert!(parse_calendar("tanggal,nama\n").is_err());
    }
}
