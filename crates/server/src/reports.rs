//! IT's monthly recap across offices: `loket-server report --month 2026-11 [--regency 36.01 |
//! --office 36.01.01]` — applications registered in the month (WIB) per kecamatan, by status,
//! with fees, and the total. The office's own report, with service-time shares and aid by desa,
//! is in the desktop (Laporan).

use chrono::NaiveDate;

use crate::storage::{RecapRow, Storage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("month must be YYYY-MM, not {0:?}")]
    Month(String),
    #[error("region must be a dotted code such as 36.01 or 36.01.01, not {0:?}")]
    Region(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The UTC bounds of a month in WIB (UTC+7): from the first day's 00:00 WIB, to the next
/// month's.
pub fn month_bounds(month: &str) -> Result<(String, String), ReportError> {
    let (first, next) =
        loket_domain::sla::month_span(month).ok_or_else(|| ReportError::Month(month.to_string()))?;
    let utc = |d: NaiveDate| {
        (d.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(7))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    Ok((utc(first), utc(next)))
}

/// The month's rows for the offices under `region` (`36` for the province).
pub async fn recap(storage: &dyn Storage, month: &str, region: &str) -> Result<Vec<RecapRow>, ReportError> {
    let ok = !region.is_empty()
        && region.split('.').all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(ReportError::Region(region.to_string()));
    }
    let (from, to) = month_bounds(month)?;
    Ok(storage.recap(&from, &to, region).await?)
}

/// The recap as a table: one line per office (registered, then by status, fees), and the total.
pub fn table(rows: &[RecapRow]) -> String {
    let statuses =
        ["draft", "submitted", "in_review", "approved", "rejected", "returned", "completed", "cancelled"];
    let mut out = format!("{:<10} {:>9}", "office", "total");
    for s in statuses {
        out.push_str(&format!(" {s:>9}"));
    }
    out.push_str(&format!(" {:>15}\n", "fees (Rp)"));
    let mut offices: Vec<&str> = rows.iter().map(|r| r.office_code.as_str()).collect();
    offices.dedup();
    let line = |label: &str, of: &dyn Fn(&RecapRow) -> bool| {
        let sum = |f: &dyn Fn(&RecapRow) -> bool| {
            rows.iter().filter(|r| of(r) && f(r)).map(|r| r.count).sum::<i64>()
        };
        let mut l = format!("{label:<10} {:>9}", sum(&|_| true));
        for s in statuses {
            l.push_str(&format!(" {:>9}", sum(&|r| r.status == s)));
        }
        let fees: i64 = rows.iter().filter(|r| of(r)).map(|r| r.fees).sum();
        l.push_str(&format!(" {fees:>15}\n"));
        l
    };
    for office in &offices {
        out.push_str(&line(office, &|r| r.office_code == *office));
    }
    out.push_str(&line("total", &|_| true));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_in_wib_starts_at_17_utc_the_day_before() {
        assert_eq!(
            month_bounds("2026-11").unwrap(),
            ("2026-10-31T17:00:00".to_string(), "2026-11-30T17:00:00".to_string())
        );
        assert_eq!(month_bounds("2026-12").unwrap().1, "2026-12-31T17:00:00");
        assert!(month_bounds("November").is_err());
    }

    #[test]
    fn the_table_has_a_line_per_office_and_the_total() {
        let row = |office: &str, status: &str, count| RecapRow {
            office_code: office.into(),
            kind: "bansos".into(),
            service_code: "PKH".into(),
            status: status.into(),
            count,
            fees: 0,
        };
        let t = table(&[
            row("36.01.01", "approved", 2),
            row("36.01.01", "submitted", 1),
            row("36.02.01", "submitted", 4),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("36.01.01") && lines[1].contains("        3"), "{t}");
        assert!(lines[3].starts_with("total") && lines[3].contains("        7"), "{t}");
    }
}
