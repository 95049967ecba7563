//! IPC commands: each one is a thin adapter into [`loket_app::Loket`].
//!
//! Commands are `async` so that SQLite's fsync never blocks the window's main thread; the
//! façade call itself runs on a blocking thread.

use std::sync::Arc;

use loket_app::*;
use tauri::State;

use crate::Core;

/// Run a façade call on a blocking thread, mapping errors to the IPC error shape.
async fn call<T: Send + 'static>(
    core: State<'_, Core>,
    f: impl FnOnce(&Loket) -> Result<T, AppError> + Send + 'static,
) -> Result<T, ErrorDto> {
    let loket: Arc<Loket> = core.get()?;
    tauri::async_runtime::spawn_blocking(move || f(&loket).map_err(ErrorDto::from)).await.map_err(|e| {
        ErrorDto { code: ErrorCode::Internal, message: format!("Kesalahan internal: {e}"), issues: vec![] }
    })?
}

#[tauri::command]
#[specta::specta]
pub async fn app_info(core: State<'_, Core>) -> Result<AppInfoDto, ErrorDto> {
    call(core, |l| l.info()).await
}

#[tauri::command]
#[specta::specta]
pub async fn kecamatan_list(core: State<'_, Core>) -> Result<Vec<KecamatanDto>, ErrorDto> {
    call(core, |l| Ok(l.kecamatan_list())).await
}

#[tauri::command]
#[specta::specta]
pub async fn villages(core: State<'_, Core>, kecamatan_code: String) -> Result<Vec<RegionDto>, ErrorDto> {
    call(core, move |l| Ok(l.villages(&kecamatan_code))).await
}

#[tauri::command]
#[specta::specta]
pub async fn programmes(core: State<'_, Core>) -> Result<Vec<ProgrammeDto>, ErrorDto> {
    call(core, |l| Ok(l.programmes())).await
}

#[tauri::command]
#[specta::specta]
pub async fn categories(core: State<'_, Core>) -> Result<Vec<CategoryDto>, ErrorDto> {
    call(core, |l| Ok(l.categories())).await
}

