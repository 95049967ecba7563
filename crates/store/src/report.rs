//! The office's figures for a period: applications registered in it by service and status
//! (with fees, and how many decided permits met their service-time standard), and aid by
//! programme and desa. Aggregated by SQL over the `application_created` index.

use chrono::NaiveDate;
use loket_domain::workflow::{ApplicationKind, Status};
use rusqlite::params;

use crate::queue::hlc_of_day;
use crate::{Store, StoreError};

/// Applications of one service in one status, registered in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct RecapRow {
    pub service_code: String,
    pub kind: ApplicationKind,
    pub status: Status,
    pub count: u64,
    /// Fees of these applications, in rupiah.
    pub fees: i64,
    /// Decided permits among them, and of those the ones decided within the standard.
    pub decided_with_standard: u64,
    pub within_standard: u64,
}

/// Aid applications of one programme from one desa in one status, registered in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct AidRow {
    pub programme: String,
    pub village_code: String,
    pub status: Status,
    pub count: u64,
    /// Grants asked for (hibah), in rupiah.
    pub amount: f64,
}

impl Store {
    /// The recap of applications registered from `from` to `to` (WIB days, inclusive).
    pub fn recap(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Result<Vec<RecapRow>, StoreError> {
        self.refresh_due_dates(today)?;
        let (start, end) = bounds(from, to);
        let mut stmt = self.conn.prepare_cached(
            "SELECT service_code, kind, status, count(*), coalesce(sum(fee), 0),
                    count(sla_met), coalesce(sum(sla_met), 0)
             FROM application WHERE created_hlc >= ?1 AND created_hlc < ?2
             GROUP BY service_code, kind, status ORDER BY kind, service_code, status",
        )?;
        let rows = stmt.query_map(params![start, end], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (service_code, kind, status, count, fees, decided, within) = row?;
            let (Some(kind), Some(status)) = (ApplicationKind::parse(&kind), Status::parse(&status)) else {
                continue;
            };
            out.push(RecapRow {
                service_code,
                kind,
                status,
                count: count as u64,
                fees,
                decided_with_standard: decided as u64,
                within_standard: within as u64,
            });
        }
        Ok(out)
    }

    /// Aid (bansos and hibah) registered from `from` to `to`, by programme, desa and status.
    pub fn aid_by_village(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AidRow>, StoreError> {
        let (start, end) = bounds(from, to);
        let mut stmt = self.conn.prepare_cached(
            "SELECT service_code, village_code, status, count(*),
                    coalesce(sum(json_extract(details, '$.amount_proposed')), 0)
             FROM application WHERE created_hlc >= ?1 AND created_hlc < ?2 AND kind <> 'permit'
             GROUP BY service_code, village_code, status ORDER BY service_code, village_code, status",
        )?;
        let rows = stmt.query_map(params![start, end], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, f64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (programme, village_code, status, count, amount) = row?;
            if let Some(status) = Status::parse(&status) {
                out.push(AidRow { programme, village_code, status, count: count as u64, amount });
            }
        }
        Ok(out)
    }
}

/// The HLC range of WIB days `from` to `to` inclusive.
fn bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    (hlc_of_day(from), hlc_of_day(to.succ_opt().unwrap_or(to)))
}
