//! Load benchmark: 155 simulated kecamatan offices pushing and pulling at the same time against
//! one server over real HTTP on 127.0.0.1.
//!
//! `cargo bench -p loket-server --bench load -- sqlite|postgres [rounds] [batch] [interval_ms]`
//! (PostgreSQL: a database is created on `LOKET_TEST_POSTGRES`, default
//! `postgres://loket:loket@127.0.0.1:5432/postgres`, and dropped afterwards).
//! Each office enrolls a device, then `rounds` times pushes `batch` new bansos applications of
//! about 1 KB each and pulls its changes from its checkpoint, starting a sync cycle every
//! `interval_ms` (offices staggered evenly; 0 = back to back, a saturation test). Results go to
//! BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loket_protocol::{EnrollResponse, OpStatus, Operation, PullResponse, PushResponse};
use loket_server::admin;
use loket_server::api::{router, ApiConfig};
use loket_server::storage::postgres::PostgresStorage;
use loket_server::storage::sqlite::SqliteStorage;
use loket_server::storage::Storage;
use serde_json::json;

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// The first desa of the kecamatan (a registration's village is checked by the server).
fn village(office: &str) -> &'static str {
    loket_domain::region::catalogue().villages_of(office).next().map_or("36.01.01.2001", |r| r.code)
}

