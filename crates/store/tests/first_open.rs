//! Many threads opening the first stores of a process at the same instant all succeed.
//!
//! SQLite marks itself initialised before SQLCipher's own initialisation has finished, so a
//! thread opening a connection while another is still inside that step used to be refused on
//! `PRAGMA key` ("An error occurred with PRAGMA key or rekey"). This file holds one test so
//! that its process has opened no connection before the threads start.

mod common;

use std::sync::{Arc, Barrier};

use loket_store::open_keyed;

#[test]
fn the_first_stores_of_a_process_open_together() {
    const THREADS: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let path = dir.path().join(format!("store-{i}.sqlite3"));
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                open_keyed(&path, &common::key()).map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .collect();
    let failures: Vec<String> = handles.into_iter().filter_map(|h| h.join().unwrap().err()).collect();
    assert!(failures.is_empty(), "{} of {THREADS} first opens failed: {failures:?}", failures.len());
}
