//! Test helper for the crash test (`tests/crash.rs`), not a user tool.
//!
//! Writes to the store at `argv[1]` (encrypted with the key in `LOKET_STORE_KEY`, 64 hex
//! digits) in an endless loop (registrations, edits, transitions) and
//! prints one line per acknowledged write — `<kind> <application id> <version>` — only after the
//! call that made it has returned, i.e. after the commit. The parent kills it with SIGKILL at
//! a random point and then checks that everything acknowledged is there.

use std::io::Write;

use chrono::Utc;
use loket_domain::aid::{validate_bansos, BansosDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::workflow::{Action, Role};
use loket_store::{Actor, ApplicantEdit, Store, StoreKey};

fn main() {
    let path = std::env::args().nth(1).expect("usage: loket-store-crash-writer <db path> <start>");
    let start: u32 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let key =
        StoreKey::from_hex(&std::env::var("LOKET_STORE_KEY").expect("LOKET_STORE_KEY")).expect("store key");
    let mut store = Store::open(std::path::Path::new(&path), &key).expect("open store");
    if store.office_kecamatan().expect("office").is_none() {
        store.set_office_kecamatan("36.01.01").expect("set office");
    }
    let clerk = Actor::new("petugas", &[Role::Clerk]);
    let supervisor = Actor::new("kasi", &[Role::Supervisor]);
    let mut out = std::io::stdout().lock();
    for i in start.. {
        let draft = BansosDraft {
            applicant: ApplicantDraft {
                nik: format!("360101120590{:04}", i % 9999 + 1),
                full_name: format!("Warga Nomor {}", roman(i)),
                address: "Kp. Cibadak RT 03/01".into(),
                village_code: "36.01.01.2001".into(),
                phone: String::new(),
            },
            kk: "3601011501100003".into(),
            household: vec![],
            monthly_income: 500_000,
            category_code: "miskin".into(),
            programme_code: "BPNT".into(),
        };
        let valid = validate_bansos(&draft).expect("valid draft");
        let app = store.register_bansos(&valid, &clerk, Utc::now()).expect("register");
        writeln!(out, "register {} {}", app.id, app.version).expect("stdout");
        out.flush().expect("flush");
        if i % 3 == 0 {
            let edit = ApplicantEdit {
                address: Some(format!("Kp. Baru RT {:02}/01", i % 20)),
                ..Default::default()
            };
            let app = store.edit_applicant(&app.id, app.version, &edit, &clerk, Utc::now()).expect("edit");
            writeln!(out, "edit {} {}", app.id, app.version).expect("stdout");
            out.flush().expect("flush");
        }
        if i % 5 == 0 {
            let app =
                store.transition(&app.id, Action::StartReview, "", &supervisor, Utc::now()).expect("review");
            writeln!(out, "transition {} {}", app.id, app.version).expect("stdout");
            out.flush().expect("flush");
        }
    }
}

/// Names may only hold letters, so number them in roman numerals.
fn roman(mut n: u32) -> String {
    n += 1;
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}
