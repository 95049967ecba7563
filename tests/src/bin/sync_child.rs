//! A device's sync in a process of its own, for the fault tests to kill with SIGKILL:
//! `loket-sync-child <data-dir>` syncs that device's store (through whatever server its
//! enrollment names) again and again until it is killed. The store's key is in
//! `LOKET_STORE_KEY` (64 hex digits).

use std::sync::{Arc, Mutex};

use loket_store::Store;
use loket_sync::worker::{sync_once, WorkerHandle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir =
        std::env::args_os().nth(1).ok_or_else(|| anyhow::anyhow!("usage: loket-sync-child <data-dir>"))?;
    // HTTPS seeds: the parent's test CA.
    if let Some(ca) = std::env::var_os("LOKET_CA_FILE") {
        loket_sync::TlsPolicy::default().with_ca_file(std::path::Path::new(&ca))?.install();
    }
    let key = loket_store::StoreKey::from_hex(&std::env::var("LOKET_STORE_KEY")?)?;
    let store = Arc::new(Mutex::new(Store::open_in_dir(std::path::Path::new(&dir), &key)?));
    let handle = WorkerHandle::default();
    loop {
        // Errors (the proxy's faults) are expected; the parent decides when this ends.
        let _ = sync_once(&store, &handle, "test-child").await;
    }
}
