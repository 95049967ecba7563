//! Store benchmark (release build): `cargo bench -p loket-store --bench store [-- N]`.
//!
//! 1. Registers N bansos applications one by one, each a durable transaction writing the row,
//!    household, workflow event, hash-chained audit entry and outbox operation (the search index
//!    catches up lazily, before the next search).
//! 2. In the same run, inserts the same rows into a plain single table, one durable transaction
//!    each, with the same pragmas: the reference for the ratio.
//! 3. Runs full-text searches (names, NIK prefixes, registration numbers) over the N rows, and
//!    searches right after a registration (the search indexes that one row first).
//! 4. Reads the list's 200 newest rows with everything they show (checklist, attachments,
//!    flags, open conflicts, workflow history) in one query, and, for comparison, the way the
//!    list read them before: the rows, then five queries per row.
//!
//! Prints latency percentiles; results are written up in BENCHMARKS.md.

use std::time::{Duration, Instant};

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft, MemberDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::workflow::Role;
use loket_protocol::{ChangeBody, RedactedData};
use loket_store::{Access, Actor, RemoteChange, Store, StoreKey};
use rusqlite::{params, Connection};

const FIRST: &[&str] = &[
    "Siti",
    "Ahmad",
    "Budi",
    "Dewi",
    "Eka",
    "Fitri",
    "Gilang",
    "Hendra",
    "Indah",
    "Joko",
    "Kurnia",
    "Lestari",
    "Muhammad",
    "Nur",
    "Oktaviani",
    "Putri",
    "Rizki",
    "Sri",
    "Tri",
    "Umar",
    "Wahyu",
    "Yusuf",
    "Zahra",
    "Asep",
];
const LAST: &[&str] = &[
    "Aminah",
    "Santoso",
    "Rahayu",
    "Hidayat",
    "Saputra",
    "Wulandari",
    "Kurniawan",
    "Setiawan",
    "Maulana",
    "Permata",
    "Nugraha",
    "Suryana",
    "Hasanah",
    "Fauzi",
    "Ramadhan",
    "Sulastri",
    "Mulyadi",
    "Pratama",
];

fn draft(i: u32) -> BansosDraft {
    let first = FIRST[(i as usize * 7) % FIRST.len()];
    let last = LAST[(i as usize * 13 / 3) % LAST.len()];
    BansosDraft {
        applicant: ApplicantDraft {
            // Vary birth day (01–28) and serial so NIKs are distinct for 280k rows.
            nik: format!("3601{:02}{:02}0590{:04}", 1 + i % 9, 1 + (i / 9) % 28, 1 + (i / 252) % 9999),
            full_name: format!("{first} {last}"),
            address: format!("Kp. Cibadak RT {:02}/{:02} No. {}", i % 20 + 1, i % 9 + 1, i % 200),
            village_code: "36.01.01.2001".into(),
            phone: format!("0812{:08}", i),
        },
        kk: "3601011501100003".into(),
        household: vec![
            MemberDraft {
                nik: "3601015508150002".into(),
                full_name: "Aisyah".into(),
                relationship: "anak".into(),
            },
            MemberDraft {
                nik: "3601014203120003".into(),
                full_name: "Fatimah".into(),
                relationship: "anak".into(),
            },
        ],
        monthly_income: 400_000 + i64::from(i % 50) * 10_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    }
}

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Self { samples }
    }
    fn pct(&self, p: f64) -> Duration {
        let i = ((self.samples.len() as f64 - 1.0) * p).round() as usize;
        self.samples[i]
    }
    fn total(&self) -> Duration {
        self.samples.iter().sum()
    }
    fn line(&self, name: &str) -> String {
        let n = self.samples.len();
        format!(
            "{name:<34} n={n:>7}  p50={:>9.3?}  p99={:>9.3?}  max={:>9.3?}  total={:>8.2?}  rate={:>8.0}/s",
            self.pct(0.50),
            self.pct(0.99),
            self.samples[n - 1],
            self.total(),
            n as f64 / self.total().as_secs_f64()
        )
    }
}

