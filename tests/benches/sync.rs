//! Sync benchmark (release build):
//! `cargo bench -p loket-e2e --bench sync -- <sqlite|postgres> [N]` (default N = 100,000).
//!
//! The release `loket-server` runs as its own process (real HTTP on 127.0.0.1, behind a
//! byte-counting proxy in this process); the office devices (real SQLite files) run here.
//! Build the server first: `cargo build --release -p loket-server`. Measures, for N bansos
//! applications of about 1 KB:
//! 1. push from an offline device into an empty server;
//! 2. initial pull into a fresh device of the same office;
//! 3. 1,000 + 1,000 edits made on two devices, then synced (steady state);
//! 4. in the same run, the raw bulk insert of the same records into the same backend: one
//!    SQLite transaction, or PostgreSQL `COPY` — the reference for the push and pull times (the
//!    median of three runs, like the two floors) —
//!    and the "floor": the rows the server keeps for them (application, change log, op log)
//!    bulk-inserted with the real schema, which no sync of this design can beat — and the
//!    "one-row minimum" no design that keeps the sync guarantees can beat (one row per record
//!    with only the indexes the guarantees need);
//! 5. bytes on the wire per record, against the records' raw JSON;
//! 6. resident memory of this process (the devices) before and at the peak of the sync;
//! 7. the "pull floor": the rows a device keeps for the records, inserted by SQLite itself;
//! 8. CPU time of the devices, the server and PostgreSQL during the push and the pull (this
//!    machine has two cores: a sync cannot take less wall time than half its CPU time).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft, MemberDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_e2e::proxy::FaultProxy;
use loket_e2e::ServerProcess;
use loket_store::{ApplicantEdit, Enrollment, Store};
use loket_sync::engine::{Engine, SharedStore};
use loket_sync::{Client, Credential};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) a process has used, from `/proc/<pid>/stat` (clock ticks of
/// 1/100 s, Linux's fixed USER_HZ).
fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at state = field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|x| x.parse().ok()).collect();
    Duration::from_millis(10 * f.iter().sum::<u64>())
}

/// CPU time of every PostgreSQL process on this machine (its backends do the database work).
fn cpu_of_postgres() -> Duration {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(|e| cpu_of(&e.file_name().to_string_lossy()))
        .sum()
}

/// CPU used by the devices (this process), the server and PostgreSQL since `since`.
#[derive(Clone, Copy)]
struct Cpu {
    devices: Duration,
    server: Duration,
    postgres: Duration,
}

impl Cpu {
    fn now(server_pid: u32) -> Self {
        Cpu { devices: cpu_of("self"), server: cpu_of(&server_pid.to_string()), postgres: cpu_of_postgres() }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            devices: self.devices - before.devices,
            server: self.server - before.server,
            postgres: self.postgres - before.postgres,
        }
    }

    fn line(self, what: &str, wall: Duration) -> String {
        let total = self.devices + self.server + self.postgres;
        format!(
            "CPU during {what}: devices {:.2?}, server {:.2?}, PostgreSQL {:.2?}; total {:.2?} = {:.2} of the 2 cores for {:.2?}",
            self.devices,
            self.server,
            self.postgres,
            total,
            total.as_secs_f64() / wall.as_secs_f64(),
            wall
        )
    }
}

fn draft(i: u32) -> BansosDraft {
    BansosDraft {
        applicant: ApplicantDraft {
            nik: format!("3601{:02}{:02}0590{:04}", 1 + i % 9, 1 + (i / 9) % 28, 1 + (i / 252) % 9999),
            full_name: ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Asep Saputra"][i as usize % 4].into(),
            address: format!(
                "Kp. Cibadak RT {:02}/{:02} No. {} Desa Sukamaju",
                i % 20 + 1,
                i % 9 + 1,
                i % 200
            ),
            village_code: "36.01.01.2001".into(),
            phone: format!("0812{:08}", i),
        },
        kk: format!("3601011501{:02}{:04}", 10 + i % 10, 1 + i % 9998),
        household: (0..3)
            .map(|k| MemberDraft {
                nik: format!("360101550815{:04}", 1 + (i * 3 + k) % 9998),
                full_name: ["Aisyah Putri", "Fatimah Zahra", "Abdullah Malik"][k as usize].into(),
                relationship: "anak".into(),
            })
            .collect(),
        monthly_income: 400_000 + i64::from(i % 50) * 10_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    }
}

