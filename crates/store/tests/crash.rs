//! Crash test: a child process writes in a loop and is killed with SIGKILL at random points,
//! 50 times, on the same database file. After every kill the file must pass
//! `PRAGMA integrity_check`, every acknowledged write must be there, and rows, audit and outbox
//! must agree. The store is encrypted (SQLCipher), as on every laptop. Kill points are drawn from a seeded generator (`LOKET_CRASH_SEED` to replay).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use loket_store::Store;

const ROUNDS: u32 = 50;

/// xorshift64*: a tiny deterministic generator, enough to pick kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let seed = std::env::var("LOKET_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x10C3_7A11u64);
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("loket.sqlite3");
    // id → highest acknowledged version
    let mut acked: HashMap<String, i64> = HashMap::new();
    let mut start = 0u32;

    for round in 0..ROUNDS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loket-store-crash-writer"))
            .arg(&db)
            .arg(start.to_string())
            .env("LOKET_STORE_KEY", common::key().to_hex().as_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn writer");
        let kill_after = 1 + rng.next() % 40;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for _ in 0..kill_after {
            let line = lines.next().expect("writer ended early").expect("read");
            let mut parts = line.split(' ');
            let (kind, id, version) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            if kind == "register" {
                start += 1;
            }
            let v: i64 = version.parse().unwrap();
            let e = acked.entry(id.to_string()).or_insert(v);
            *e = (*e).max(v);
        }
        // The child keeps writing while we kill it: the kill lands mid-transaction at random.
        Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: writer should have been killed");

        let store = Store::open(&db, &common::key()).expect("reopen after SIGKILL");
        assert_eq!(store.integrity_check().unwrap(), Ok(()), "round {round} (seed {seed})");
        for (id, version) in &acked {
            let app = store.application(id).unwrap_or_else(|e| panic!("round {round}: acked {id} lost: {e}"));
            assert!(app.version >= *version, "round {round}: {id} version {} < acked {version}", app.version);
        }
        common::assert_consistent(&store);
        // Registrations that were committed but not yet acknowledged are fine; count them in.
        start = start.max(store.count_applications().unwrap() as u32);
    }
    assert!(acked.len() >= ROUNDS as usize);
}
