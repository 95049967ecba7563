//! The typed IPC surface and its generated TypeScript bindings.
//!
//! `ui/src/lib/bindings.ts` is generated from [`builder`] and committed. The test below fails
//! when it is stale; `make bindings` (which sets `LOKET_UPDATE_BINDINGS=1`) rewrites it.

use tauri_specta::{collect_commands, collect_events, Builder};

use crate::commands::*;

/// Every IPC command, in one place.
pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .events(collect_events![
            crate::events::SyncStatusEvent,
            crate::events::UpdateStatusEvent,
            crate::events::SessionEvent
        ])
        .commands(collect_commands![
            app_info,
            kecamatan_list,
            villages,
            programmes,
            categories,
            office,
            set_office,
            register_bansos,
            register_permit,
            register_hibah,
            set_document_received,
            golongan,
            list_staff,
            add_staff,
            services,
            list_applications,
            search_applications,
            open_application,
            export_unsynced,
            import_unsynced,
            enroll,
            connection,
            sync_status,
            sync_now,
            session,
            login,
            logout,
            lock,
            unlock,
            create_first_user,
            keep_alive,
            decide,
            resolve_conflicts,
            add_attachment,
            attachment_content,
            update_staff,
            resolve_staff_conflict,
            queue,
            decide_many,
            application_timeline,
            report,
            export_report,
            receipt,
            receipt_pdf,
            language,
            set_language,
            receipt_paper,
            set_receipt_paper,
            update_status,
            check_update,
            install_update,
            restart_app,
        ])
}

/// Render the bindings to a file.
pub fn export(path: &std::path::Path) -> Result<(), String> {
    let ts = specta_typescript::Typescript::default().header(
        "// Generated from src-tauri by tauri-specta. Do not edit: run `make bindings`.\n// @ts-nocheck",
    );
    builder().export(ts, path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn bindings_are_fresh() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        if std::env::var_os("LOKET_UPDATE_BINDINGS").is_some() {
            super::export(&committed).unwrap();
            return;
        }
        let dir = std::env::temp_dir().join(format!("loket-bindings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fresh = dir.join("bindings.ts");
        super::export(&fresh).unwrap();
        let want = std::fs::read_to_string(&fresh).unwrap();
        let have = std::fs::read_to_string(&committed).unwrap_or_default();
        std::fs::remove_dir_all(&dir).ok();
        assert!(want == have, "ui/src/lib/bindings.ts is stale: run `make bindings` and commit it");
    }
}
