//! The one error shape of the IPC boundary.

use serde::{Deserialize, Serialize};
use specta::Type;
use thiserror::Error;

use crate::dto::FieldIssueDto;

/// Why a use case failed. The UI switches on [`AppError::code`].
#[derive(Debug, Error)]
pub enum AppError {
    /// The form has errors, or warnings the clerk has not confirmed. Nothing was saved.
    #[error("Periksa kembali isian formulir.")]
    Validation { issues: Vec<FieldIssueDto>, needs_confirmation: bool },
    #[error("Kantor kecamatan belum dipilih.")]
    OfficeNotConfigured,
    #[error("Kecamatan {0} tidak ada dalam daftar wilayah Banten.")]
    UnknownKecamatan(String),
    #[error("Basis data dibuat oleh versi Loket yang lebih baru. Perbarui aplikasi.")]
    SchemaTooNew,
    #[error("Gagal mengakses basis data lokal: {0}")]
    Storage(String),
    #[error("Laporan tidak dapat disimpan: {0}")]
    Export(String),
    /// The record changed (here or from another laptop) since the form was filled.
    #[error("Data ini sudah berubah sejak formulir dibuka. Buka kembali datanya, lalu ulangi perubahan.")]
    Stale,
    /// The OS credential store (which keeps the data key) cannot be used; nothing is opened.
    #[error("Penyimpanan kunci sistem operasi tidak tersedia ({0}). Data lokal hanya dibuka dengan kuncinya. TI dapat menyalakan penyimpanan kunci (Secret Service/GNOME Keyring, Credential Manager, Keychain) atau memakai mode berkas kunci LOKET_KEY_FILE (lihat docs/SECURITY.md).")]
    KeyStoreUnavailable(String),
    #[error("Berkas kunci tidak dapat dipakai: {0}")]
    KeyFile(String),
    /// An encrypted store whose key is not where it should be: no new key is made.
    #[error("Kunci data lokal perangkat ini tidak ditemukan. Data yang ada tidak dapat dibuka tanpa kunci itu; hubungi TI provinsi dan jangan hapus folder data.")]
    StoreKeyMissing,
    #[error(
        "Kunci tidak cocok dengan data lokal perangkat ini, atau berkas data rusak. Hubungi TI provinsi."
    )]
    StoreKeyWrong,
    #[error("Alamat server tidak valid. Contoh: https://loket.bantenprov.go.id")]
    ServerUrl,
    /// Plain `http://` to another machine would send everything in clear.
    #[error(
        "Alamat server harus memakai https://. Alamat http:// hanya boleh untuk server di komputer ini."
    )]
    InsecureServerUrl,
    #[error("Sertifikat server provinsi tidak dipercaya. Hubungi TI provinsi: sertifikat mungkin kedaluwarsa, atau CA provinsi belum dipasang di perangkat ini.")]
    ServerCertificate,
    #[error("Berkas CA provinsi tidak dapat dipakai: {0}")]
    CaFile(String),
    #[error("Server provinsi tidak dapat dihubungi. Periksa jaringan, lalu coba lagi.")]
    ServerUnreachable,
    #[error("Kode pendaftaran tidak dikenal. Periksa kembali kode dari TI provinsi.")]
    EnrollmentCodeInvalid,
    #[error("Kode pendaftaran sudah dipakai atau kedaluwarsa. Minta kode baru ke TI provinsi.")]
    EnrollmentCodeSpent,
    #[error("Perangkat ini telah dicabut oleh TI provinsi. Hubungi admin untuk mendaftarkan ulang.")]
    DeviceRevoked,
    #[error("Perangkat ini telah dicabut oleh TI provinsi. Pekerjaan yang masih diterima server sudah dikirim, lalu data di laptop ini dihapus. Hubungi TI provinsi untuk mendaftarkan ulang.")]
    DeviceWiped,
    #[error("Perangkat ini belum terdaftar ke server provinsi. Serah terima pekerjaan lewat berkas hanya untuk perangkat yang terdaftar.")]
    HandoverNotEnrolled,
    #[error("Berkas serah terima tidak dapat dipakai: {0}")]
    HandoverFile(String),
    #[error("Kata sandi berkas serah terima salah, atau berkasnya rusak.")]
    HandoverPassphrase,
    #[error("Berkas serah terima ini dari kantor {0}, bukan kantor perangkat ini.")]
    HandoverOtherOffice(String),
    #[error("Versi Loket ini terlalu lama untuk server. Perbarui aplikasi.")]
    UpgradeRequired,
    #[error("Server menolak permintaan: {0}")]
    ServerRefused(String),
    #[error("Nama pengguna atau kata sandi salah.")]
    LoginFailed,
    #[error("Silakan masuk terlebih dahulu.")]
    LoginRequired,
    #[error("Sesi terkunci. Masukkan kata sandi untuk melanjutkan.")]
    SessionLocked,
    /// A laptop that is not enrolled yet works under a first local user, created once.
    #[error("Buat pengguna pertama perangkat ini terlebih dahulu.")]
    FirstUserRequired,
    #[error("Perangkat ini sudah mempunyai pengguna.")]
    UsersExist,
    #[error("Kata sandi paling sedikit 10 karakter.")]
    WeakPassword,
    /// Aid and grant decisions on a session opened a while ago ask for the password again.
    #[error("Masukkan kembali kata sandi Anda untuk memutuskan bantuan atau hibah.")]
    ReauthRequired,
    #[error("Kode pendaftaran ini tidak menyebut akun untuk pengguna perangkat ini. Minta TI provinsi membuat kode untuk akun Anda.")]
    LinkRequired,
    #[error("Kode pendaftaran ini untuk akun lain. Nama pengguna perangkat ini harus sama dengan akun server Anda; tanyakan ke TI provinsi.")]
    LinkMismatch,
    #[error("Kantor perangkat ini ditetapkan saat pendaftaran ke server provinsi dan tidak dapat diubah.")]
    OfficeEnrolled,
    #[error("{0}")]
    Workflow(String),
    #[error("Hanya kasi, sekcam, atau camat yang dapat melakukan ini.")]
    SupervisorOnly,
    #[error("Permohonan tidak ditemukan.")]
    NotFound,
    #[error("Berkas terlalu besar: paling besar 10 MB.")]
    AttachmentTooLarge,
    #[error("Berkas harus berupa PDF, JPEG, atau PNG.")]
    AttachmentType,
    #[error("Berkas belum diunggah oleh perangkat asalnya. Coba lagi nanti.")]
    AttachmentNotUploaded,
    /// Staff data is kept by supervisors and admins.
    #[error("Data pegawai hanya dapat diubah oleh kasi, sekcam, camat, atau admin.")]
    StaffManagersOnly,
    #[error("{0} sudah terdaftar.")]
    Duplicate(String),
    /// Pushing before an update did not get everything to the server: the work is kept and the
    /// new version sends it; the user may install anyway.
    #[error("{0} pekerjaan belum terkirim ke server. Pekerjaan itu tetap tersimpan di laptop ini dan dikirim oleh versi baru setelah terpasang.")]
    UpdateWorkNotSent(i64),
    /// The bundle's signature is not from the province's key, or it was altered.
    #[error("Pembaruan ditolak: tanda tangannya tidak sah untuk aplikasi ini (berkas diubah, atau bukan dari TI provinsi). Tidak ada yang dipasang; TI provinsi sudah diberi tahu.")]
    UpdateRejected(String),
    /// Updates come over `https://` only (release builds).
    #[error("Pembaruan hanya diterima lewat https://.")]
    UpdateInsecure,
    #[error("Pembaruan gagal: {0}")]
    UpdateFailed(String),
    /// A permit cannot be submitted before every required document was received.
    #[error("Berkas belum lengkap: {0}.")]
    DocumentsIncomplete(String),
}

