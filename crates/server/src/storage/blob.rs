//! Attachment uploads, shared by both backends: the checks on a chunk, the SQL (written once
//! with `$n` parameters; SQLite reads them as `?n`), and the hash check of the last chunk.

use loket_protocol::BlobStatus;

use super::StorageError;

/// Largest attachment a device may upload (the desktop's own limit).
pub const MAX_BLOB_BYTES: i64 = 10 * 1024 * 1024;

pub(crate) const SQL_STATUS: &str =
    "SELECT size, received, complete FROM blob WHERE office_code = $1 AND sha256 = $2";
pub(crate) const SQL_CREATE: &str =
    "INSERT INTO blob (office_code, sha256, size, received, complete, created_at) VALUES ($1, $2, $3, 0, 0, $4)";
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

/// A row of [`SQL_STATUS`].
pub(crate) fn status(size: i64, received: i64, complete: i64) -> BlobStatus {
    BlobStatus { size, received, complete: complete == 1 }
}

/// What to do with a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// The upload is already complete: answer this.
    Done(BlobStatus),
    /// Store it; `create` the blob row first; `received` bytes after it; `last` when that is
    /// all of them (then check the hash before marking it complete).
    Store { create: bool, received: i64, last: bool },
}

/// Check a chunk against the upload so far.
pub(crate) fn check(current: Option<BlobStatus>, chunk: &BlobChunk) -> Result<Chunk, StorageError> {
    let (size, offset, len) = (chunk.size, chunk.offset, chunk.bytes.len());
    if !(1..=MAX_BLOB_BYTES).contains(&size) {
        return Err(StorageError::BlobInvalid("size out of range"));
    }
    let received = current.map_or(0, |c| c.received);
    if let Some(c) = current {
        if c.size != size {
            return Err(StorageError::BlobInvalid("size differs from the started upload"));
        }
        if c.complete {
            return Ok(Chunk::Done(c));
        }
    }
    if offset != received {
        return Err(StorageError::BlobOffset { received });
    }
    if len == 0 || offset + len as i64 > size {
        return Err(StorageError::BlobInvalid("chunk outside the declared size"));
    }
    let received = offset + len as i64;
    Ok(Chunk::Store { create: current.is_none(), received, last: received == size })
}

/// Whether the assembled chunks hash to `sha256` (lower-case hex).
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
        BlobChunk { office_code: "36.01.01".into(), sha256: "ab".into(), size, offset, bytes: vec![0; len] }
    }

    #[test]
    fn chunks_continue_where_the_upload_is() {
        assert_eq!(
            check(None, &at(10, 0, 4)).unwrap(),
            Chunk::Store { create: true, received: 4, last: false }
        );
        let at4 = status(10, 4, 0);
        assert_eq!(
            check(Some(at4), &at(10, 4, 6)).unwrap(),
            Chunk::Store { create: false, received: 10, last: true }
        );
        assert!(matches!(check(Some(at4), &at(10, 0, 4)), Err(StorageError::BlobOffset { received: 4 })));
        assert!(matches!(check(Some(at4), &at(11, 4, 4)), Err(StorageError::BlobInvalid(_))));
        assert!(matches!(check(None, &at(10, 0, 11)), Err(StorageError::BlobInvalid(_))));
        assert!(matches!(check(None, &at(MAX_BLOB_BYTES + 1, 0, 1)), Err(StorageError::BlobInvalid(_))));
        let done = status(10, 10, 1);
        assert_eq!(check(Some(done), &at(10, 0, 4)).unwrap(), Chunk::Done(done));
    }
}
