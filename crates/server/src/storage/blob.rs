//! Attachment uploads, shared by both backends: the checks on a chunk, the SQL (written once
//! with `$n` parameters; SQLite reads them as `?n`), and the hash check of the last chunk.

use loket_protocol::BlobStatus;

use super::StorageError;

/// Largest attachment a device may upload (the desktop's own limit).
pub const MAX_BLOB_BYTES: i64 = 10 * 1024 * 1024;

pub(crate) const SQL_STATUS: &str =
    "SELECT size, received, complete, media_type FROM blob WHERE office_code = $1 AND sha256 = $2";
/// An accepted attach operation announces its content (the first announcement stays).
pub(crate) const SQL_EXPECT: &str =
    "INSERT INTO blob (office_code, sha256, size, received, complete, created_at, media_type)
     VALUES ($1, $2, $3, 0, 0, $4, $5) ON CONFLICT (office_code, sha256) DO NOTHING";
pub(crate) const SQL_CHUNK: &str =
    "INSERT INTO blob_chunk (office_code, sha256, offset_bytes, data) VALUES ($1, $2, $3, $4)";
pub(crate) const SQL_CHUNKS: &str =
    "SELECT data FROM blob_chunk WHERE office_code = $1 AND sha256 = $2 ORDER BY offset_bytes";
pub(crate) const SQL_DROP_CHUNKS: &str = "DELETE FROM blob_chunk WHERE office_code = $1 AND sha256 = $2";
pub(crate) const SQL_SET: &str =
    "UPDATE blob SET received = $3, complete = $4 WHERE office_code = $1 AND sha256 = $2";

/// A chunk of an office's attachment upload: `bytes` at `offset` of an attachment of `size`
/// bytes named by the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobChunk {
    pub office_code: String,
    pub sha256: String,
    pub size: i64,
    pub offset: i64,
    pub bytes: Vec<u8>,
}

/// An upload as stored: where it is, and the media type its attach operation declared (none
/// for uploads started before the server checked types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    pub status: BlobStatus,
    pub media_type: Option<String>,
}

/// A row of [`SQL_STATUS`].
pub(crate) fn upload(size: i64, received: i64, complete: i64, media_type: Option<String>) -> Upload {
    Upload { status: BlobStatus { size, received, complete: complete == 1 }, media_type }
}

/// What to do with a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// The upload is already complete: answer this.
    Done(BlobStatus),
    /// Store it; `received` bytes after it; `last` when that is all of them (then check the
    /// hash before marking it complete).
    Store { received: i64, last: bool },
}

/// Check a chunk against the upload announced by its attach operation.
pub(crate) fn check(current: Option<Upload>, chunk: &BlobChunk) -> Result<Chunk, StorageError> {
    let (size, offset, len) = (chunk.size, chunk.offset, chunk.bytes.len());
    if !(1..=MAX_BLOB_BYTES).contains(&size) {
        return Err(StorageError::BlobInvalid("size out of range"));
    }
    let Some(Upload { status: c, media_type }) = current else {
        return Err(StorageError::BlobNotExpected);
    };
    if c.size != size {
        return Err(StorageError::BlobInvalid("size differs from the announced attachment"));
    }
    if c.complete {
        return Ok(Chunk::Done(c));
    }
    if offset != c.received {
        return Err(StorageError::BlobOffset { received: c.received });
    }
    if len == 0 || offset + len as i64 > size {
        return Err(StorageError::BlobInvalid("chunk outside the declared size"));
    }
    if let Some(declared) = media_type.filter(|_| offset == 0) {
        if loket_domain::attachment::sniff_media_type(&chunk.bytes) != Some(declared.as_str()) {
            return Err(StorageError::BlobType(declared));
        }
    }
    let received = offset + len as i64;
    Ok(Chunk::Store { received, last: received == size })
}

/// Whether the assembled chunks hash to `sha256` (lower-case hex).
/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn matches(sha256: &str, chunks: &[Vec<u8>]) -> bool {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for c in chunks {
        h.update(c);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>() == sha256
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(size: i64, offset: i64, len: usize) -> BlobChunk {
        let mut bytes = b"%PDF-".to_vec();
        bytes.resize(len, 0);
        BlobChunk { office_code: "36.01.01".into(), sha256: "ab".into(), size, offset, bytes }
    }

    fn pdf(size: i64, received: i64, complete: i64) -> Option<Upload> {
        Some(upload(size, received, complete, Some("application/pdf".into())))
    }

    #[test]
    fn chunks_continue_where_the_upload_is() {
        assert_eq!(check(pdf(10, 0, 0), &at(10, 0, 6)).unwrap(), Chunk::Store { received: 6, last: false });
        assert_eq!(check(pdf(10, 4, 0), &at(10, 4, 6)).unwrap(), Chunk::Store { received: 10, last: true });
        assert!(matches!(check(pdf(10, 4, 0), &at(10, 0, 6)), Err(StorageError::BlobOffset { received: 4 })));
        assert!(matches!(check(pdf(10, 4, 0), &at(11, 4, 6)), Err(StorageError::BlobInvalid(_))));
        assert!(matches!(check(pdf(10, 0, 0), &at(10, 0, 11)), Err(StorageError::BlobInvalid(_))));
        assert!(matches!(
            check(pdf(10, 0, 0), &at(MAX_BLOB_BYTES + 1, 0, 6)),
            Err(StorageError::BlobInvalid(_))
        ));
        let done = pdf(10, 10, 1);
        assert_eq!(check(done.clone(), &at(10, 0, 6)).unwrap(), Chunk::Done(done.unwrap().status));
    }

    #[test]
    fn only_announced_contents_of_the_declared_type_are_taken() {
        assert!(matches!(check(None, &at(10, 0, 6)), Err(StorageError::BlobNotExpected)));
        let exe = BlobChunk { bytes: b"MZ\x90\x00 program".to_vec(), ..at(20, 0, 0) };
        assert!(
            matches!(check(pdf(20, 0, 0), &exe), Err(StorageError::BlobType(t)) if t == "application/pdf")
        );
        // Type is decided by the first bytes only; later chunks are whatever the file holds.
        let later = BlobChunk { bytes: vec![0; 6], ..at(20, 6, 0) };
        assert!(check(pdf(20, 6, 0), &later).is_ok());
        // Uploads started before types were checked go on.
        assert!(check(Some(upload(20, 0, 0, None)), &exe).is_ok());
    }
}
