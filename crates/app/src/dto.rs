//! Data transfer objects: what crosses the IPC boundary. Plain data, no behaviour.

pub use loket_domain::aid::{AidKind, FlagReason};
pub use loket_domain::service::ServiceKind;
pub use loket_domain::staff::EmploymentStatus;
pub use loket_domain::workflow::{Action, ApplicationKind, Role, Status};
pub use loket_sync::worker::SyncState;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A region for pickers.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct RegionDto {
    /// Dotted code (`36.01.01` or `36.01.01.2001`).
    pub code: String,
    pub name: String,
}

/// A kecamatan with its kabupaten/kota, for the office picker.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct KecamatanDto {
    pub code: String,
    pub name: String,
    pub regency: String,
}

/// The office this installation serves.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct OfficeDto {
    pub kecamatan: KecamatanDto,
    /// Four-character device code used in registration numbers.
    pub device_code: String,
    /// Enrolled with the provincial server (else it works offline only, and can enroll).
    pub enrolled: bool,
}

/// An aid programme with its period.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ProgrammeDto {
    pub code: String,
    pub name: String,
    /// `bansos` or `hibah`.
    pub kind: AidKind,
    pub period: String,
}

/// A bansos recipient category.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct CategoryDto {
    pub code: String,
    pub name: String,
}

/// A household member as typed on the form.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct MemberInput {
    pub nik: String,
    pub full_name: String,
    pub relationship: String,
}

/// The bansos registration form as submitted by the UI.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct BansosInput {
    pub nik: String,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    /// Optional.
    pub phone: String,
    pub kk: String,
    pub household: Vec<MemberInput>,
    /// Household income per month, rupiah (at most Rp 100,000,000).
    pub monthly_income: u32,
    pub category_code: String,
    pub programme_code: String,
    /// The clerk confirmed the warnings shown for this form (e.g. an unknown NIK region).
    pub confirm_warnings: bool,
}

/// A PATEN service of the counter, for the permit form.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ServiceDto {
    pub code: String,
    pub name: String,
    /// Which details the form asks for.
    pub kind: ServiceKind,
    /// Required documents, in checklist order.
    pub documents: Vec<DocumentDto>,
    /// The fee or levy rule in words ("Gratis", "Rp 10.000 per m²", ...).
    pub fee_rule: String,
    /// Service-time standard in working days.
    pub sla_days: u32,
    /// The regulation it stands on.
    pub legal_basis: String,
    /// Requirements, fee or time are an example pending the kabupaten/kota's own regulation.
    pub example: bool,
}

/// A document a service requires.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct DocumentDto {
    pub code: String,
    pub name: String,
}

/// One line of an application's documents checklist.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ChecklistDto {
    pub code: String,
    pub name: String,
    pub received: bool,
}

/// The permit registration form as submitted by the UI. Only the detail fields of the chosen
/// service's kind are read; the others may stay empty.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Default)]
pub struct PermitInput {
    pub nik: String,
    pub full_name: String,
    pub address: String,
    pub village_code: String,
    /// Optional.
    pub phone: String,
    pub service_code: String,
    pub location: String,
    pub land_area_m2: u32,
    pub building_area_m2: u32,
    pub building_use: String,
    pub business_name: String,
    pub business_type: String,
    /// Business capital in rupiah (whole rupiah).
    pub capital: f64,
    pub advertising_text: String,
    pub area_m2: u32,
    pub months: u32,
    /// What an SKTM is for.
    pub purpose: String,
    /// Codes of the documents received at the counter. With all of them the application is
    /// submitted and numbered; otherwise it is kept as a draft until they are complete.
    pub documents_received: Vec<String>,
    pub confirm_warnings: bool,
}

