//! IT's command line and the served binary, as a separate process on a real SQLite file.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_loket-server");

fn cli(db: &std::path::Path, args: &[&str], password: Option<&str>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.arg("--database").arg(db).args(args).env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    if let Some(p) = password {
        cmd.env("LOKET_PASSWORD", p);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn it_admin_workflow_and_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    assert_eq!(cli(&db, &["office", "import-banten"], None).trim(), "155 offices");
    let out = cli(
        &db,
        &[
            "user",
            "add",
            "--office",
            "36.01.01",
            "--username",
            "kasi",
            "--full-name",
            "Kasi Pelayanan",
            "--roles",
            "supervisor,clerk",
        ],
        Some("rahasia-panjang"),
    );
    assert!(out.contains("user kasi (clerk,supervisor) created"), "{out}");
    // Someone who left: deactivated, listed as such, and back again.
    assert!(cli(&db, &["user", "deactivate", "--username", "kasi"], None).contains("deactivated"));
    let users = cli(&db, &["user", "list", "--office", "36.01.01"], None);
    assert!(users.lines().any(|l| l.contains("kasi") && l.ends_with("deactivated")), "{users}");
    cli(&db, &["user", "reactivate", "--username", "kasi"], None);
    let users = cli(&db, &["user", "list"], None);
    assert!(users.lines().any(|l| l.contains("kasi") && l.ends_with(" active")), "{users}");
    // The account belongs to a staff member: linked by NIP; a number that is no NIP is refused.
    let out = cli(&db, &["user", "link", "--username", "kasi", "--nip", "198503152010011002"], None);
    assert!(out.contains("NIP 198503152010011002"), "{out}");
    let bad = Command::new(BIN)
        .arg("--database")
        .arg(&db)
        .args(["user", "link", "--username", "kasi", "--nip", "12345"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("12345 is not a NIP"), "{bad:?}");
    let code = cli(&db, &["enroll-code", "--office", "36.01.01", "--hours", "2"], None).trim().to_string();
    assert_eq!(code.len(), 14, "{code}");

    // Serve on a free port; the address is printed.
    let mut server = Command::new(BIN)
        .arg("--database")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected: {line:?}"))
        .to_string();
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    // Every API request names the protocol it speaks.
    let api = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{base}/api/v1/{path}"))
            .header(loket_protocol::PROTOCOL_HEADER, loket_protocol::PROTOCOL_VERSION.to_string())
    };
    let enroll = json!({ "code": code, "device_name": "Laptop loket", "app_version": "0.1.0" });
    let enrolled = api(reqwest::Method::POST, "enroll").json(&enroll).send().await.unwrap();
    let enrolled: Value = enrolled.json().await.unwrap();
    let token = enrolled["token"].as_str().unwrap().to_string();
    let device_id = enrolled["device_id"].as_str().unwrap().to_string();
    let nik = "3601014107880004";
    let op = loket_server::storage::conformance::register_op(1, "app-1", "36.01.01", nik, "3601011501100003");
    let push = json!({ "ops": [op], "pending": 3, "app_version": "0.1.1" });
    let r = api(reqwest::Method::POST, "offices/36.01.01/push")
        .bearer_auth(&token)
        .json(&push)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let list = cli(&db, &["device", "list"], None);
    assert!(list.contains(&device_id) && list.contains("36.01.01") && list.contains("0.1.1"), "{list}");
    assert!(list.lines().any(|l| l.contains(&device_id) && l.contains(" 3 ")), "pending count shown: {list}");
    // The operation carried no proof of who took it: refused, and counted for IT by code.
    assert!(
        list.lines().any(|l| l.contains(&device_id) && l.ends_with("1 (unsigned 1)")),
        "refusals shown: {list}"
    );
    assert!(cli(&db, &["aid", "duplicates"], None).contains("(none)"));
    cli(&db, &["device", "revoke", &device_id], None);
    let r = api(reqwest::Method::GET, "offices/36.01.01/changes").bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let status_of = |list: &str| {
        let line = list.lines().find(|l| l.contains(&device_id)).unwrap_or_default().to_string();
        line.split_whitespace().nth(6).unwrap_or_default().to_string()
    };
    assert_eq!(status_of(&cli(&db, &["device", "list"], None)), "revoked");
    let r =
        api(reqwest::Method::POST, "offices/36.01.01/device/wiped").bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let list = cli(&db, &["device", "list"], None);
    assert_eq!(status_of(&list), "wiped", "IT sees that the revoked laptop deleted its data: {list}");

    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(server.wait().unwrap().success(), "graceful shutdown on SIGTERM");
    let mut logs = String::new();
    server.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("storage ready"), "{logs}");
    assert!(!logs.contains(nik), "a NIK appeared in the server log");
    assert!(
        logs.contains("operation refused") && logs.contains("unsigned"),
        "refusals are logged by code: {logs}"
    );
    assert!(!logs.contains(&token), "a device token appeared in the server log");
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let out = Command::new(BIN)
        .arg("--database")
        .arg(&db)
        .args(["office", "add", "99.99.99"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("99.99.99 is not a kecamatan of Banten"));
    let out = Command::new(BIN)
        .arg("--database")
        .arg(&db)
        .args([
            "user",
            "add",
            "--office",
            "36.01.01",
            "--username",
            "x",
            "--full-name",
            "X",
            "--roles",
            "clerk",
        ])
        .env_remove("DATABASE_URL")
        .env("LOKET_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("office 36.01.01 does not exist"));
    // A code that would never expire, or be dead on arrival, is not issued.
    for hours in ["0", "1000000"] {
        let out = Command::new(BIN)
            .arg("--database")
            .arg(&db)
            .args(["enroll-code", "--office", "36.01.01", "--hours", hours])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(!out.status.success(), "--hours {hours}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("lives 1 to 168 hours"), "{err}");
    }
}

/// `loket-server serve …` that must fail: its standard error.
fn serve_refused(db: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--database")
        .arg(db)
        .arg("serve")
        .args(args)
        .env_remove("DATABASE_URL")
        .output();
    let out = out.unwrap();
    assert!(!out.status.success(), "serve {args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Plain HTTP only on loopback (a reverse proxy on the same machine) unless the configuration
/// says so; a certificate without its key is refused before anything listens.
#[test]
fn plain_http_on_the_network_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let err = serve_refused(&db, &["--listen", "0.0.0.0:0"]);
    assert!(err.contains("refusing to serve plain HTTP") && err.contains("tls_cert"), "{err}");
    let err = serve_refused(&db, &["--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent/cert.pem"]);
    assert!(err.contains("tls_cert and tls_key go together"), "{err}");
}

/// A password change keeps the user's key, wrapped again under the new password (it needs the
/// current one); a reset issues a new key.
#[tokio::test]
async fn change_password_rewraps_and_reset_issues_a_new_key() {
    use loket_keys::UserKey;
    use loket_server::storage::Storage;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    cli(&db, &["office", "add", "36.01.01"], None);
    let add = [
        "user",
        "add",
        "--office",
        "36.01.01",
        "--username",
        "ani",
        "--full-name",
        "Ani",
        "--roles",
        "clerk",
    ];
    cli(&db, &add, Some("sandi-lama-2026"));
    let stored = || {
        let s = loket_server::storage::sqlite::SqliteStorage::open(&db).unwrap();
        async move { s.user_by_username("ani").await.unwrap().unwrap() }
    };
    let before = stored().await;
    let change = |old: &str| {
        Command::new(BIN)
            .arg("--database")
            .arg(&db)
            .args(["user", "change-password", "--username", "ani"])
            .env_remove("DATABASE_URL")
            .env("LOKET_OLD_PASSWORD", old)
            .env("LOKET_PASSWORD", "sandi-baru-2026")
            .output()
            .unwrap()
    };
    let refused = change("salah-sekali");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("current password is not right"));
    assert!(change("sandi-lama-2026").status.success());
    let changed = stored().await;
    assert_eq!(changed.public_key, before.public_key, "the same key");
    assert!(UserKey::unwrap(&changed.wrapped_key, "sandi-lama-2026").is_err());
    assert_eq!(
        UserKey::unwrap(&changed.wrapped_key, "sandi-baru-2026").unwrap().public_key(),
        before.public_key
    );
    cli(&db, &["user", "reset-password", "--username", "ani"], Some("sandi-reset-2026"));
    let reset = stored().await;
    assert_ne!(reset.public_key, before.public_key, "a new key");
    assert_eq!(
        UserKey::unwrap(&reset.wrapped_key, "sandi-reset-2026").unwrap().public_key(),
        reset.public_key
    );
}

/// IT checks a catalogue file before publishing it: the shipped one passes; a file with
/// mistakes lists each of them and fails; nothing is opened or written for a check.
#[test]
fn a_catalogue_file_is_checked_before_it_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/data/katalog-paten-banten.json");
    let out = cli(&db, &["catalogue", "check", "--file", shipped], None);
    assert!(out.contains("12 services, no errors"), "{out}");
    assert!(!db.exists(), "a check opens no database");

    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(shipped).unwrap()).unwrap();
    file["services"][0]["sla_days"] = json!(0);
    file["services"][3]["fee"] =
        json!({"rule": "advertising_tax", "tariff_percent": 30, "rate_m2_month": 1, "location": 1000});
    let bad = dir.path().join("katalog.json");
    std::fs::write(&bad, file.to_string()).unwrap();
    let out = Command::new(BIN)
        .args(["--database", db.to_str().unwrap(), "catalogue", "check", "--file", bad.to_str().unwrap()])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("waktu layanan 1 sampai 60") && stderr.contains("1 sampai 25 %"), "{stderr}");
}

/// IT's recap for a month: one line per kecamatan and the total (none registered yet); a month
/// or region that is not one is refused with what it should be.
#[test]
fn the_monthly_recap_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    cli(&db, &["office", "add", "36.01.01"], None);
    let out = cli(&db, &["report", "--month", "2026-11", "--region", "36.01"], None);
    assert!(out.contains("Applications registered in 2026-11 (WIB), offices under 36.01"), "{out}");
    assert!(out.lines().last().unwrap_or_default().starts_with("total"), "{out}");
    let bad = Command::new(BIN)
        .arg("--database")
        .arg(&db)
        .args(["report", "--month", "November"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