fn main() {
    let n: u32 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    // `--keep`: leave the files behind for inspection (e.g. `sqlite3 … 'SELECT * FROM dbstat'`).
    let keep = std::env::args().any(|a| a == "--keep");
    println!("store benchmark: {n} applications in {}", dir.path().display());

    // 1. Registrations through the store.
    let mut store = Store::open_in_dir(&dir.path().join("store"), &StoreKey::generate()).expect("open");
    store.set_office_kecamatan("36.01.01").expect("office");
    // Signed as a logged-in clerk's saves are (Ed25519 over each operation).
    let key = std::sync::Arc::new(loket_keys::UserKey::generate());
    let clerk = Actor::signing("petugas", &[Role::Clerk], key);
    let valid: Vec<_> = (0..n).map(|i| validate_bansos(&draft(i)).expect("valid")).collect();
    let mut samples = Vec::with_capacity(n as usize);
    let mut numbers = Vec::with_capacity(n as usize);
    let mut ids = Vec::with_capacity(n as usize);
    for v in &valid {
        let t = Instant::now();
        let app = store.register_bansos(v, &clerk, Utc::now()).expect("register");
        samples.push(t.elapsed());
        numbers.push(app.registration_number.unwrap_or_default());
        ids.push(app.id);
    }
    let register = Stats::new(samples);

    // Pages written per registration: empty the WAL, register 100 more, count the WAL's frames.
    store.raw_connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
    for i in 0..100 {
        let v = validate_bansos(&draft(n + i)).expect("valid");
        store.register_bansos(&v, &clerk, Utc::now()).expect("register");
    }
    let wal = std::fs::metadata(store.path().with_extension("sqlite3-wal")).map(|m| m.len()).unwrap_or(0);
    // SQLCipher answers `page_size` as text (its `cipher_page_size`).
    let page: u64 = store
        .raw_connection()
        .query_row("PRAGMA page_size", [], |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| match v {
            rusqlite::types::Value::Integer(n) => n as u64,
            rusqlite::types::Value::Text(t) => t.parse().expect("page size"),
            other => panic!("page size {other:?}"),
        })
        .expect("page");
    let frames_per_registration = wal.saturating_sub(32) as f64 / (page + 24) as f64 / 100.0;

    // 2. Reference: the same rows into one plain table, one durable transaction each.
    let raw_path = dir.path().join("raw.sqlite3");
    let conn = Connection::open(&raw_path).expect("raw db");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY, nik TEXT, name TEXT, address TEXT, village TEXT,
                           kk TEXT, income INTEGER, programme TEXT, phone TEXT)",
    )
    .unwrap();
    let mut samples = Vec::with_capacity(n as usize);
    let mut stmt = conn
        .prepare("INSERT INTO raw (nik, name, address, village, kk, income, programme, phone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .unwrap();
    for v in &valid {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        stmt.execute(params![
            v.applicant.nik.as_str(),
            v.applicant.full_name,
            v.applicant.address,
            v.applicant.village_code,
            v.kk.as_str(),
            v.monthly_income,
            v.programme.code,
            v.applicant.phone
        ])
        .unwrap();
        conn.execute_batch("COMMIT").unwrap();
        samples.push(t.elapsed());
    }
    let raw = Stats::new(samples);

    // 3. Full-text search. New rows are indexed by the first search after them (store's
    //    search.rs); here all N at once, timed on its own.
    let t = Instant::now();
    let caught_up = store.catch_up_search_index().expect("index");
    let catch_up = t.elapsed();
    let mut queries: Vec<String> = Vec::new();
    for i in 0..1000u32 {
        queries.push(match i % 4 {
            0 => FIRST[i as usize % FIRST.len()].to_lowercase(),
            1 => format!("{} {}", FIRST[i as usize % FIRST.len()], LAST[i as usize % LAST.len()]),
            2 => draft(i * 97 % n).applicant.nik[..10].to_string(),
            _ => numbers[(i as usize * 89) % numbers.len()].clone(),
        });
    }
    let mut samples = Vec::with_capacity(queries.len());
    let mut hits = 0usize;
    for q in &queries {
        let t = Instant::now();
        hits += store.search_applications(q, 50).expect("search").len();
        samples.push(t.elapsed());
    }
    let search = Stats::new(samples);
    let mut samples = Vec::with_capacity(1000);
    for i in 0..1000 {
        let v = validate_bansos(&draft(n + 100 + i)).expect("valid");
        let app = store.register_bansos(&v, &clerk, Utc::now()).expect("register");
        // Worst case for the clerk: the desktop's background indexer has not run yet.
        let t = Instant::now();
        let found = store.search_applications(&app.applicant_name, 50).expect("search");
        samples.push(t.elapsed());
        assert!(!found.is_empty());
    }
    let search_after = Stats::new(samples);

    // 4. The list's rows: one query, against the rows plus five queries per row.
    let mut one_query = Vec::with_capacity(200);
    let mut per_row = Vec::with_capacity(200);
    for _ in 0..200 {
        let t = Instant::now();
        let rows = store.newest_application_rows(200).expect("rows");
        one_query.push(t.elapsed());
        assert_eq!(rows.len(), 200);
        let t = Instant::now();
        for a in store.list_applications(200).expect("list") {
            store.checklist(&a.id).expect("checklist");
            store.attachments(&a.id).expect("attachments");
            store.aid_flags(&a.id).expect("flags");
            store.open_conflicts_of(&a.id).expect("conflicts");
            store.workflow_events(&a.id).expect("events");
        }
        per_row.push(t.elapsed());
    }
    let (one_query, per_row) = (Stats::new(one_query), Stats::new(per_row));

    // 5. The access record a look at one person's data leaves (a search for a whole NIK here):
    //    one signed write, like a save.
    let mut samples = Vec::with_capacity(1000);
    for i in 0..1000u32 {
        let nik = draft(i * 97 % n).applicant.nik;
        let t = Instant::now();
        store.record_access(Access::SearchNumber { number: &nik }, &clerk, Utc::now()).expect("access");
        samples.push(t.elapsed());
    }
    let access = Stats::new(samples);

    // 6. A retention run reaching the laptop: pulled pages of 1,000 `redacted` changes (the
    //    oldest applications), each applied in one transaction.
    let mut samples = Vec::with_capacity(5);
    for page in 0..5usize {
        let changes: Vec<RemoteChange> = ids[page * 1000..(page + 1) * 1000]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let body = ChangeBody::Redacted(RedactedData {
                    application_id: id.clone(),
                    redacted_at: "2031-12-01T00:00:00Z".into(),
                });
                RemoteChange::of((page * 1000 + i + 1) as i64, id, body, "2031-12-01T00:00:00Z")
            })
            .collect();
        let t = Instant::now();
        store.apply_remote(&changes, ((page + 1) * 1000) as i64, Utc::now()).expect("redact");
        samples.push(t.elapsed());
    }
    let redaction = Stats::new(samples);

    println!("{}", register.line("register (row+audit+outbox)"));
    println!("{}", access.line("access record (whole-NIK search)"));
    println!("{}", redaction.line("redaction, page of 1,000 applications"));
    println!("{}", raw.line("raw single-table insert"));
    println!("{}", search.line("fts search, limit 50"));
    println!("{}", search_after.line("search right after a registration"));
    println!("search index catch-up: {caught_up} rows in {catch_up:.2?}");
    println!("{}", one_query.line("200 list rows, one query"));
    println!("{}", per_row.line("200 list rows, 5 queries per row"));
    println!(
        "ratio register/raw: p50 {:.2}x, p99 {:.2}x, total {:.2}x",
        register.pct(0.5).as_secs_f64() / raw.pct(0.5).as_secs_f64(),
        register.pct(0.99).as_secs_f64() / raw.pct(0.99).as_secs_f64(),
        register.total().as_secs_f64() / raw.total().as_secs_f64()
    );
    println!("search hits: {hits} over {} queries", queries.len());
    println!("WAL pages written per registration: {frames_per_registration:.1} ({page} B pages)");
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "files: store {:.1} MiB (+wal {:.1} MiB), raw {:.1} MiB",
        size(store.path()) as f64 / 1048576.0,
        size(&store.path().with_extension("sqlite3-wal")) as f64 / 1048576.0,
        size(&raw_path) as f64 / 1048576.0
    );
    if keep {
        println!("kept {}", dir.keep().display());
    }
}