/// The release `loket-server` next to this benchmark (`cargo build --release -p loket-server`).
fn server_binary() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("LOKET_SERVER_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|d| d.parent()).unwrap().join("loket-server");
    assert!(bin.exists(), "{} is missing: cargo build --release -p loket-server", bin.display());
    bin
}

async fn device(
    database: &std::path::Path,
    direct: &Client,
    url: &str,
    dir: &std::path::Path,
) -> (SharedStore, Engine) {
    let code =
        ServerProcess::admin_binary(&server_binary(), database, &["enroll-code", "--office", "36.01.01"], "")
            .unwrap()
            .trim()
            .to_string();
    let e = direct.enroll(&code, "bench", "bench").await.unwrap();
    let mut store = Store::open_in_dir(dir, &loket_e2e::test_key()).unwrap();
    let enrollment = Enrollment {
        server_url: url.to_string(),
        device_id: e.device_id,
        token: e.token.clone(),
        office_code: e.office_code.clone(),
    };
    store.save_enrollment(&enrollment, &e.device_code).unwrap();
    let engine = Engine::new(
        Client::new(url).unwrap(),
        Credential { token: e.token, office_code: e.office_code },
        "bench",
    );
    (Arc::new(Mutex::new(store)), engine)
}

/// The middle of three timings.
fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:>9.2?} ({:>7.0}/s)", d, n as f64 / d.as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let n: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let mut pg = None;
    // The server runs as its own process (the release binary), so the resident memory measured
    // below is the devices' and the benchmark's only.
    let database: std::path::PathBuf = if backend == "postgres" {
        let admin_url = std::env::var("LOKET_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://loket:loket@127.0.0.1:5432/postgres".into());
        let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let db = format!("loket_syncbench_{}", uuid::Uuid::now_v7().simple());
        client.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
        let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
        pg = Some((client, db, url.clone()));
        url.into()
    } else {
        dir.path().join("server.sqlite3")
    };
    ServerProcess::admin_binary(&server_binary(), &database, &["office", "add", "36.01.01"], "").unwrap();
    let petugas = loket_e2e::NewUser {
        office: "36.01.01",
        username: "petugas",
        full_name: "Petugas",
        roles: "clerk",
        password: "sandi-petugas-2026",
    };
    ServerProcess::add_user_binary(&server_binary(), &database, &petugas).unwrap();
    let server = ServerProcess::start_binary(&server_binary(), &database).unwrap();
    let addr: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultProxy::start(addr, 1).await.unwrap();
    let direct = Client::new(&format!("http://{addr}")).unwrap();
    println!("sync benchmark: backend={backend} n={n}");

    // Offline registrations on device A.
    let (a, engine_a) = device(&database, &direct, &proxy.url(), &dir.path().join("a")).await;
    // The office's users arrive first (not timed); the clerk signs with the key their
    // password opens, as after a login.
    engine_a.pull_all(&a, &mut Default::default(), &|_| {}).await.unwrap();
    let clerk = loket_e2e::signing_actor(&a.lock().unwrap(), "petugas", "sandi-petugas-2026").unwrap();
    let t = Instant::now();
    {
        let mut s = a.lock().unwrap();
        for i in 0..n {
            let v = validate_bansos(&draft(i)).unwrap();
            s.register_bansos(&v, &clerk, Utc::now()).unwrap();
        }
    }
    println!("offline registrations           {}", rate(n.into(), t.elapsed()));
    let (raw_json, payloads): (u64, Vec<String>) = {
        let s = a.lock().unwrap();
        let mut stmt = s.raw_connection().prepare("SELECT payload FROM outbox ORDER BY seq").unwrap();
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        (rows.iter().map(|p| p.len() as u64).sum(), rows)
    };
    println!(
        "raw JSON of the records         {} bytes ({:.0} per record)",
        raw_json,
        raw_json as f64 / n as f64
    );

    let rss_before = rss_kib("VmRSS:");
    let noop = |_| {};
    // 1. Push.
    let before = proxy.counts();
    let cpu = Cpu::now(server.pid());
    let t = Instant::now();
    let mut report = Default::default();
    engine_a.push_all(&a, &mut report, &noop).await.unwrap();
    let push = t.elapsed();
    let push_cpu = Cpu::now(server.pid()).since(cpu);
    let after = proxy.counts();
    let push_wire = (after.bytes_up - before.bytes_up) + (after.bytes_down - before.bytes_down);
    assert_eq!(report.accepted, u64::from(n));
    assert_eq!(a.lock().unwrap().pending_count().unwrap(), 0);
    // 2. Initial pull into a fresh device.
    let (b, engine_b) = device(&database, &direct, &proxy.url(), &dir.path().join("b")).await;
    let before = proxy.counts();
    let cpu = Cpu::now(server.pid());
    let t = Instant::now();
    engine_b.pull_all(&b, &mut Default::default(), &noop).await.unwrap();
    let pull = t.elapsed();
    let pull_cpu = Cpu::now(server.pid()).since(cpu);
    let after = proxy.counts();
    let pull_wire = (after.bytes_up - before.bytes_up) + (after.bytes_down - before.bytes_down);
    assert_eq!(b.lock().unwrap().count_applications().unwrap(), i64::from(n));
    let rss_peak = rss_kib("VmHWM:");
    // A catches up with its own echoes before the steady state (not timed).
    engine_a.pull_all(&a, &mut Default::default(), &noop).await.unwrap();

    // 3. Steady state: 1,000 edits on each device, then both sync.
    let ids: Vec<(String, i64)> =
        b.lock().unwrap().list_applications(2000).unwrap().into_iter().map(|x| (x.id, x.version)).collect();
    for (k, (store, half)) in [(&a, &ids[..1000]), (&b, &ids[1000..])].into_iter().enumerate() {
        let mut s = store.lock().unwrap();
        for (id, version) in half {
            let edit =
                ApplicantEdit { address: Some(format!("Jl. Baru {k} No. {version}")), ..Default::default() };
            s.edit_applicant(id, *version, &edit, &clerk, Utc::now()).unwrap();
        }
    }
    let t = Instant::now();
    engine_a.run(&a, &noop).await.unwrap();
    let steady_a = t.elapsed();
    engine_b.run(&b, &noop).await.unwrap();
    let steady_b = t.elapsed() - steady_a;
    engine_a.run(&a, &noop).await.unwrap();
    let steady = t.elapsed();

    // 4. Raw bulk insert reference into the same backend. This VM's disk latency varies: the
    //    reference, the floor and the minimum are each the median of three runs.
    let mut raws = Vec::new();
    for k in 0..3 {
        let t = Instant::now();
        match &pg {
            Some((client, _, _)) => {
                use futures::SinkExt;
                client
                    .batch_execute(&format!(
                        "DROP TABLE IF EXISTS raw_bench{k}; CREATE TABLE raw_bench{k} (id BIGINT, data TEXT)"
                    ))
                    .await
                    .unwrap();
                let sink = client.copy_in(&format!("COPY raw_bench{k} (id, data) FROM STDIN")).await.unwrap();
                futures::pin_mut!(sink);
                let mut buf = Vec::with_capacity(raw_json as usize + payloads.len() * 16);
                for (i, p) in payloads.iter().enumerate() {
                    let escaped = p.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n");
                    buf.extend_from_slice(format!("{i}\t{escaped}\n").as_bytes());
                }
                sink.send(bytes::Bytes::from(buf)).await.unwrap();
                sink.finish().await.unwrap();
            }
            None => {
                let mut c = rusqlite::Connection::open(dir.path().join(format!("raw{k}.sqlite3"))).unwrap();
                c.pragma_update(None, "journal_mode", "WAL").unwrap();
                c.pragma_update(None, "synchronous", "FULL").unwrap();
                c.execute_batch("CREATE TABLE raw_bench (id INTEGER PRIMARY KEY, data TEXT)").unwrap();
                let tx = c.transaction().unwrap();
                {
                    let mut stmt = tx.prepare("INSERT INTO raw_bench (id, data) VALUES (?1, ?2)").unwrap();
                    for (i, p) in payloads.iter().enumerate() {
                        stmt.execute(rusqlite::params![i as i64, p]).unwrap();
                    }
                }
                tx.commit().unwrap();
            }
        }
        raws.push(t.elapsed());
    }
    let raw = median(raws);

    // 5. The floor of this design: the rows the server keeps for the same records (the
    //    application, its change-log entry for pulls, its op-log entry for idempotent re-sends),
    //    bulk-inserted with the real schema and indexes in one transaction / COPY.
    //    Timed from an empty schema: creating it is not part of the floor.
    let rows = stored_rows(&payloads);
    let mut floor_dbs = Vec::new();
    let mut floors = Vec::new();
    for k in 0..3 {
        let floor = match &pg {
            Some((admin_client, db, url)) => {
                let floor = format!("{db}_floor{k}");
                admin_client.batch_execute(&format!("CREATE DATABASE {floor}")).await.unwrap();
                let floor_url = format!("{}/{floor}", url.rsplit_once('/').unwrap().0);
                drop(loket_server::storage::postgres::PostgresStorage::connect(&floor_url, 1).await.unwrap());
                let (client, conn) =
                    tokio_postgres::connect(&floor_url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                let t = Instant::now();
                floor_copy(&client, &rows).await;
                floor_dbs.push(floor);
                t.elapsed()
            }
            None => {
                let path = dir.path().join(format!("floor{k}.sqlite3"));
                drop(loket_server::storage::sqlite::SqliteStorage::open(&path).unwrap());
                let mut c = rusqlite::Connection::open(&path).unwrap();
                c.pragma_update(None, "journal_mode", "WAL").unwrap();
                c.pragma_update(None, "synchronous", "FULL").unwrap();
                let t = Instant::now();
                let tx = c.transaction().unwrap();
                {
                    let mut app = tx
                    .prepare(
                        "INSERT INTO application (id, office_code, kind, service_code, period, status, applicant_nik, kk,
                             registration_number, data, version, updated_at)
                         VALUES (?1, '36.01.01', 'bansos', ?2, ?3, 'submitted', ?4, ?5, ?6, ?7, 1, ?8)",
                    )
                    .unwrap();
                    let mut change = tx
                        .prepare(
                            "INSERT INTO change_log (office_code, kind, entity_id, data, hlc, received_at)
                         VALUES ('36.01.01', 'application', ?1, ?2, ?3, ?4)",
                        )
                        .unwrap();
                    let mut op = tx
                    .prepare("INSERT INTO op_log (op_id, device_id, seq, result, received_at) VALUES (?1, 'bench', ?2, ?3, ?4)")
                    .unwrap();
                    for r in &rows {
                        app.execute(rusqlite::params![
                            r.id, r.service, r.period, r.nik, r.kk, r.number, r.data, r.now
                        ])
                        .unwrap();
                        change.execute(rusqlite::params![r.id, r.data, r.hlc, r.now]).unwrap();
                        op.execute(rusqlite::params![r.op_id, r.seq, r.result, r.now]).unwrap();
                    }
                }
                tx.commit().unwrap();
                t.elapsed()
            }
        };
        floors.push(floor);
    }
    let floor = median(floors);

    // 6. The floor of any design that keeps the sync guarantees: one row per record holding its
    //    data, and only the indexes the guarantees need — its operation id (an idempotent
    //    re-send), (office, sequence) (office-scoped pulls in commit order) and the two
    //    duplicate-aid keys (NIK or KK within programme and period). No reads, no checks.
    let mut minimums = Vec::new();
    for k in 0..3 {
        minimums.push(minimum_floor(&pg, dir.path(), &rows, k).await);
    }
    let minimum = median(minimums);

    // 7. The floor of any pull into this device schema: the rows device B now keeps for the
    //    records (application with its id and number keys, household members), copied into a
    //    fresh device database in one transaction by SQLite itself — no HTTP, no JSON, no
    //    parameter binding. (Columns are listed so that SQLite really inserts row by row
    //    instead of copying B-tree pages, which it does for `INSERT INTO t SELECT * FROM u`.)
    let source = dir.path().join("b").join(loket_store::DB_FILE);
    assert!(source.exists(), "{} is not device B's database", source.display());
    let mut device_floors = Vec::new();
    for k in 0..3 {
        let fresh =
            Store::open_in_dir(&dir.path().join(format!("device_floor{k}")), &loket_e2e::test_key()).unwrap();
        let c = fresh.raw_connection();
        loket_store::attach_keyed(c, &source, "b", &loket_e2e::test_key()).unwrap();
        let t = Instant::now();
        c.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO main.application (id, registration_number, kind, service_code, period, status,
                 applicant_nik, applicant_name, applicant_address, applicant_phone, organization_name, kk,
                 village_code, office_code, details, fee, created_at, created_hlc, updated_hlc, version)
             SELECT id, registration_number, kind, service_code, period, status, applicant_nik, applicant_name,
                 applicant_address, applicant_phone, organization_name, kk, village_code, office_code, details,
                 fee, created_at, created_hlc, updated_hlc, version
             FROM b.application ORDER BY rowid;
             INSERT INTO main.household_member (application_id, position, nik, full_name, relationship)
             SELECT application_id, position, nik, full_name, relationship FROM b.household_member;
             COMMIT;",
        )
        .unwrap();
        device_floors.push(t.elapsed());
        assert_eq!(fresh.count_applications().unwrap(), i64::from(n));
    }
    let device_floor = median(device_floors);

    // One line per timing against the raw reference.
    let versus_raw = |label: &str, d: Duration, what: &str| {
        println!(
            "{label:<36} {}  = {:.2}x raw{what}",
            rate(n.into(), d),
            d.as_secs_f64() / raw.as_secs_f64()
        );
    };
    versus_raw(&format!("push {n} (empty server)"), push, "");
    versus_raw(&format!("pull {n} (fresh device)"), pull, "");
    println!("{:<36} {}", "raw bulk insert reference", rate(n.into(), raw));
    versus_raw("server rows bulk insert (floor)", floor, " (application + change log + op log, real schema)");
    versus_raw("one-row minimum (any design)", minimum, " (record + op id, office order, NIK and KK keys)");
    versus_raw(
        "device rows bulk insert (pull floor)",
        device_floor,
        " (application + household, device schema)",
    );
    println!("{}", push_cpu.line("push", push));
    println!("{}", pull_cpu.line("pull", pull));
    println!(
        "steady state, 1,000 + 1,000 edits synced: {steady:.2?} (A pushes {steady_a:.2?}, B pushes and pulls {steady_b:.2?}, A pulls {:.2?})",
        steady - steady_a - steady_b
    );
    println!(
        "wire: push {:.0} B/record, pull {:.0} B/record; raw JSON {:.0} B/record (push {:.2}x, pull {:.2}x)",
        push_wire as f64 / n as f64,
        pull_wire as f64 / n as f64,
        raw_json as f64 / n as f64,
        push_wire as f64 / raw_json as f64,
        pull_wire as f64 / raw_json as f64
    );
    println!(
        "memory: RSS before sync {} MiB, peak {} MiB, growth {} MiB (the devices' process)",
        rss_before / 1024,
        rss_peak / 1024,
        rss_peak.saturating_sub(rss_before) / 1024
    );
    drop(server);
    if let Some((client, db, _)) = pg {
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
        for k in 0..3 {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}_min{k} WITH (FORCE)")).await;
            let _ = client.batch_execute(&format!("DROP TABLE IF EXISTS raw_bench{k}")).await;
        }
        for floor in floor_dbs {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {floor} WITH (FORCE)")).await;
        }
    }
}

