//! Scanned documents on an application: attached here, uploaded by the background sync,
//! fetched from the provincial server when another device of the office attached them.

use chrono::Utc;
use loket_store::Access;

use crate::dto::{ApplicationDto, AttachmentContentDto, AttachmentInput};
use crate::{AppError, Loket};

impl Loket {
    /// Attach a scanned document to an application (kept content-addressed on this device and
    /// uploaded by the background sync after the record).
    pub fn add_attachment(&self, input: AttachmentInput) -> Result<ApplicationDto, AppError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.content_base64.trim())
            .map_err(|_| AppError::AttachmentType)?;
        self.change(|store, actor| {
            store.add_attachment(
                &input.application_id,
                &bytes,
                &input.file_name,
                &input.document_code,
                actor,
                Utc::now(),
            )?;
            Ok(store.application(&input.application_id)?)
        })
    }

    /// The content of an attachment; one registered on another device of the office is fetched
    /// from the provincial server the first time it is opened.
    pub async fn attachment_content(&self, sha256: &str) -> Result<AttachmentContentDto, AppError> {
        use base64::Engine as _;
        let actor = self.acting()?;
        let application_id = self.store().attachment_application(sha256)?.ok_or(AppError::NotFound)?;
        let present = self.store().attachment_present(sha256)?;
        if !present {
            let enrollment = self.store().enrollment()?.ok_or(AppError::AttachmentNotUploaded)?;
            let engine = loket_sync::engine::Engine::new(
                loket_sync::Client::new(&enrollment.server_url)?,
                loket_sync::Credential { token: enrollment.token, office_code: enrollment.office_code },
                crate::app_version(),
            );
            if !engine.fetch_attachment(&self.store, sha256).await? {
                return Err(AppError::AttachmentNotUploaded);
            }
        }
        let bytes = {
            let mut store = self.store();
            let bytes = store.attachment_bytes(sha256)?;
            let opened = Access::OpenAttachment { application_id: &application_id, sha256 };
            store.record_access(opened, &actor, Utc::now())?;
            bytes
        };
        self.sync_now();
        Ok(AttachmentContentDto {
            media_type: loket_store::sniff_media_type(&bytes)
                .unwrap_or("application/octet-stream")
                .to_string(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bansos, configured};

    #[test]
    fn attachments_are_checked_by_content_and_listed() {
        use base64::Engine as _;
        let (_dir, loket) = configured();
        let saved = loket.register_bansos(bansos("3601011205900001")).unwrap();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let attach = |content: String, name: &str| {
            loket.add_attachment(AttachmentInput {
                application_id: saved.id.clone(),
                file_name: name.into(),
                document_code: "ktp".into(),
                content_base64: content,
            })
        };
        // A renamed text file is not a PDF.
        assert_eq!(attach(b64(b"hello"), "ktp.pdf").unwrap_err().code(), "attachment_type");
        assert_eq!(
            attach(b64(&vec![b'%'; 11 * 1024 * 1024]), "big.pdf").unwrap_err().code(),
            "attachment_too_large"
        );
        let dto = attach(b64(b"%PDF-1.7 scan"), "ktp.pdf").unwrap();
        assert_eq!(dto.attachments.len(), 1);
        assert_eq!(
            (dto.attachments[0].file_name.as_str(), dto.attachments[0].media_type.as_str()),
            ("ktp.pdf", "application/pdf")
        );
        assert_eq!(loket.list_applications().unwrap()[0].attachments, dto.attachments);
    }
}