/// The hibah (grant to an organisation) form as submitted by the UI.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Default)]
pub struct HibahInput {
    pub organization_name: String,
    /// SK Kemenkumham number (`AHU-0012345.AH.01.07.Tahun 2021`).
    pub legal_basis: String,
    pub npwp: String,
    pub address: String,
    pub village_code: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder: String,
    pub chair_nik: String,
    pub chair_name: String,
    pub secretary_nik: String,
    pub secretary_name: String,
    /// Rupiah (whole rupiah).
    pub amount_proposed: f64,
    /// Total of the budget plan (RAB), rupiah.
    pub rab_total: f64,
    pub programme_code: String,
    pub confirm_warnings: bool,
}

/// A document of a permit's checklist handed in (or taken back) at the counter.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct DocumentInput {
    pub application_id: String,
    pub code: String,
    pub received: bool,
}

/// A staff member (ASN record) of the office.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StaffDto {
    pub id: String,
    pub status: EmploymentStatus,
    /// NIP (PNS) or NI PPPK; none for non-ASN staff.
    pub employee_number: Option<String>,
    pub full_name: String,
    /// Golongan/ruang (`III/d`) or PPPK golongan (`IX`).
    pub golongan: Option<String>,
    pub jabatan: String,
    pub unit_code: String,
    pub active: bool,
    /// The version an edit is made on.
    pub version: u32,
    /// Updates of this record from two laptops that the server kept for a supervisor.
    pub conflicts: Vec<StaffConflictDto>,
}

/// Another laptop's update of a staff record, made on a version the server had moved past.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StaffConflictDto {
    pub op_id: String,
    /// Who made it.
    pub actor: String,
    pub differences: Vec<StaffDifferenceDto>,
}

/// One field two versions of a staff record disagree on.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StaffDifferenceDto {
    pub field: StaffField,
    pub server: String,
    pub device: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StaffField {
    FullName,
    Status,
    EmployeeNumber,
    Golongan,
    Jabatan,
    UnitCode,
    Active,
}

/// A staff record's new values (edit, deactivation, transfer), made on `base_version`.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StaffUpdateInput {
    pub id: String,
    pub base_version: u32,
    pub status: Option<EmploymentStatus>,
    pub employee_number: String,
    pub full_name: String,
    pub golongan: String,
    pub jabatan: String,
    /// Kecamatan code; another office's for a transfer (mutasi).
    pub unit_code: String,
    pub active: bool,
}

/// A supervisor settles a staff record's conflicts.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StaffResolveInput {
    pub staff_id: String,
    pub keep: Keep,
}

/// The golongan a staff member of each status may have, in rank order.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct GolonganDto {
    pub pns: Vec<String>,
    pub pppk: Vec<String>,
}

/// The staff form.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct StaffInput {
    /// Checked by the domain (an empty choice is a field error, not a decoding failure).
    pub status: Option<EmploymentStatus>,
    pub employee_number: String,
    pub full_name: String,
    pub golongan: String,
    pub jabatan: String,
    /// Kecamatan code of the unit; empty for the office's own kecamatan.
    pub unit_code: String,
}

/// A stored application (permit or aid), as listed and printed.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq)]
pub struct ApplicationDto {
    pub id: String,
    /// `None` while a draft.
    pub registration_number: Option<String>,
    pub kind: ApplicationKind,
    pub service_code: String,
    pub service_name: String,
    pub status: Status,
    pub applicant_nik: Option<String>,
    pub applicant_name: String,
    pub applicant_address: String,
    pub organization_name: Option<String>,
    pub village_code: String,
    /// "Desa X, Kec. Y, Kabupaten Z".
    pub village_label: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub version: u32,
    /// Duplicate-aid flags from the server: the same NIK or KK is in the same programme and
    /// period in another kecamatan. Shown before a supervisor decides.
    pub aid_flags: Vec<AidFlagDto>,
    /// Conflicts the server kept on this application, not yet resolved.
    pub open_conflicts: u32,
    /// What each open conflict is about, for the supervisor.
    pub conflicts: Vec<ConflictDto>,
    /// Workflow actions the current user may take now.
    pub actions: Vec<Action>,
    /// Scanned documents attached to the application.
    pub attachments: Vec<AttachmentDto>,
    /// Fee or levy in rupiah (permits; 0 for aid).
    pub fee: u32,
    /// Aid programme period (`2026`); none for permits.
    pub period: Option<String>,
    /// The grant an organisation asks for, in rupiah (hibah only; a JSON number, whole rupiah
    /// up to the Rp 10 billion ceiling are exact).
    pub amount_proposed: Option<f64>,
    /// Documents checklist (permits).
    pub documents: Vec<ChecklistDto>,
    /// When the service-time standard runs out (YYYY-MM-DD), while its clock runs (permits).
    pub due_date: Option<String>,
    /// The NIK as receipts print it (`3601********0001`: the domain's one masking rule).
    pub applicant_nik_masked: Option<String>,
    /// Where a permit stands against its service-time standard (none for aid).
    pub sla: Option<SlaStatus>,
}

