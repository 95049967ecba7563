//! Attachments (scanned documents), stored content-addressed and sealed.
//!
//! A file is kept once under `attachments/<first two hex digits>/<sha256>`, whatever its name
//! and however many applications refer to it. The name is the SHA-256 of the *plaintext* (so
//! dedup and sync are unchanged); the content on disk is sealed with ChaCha20-Poly1305 under a
//! key derived from the store key, bound to that name (`loket_keys::FileCipher`). Its type is
//! decided by its content (magic bytes), never by its file name. The file is written and fsynced
//! before the database transaction that refers to it commits, so metadata never points at a
//! missing file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use loket_protocol::{AttachPayload, OpBody};
use rusqlite::params;
use sha2::{Digest, Sha256};

use crate::writer::{Actor, Change};
use crate::{Store, StoreError};

/// Set once every attachment file of the data directory is sealed.
const SEALED_SETTING: &str = "attachments.sealed";

pub use loket_domain::attachment::{sniff_media_type, MAX_ATTACHMENT_BYTES};

/// An attachment linked to an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub file_name: String,
    pub document_code: String,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::AttachmentIo { path: path.to_path_buf(), source }
}

/// Write `bytes` to `path` durably: temp file, fsync, rename, fsync directory.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("attachment");
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(io_err(&dir))?;
    Ok(())
}

/// The directories or files inside `dir` (none when it does not exist).
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err(dir)(e)),
        Ok(entries) => entries.map(|e| e.map(|e| e.path()).map_err(io_err(dir))).collect(),
    }
}

impl Store {
    pub(crate) fn attachment_path(&self, sha256: &str) -> PathBuf {
        self.attachments.join(&sha256[..2]).join(sha256)
    }

    /// Seal and write the content durably (temp file, fsync, rename, fsync directory) unless
    /// present.
    pub(crate) fn write_blob(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.attachment_path(sha256);
        if path.exists() {
            return Ok(());
        }
        write_file(&path, &self.cipher.seal(sha256.as_bytes(), bytes))
    }

    /// Seal every attachment file written in clear by a Loket before encryption, once.
    /// Idempotent: a crash half-way leaves each file either plain or sealed, and the next start
    /// goes on.
    pub(crate) fn seal_plain_attachments(&mut self) -> Result<(), StoreError> {
        if self.setting(SEALED_SETTING)?.is_some() {
            return Ok(());
        }
        let mut sealed = 0usize;
        for shard in read_dir(&self.attachments)? {
            for file in read_dir(&shard)? {
                let Some(name) = file.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                    continue;
                };
                if !loket_domain::attachment::is_sha256_hex(&name) {
                    continue;
                }
                let bytes = std::fs::read(&file).map_err(io_err(&file))?;
                if loket_keys::FileCipher::is_sealed(&bytes) {
                    continue;
                }
                if hex(&Sha256::digest(&bytes)) != name {
                    return Err(StoreError::Corrupt(format!("attachment {name} does not match its hash")));
                }
                write_file(&file, &self.cipher.seal(name.as_bytes(), &bytes))?;
                sealed += 1;
            }
        }
        if sealed > 0 {
            tracing::info!(files = sealed, "sealed attachment files written before encryption");
        }
        self.set_setting(SEALED_SETTING, "1")
    }

    /// Attach a file to an application.
    pub fn add_attachment(
        &mut self,
        application_id: &str,
        bytes: &[u8],
        file_name: &str,
        document_code: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AttachmentRow, StoreError> {
        let size = bytes.len() as u64;
        if size > MAX_ATTACHMENT_BYTES {
            return Err(StoreError::AttachmentTooLarge { size, limit: MAX_ATTACHMENT_BYTES });
        }
        let media_type = sniff_media_type(bytes).ok_or(StoreError::AttachmentType)?;
        let sha256 = hex(&Sha256::digest(bytes));
        self.application(application_id)?;
        self.write_blob(&sha256, bytes)?;
        let file_name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
        self.write(actor, now, |w| {
            let hlc = w.tick().to_string();
            w.tx.prepare_cached("INSERT INTO attachment (sha256, size, media_type, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sha256) DO UPDATE SET present = 1")?.execute(params![sha256, size as i64, media_type, now.to_rfc3339()])?;
            w.tx.prepare_cached("INSERT INTO application_attachment (application_id, sha256, document_code, file_name, added_hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (application_id, sha256) DO UPDATE SET document_code = excluded.document_code,
                     file_name = excluded.file_name")?.execute(params![application_id, sha256, document_code, file_name, hlc])?;
            let record = AttachPayload {
                application_id: application_id.to_string(),
                sha256: sha256.clone(),
                size: size as i64,
                media_type: media_type.to_string(),
                file_name: file_name.clone(),
                document_code: document_code.to_string(),
            };
            w.record(Change {
                entity_id: application_id,
                action: "attach",
                audit: serde_json::to_value(&record).unwrap_or_default(),
                body: OpBody::Attach(record),
                base_version: None,
            })?;
            Ok(())
        })?;
        Ok(AttachmentRow {
            sha256,
            size: size as i64,
            media_type: media_type.to_string(),
            file_name,
            document_code: document_code.to_string(),
        })
    }

    pub fn attachments(&self, application_id: &str) -> Result<Vec<AttachmentRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.sha256, a.size, a.media_type, l.file_name, l.document_code
             FROM application_attachment l JOIN attachment a ON a.sha256 = l.sha256
             WHERE l.application_id = ?1 ORDER BY l.added_hlc",
        )?;
        let rows = stmt.query_map([application_id], |r| {
            Ok(AttachmentRow {
                sha256: r.get(0)?,
                size: r.get(1)?,
                media_type: r.get(2)?,
                file_name: r.get(3)?,
                document_code: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Attachments whose content is on this device but not yet complete on the server, oldest
    /// first: `(sha256, size)`.
    pub fn uploads_pending(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, size FROM attachment WHERE uploaded = 0 AND present = 1 ORDER BY created_at, sha256",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The server holds the complete content.
    pub fn mark_uploaded(&mut self, sha256: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE attachment SET uploaded = 1 WHERE sha256 = ?1")?
            .execute([sha256])?;
        Ok(())
    }

    /// Whether the content of an attachment is on this device.
    pub fn attachment_present(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce((SELECT present FROM attachment WHERE sha256 = ?1), 0)")?
            .query_row([sha256], |r| r.get(0))?)
    }

    /// Keep content fetched from the server, after checking it against its name.
    pub fn store_fetched_attachment(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        if hex(&Sha256::digest(bytes)) != sha256 {
            return Err(StoreError::Corrupt(format!("fetched attachment {sha256} does not match its hash")));
        }
        self.write_blob(sha256, bytes)?;
        self.conn
            .prepare_cached("UPDATE attachment SET present = 1, uploaded = 1 WHERE sha256 = ?1")?
            .execute([sha256])?;
        Ok(())
    }

    /// The content of an attachment, verified against its hash.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound { entity: "attachment", id: sha256.to_string() });
        }
        let path = self.attachment_path(sha256);
        let sealed = std::fs::read(&path).map_err(io_err(&path))?;
        let bytes = self.cipher.open(sha256.as_bytes(), &sealed).map_err(|_| {
            StoreError::Corrupt(format!("attachment {sha256} does not open with this installation's key"))
        })?;
        if hex(&Sha256::digest(&bytes)) != sha256 {
            return Err(StoreError::Corrupt(format!("attachment {sha256} does not match its hash")));
        }
        Ok(bytes)
    }
}
