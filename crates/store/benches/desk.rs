//! The supervisor's desk and the monthly report over an office's year (release build):
//! `cargo bench -p loket-store --bench desk [-- N]` (N applications, 100,000 by default).
//!
//! The applications arrive as a pull brings them (pages of 1,000), spread over the past year:
//! permits (SKTM) and bansos, about half still waiting for a decision, across Sumur's desa.
//! Then it times, each many times over: the first computation of every due date (once, after
//! the pull), the queue's first page, a filtered page, a deep page, and the month's report
//! (recap and aid by desa). Results are written up in BENCHMARKS.md.

use std::time::{Duration, Instant};

use chrono::{Datelike as _, Utc};
use loket_domain::workflow::{Role, Status};
use loket_protocol::{ChangeBody, RegisterPayload};
use loket_store::{QueueFilter, RemoteChange, Store, StoreKey};

struct Stats(Vec<Duration>);

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
    fn line(&self, what: &str) -> String {
        format!(
            "{what:<44} p50 {:>9.2?}  p99 {:>9.2?}  ({} runs)",
            self.pct(0.5),
            self.pct(0.99),
            self.0.len()
        )
    }
}

fn time(runs: usize, mut f: impl FnMut()) -> Stats {
    Stats(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn payload(i: u32, villages: &[String], now_ms: i64) -> RegisterPayload {
    let permit = i % 10 < 6;
    // Spread over the past year, newest last.
    let ms = now_ms - i64::from(i % 365) * 86_400_000 - i64::from(i);
    let waiting = i.is_multiple_of(2);
    let status = if waiting { "submitted" } else { "approved" };
    let hlc = format!("{ms:016}-00000-BNCH");
    let id = format!("0190{i:08}-0000-7000-8000-000000000000");
    let nik = format!("3601{:02}{:02}0590{:04}", 1 + i % 9, 1 + (i / 9) % 28, 1 + (i / 252) % 9999);
    let checklist: Vec<serde_json::Value> = ["ktp", "kk", "pengantar_rt", "pengantar_desa"]
        .map(|c| serde_json::json!({"code": c, "received": true}))
        .to_vec();
    let v = if permit {
        serde_json::json!({
            "id": id, "kind": "permit", "status": status, "office_code": "36.01.01", "service_code": "SKTM",
            "period": null, "applicant_nik": nik, "kk": null, "applicant_name": format!("Warga {i}"),
            "applicant_address": "Kp. Baru RT 01/02", "applicant_phone": null,
            "village_code": villages[i as usize % villages.len()], "organization_name": null,
            "created_at": "2026-01-01T00:00:00Z", "created_hlc": hlc, "fee": 0,
            "details": { "type": "certificate", "purpose": "Beasiswa" },
            "checklist": checklist,
            "household": [], "registration_number": format!("360101-BNCH-{i:06}"),
        })
    } else {
        serde_json::json!({
            "id": id, "kind": "bansos", "status": status, "office_code": "36.01.01", "service_code": "PKH",
            "period": "2026", "applicant_nik": nik, "kk": "3601011501100003", "applicant_name": format!("Warga {i}"),
            "applicant_address": "Kp. Baru RT 01/02", "applicant_phone": null,
            "village_code": villages[i as usize % villages.len()], "organization_name": null,
            "created_at": "2026-01-01T00:00:00Z", "created_hlc": hlc, "fee": 0,
            "details": { "monthly_income": 500000, "category": "miskin" },
            "checklist": [], "household": [], "registration_number": format!("360101-BNCH-{i:06}"),
        })
    };
    serde_json::from_value(v).expect("a registration")
}

fn main() {
    let n: u32 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    println!("desk benchmark: {n} applications in {}", dir.path().display());
    let mut store = Store::open_in_dir(dir.path(), &StoreKey::generate()).expect("open");
    store.set_office_kecamatan("36.01.01").expect("office");
    let villages: Vec<String> =
        loket_domain::region::catalogue().villages_of("36.01.01").map(|v| v.code.to_string()).collect();
    let now_ms = Utc::now().timestamp_millis();
    let t = Instant::now();
    for page in 0..n.div_ceil(1000) {
        let changes: Vec<RemoteChange> = (page * 1000..((page + 1) * 1000).min(n))
            .map(|i| {
                let p = payload(i, &villages, now_ms);
                RemoteChange::of(
                    i64::from(i) + 1,
                    p.id.clone(),
                    ChangeBody::Application(Box::new(p)),
                    "2026-12-01T00:00:00Z",
                )
            })
            .collect();
        store.apply_remote(&changes, i64::from((page + 1) * 1000), Utc::now()).expect("pull page");
    }
    println!("pulled {n} applications in {:.2?}", t.elapsed());

    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    let t = Instant::now();
    let computed = store.refresh_due_dates(today).expect("due dates");
    println!("first due-date computation: {computed} applications in {:.2?}", t.elapsed());

    let supervisor =
        QueueFilter { statuses: loket_domain::workflow::awaiting(&[Role::Supervisor]), ..Default::default() };
    let mut total = 0;
    let first = time(100, || total = store.queue_rows(&supervisor, today, 50, 0).expect("queue").total);
    println!("queue holds {total} applications");
    let by_village = QueueFilter { village_code: Some(villages[3].clone()), ..supervisor.clone() };
    let village = time(100, || {
        store.queue_rows(&by_village, today, 50, 0).expect("queue");
    });
    let narrow = QueueFilter {
        service_code: Some("SKTM".into()),
        statuses: vec![Status::Submitted],
        from: today.checked_sub_days(chrono::Days::new(30)),
        to: Some(today),
        ..supervisor.clone()
    };
    let filtered = time(100, || {
        store.queue_rows(&narrow, today, 50, 0).expect("queue");
    });
    let deep = time(50, || {
        store.queue_rows(&supervisor, today, 50, 50 * 400).expect("queue");
    });
    // Last month, whole.
    let to = today.with_day0(0).and_then(|d| d.pred_opt()).unwrap_or(today);
    let from = to.with_day0(0).unwrap_or(to);
    let mut registered = 0;
    let report = time(50, || {
        registered = store.recap(from, to, today).expect("recap").iter().map(|r| r.count).sum::<u64>();
        store.aid_by_village(from, to).expect("aid");
    });
    println!("last month's recap ({from} to {to}) counts {registered} applications");
    println!("{}", first.line("queue, first page of 50"));
    println!("{}", village.line("queue, one desa, first page"));
    println!("{}", filtered.line("queue, SKTM submitted in the last 30 days"));
    println!("{}", deep.line("queue, page 401 (offset 20,000)"));
    println!("{}", report.line("last month's report (recap + aid by desa)"));
}