/// The stable code of an error, which the UI switches on: an enum on both sides of the IPC
/// (generated into `bindings.ts`), so a code the window does not know is a type error there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NeedsConfirmation,
    Validation,
    OfficeNotConfigured,
    UnknownKecamatan,
    SchemaTooNew,
    Storage,
    ExportFailed,
    Stale,
    KeyStoreUnavailable,
    KeyFile,
    StoreKeyMissing,
    StoreKeyWrong,
    ServerUrl,
    InsecureServerUrl,
    ServerCertificate,
    CaFile,
    ServerUnreachable,
    EnrollmentCodeInvalid,
    EnrollmentCodeSpent,
    DeviceRevoked,
    DeviceWiped,
    HandoverNotEnrolled,
    HandoverFile,
    HandoverPassphrase,
    HandoverOtherOffice,
    UpgradeRequired,
    ServerRefused,
    LoginFailed,
    LoginRequired,
    SessionLocked,
    FirstUserRequired,
    UsersExist,
    WeakPassword,
    ReauthRequired,
    LinkRequired,
    LinkMismatch,
    OfficeEnrolled,
    Workflow,
    SupervisorOnly,
    NotFound,
    AttachmentTooLarge,
    AttachmentType,
    AttachmentNotUploaded,
    DocumentsIncomplete,
    StaffManagersOnly,
    Duplicate,
    UpdateWorkNotSent,
    UpdateRejected,
    UpdateInsecure,
    UpdateFailed,
    /// The shell itself failed (a task did not finish); not an [`AppError`].
    Internal,
}

