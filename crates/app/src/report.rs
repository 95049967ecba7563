//! Reports of the office: the monthly recap the camat sends to the bupati (applications by
//! service and status, fees, and the share of decided permits that met their service-time
//! standard), and aid by programme and desa; shown with charts in the window and exported as
//! CSV and XLSX.

use chrono::{Datelike, NaiveDate};
use loket_domain::aid;
use loket_domain::issue::{FieldIssue, Severity};
use loket_domain::region::catalogue;
use loket_domain::workflow::{ApplicationKind, Status};

use crate::dto::{AidRecapDto, ReportDto, ReportInput, ServiceRecapDto, StatusCountDto};
use crate::receipt::{tanggal, MONTHS};
use crate::{present, AppError, Loket};

/// The first and last day of `YYYY-MM`.
pub(crate) fn month_bounds(month: &str) -> Result<(NaiveDate, NaiveDate), AppError> {
    let (first, next) = loket_domain::sla::month_span(month).ok_or_else(|| AppError::Validation {
        issues: present::issues(&[FieldIssue {
            field: "month",
            code: "report.month_invalid",
            message: "Bulan tidak valid (contoh: 2026-12).".into(),
            severity: Severity::Error,
        }]),
        needs_confirmation: false,
    })?;
    Ok((first, next.pred_opt().unwrap_or(first)))
}

/// `Desember 2026`.
pub(crate) fn month_label(first: NaiveDate) -> String {
    format!("{} {}", MONTHS[first.month0() as usize], first.year())
}

impl Loket {
    /// The office's report for one month (`YYYY-MM`): applications registered in it.
    pub fn report(&self, input: ReportInput) -> Result<ReportDto, AppError> {
        self.reading()?;
        let (first, last) = month_bounds(&input.month)?;
        let office = self.office()?.ok_or(AppError::OfficeNotConfigured)?;
        let (recap, aid_rows) = {
            let mut store = self.store();
            (store.recap(first, last, crate::today())?, store.aid_by_village(first, last)?)
        };
        let services = self.services().unwrap_or_default();
        let mut by_service: Vec<ServiceRecapDto> = Vec::new();
        for r in recap {
            let i = match by_service.iter().position(|s| s.service_code == r.service_code) {
                Some(i) => i,
                None => {
                    let name = match r.kind {
                        ApplicationKind::Permit => {
                            services.iter().find(|s| s.code == r.service_code).map(|s| s.name.clone())
                        }
                        _ => aid::programme(&r.service_code).map(|p| p.name.to_string()),
                    };
                    by_service.push(ServiceRecapDto {
                        service_name: name.unwrap_or_else(|| r.service_code.clone()),
                        service_code: r.service_code.clone(),
                        kind: r.kind,
                        total: 0,
                        by_status: Vec::new(),
                        fees: 0.0,
                        decided_with_standard: 0,
                        within_standard: 0,
                    });
                    by_service.len() - 1
                }
            };
            let s = &mut by_service[i];
            let count = u32::try_from(r.count).unwrap_or(u32::MAX);
            s.total += count;
            s.by_status.push(StatusCountDto { status: r.status, count });
            s.fees += r.fees as f64;
            s.decided_with_standard += u32::try_from(r.decided_with_standard).unwrap_or(u32::MAX);
            s.within_standard += u32::try_from(r.within_standard).unwrap_or(u32::MAX);
        }
        let mut aid_out: Vec<AidRecapDto> = Vec::new();
        for r in aid_rows {
            let i = match aid_out
                .iter()
                .position(|a| a.programme_code == r.programme && a.village_code == r.village_code)
            {
                Some(i) => i,
                None => {
                    aid_out.push(AidRecapDto {
                        programme_name: aid::programme(&r.programme)
                            .map(|p| p.name.to_string())
                            .unwrap_or_else(|| r.programme.clone()),
                        programme_code: r.programme.clone(),
                        village_name: catalogue()
                            .get(&r.village_code)
                            .map(present::village_name)
                            .unwrap_or_else(|| r.village_code.clone()),
                        village_code: r.village_code.clone(),
                        total: 0,
                        approved: 0,
                        amount: 0.0,
                    });
                    aid_out.len() - 1
                }
            };
            let a = &mut aid_out[i];
            let count = u32::try_from(r.count).unwrap_or(u32::MAX);
            a.total += count;
            if matches!(r.status, Status::Approved | Status::Completed) {
                a.approved += count;
            }
            a.amount += r.amount;
        }
        Ok(ReportDto {
            month: input.month.trim().to_string(),
            month_label: month_label(first),
            office_label: format!("Kecamatan {}, {}", office.kecamatan.name, office.kecamatan.regency),
            made_on: tanggal(crate::today()),
            total: by_service.iter().map(|s| s.total).sum(),
            services: by_service,
            aid: aid_out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bansos, configured, permit};

    #[test]
    fn months_are_whole_and_bad_ones_are_refused() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(month_bounds("2026-02").unwrap(), (d("2026-02-01"), d("2026-02-28")));
        assert_eq!(month_bounds("2026-12").unwrap(), (d("2026-12-01"), d("2026-12-31")));
        assert_eq!(month_bounds("Desember").unwrap_err().code(), "validation");
        assert_eq!(month_label(d("2026-12-01")), "Desember 2026");
    }

    #[test]
    fn the_recap_counts_what_was_registered_this_month() {
        let (_dir, loket) = configured();
        loket.register_bansos(bansos("3601011205900001")).unwrap();
        loket.register_bansos(bansos("3601011205900002")).unwrap();
        loket.register_permit(permit("SKTM", &["ktp", "kk", "pengantar_rt", "pengantar_desa"])).unwrap();
        loket.register_permit(permit("SKTM", &["ktp"])).unwrap();
        let month = crate::today().format("%Y-%m").to_string();
        let r = loket.report(ReportInput { month: month.clone() }).unwrap();
        assert_eq!(r.total, 4);
        let sktm = r.services.iter().find(|s| s.service_code == "SKTM").unwrap();
        assert_eq!(sktm.total, 2);
        let statuses: Vec<_> = sktm.by_status.iter().map(|s| (s.status, s.count)).collect();
        assert!(
            statuses.contains(&(Status::Draft, 1)) && statuses.contains(&(Status::Submitted, 1)),
            "{statuses:?}"
        );
        assert_eq!(r.aid.len(), 1);
        assert_eq!((r.aid[0].programme_code.as_str(), r.aid[0].total), ("PKH", 2));
        assert_eq!(r.aid[0].village_name, "Desa Sumberjaya");
        // Another month holds nothing of these.
        assert_eq!(loket.report(ReportInput { month: "2020-01".into() }).unwrap().total, 0);
    }
}
