//! The receipt issued for each application: its signed QR payload, and its PDF kept sealed
//! beside the attachments (by content hash) on this laptop only — not an attachment that
//! every registration would upload: the payload is what a check needs, and another laptop of
//! the office issues its own receipt when asked for one. Opening a receipt again shows the one
//! the citizen holds instead of signing a new one.

use rusqlite::{params, OptionalExtension};

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    pub application_id: String,
    pub number: Option<String>,
    pub paper: String,
    pub payload: String,
    /// The PDF's content hash (its sealed file is among the attachments' files).
    pub sha256: String,
    pub issued_at: String,
}

impl Store {
    /// The receipt last issued for `application_id`.
    pub fn receipt(&self, application_id: &str) -> Result<Option<ReceiptRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT application_id, number, paper, payload, sha256, issued_at FROM receipt
                 WHERE application_id = ?1",
            )?
            .query_row([application_id], |r| {
                Ok(ReceiptRow {
                    application_id: r.get(0)?,
                    number: r.get(1)?,
                    paper: r.get(2)?,
                    payload: r.get(3)?,
                    sha256: r.get(4)?,
                    issued_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    /// Keep the receipt issued for an application and its PDF (replacing an earlier one); the
    /// row's `sha256` is set here, the PDF's.
    pub fn save_receipt(&mut self, mut r: ReceiptRow, pdf: &[u8]) -> Result<ReceiptRow, StoreError> {
        use sha2::Digest as _;
        let sha = crate::attachment::hex(&sha2::Sha256::digest(pdf));
        r.sha256 = sha.clone();
        self.application(&r.application_id)?;
        self.write_blob(&sha, pdf)?;
        self.conn
            .prepare_cached(
                "INSERT INTO receipt (application_id, number, paper, payload, sha256, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (application_id) DO UPDATE SET number = excluded.number,
                     paper = excluded.paper, payload = excluded.payload, sha256 = excluded.sha256,
                     issued_at = excluded.issued_at",
            )?
            .execute(params![r.application_id, r.number, r.paper, r.payload, r.sha256, r.issued_at])?;
        Ok(r)
    }

    /// The PDF of the receipt issued for `application_id`.
    pub fn receipt_pdf(&self, application_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.receipt(application_id)? {
            Some(r) => Ok(Some(self.attachment_bytes(&r.sha256)?)),
            None => Ok(None),
        }
    }
}