impl ErrorCode {
    /// The code's name on the wire (serde's, written once by `rename_all`): `login_failed`.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{self:?}"),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl AppError {
    /// Stable code for the UI.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::Validation { needs_confirmation: true, .. } => C::NeedsConfirmation,
            Self::Validation { .. } => C::Validation,
            Self::OfficeNotConfigured => C::OfficeNotConfigured,
            Self::UnknownKecamatan(_) => C::UnknownKecamatan,
            Self::SchemaTooNew => C::SchemaTooNew,
            Self::Storage(_) => C::Storage,
            Self::Export(_) => C::ExportFailed,
            Self::Stale => C::Stale,
            Self::KeyStoreUnavailable(_) => C::KeyStoreUnavailable,
            Self::KeyFile(_) => C::KeyFile,
            Self::StoreKeyMissing => C::StoreKeyMissing,
            Self::StoreKeyWrong => C::StoreKeyWrong,
            Self::ServerUrl => C::ServerUrl,
            Self::InsecureServerUrl => C::InsecureServerUrl,
            Self::ServerCertificate => C::ServerCertificate,
            Self::CaFile(_) => C::CaFile,
            Self::ServerUnreachable => C::ServerUnreachable,
            Self::EnrollmentCodeInvalid => C::EnrollmentCodeInvalid,
            Self::EnrollmentCodeSpent => C::EnrollmentCodeSpent,
            Self::DeviceRevoked => C::DeviceRevoked,
            Self::DeviceWiped => C::DeviceWiped,
            Self::HandoverNotEnrolled => C::HandoverNotEnrolled,
            Self::HandoverFile(_) => C::HandoverFile,
            Self::HandoverPassphrase => C::HandoverPassphrase,
            Self::HandoverOtherOffice(_) => C::HandoverOtherOffice,
            Self::UpgradeRequired => C::UpgradeRequired,
            Self::ServerRefused(_) => C::ServerRefused,
            Self::LoginFailed => C::LoginFailed,
            Self::LoginRequired => C::LoginRequired,
            Self::SessionLocked => C::SessionLocked,
            Self::FirstUserRequired => C::FirstUserRequired,
            Self::UsersExist => C::UsersExist,
            Self::WeakPassword => C::WeakPassword,
            Self::ReauthRequired => C::ReauthRequired,
            Self::LinkRequired => C::LinkRequired,
            Self::LinkMismatch => C::LinkMismatch,
            Self::OfficeEnrolled => C::OfficeEnrolled,
            Self::Workflow(_) => C::Workflow,
            Self::SupervisorOnly => C::SupervisorOnly,
            Self::NotFound => C::NotFound,
            Self::AttachmentTooLarge => C::AttachmentTooLarge,
            Self::AttachmentType => C::AttachmentType,
            Self::AttachmentNotUploaded => C::AttachmentNotUploaded,
            Self::DocumentsIncomplete(_) => C::DocumentsIncomplete,
            Self::StaffManagersOnly => C::StaffManagersOnly,
            Self::Duplicate(_) => C::Duplicate,
            Self::UpdateWorkNotSent(_) => C::UpdateWorkNotSent,
            Self::UpdateRejected(_) => C::UpdateRejected,
            Self::UpdateInsecure => C::UpdateInsecure,
            Self::UpdateFailed(_) => C::UpdateFailed,
        }
    }
}