/// A permit's service-time clock, for the desk.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    OnTime,
    /// Due within two days.
    DueSoon,
    Overdue,
    /// Returned to the applicant: the clock waits.
    Paused,
}

/// What the desk's queue shows: every filter optional.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct QueueInput {
    pub service_code: Option<String>,
    /// One of the statuses the user's queue holds.
    pub status: Option<Status>,
    pub village_code: Option<String>,
    /// Registered from / to this day (YYYY-MM-DD, inclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    /// From 0.
    pub page: u32,
}

/// One page of the desk's queue.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq)]
pub struct QueuePageDto {
    pub items: Vec<ApplicationDto>,
    /// How many the filtered queue holds, and of them overdue.
    pub total: u32,
    pub overdue: u32,
    pub page: u32,
    pub page_size: u32,
    /// The statuses this user's queue holds (what waits for their decision).
    pub statuses: Vec<Status>,
}

/// A scanned document on an application.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct AttachmentDto {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u32,
}

/// Attach a scan (PDF, JPEG or PNG, at most 10 MiB; the type is read from the content).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct AttachmentInput {
    pub application_id: String,
    pub file_name: String,
    /// Checklist document it stands for (`ktp`, `kk`, ...), or empty.
    pub document_code: String,
    /// The file's bytes, base64.
    pub content_base64: String,
}

/// A duplicate-aid flag, for the clerk and the supervisor.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct AidFlagDto {
    pub other_office_code: String,
    /// "Kec. Cikeusik, Kabupaten Pandeglang".
    pub other_office_label: String,
    /// The pair's reference, to quote to the province (`DUP-…`).
    pub reference: String,
    pub reason: FlagReason,
}

/// An applicant field devices may edit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantField {
    ApplicantName,
    ApplicantAddress,
    ApplicantPhone,
    VillageCode,
}

/// One field edited at the same time on two devices: what the server holds and what the other
/// device sent.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct FieldConflictDto {
    pub field: ApplicantField,
    pub server: Option<String>,
    pub device: Option<String>,
}

/// What an open conflict is about, for the supervisor (the UI puts it in words).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(tag = "about", rename_all = "snake_case")]
pub enum ConflictDto {
    /// Applicant fields changed on two devices at once.
    Fields { fields: Vec<FieldConflictDto> },
    /// A workflow step from another device that found the application already moved on.
    Step { action: Option<Action>, server_status: Option<Status> },
}

/// Severity of a field issue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SeverityDto {
    Error,
    Warning,
}

/// One finding about one form field.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct FieldIssueDto {
    pub field: String,
    pub code: String,
    pub message: String,
    pub severity: SeverityDto,
}

/// Where the app keeps its data, for the "about" panel and support calls.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct AppInfoDto {
    pub version: String,
    pub data_dir: String,
    pub schema_version: u32,
    /// Server address to suggest when enrolling (from `LOKET_SERVER_URL`).
    pub default_server_url: Option<String>,
    /// Whether the province has certified this device's receipt key (its receipts then carry
    /// the certificate).
    pub receipt_key_certified: bool,
}

