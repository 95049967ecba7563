//! Resource benchmark: the release server binary, as deployed, under connections that never
//! finish their headers and pushes that inflate, with the common limit of 1,024 open files.
//!
//! `cargo build --release -p loket-server && cargo bench -p loket-server --bench resource -- [connections]`
//! (run it under `ulimit -n 8192` or more: the bench holds the slow connections itself). It
//! reports how fast `/healthz` answers meanwhile (asked from another address than the flood's)
//! and how the server's memory grows. Results go to BENCHMARKS.md; nothing here is asserted on
//! time.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

use loket_server::storage::conformance::gzip;

/// Time `n` health checks, each on a new connection, from another address than the slow
/// connections' (127.0.0.2: a monitor, not the flooding machine).
async fn health(base: &str, n: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut ok = 0;
    for _ in 0..n {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let t = Instant::now();
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            ok += 1;
        }
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() - 1], ok)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let connections: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1100);
    let bin = std::env::var("LOKET_SERVER_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release/loket-server").to_string()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let admin = |args: &[&str]| {
        let out = Command::new(&bin).arg("--database").arg(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    admin(&["office", "add", "36.01.01"]);
    let code = admin(&["enroll-code", "--office", "36.01.01"]).trim().to_string();
    // The server as offices would run it, with the usual 1,024 open files.
    let mut server = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n 1024; exec {bin} --database {} serve --listen 127.0.0.1:0", db.display()))
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = server.id();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap().to_string();
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let header = (loket_protocol::PROTOCOL_HEADER, loket_protocol::PROTOCOL_VERSION.to_string());
    let enrolled: serde_json::Value = http
        .post(format!("{base}/api/v1/enroll"))
        .header(header.0, &header.1)
        .json(&serde_json::json!({ "code": code, "device_name": "bench", "app_version": "bench" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_string();

    let (p50, max, ok) = health(&base, 20).await;
    let rss0 = rss_kib(pid, "VmRSS:");
    println!(
        "resource: server pid {pid}, RSS {} MiB at rest; /healthz p50 {p50:?}, max {max:?} ({ok}/20)",
        rss0 / 1024
    );

    // Connections that send half a request line and then nothing.
    let started = Instant::now();
    let mut slow = Vec::with_capacity(connections);
    for _ in 0..connections {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(mut c) => {
                let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nHost: lo").await;
                slow.push(c);
            }
            Err(e) => {
                println!("resource: connection {} refused by the OS: {e}", slow.len() + 1);
                break;
            }
        }
    }
    println!("resource: {} slow connections opened in {:?}", slow.len(), started.elapsed());
    let (p50, max, ok) = health(&base, 20).await;
    println!(
        "resource: with them open, /healthz p50 {p50:?}, max {max:?} ({ok}/20 answered), RSS {} MiB",
        rss_kib(pid, "VmRSS:") / 1024
    );
    drop(slow);

    // Pushes whose gzip body inflates to 30 MiB: one operation with a 30 MiB array.
    let mut op = serde_json::to_value(loket_server::storage::conformance::register_op(
        1,
        "bomb",
        "36.01.01",
        "3601011205900001",
        "3601011501100003",
    ))
    .unwrap();
    op["payload"]["details"]["extra"] = serde_json::json!(vec![0u8; 15 * 1024 * 1024]);
    let body = gzip(&serde_json::to_vec(&serde_json::json!({ "ops": [op] })).unwrap());
    let mut statuses = Vec::new();
    let t = Instant::now();
    for _ in 0..20 {
        let r = http
            .post(format!("{base}/api/v1/offices/36.01.01/push"))
            .header(header.0, &header.1)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    let (p50, max, ok) = health(&base, 20).await;
    println!(
        "resource: 20 pushes of {} KiB gzip inflating to 30 MiB: statuses {:?} in {:?}; then /healthz p50 {p50:?}, max {max:?} ({ok}/20); RSS {} MiB, peak {} MiB (at rest {} MiB)",
        body.len() / 1024,
        { statuses.dedup(); statuses },
        t.elapsed(),
        rss_kib(pid, "VmRSS:") / 1024,
        rss_kib(pid, "VmHWM:") / 1024,
        rss0 / 1024
    );
    let _ = server.kill();
    let _ = server.wait();
}