/// One record as the server stores it.
struct StoredRow {
    id: String,
    service: String,
    period: Option<String>,
    nik: Option<String>,
    kk: Option<String>,
    number: Option<String>,
    data: String,
    hlc: String,
    op_id: String,
    seq: i64,
    result: String,
    now: String,
}

fn stored_rows(payloads: &[String]) -> Vec<StoredRow> {
    let now = Utc::now().to_rfc3339();
    payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v: serde_json::Value = serde_json::from_str(p).unwrap();
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let op_id = uuid::Uuid::now_v7().to_string();
            StoredRow {
                id: text("id").unwrap(),
                service: text("service_code").unwrap_or_default(),
                period: text("period"),
                nik: text("applicant_nik"),
                kk: text("kk"),
                number: text("registration_number"),
                data: p.clone(),
                hlc: text("created_hlc").unwrap_or_default(),
                result: format!(r#"{{"op_id":"{op_id}","status":"accepted"}}"#),
                op_id,
                seq: i as i64 + 1,
                now: now.clone(),
            }
        })
        .collect()
}

/// `COPY` text escaping.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

/// `COPY` text for an optional value (`\\N` is NULL).
fn opt(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_else(|| "\\N".to_string())
}

/// Renders one row as a line of `COPY … FROM STDIN` text.
type CopyLine = dyn Fn(&StoredRow) -> String;