impl From<loket_store::StoreError> for AppError {
    fn from(e: loket_store::StoreError) -> Self {
        use loket_store::StoreError as S;
        match e {
            S::OfficeNotConfigured => Self::OfficeNotConfigured,
            S::SchemaTooNew { .. } => Self::SchemaTooNew,
            S::Workflow(e) => Self::Workflow(e.to_string()),
            S::SupervisorOnly(_) => Self::SupervisorOnly,
            S::NotFound { .. } => Self::NotFound,
            S::AttachmentTooLarge { .. } => Self::AttachmentTooLarge,
            S::AttachmentType => Self::AttachmentType,
            S::DocumentsIncomplete { missing } => Self::DocumentsIncomplete(missing.join(", ")),
            S::Duplicate(what) => Self::Duplicate(what.to_string()),
            S::UsersExist => Self::UsersExist,
            S::VersionConflict { .. } => Self::Stale,
            S::WrongKey { path } => {
                tracing::error!(path = %path.display(), "the key does not open the local store");
                Self::StoreKeyWrong
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Self::Storage(other.to_string())
            }
        }
    }
}

impl From<loket_sync::SyncError> for AppError {
    fn from(e: loket_sync::SyncError) -> Self {
        use loket_sync::SyncError as S;
        match e {
            S::BadUrl(_) => Self::ServerUrl,
            S::InsecureUrl(_) => Self::InsecureServerUrl,
            S::Certificate(reason) => {
                tracing::warn!(%reason, "server certificate refused");
                Self::ServerCertificate
            }
            S::CaFile { path, message } => Self::CaFile(format!("{path}: {message}")),
            S::Unreachable(_) => Self::ServerUnreachable,
            S::Revoked | S::HandedOver | S::Unauthenticated => Self::DeviceRevoked,
            S::Wipe(m) => Self::Storage(m),
            S::UpgradeRequired { .. } => Self::UpgradeRequired,
            S::Refused { code, .. } if code == "enrollment_code_invalid" => Self::EnrollmentCodeInvalid,
            S::Refused { code, .. } if code.starts_with("enrollment_code_") => Self::EnrollmentCodeSpent,
            S::Refused { code, .. } if code == "link_required" => Self::LinkRequired,
            S::Refused { code, .. } if code == "link_mismatch" => Self::LinkMismatch,
            S::Refused { code, message, .. } => Self::ServerRefused(format!("{code}: {message}")),
            S::Protocol(m) => Self::ServerRefused(m),
            S::ServerRestored { .. } => {
                Self::ServerRefused("server dipulihkan dari cadangan; sinkronisasi diulang".into())
            }
            S::Store(e) => e.into(),
        }
    }
}

/// What an [`AppError`] looks like on the wire: `{code, message, issues}`.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
pub struct ErrorDto {
    pub code: ErrorCode,
    pub message: String,
    pub issues: Vec<FieldIssueDto>,
}

impl From<AppError> for ErrorDto {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        let code = e.code();
        let issues = match e {
            AppError::Validation { issues, .. } => issues,
            _ => Vec::new(),
        };
        Self { code, message, issues }
    }
}
