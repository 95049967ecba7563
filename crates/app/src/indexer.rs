//! Keeps the search index and the desk's due dates caught up, off the save path.
//!
//! A save commits only its own rows; the store indexes new applications for search lazily
//! (`loket_store`'s `search` module), before the next search. This thread does that right after
//! each registration and after each sync that pulled changes, so the clerk's next search rarely
//! has anything left to index (and when it does, the search indexes it itself: correctness never
//! depends on this thread).

use std::sync::{mpsc, Arc, Mutex};

use loket_store::Store;

/// Due dates computed per hold of the store (about a tenth of a second's work).
const DUE_DATES_AT_ONCE: i64 = 2_000;

pub(crate) struct Indexer {
    wake: mpsc::Sender<()>,
}

impl Indexer {
    /// Start the indexing thread; `None` (search still works) if the thread cannot start.
    pub(crate) fn start(store: Arc<Mutex<Store>>) -> Option<Self> {
        let (wake, woken) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new().name("loket-indexer".into()).spawn(move || {
            // Ends when the `Indexer` (its sender) is dropped.
            while woken.recv().is_ok() {
                while woken.try_recv().is_ok() {}
                {
                    let store = store.lock().unwrap_or_else(|p| p.into_inner());
                    if let Err(e) = store.catch_up_search_index() {
                        tracing::warn!(error = %e, "search index catch-up failed; the next search retries");
                    }
                }
                // The desk's due dates, a part at a time (the queue computes what is left).
                loop {
                    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                    match store.refresh_some_due_dates(crate::today(), DUE_DATES_AT_ONCE) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "due dates not computed; the queue computes them");
                            break;
                        }
                    }
                }
            }
        });
        match spawned {
            Ok(_) => {
                // Whatever an upgrade or the last run left undone, now.
                let _ = wake.send(());
                Some(Self { wake })
            }
            Err(e) => {
                tracing::warn!(error = %e, "no background indexer; searches index new rows themselves");
                None
            }
        }
    }

    /// New applications were saved: index them soon.
    pub(crate) fn poke(&self) {
        let _ = self.wake.send(());
    }

    /// A [`Indexer::poke`] for another thread (the sync task, after a pull).
    pub(crate) fn poker(&self) -> impl Fn() + Send + Sync + 'static {
        let wake = self.wake.clone();
        move || {
            let _ = wake.send(());
        }
    }
}