/// COPY the stored rows into a fresh server database (three tables, one transaction).
async fn floor_copy(client: &tokio_postgres::Client, rows: &[StoredRow]) {
    use futures::SinkExt;
    client.batch_execute("BEGIN").await.unwrap();
    let tables: [(&str, Box<CopyLine>); 3] = [
        (
            "COPY application (id, office_code, kind, service_code, period, status, applicant_nik, kk, registration_number, data, version, updated_at) FROM STDIN",
            Box::new(|r: &StoredRow| {
                format!(
                    "{}\t36.01.01\tbansos\t{}\t{}\tsubmitted\t{}\t{}\t{}\t{}\t1\t{}\n",
                    r.id,
                    esc(&r.service),
                    opt(&r.period),
                    opt(&r.nik),
                    opt(&r.kk),
                    opt(&r.number),
                    esc(&r.data),
                    r.now
                )
            }),
        ),
        (
            "COPY change_log (office_code, kind, entity_id, data, hlc, received_at) FROM STDIN",
            Box::new(|r: &StoredRow| {
                format!("36.01.01\tapplication\t{}\t{}\t{}\t{}\n", r.id, esc(&r.data), esc(&r.hlc), r.now)
            }),
        ),
        (
            "COPY op_log (op_id, device_id, seq, result, received_at) FROM STDIN",
            Box::new(|r: &StoredRow| format!("{}\tbench\t{}\t{}\t{}\n", r.op_id, r.seq, esc(&r.result), r.now)),
        ),
    ];
    for (sql, line) in &tables {
        let sink = client.copy_in(*sql).await.unwrap();
        futures::pin_mut!(sink);
        let mut buf = Vec::new();
        for r in rows {
            buf.extend_from_slice(line(r).as_bytes());
        }
        sink.send(bytes::Bytes::from(buf)).await.unwrap();
        sink.finish().await.unwrap();
    }
    client.batch_execute("COMMIT").await.unwrap();
}