#[tauri::command]
#[specta::specta]
pub async fn office(core: State<'_, Core>) -> Result<Option<OfficeDto>, ErrorDto> {
    call(core, |l| l.office()).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_office(core: State<'_, Core>, kecamatan_code: String) -> Result<OfficeDto, ErrorDto> {
    call(core, move |l| l.set_office(&kecamatan_code)).await
}

#[tauri::command]
#[specta::specta]
pub async fn register_bansos(core: State<'_, Core>, input: BansosInput) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.register_bansos(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn register_permit(core: State<'_, Core>, input: PermitInput) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.register_permit(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn register_hibah(core: State<'_, Core>, input: HibahInput) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.register_hibah(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_document_received(
    core: State<'_, Core>,
    input: DocumentInput,
) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.set_document_received(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn golongan(core: State<'_, Core>) -> Result<GolonganDto, ErrorDto> {
    call(core, |l| Ok(l.golongan())).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_staff(core: State<'_, Core>) -> Result<Vec<StaffDto>, ErrorDto> {
    call(core, |l| l.list_staff()).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_staff(core: State<'_, Core>, input: StaffInput) -> Result<StaffDto, ErrorDto> {
    call(core, move |l| l.add_staff(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn services(core: State<'_, Core>) -> Result<Vec<ServiceDto>, ErrorDto> {
    call(core, |l| l.services()).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_applications(core: State<'_, Core>) -> Result<Vec<ApplicationDto>, ErrorDto> {
    call(core, |l| l.list_applications()).await
}

#[tauri::command]
#[specta::specta]
pub async fn search_applications(
    core: State<'_, Core>,
    query: String,
) -> Result<Vec<ApplicationDto>, ErrorDto> {
    call(core, move |l| l.search_applications(&query)).await
}

#[tauri::command]
#[specta::specta]
pub async fn open_application(core: State<'_, Core>, id: String) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.open_application(&id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn export_unsynced(
    core: State<'_, Core>,
    input: HandoverInput,
) -> Result<HandoverExportDto, ErrorDto> {
    call(core, move |l| l.export_unsynced(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn import_unsynced(
    core: State<'_, Core>,
    input: HandoverInput,
) -> Result<HandoverImportDto, ErrorDto> {
    Ok(core.get()?.import_unsynced(input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn enroll(core: State<'_, Core>, input: EnrollInput) -> Result<OfficeDto, ErrorDto> {
    Ok(core.get()?.enroll(input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn connection(core: State<'_, Core>) -> Result<ConnectionDto, ErrorDto> {
    Ok(core.get()?.connection().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn sync_status(core: State<'_, Core>) -> Result<SyncStatusDto, ErrorDto> {
    call(core, |l| l.sync_status()).await
}

/// Commands that only tell the façade something: each calls the method of its name.
macro_rules! notice_commands {
    ($($(#[doc = $doc:literal])* $name:ident),+) => {$(
        $(#[doc = $doc])*
        #[tauri::command]
        #[specta::specta]
        pub async fn $name(core: State<'_, Core>) -> Result<(), ErrorDto> {
            call(core, |l| {
                l.$name();
                Ok(())
            })
            .await
        }
    )+};
}

notice_commands!(
    /// Sync now (after a change, or the user asked).
    sync_now,
    /// The user typed or clicked: the idle clock starts again.
    keep_alive
);

/// The session commands that take nothing and answer the session: each calls the façade
/// method of its name.
macro_rules! session_commands {
    ($($name:ident),+) => {$(
        #[tauri::command]
        #[specta::specta]
        pub async fn $name(core: State<'_, Core>) -> Result<SessionDto, ErrorDto> {
            call(core, |l| l.$name()).await
        }
    )+};
}

session_commands!(session, logout, lock);

#[tauri::command]
#[specta::specta]
pub async fn login(core: State<'_, Core>, input: LoginInput) -> Result<SessionDto, ErrorDto> {
    call(core, move |l| l.login(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_first_user(core: State<'_, Core>, input: FirstUserInput) -> Result<SessionDto, ErrorDto> {
    call(core, move |l| l.create_first_user(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn unlock(core: State<'_, Core>, input: UnlockInput) -> Result<SessionDto, ErrorDto> {
    call(core, move |l| l.unlock(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn decide(core: State<'_, Core>, input: DecisionInput) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.decide(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn resolve_conflicts(
    core: State<'_, Core>,
    input: ResolveInput,
) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.resolve_conflicts(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_attachment(
    core: State<'_, Core>,
    input: AttachmentInput,
) -> Result<ApplicationDto, ErrorDto> {
    call(core, move |l| l.add_attachment(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_staff(core: State<'_, Core>, input: StaffUpdateInput) -> Result<StaffDto, ErrorDto> {
    call(core, move |l| l.update_staff(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn resolve_staff_conflict(
    core: State<'_, Core>,
    input: StaffResolveInput,
) -> Result<StaffDto, ErrorDto> {
    call(core, move |l| l.resolve_staff_conflict(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn queue(core: State<'_, Core>, input: QueueInput) -> Result<QueuePageDto, ErrorDto> {
    call(core, move |l| l.queue(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn decide_many(core: State<'_, Core>, input: BulkDecisionInput) -> Result<BulkResultDto, ErrorDto> {
    call(core, move |l| l.decide_many(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn application_timeline(
    core: State<'_, Core>,
    application_id: String,
) -> Result<Vec<TimelineEntryDto>, ErrorDto> {
    call(core, move |l| l.application_timeline(&application_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn report(core: State<'_, Core>, input: ReportInput) -> Result<ReportDto, ErrorDto> {
    call(core, move |l| l.report(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn export_report(core: State<'_, Core>, input: ExportInput) -> Result<ExportDto, ErrorDto> {
    call(core, move |l| l.export_report(input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn receipt(core: State<'_, Core>, application_id: String) -> Result<ReceiptDto, ErrorDto> {
    call(core, move |l| l.receipt(&application_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn language(core: State<'_, Core>) -> Result<Language, ErrorDto> {
    call(core, |l| l.language()).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_language(core: State<'_, Core>, language: Language) -> Result<Language, ErrorDto> {
    call(core, move |l| l.set_language(language)).await
}

#[tauri::command]
#[specta::specta]
pub async fn receipt_pdf(core: State<'_, Core>, application_id: String) -> Result<String, ErrorDto> {
    call(core, move |l| l.receipt_pdf(&application_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn receipt_paper(core: State<'_, Core>) -> Result<ReceiptPaper, ErrorDto> {
    call(core, |l| l.receipt_paper()).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_receipt_paper(core: State<'_, Core>, paper: ReceiptPaper) -> Result<ReceiptPaper, ErrorDto> {
    call(core, move |l| l.set_receipt_paper(paper)).await
}

#[tauri::command]
#[specta::specta]
pub async fn attachment_content(
    core: State<'_, Core>,
    sha256: String,
) -> Result<AttachmentContentDto, ErrorDto> {
    Ok(core.get()?.attachment_content(&sha256).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_status(
    updates: State<'_, Arc<crate::updater::Updates>>,
) -> Result<UpdateStatusDto, ErrorDto> {
    Ok(updates.status())
}

/// Check for an update now (the user asked, or sync said this version is too old).
#[tauri::command]
#[specta::specta]
pub async fn check_update(
    updates: State<'_, Arc<crate::updater::Updates>>,
) -> Result<UpdateStatusDto, ErrorDto> {
    updates.check_now();
    Ok(updates.status())
}

/// Install the verified update the user confirmed (pending work is pushed first unless `force`).
#[tauri::command]
#[specta::specta]
pub async fn install_update(
    core: State<'_, Core>,
    updates: State<'_, Arc<crate::updater::Updates>>,
    force: bool,
) -> Result<UpdateStatusDto, ErrorDto> {
    crate::updater::install(&core.get()?, &updates, force).await
}

/// Start the app again (after an update is installed).
#[tauri::command]
#[specta::specta]
pub async fn restart_app(app: tauri::AppHandle) -> Result<(), ErrorDto> {
    app.restart()
}
