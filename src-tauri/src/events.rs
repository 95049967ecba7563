//! What the Rust side tells the window without being asked (typed, in the generated bindings):
//! the background sync's status at each change, so that the status bar and the lists follow
//! sync without polling.

use loket_app::{Loket, SyncStatusDto};
use serde::{Deserialize, Serialize};
use tauri_specta::Event as _;

/// The sync status changed (a run started or ended, work was queued, pushed or pulled).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncStatusEvent(pub SyncStatusDto);

/// Forward every change of the sync status to the window, until the worker is gone.
pub async fn forward_sync_status(app: tauri::AppHandle, loket: std::sync::Arc<Loket>) {
    let Some(mut watch) = loket.watch_sync() else { return };
    while watch.changed().await {
        match loket.sync_status() {
            Ok(status) => {
                if let Err(e) = SyncStatusEvent(status).emit(&app) {
                    tracing::warn!(error = %e, "sync status not sent to the window");
                }
            }
            Err(e) => tracing::warn!(error = %e, "sync status unreadable"),
        }
    }
}