/// A file of a broken laptop's unsynced work: written by one laptop, read by its replacement.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct HandoverInput {
    /// Where the file is written (export) or read (import); outside the data directory.
    pub path: String,
    /// At least 10 characters; given to the person who imports the file, never with it.
    pub passphrase: String,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct HandoverExportDto {
    pub path: String,
    /// Operations not yet sent.
    pub operations: u32,
    /// Attachments the server does not have yet.
    pub attachments: u32,
}

/// What the server made of an imported file's work.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct HandoverImportDto {
    /// The broken laptop's device code.
    pub device_code: String,
    pub operations: u32,
    pub accepted: u32,
    /// Refused operations (shown on the applications they concern once pulled).
    pub refused: u32,
    pub conflicts: u32,
    /// Attachments the server now holds.
    pub attachments: u32,
}

/// Enrolling this device with the provincial server.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct EnrollInput {
    pub server_url: String,
    /// The one-time code from provincial IT, `XXXX-XXXX-XXXX`.
    pub code: String,
}

/// How the link with the provincial server is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    NotEnrolled,
    Online,
    Offline,
    Revoked,
    UpgradeRequired,
}

/// The state of the link with the provincial server.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ConnectionDto {
    pub status: ConnectionState,
    pub server_url: Option<String>,
}

/// What the background sync is doing, for the status bar.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct SyncStatusDto {
    pub state: SyncState,
    /// Operations not yet sent to the server.
    pub pending: i32,
    /// RFC 3339 time of the last complete sync.
    pub last_success: Option<String>,
    /// During a sync: operations sent and changes received so far.
    pub pushed: Option<i32>,
    pub pulled: Option<i32>,
    /// Refused operations, open conflicts and duplicate-aid flags.
    pub attention: i32,
    /// True when the device clock is more than five minutes off the server's.
    pub clock_warning: bool,
    pub clock_offset_seconds: Option<i32>,
}

/// Who is at the counter.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct SessionDto {
    /// True on a laptop without any user yet: the first local user must be created.
    pub first_user_required: bool,
    /// True when the office's users are known and nobody is logged in.
    pub login_required: bool,
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub roles: Vec<Role>,
    /// The session is locked: the same user's password opens it, or another user logs in.
    pub locked: bool,
    /// The session locks after this many seconds without activity.
    pub idle_lock_seconds: u32,
}

/// The laptop's first user, created before enrollment (linked to a server account then).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct FirstUserInput {
    pub username: String,
    pub full_name: String,
    pub password: String,
}

/// Unlock a locked session with the same user's password.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct UnlockInput {
    pub password: String,
}

/// Offline login with an office user's password (checked against the synced hash).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

/// A workflow step on an application.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct DecisionInput {
    pub application_id: String,
    /// `submit` takes a draft whose checklist is complete.
    pub action: Action,
    /// Required to reject or return.
    pub note: String,
    /// The password again, for an aid or grant decision on a session whose password was
    /// entered a while ago (`reauth_required`).
    #[serde(default)]
    pub password: Option<String>,
}

/// Whose values a supervisor keeps when settling conflicts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// What the server holds.
    Server,
    /// The other device's values.
    Device,
}

/// A supervisor settles the open conflicts of an application.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ResolveInput {
    pub application_id: String,
    pub keep: Keep,
}

/// The content of an attachment, for viewing.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct AttachmentContentDto {
    pub media_type: String,
    pub content_base64: String,
}

/// Where the app's own update stands, for the status bar and the update panel.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateStatusDto {
    /// Nothing is offered (`checked_at`: RFC 3339, when the server last said so).
    UpToDate {
        checked_at: Option<String>,
    },
    Checking,
    /// The bundle is downloading in the background (bytes).
    Downloading {
        version: String,
        notes: String,
        received: u32,
        total: Option<u32>,
    },
    /// Downloaded and its signature verified: installs when the user confirms.
    Ready {
        version: String,
        notes: String,
    },
    Installing {
        version: String,
    },
    /// Installed: the new version runs from the next start.
    Installed {
        version: String,
    },
    /// `attempt`: which check of this run of the app failed (1, 2, …).
    Failed {
        version: Option<String>,
        error: crate::ErrorDto,
        attempt: u32,
    },
}

