//! The Loket desktop shell.
//!
//! This is the only crate that depends on Tauri. It parses the command line, opens the
//! [`loket_app::Loket`] façade in the data directory, and exposes the façade's use cases as
//! IPC commands (see [`commands`]). No business rule lives here.

pub mod bindings;
pub mod commands;
mod data_dir;
pub mod events;
pub mod updater;
mod window_size;

use std::sync::Arc;

use loket_app::{ErrorDto, Loket};
use tauri::Manager;

/// The façade, or why it could not be opened (shown by the UI instead of crashing).
pub struct Core(Result<Arc<Loket>, ErrorDto>);

impl Core {
    pub fn get(&self) -> Result<Arc<Loket>, ErrorDto> {
        self.0.clone()
    }
}

/// Start the desktop app.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let explicit_dir =
        data_dir::from_args_or_env(std::env::args_os(), "--data-dir", std::env::var_os("LOKET_DATA_DIR"));
    // The data key: the OS credential store, or the documented key-file mode.
    let keys = loket_app::KeySource::from_env(data_dir::from_args_or_env(
        std::env::args_os(),
        "--key-file",
        std::env::var_os("LOKET_KEY_FILE"),
    ));
    let specta = bindings::builder();

    tauri::Builder::default()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            if let Some(window) = app.get_webview_window("main") {
                window_size::fit(&window);
            }
            // The version the server, the updater and the status bar name: the bundle's.
            loket_app::set_app_version(&app.package_info().version.to_string());
            let dir = match explicit_dir {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            let server_url = std::env::var("LOKET_SERVER_URL").ok();
            // HTTPS to the provincial server; `LOKET_CA_FILE` names the province's CA, and
            // `LOKET_ALLOW_HTTP=1` allows plain http:// to other machines (development only).
            let ca_file = std::env::var_os("LOKET_CA_FILE").map(std::path::PathBuf::from);
            let allow_http = std::env::var("LOKET_ALLOW_HTTP").is_ok_and(|v| v == "1");
            if let Err(e) = loket_app::configure_tls(&dir, ca_file, allow_http) {
                tracing::error!(error = %e, "TLS settings not applied; trusting the platform's roots only");
            }
            // The session locks after this long without activity (default ten minutes).
            let idle = std::env::var("LOKET_IDLE_LOCK_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .map_or(loket_app::DEFAULT_IDLE_LOCK, std::time::Duration::from_secs);
            let reauth = std::env::var("LOKET_REAUTH_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .map_or(loket_app::DEFAULT_REAUTH, std::time::Duration::from_secs);
            // Reports are exported to the user's downloads folder (`LOKET_EXPORT_DIR` to choose).
            let exports = std::env::var_os("LOKET_EXPORT_DIR")
                .map(std::path::PathBuf::from)
                .or_else(|| app.path().download_dir().ok().map(|d| d.join("Loket")));
            let open = |dir: &std::path::Path| {
                Loket::open(dir, &keys).map(|l| {
                    Arc::new(
                        l.with_default_server_url(server_url)
                            .with_idle_lock(idle)
                            .with_reauth_after(reauth)
                            .with_export_dir(exports),
                    )
                })
            };
            let core = open(&dir).map_err(|e| {
                tracing::error!(error = %e, dir = %dir.display(), "cannot open local store");
                ErrorDto::from(e)
            });
            if let Ok(loket) = &core {
                // The background sync: pushes the outbox and pulls the office's changes
                // whenever the server is reachable.
                tauri::async_runtime::spawn(loket.sync_task());
                tauri::async_runtime::spawn(events::forward_sync_status(app.handle().clone(), loket.clone()));
                tauri::async_runtime::spawn(events::forward_session(app.handle().clone(), loket.clone()));
            }
            let updates = Arc::new(updater::Updates::default());
            if let Ok(loket) = &core {
                // Checks for a signed update at start-up and every few hours.
                let task = updater::task(app.handle().clone(), loket.clone(), updates.clone());
                tauri::async_runtime::spawn(task);
            }
            tauri::async_runtime::spawn(events::forward_update_status(app.handle().clone(), updates.clone()));
            app.manage(updates);
            app.manage(Core(core));
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running Loket");
}