/// The one table of the minimal design (see step 6 of `main`), in SQL both backends accept.
const MINIMUM_SCHEMA: &str = "CREATE TABLE record (
        seq BIGINT PRIMARY KEY, office_code TEXT NOT NULL, op_id TEXT NOT NULL UNIQUE,
        nik TEXT, kk TEXT, programme TEXT NOT NULL, period TEXT, data TEXT NOT NULL);
    CREATE INDEX record_office ON record (office_code, seq);
    CREATE INDEX record_nik ON record (nik, programme, period);
    CREATE INDEX record_kk ON record (kk, programme, period);";

/// Bulk-insert the records into the minimal design's table: one SQLite transaction, or `COPY`
/// into a fresh PostgreSQL database. Timed from an empty schema.
async fn minimum_floor(
    pg: &Option<(tokio_postgres::Client, String, String)>,
    dir: &std::path::Path,
    rows: &[StoredRow],
    k: usize,
) -> Duration {
    match pg {
        Some((admin_client, db, url)) => {
            use futures::SinkExt;
            let name = format!("{db}_min{k}");
            admin_client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
            let min_url = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
            let (client, conn) = tokio_postgres::connect(&min_url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.batch_execute(MINIMUM_SCHEMA).await.unwrap();
            let t = Instant::now();
            let sink = client
                .copy_in("COPY record (seq, office_code, op_id, nik, kk, programme, period, data) FROM STDIN")
                .await
                .unwrap();
            futures::pin_mut!(sink);
            let mut buf = Vec::new();
            for r in rows {
                buf.extend_from_slice(
                    format!(
                        "{}\t36.01.01\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        r.seq,
                        r.op_id,
                        opt(&r.nik),
                        opt(&r.kk),
                        esc(&r.service),
                        opt(&r.period),
                        esc(&r.data)
                    )
                    .as_bytes(),
                );
            }
            sink.send(bytes::Bytes::from(buf)).await.unwrap();
            sink.finish().await.unwrap();
            t.elapsed()
        }
        None => {
            let mut c = rusqlite::Connection::open(dir.join(format!("minimum{k}.sqlite3"))).unwrap();
            c.pragma_update(None, "journal_mode", "WAL").unwrap();
            c.pragma_update(None, "synchronous", "FULL").unwrap();
            c.execute_batch(MINIMUM_SCHEMA).unwrap();
            let t = Instant::now();
            let tx = c.transaction().unwrap();
            {
                let mut stmt = tx
                    .prepare(
                        "INSERT INTO record (seq, office_code, op_id, nik, kk, programme, period, data)
                         VALUES (?1, '36.01.01', ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .unwrap();
                for r in rows {
                    stmt.execute(rusqlite::params![r.seq, r.op_id, r.nik, r.kk, r.service, r.period, r.data])
                        .unwrap();
                }
            }
            tx.commit().unwrap();
            t.elapsed()
        }
    }
}