fn op(office: &str, office_idx: usize, seq: i64) -> Operation {
    let id = uuid::Uuid::now_v7().to_string();
    let n = office_idx * 10_000 + seq as usize;
    let nik =
        format!("{}{:02}{:02}90{:04}", office.replace('.', ""), 1 + n % 28, 1 + (n / 28) % 12, 1 + n % 9999);
    let payload = json!({
            "id": id, "kind": "bansos", "status": "submitted", "office_code": office, "service_code": "PKH",
            "period": "2026", "applicant_nik": nik, "kk": format!("{}150110{:04}", office.replace('.', ""), 1 + n % 9999),
            "applicant_name": "Siti Nurhaliza binti Abdullah", "applicant_address": "Kp. Cibadak RT 03/01 No. 17, dekat masjid",
            "applicant_phone": "081234567890", "village_code": village(office),
            "registration_number": format!("{}-AAAA-{seq:06}", office.replace('.', "")),
            "details": { "monthly_income": 750000, "category": "miskin" },
            "household": [
                { "nik": "3601015508150002", "full_name": "Aisyah", "relationship": "Anak" },
                { "nik": "3601014203120003", "full_name": "Fatimah", "relationship": "Anak" },
                { "nik": "3601010101800005", "full_name": "Abdullah", "relationship": "Suami" }
            ],
            "created_at": "2026-11-28T03:00:00.000000Z", "created_hlc": format!("{:016}-00000-AAAA", seq), "fee": 0,
            "checklist": [], "organization_name": null, "period_note": "x".repeat(200),
    });
    loket_server::storage::conformance::operation(
        seq,
        loket_protocol::OpKind::ApplicationRegister,
        &id,
        payload,
        None,
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let rounds: i64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let batch: i64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let interval = Duration::from_millis(args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1000));

    let dir = tempfile::tempdir().unwrap();
    let mut pg_cleanup = None;
    let storage: Arc<dyn Storage> = match backend.as_str() {
        "postgres" => {
            let admin_url = std::env::var("LOKET_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://loket:loket@127.0.0.1:5432/postgres".into());
            let (client, conn) =
                tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.expect("PostgreSQL");
            tokio::spawn(conn);
            let db = format!("loket_bench_{}", uuid::Uuid::now_v7().simple());
            client.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
            let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
            pg_cleanup = Some((client, db));
            Arc::new(PostgresStorage::connect(&url, 16).await.unwrap())
        }
        _ => Arc::new(SqliteStorage::open(&dir.path().join("server.sqlite3")).unwrap()),
    };
    admin::import_banten(storage.as_ref()).await.unwrap();
    // `LOKET_BENCH_OFFICES=n` simulates fewer offices (service time without queueing).
    let limit = std::env::var("LOKET_BENCH_OFFICES").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let offices: Vec<String> =
        loket_domain::region::catalogue().kecamatan().map(|r| r.code.to_string()).take(limit).collect();
    let config = ApiConfig { auth_rate_limit: 10_000, ..ApiConfig::default() };
    let app = router(storage.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Every simulated office connects from this machine: no per-address bound.
    let limits = loket_server::serve::ServeLimits { max_per_client: usize::MAX, ..Default::default() };
    tokio::spawn(loket_server::serve::serve(listener, app, limits, std::future::pending()));

    let http = reqwest::Client::builder().pool_max_idle_per_host(200).build().unwrap();
    let mut devices = Vec::new();
    for office in &offices {
        // Each office's clerk, whose key signs its device's operations.
        let clerk = loket_server::storage::conformance::clerk_of(office);
        loket_server::storage::conformance::user(storage.as_ref(), office, &clerk, &["clerk"]).await;
        let code = admin::issue_enrollment_code(storage.as_ref(), office, 1).await.unwrap();
        let enroll = json!({ "code": code, "device_name": "bench", "app_version": "bench" });
        let answer = http
            .post(format!("{base}/api/v1/enroll"))
            .header(loket_protocol::PROTOCOL_HEADER, loket_protocol::PROTOCOL_VERSION.to_string())
            .json(&enroll);
        let e: EnrollResponse = answer.send().await.unwrap().json().await.unwrap();
        devices.push(e);
    }
    let sample = serde_json::to_vec(&op(&offices[0], 0, 1).payload).unwrap().len();
    println!(
        "load: backend={backend} offices={} rounds={rounds} batch={batch} interval={interval:?} (payload ≈ {sample} bytes)",
        offices.len()
    );

    // Every office's operations, signed before the clock starts: signing is the laptops' work
    // (done when a clerk saves), not the server's, and here it would share the server's cores.
    let mut prepared: Vec<Vec<Vec<Operation>>> = Vec::new();
    for (i, office) in offices.iter().enumerate() {
        let mut seq = 0i64;
        let rounds_ops = (0..rounds)
            .map(|_| {
                let ops: Vec<Operation> = (0..batch)
                    .map(|_| {
                        seq += 1;
                        op(office, i, seq)
                    })
                    .collect();
                loket_server::storage::conformance::signed_in(office, ops)
            })
            .collect();
        prepared.push(rounds_ops);
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, ((office, device), rounds_ops)) in offices.iter().cloned().zip(devices).zip(prepared).enumerate()
    {
        let (http, base) = (http.clone(), base.clone());
        let offset = interval.mul_f64(i as f64 / 155.0);
        tasks.push(tokio::spawn(async move {
            let mut ticker = tokio::time::interval_at(
                tokio::time::Instant::now() + offset,
                interval.max(Duration::from_micros(1)),
            );
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut push_lat, mut pull_lat, mut errors, mut pulled) = (vec![], vec![], 0u64, 0usize);
            let mut after = 0i64;
            for ops in rounds_ops {
                if !interval.is_zero() {
                    ticker.tick().await;
                }
                let t = Instant::now();
                let r = http
                    .post(format!("{base}/api/v1/offices/{office}/push"))
                    .header(loket_protocol::PROTOCOL_HEADER, loket_protocol::PROTOCOL_VERSION.to_string())
                    .bearer_auth(&device.token)
                    .json(&json!({ "ops": ops, "pending": 0, "app_version": "bench" }))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => match r.json::<PushResponse>().await {
                        Ok(body) => {
                            errors +=
                                body.results.iter().filter(|x| x.status != OpStatus::Accepted).count() as u64
                        }
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
                push_lat.push(t.elapsed());
                loop {
                    let t = Instant::now();
                    let r = http
                        .get(format!("{base}/api/v1/offices/{office}/changes?after={after}&limit=500"))
                        .header(loket_protocol::PROTOCOL_HEADER, loket_protocol::PROTOCOL_VERSION.to_string())
                        .bearer_auth(&device.token)
                        .send()
                        .await;
                    let page = match r {
                        Ok(r) if r.status().is_success() => r.json::<PullResponse>().await.ok(),
                        _ => None,
                    };
                    pull_lat.push(t.elapsed());
                    let Some(page) = page else {
                        errors += 1;
                        break;
                    };
                    pulled += page.changes.len();
                    after = page.next;
                    if !page.has_more {
                        break;
                    }
                }
            }
            (push_lat, pull_lat, errors, pulled)
        }));
    }
    let (mut push, mut pull, mut errors, mut pulled) = (vec![], vec![], 0, 0);
    for t in tasks {
        let (a, b, e, p) = t.await.unwrap();
        push.extend(a);
        pull.extend(b);
        errors += e;
        pulled += p;
    }
    let elapsed = started.elapsed();
    let total_ops = offices.len() as i64 * rounds * batch;
    let requests = push.len() + pull.len();
    let mut all: Vec<Duration> = push.iter().chain(pull.iter()).copied().collect();
    println!(
        "elapsed {:.2?}: {requests} requests ({:.0}/s), {total_ops} operations pushed ({:.0}/s), {pulled} changes pulled, errors {errors}",
        elapsed,
        requests as f64 / elapsed.as_secs_f64(),
        total_ops as f64 / elapsed.as_secs_f64()
    );
    println!(
        "push  ({batch} ops): p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
        pct(&mut push, 0.5),
        pct(&mut push, 0.99),
        pct(&mut push, 1.0)
    );
    println!(
        "pull          : p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
        pct(&mut pull, 0.5),
        pct(&mut pull, 0.99),
        pct(&mut pull, 1.0)
    );
    println!("all requests  : p50 {:>9.2?}  p99 {:>9.2?}", pct(&mut all, 0.5), pct(&mut all, 0.99));
    assert_eq!(
        storage.count_applications(None).await.unwrap(),
        total_ops,
        "every operation stored exactly once"
    );
    drop(storage);
    if let Some((client, db)) = pg_cleanup {
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
    }
}
