//! What the Rust side tells the window without being asked (typed, in the generated bindings):
//! the background sync's status at each change (the status bar and the lists follow sync), the
//! app update's status at each change, and the session when it changes (locked after idle
//! time, users arriving with the first sync) — the window polls nothing.

use loket_app::{Loket, SessionDto, SyncStatusDto, UpdateStatusDto};
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

/// The app update's status changed (offered, downloading, ready, failed, …).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct UpdateStatusEvent(pub UpdateStatusDto);

/// The session changed: somebody logged in or out, it locked after idle time, or the office's
/// users arrived.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SessionEvent(pub SessionDto);

/// A counter bumped at each change, which a forwarder waits on.
pub struct Changes(tokio::sync::watch::Sender<u64>);

impl Default for Changes {
    fn default() -> Self {
        Self(tokio::sync::watch::channel(0).0)
    }
}

impl Changes {
    pub fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Forward every change of the update's status to the window.
pub async fn forward_update_status(app: tauri::AppHandle, updates: std::sync::Arc<crate::updater::Updates>) {
    let mut changes = updates.changes();
    while changes.changed().await.is_ok() {
        if let Err(e) = UpdateStatusEvent(updates.status()).emit(&app) {
            tracing::warn!(error = %e, "update status not sent to the window");
        }
    }
}

/// Tell the window when the session changes. The idle lock is a matter of time, so it is looked
/// at each second here (one mutex read), and told only when it changed.
pub async fn forward_session(app: tauri::AppHandle, loket: std::sync::Arc<Loket>) {
    let mut last: Option<SessionDto> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Ok(now) = loket.session() else { continue };
        if last.as_ref() != Some(&now) {
            if let Err(e) = SessionEvent(now.clone()).emit(&app) {
                tracing::warn!(error = %e, "session not sent to the window");
            }
            last = Some(now);
        }
    }
}