impl Default for UpdateStatusDto {
    /// Nothing known to be offered yet.
    fn default() -> Self {
        Self::UpToDate { checked_at: None }
    }
}

pub use crate::receipt_pdf::ReceiptPaper;

/// A receipt as issued: what its QR code carries, drawn, and its PDF (an attachment).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ReceiptDto {
    /// The signed payload (`LKT2.…`) the QR code encodes.
    pub payload: String,
    pub qr: QrDto,
    pub paper: ReceiptPaper,
    /// The PDF's content hash (its bytes: `receipt_pdf`).
    pub pdf_sha256: String,
    /// RFC 3339.
    pub issued_at: String,
}

/// A QR code as one SVG path of unit squares in a `size` × `size` view box.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct QrDto {
    pub size: u32,
    pub path: String,
}

/// One step on several applications from the desk (`start_review`, or `approve` for permits).
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct BulkDecisionInput {
    pub application_ids: Vec<String>,
    pub action: Action,
}

/// What a bulk step did: the applications it moved, and the ones it did not, with why.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct BulkResultDto {
    pub done: Vec<String>,
    pub refused: Vec<BulkRefusalDto>,
}

/// Why one application of a bulk step was not moved.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BulkRefusalReason {
    NotFound,
    /// Aid and grants are decided one by one.
    AidOneByOne,
    /// Open conflicts or duplicate flags: looked at one by one.
    NeedsALook,
    /// The decision itself was refused (`code`).
    Refused,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct BulkRefusalDto {
    pub application_id: String,
    pub reason: BulkRefusalReason,
    pub code: crate::ErrorCode,
    /// In Bahasa Indonesia.
    pub message: String,
}

/// One entry of an application's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct TimelineEntryDto {
    /// RFC 3339 (the device clock of whoever took it, ordered by hybrid logical clock).
    pub at: String,
    pub actor: String,
    pub kind: TimelineKind,
    /// For a workflow step: which, and the status it led to.
    pub action: Option<Action>,
    pub status: Option<Status>,
    pub note: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Registered,
    Step,
    DocumentReceived,
    Attached,
    Edited,
    ConflictResolved,
}

/// A month's report: `YYYY-MM`.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq, Default)]
pub struct ReportInput {
    pub month: String,
}

/// The office's report for a month: applications registered in it.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq)]
pub struct ReportDto {
    pub month: String,
    /// `Desember 2026`.
    pub month_label: String,
    pub office_label: String,
    /// The day it was made, written out (`2 Desember 2026`).
    pub made_on: String,
    pub total: u32,
    pub services: Vec<ServiceRecapDto>,
    pub aid: Vec<AidRecapDto>,
}

/// One service (or aid programme) in the monthly recap.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq)]
pub struct ServiceRecapDto {
    pub service_code: String,
    pub service_name: String,
    pub kind: ApplicationKind,
    pub total: u32,
    pub by_status: Vec<StatusCountDto>,
    /// Rupiah.
    pub fees: f64,
    /// Decided permits, and of them decided within the service-time standard.
    pub decided_with_standard: u32,
    pub within_standard: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct StatusCountDto {
    pub status: Status,
    pub count: u32,
}

/// Aid of one programme from one desa.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq)]
pub struct AidRecapDto {
    pub programme_code: String,
    pub programme_name: String,
    pub village_code: String,
    pub village_name: String,
    pub total: u32,
    /// Approved or completed.
    pub approved: u32,
    /// Grants asked for (hibah), rupiah.
    pub amount: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Export the month's report.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ExportInput {
    /// `YYYY-MM`.
    pub month: String,
    pub format: ExportFormat,
}

/// Where the export was written.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ExportDto {
    pub path: String,
    /// Rows of the recap (one per service and status).
    pub rows: u32,
}

/// The window's language (labels from the UI's catalogue; Bahasa Indonesia by default).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Id,
    En,
}
