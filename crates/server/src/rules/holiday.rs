//! Each office's holiday calendar, from what the province published (issue 17): pure rules,
//! no IO.
//!
//! IT loads the national calendar (the SKB 3 Menteri of each year; region `36`) and any
//! kabupaten/kota's own holidays (region `36.01`, …), and sets per kabupaten/kota whether cuti
//! bersama counts as a working day for the service standard. An office's calendar is the
//! national days and its kabupaten/kota's; a day is off when any of them stops the clock there
//! ([`loket_domain::sla::day_off`]). What reaches the laptops is the difference: every day whose
//! entry changed, and a day taken off the calendar as `off: false`, so reloading the same file
//! sends nothing.

use std::collections::{BTreeMap, BTreeSet};

use loket_domain::sla::{day_off, HolidayKind};
use loket_protocol::HolidayPayload;

/// The province's own region code: a national day.
pub const NATIONAL: &str = "36";

/// A day of a published calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// `36` (national) or a kabupaten/kota (`36.01`).
    pub region: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub kind: HolidayKind,
    pub name: String,
}

/// The kabupaten/kota of an office (`36.01.01` → `36.01`).
pub fn regency_of(office: &str) -> &str {
    office.get(..5).unwrap_or(office)
}

/// Whether `office` keeps `day`'s region's calendar.
fn applies(day: &Day, office: &str) -> bool {
    day.region == NATIONAL || day.region == regency_of(office)
}

/// The calendar of `office`, by day: national days first, then its kabupaten/kota's (a day on
/// both is off when either stops the clock, and named after the national one).
pub fn office_calendar(
    office: &str,
    days: &[Day],
    policies: &BTreeMap<String, bool>,
) -> BTreeMap<String, HolidayPayload> {
    let working = policies.get(regency_of(office)).copied().unwrap_or(false);
    let mut calendar: BTreeMap<String, HolidayPayload> = BTreeMap::new();
    let mut ordered: Vec<&Day> = days.iter().filter(|d| applies(d, office)).collect();
    ordered.sort_by_key(|d| d.region != NATIONAL);
    for d in ordered {
        let off = day_off(d.kind, working);
        calendar.entry(d.day.clone()).and_modify(|h| h.off |= off).or_insert_with(|| HolidayPayload {
            day: d.day.clone(),
            name: d.name.clone(),
            kind: d.kind,
            off,
        });
    }
    calendar
}

/// What `offices`' laptops must be told to go from the calendars of (`before`, `policies_before`)
/// to those of (`after`, `policies_after`): per office, each day set or changed, and each day no
/// longer on it (`off: false`).
pub fn changes(
    offices: &[String],
    before: (&[Day], &BTreeMap<String, bool>),
    after: (&[Day], &BTreeMap<String, bool>),
) -> Vec<(String, HolidayPayload)> {
    let mut out = Vec::new();
    for office in offices {
        let old = office_calendar(office, before.0, before.1);
        let new = office_calendar(office, after.0, after.1);
        let days: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for day in days {
            match (old.get(day), new.get(day)) {
                (old, Some(h)) if old != Some(h) => out.push((office.clone(), h.clone())),
                (Some(h), None) if h.off => {
                    out.push((office.clone(), HolidayPayload { off: false, ..h.clone() }))
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(region: &str, day: &str, kind: HolidayKind) -> Day {
        Day { region: region.into(), day: day.into(), kind, name: format!("{kind:?}") }
    }

    fn offices() -> Vec<String> {
        ["36.01.01", "36.73.01"].map(String::from).to_vec()
    }

    #[test]
    fn an_office_keeps_the_national_days_and_its_regencys() {
        let days = [
            day(NATIONAL, "2026-03-20", HolidayKind::CutiBersama),
            day(NATIONAL, "2026-03-21", HolidayKind::LiburNasional),
            day("36.01", "2026-04-01", HolidayKind::LiburDaerah),
        ];
        let working = BTreeMap::from([("36.73".to_string(), true)]);
        let pandeglang = office_calendar("36.01.01", &days, &working);
        let serang = office_calendar("36.73.01", &days, &working);
        assert_eq!(pandeglang.keys().collect::<Vec<_>>(), ["2026-03-20", "2026-03-21", "2026-04-01"]);
        assert!(pandeglang.values().all(|h| h.off));
        // Kota Serang counts cuti bersama as a working day, and has no regional day here.
        assert_eq!(serang.len(), 2);
        assert!(!serang["2026-03-20"].off && serang["2026-03-21"].off);
    }

    #[test]
    fn laptops_are_told_only_what_changed() {
        let none = BTreeMap::new();
        let v1 = [
            day(NATIONAL, "2026-03-20", HolidayKind::CutiBersama),
            day(NATIONAL, "2026-03-23", HolidayKind::CutiBersama),
        ];
        let first = changes(&offices(), (&[], &none), (&v1, &none));
        assert_eq!(first.len(), 4, "two days for two offices");
        assert!(changes(&offices(), (&v1, &none), (&v1, &none)).is_empty(), "the same file again: nothing");
        // The 23rd is dropped in a corrected file: taken off the calendars, not forgotten.
        let v2 = [day(NATIONAL, "2026-03-20", HolidayKind::CutiBersama)];
        let fix = changes(&offices(), (&v1, &none), (&v2, &none));
        assert_eq!(fix.len(), 2);
        assert!(fix.iter().all(|(_, h)| h.day == "2026-03-23" && !h.off));
        // Kota Serang decides cuti bersama is a working day: only its office hears of it.
        let serang = BTreeMap::from([("36.73".to_string(), true)]);
        let policy = changes(&offices(), (&v2, &none), (&v2, &serang));
        assert_eq!(policy.len(), 1);
        assert_eq!((policy[0].0.as_str(), policy[0].1.off), ("36.73.01", false));
    }
}
