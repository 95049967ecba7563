//! Carrying a broken laptop's unsynced work to its replacement.
//!
//! A laptop that broke before it could sync (the disk still reads, the network card or the
//! screen does not) exports what it has not sent — its pending operations, as signed, and the
//! attachments the server does not have — to a file sealed under a passphrase
//! (`loket_keys::seal_with_passphrase`: argon2id, ChaCha20-Poly1305). The replacement laptop of
//! the same office imports it: the operations go to the server as the old device's, with the
//! old device's credential carried in the file (a revoked device may still hand its work over),
//! so their ids, sequence numbers and signatures are the ones the users made. Importing twice,
//! or the old laptop syncing after all, duplicates nothing: the server answers a re-sent
//! operation with its first verdict. The replacement then pulls the work like any other.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;
use loket_protocol::{OpStatus, Operation, RawPayload};
use loket_store::Access;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::dto::{HandoverExportDto, HandoverImportDto, HandoverInput};
use crate::{AppError, Loket};

/// The version of the file's content.
const FORMAT: u32 = 1;

/// What the file holds, once opened.
#[derive(Serialize, Deserialize)]
struct HandoverFile {
    format: u32,
    office_code: String,
    device_code: String,
    /// The old device's credential: its work is pushed as that device's.
    token: String,
    exported_at: String,
    exported_by: String,
    operations: Vec<Operation<RawPayload>>,
    attachments: Vec<HandoverAttachment>,
}

#[derive(Serialize, Deserialize)]
struct HandoverAttachment {
    sha256: String,
    content_base64: String,
}

fn check_passphrase(passphrase: &str) -> Result<(), AppError> {
    if passphrase.chars().count() < 10 {
        return Err(AppError::WeakPassword);
    }
    Ok(())
}

/// Write `bytes` to `path` durably: a temporary file beside it, fsynced, renamed into place.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

impl Loket {
    /// Export this laptop's unsynced work to a file sealed under `passphrase` (see the module
    /// documentation). The export is recorded as an access to personal data.
    pub fn export_unsynced(&self, input: HandoverInput) -> Result<HandoverExportDto, AppError> {
        let actor = self.acting()?;
        check_passphrase(&input.passphrase)?;
        let path = PathBuf::from(input.path.trim());
        if path.as_os_str().is_empty() || path.starts_with(&self.data_dir) {
            return Err(AppError::HandoverFile("pilih lokasi berkas di luar folder data Loket".into()));
        }
        let file = {
            let mut store = self.store();
            let enrollment = store.enrollment()?.ok_or(AppError::HandoverNotEnrolled)?;
            let operations: Vec<_> = store
                .pending_ops_after(0, u32::MAX)?
                .iter()
                .filter_map(|op| loket_sync::engine::wire_op(op).ok())
                .collect();
            let mut attachments = Vec::new();
            for (sha256, _) in store.uploads_pending()? {
                let content_base64 = B64.encode(store.attachment_bytes(&sha256)?);
                attachments.push(HandoverAttachment { sha256, content_base64 });
            }
            store.record_access(Access::Export, &actor, Utc::now())?;
            HandoverFile {
                format: FORMAT,
                office_code: enrollment.office_code,
                device_code: store.device_code()?,
                token: enrollment.token,
                exported_at: Utc::now().to_rfc3339(),
                exported_by: actor.username.clone(),
                operations,
                attachments,
            }
        };
        let plain =
            Zeroizing::new(serde_json::to_vec(&file).map_err(|e| AppError::HandoverFile(e.to_string()))?);
        let sealed = loket_keys::seal_with_passphrase(&plain, &input.passphrase);
        write_durably(&path, &sealed)
            .map_err(|e| AppError::HandoverFile(format!("{}: {e}", path.display())))?;
        tracing::info!(
            operations = file.operations.len(),
            attachments = file.attachments.len(),
            "unsynced work exported"
        );
        Ok(HandoverExportDto {
            path: path.display().to_string(),
            operations: file.operations.len() as u32,
            attachments: file.attachments.len() as u32,
        })
    }

    /// Import a broken laptop's export and hand its work to the server, as that laptop's.
    /// Needs this laptop enrolled with the same office and the server reachable; nothing is
    /// lost when it is not (the file stays and may be imported again).
    pub async fn import_unsynced(&self, input: HandoverInput) -> Result<HandoverImportDto, AppError> {
        self.acting()?;
        let sealed = std::fs::read(input.path.trim()).map_err(|e| AppError::HandoverFile(e.to_string()))?;
        let plain = loket_keys::open_with_passphrase(&sealed, &input.passphrase).map_err(|e| match e {
            loket_keys::KeyError::WrongPassword => AppError::HandoverPassphrase,
            other => AppError::HandoverFile(other.to_string()),
        })?;
        let file: HandoverFile =
            serde_json::from_slice(&plain).map_err(|e| AppError::HandoverFile(e.to_string()))?;
        if file.format != FORMAT {
            return Err(AppError::HandoverFile(format!("format {} tidak dikenal", file.format)));
        }
        let enrollment = self.store().enrollment()?.ok_or(AppError::HandoverNotEnrolled)?;
        if enrollment.office_code != file.office_code {
            return Err(AppError::HandoverOtherOffice(file.office_code));
        }
        let client = loket_sync::Client::new(&enrollment.server_url)?;
        let cred =
            loket_sync::Credential { token: file.token.clone(), office_code: file.office_code.clone() };
        let mut report = HandoverImportDto {
            device_code: file.device_code.clone(),
            operations: file.operations.len() as u32,
            accepted: 0,
            refused: 0,
            conflicts: 0,
            attachments: 0,
        };
        for batch in file.operations.chunks(loket_sync::engine::PUSH_BATCH as usize) {
            let answer = client.push(&cred, batch.to_vec(), 0, crate::app_version()).await?;
            for r in answer.results {
                match r.status {
                    OpStatus::Accepted => report.accepted += 1,
                    OpStatus::Conflict => report.conflicts += 1,
                    _ => report.refused += 1,
                }
            }
        }
        let engine = loket_sync::engine::Engine::new(client, cred, crate::app_version());
        for a in &file.attachments {
            let bytes = B64.decode(&a.content_base64).map_err(|e| AppError::HandoverFile(e.to_string()))?;
            if engine.upload(&a.sha256, &bytes).await? == loket_sync::engine::Upload::Complete {
                report.attachments += 1;
            }
        }
        tracing::info!(from = %file.device_code, accepted = report.accepted, "unsynced work imported");
        self.sync_now();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{bansos, configured};
    use crate::HandoverInput;

    #[test]
    fn an_export_needs_an_enrolled_laptop_a_long_passphrase_and_a_place_outside_the_data() {
        let (dir, loket) = configured();
        loket.register_bansos(bansos("3601011205900001")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        let input = |path: std::path::PathBuf, passphrase: &str| HandoverInput {
            path: path.display().to_string(),
            passphrase: passphrase.into(),
        };
        let file = outside.path().join("serah-terima.loket");
        let code = |r: Result<crate::HandoverExportDto, crate::AppError>| r.unwrap_err().code();
        assert_eq!(code(loket.export_unsynced(input(file.clone(), "pendek"))), "weak_password");
        let inside = dir.path().join("serah-terima.loket");
        assert_eq!(code(loket.export_unsynced(input(inside, "sandi-serah-terima"))), "handover_file");
        assert_eq!(
            code(loket.export_unsynced(input(file.clone(), "sandi-serah-terima"))),
            "handover_not_enrolled"
        );
        assert!(!file.exists(), "nothing written");
    }
}
