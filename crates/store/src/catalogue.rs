//! The catalogue versions the province published for this office (docs/CATALOGUE.md): kept in
//! the store, and made known to the process (`loket_domain::catalogue`) when pulled and each
//! time the store opens, so that new applications use the version in effect and earlier ones
//! read under their own.

use loket_protocol::CataloguePayload;
use rusqlite::{params, Transaction};

use crate::{Store, StoreError};

/// Keep a pulled catalogue version (a version is never changed: a second copy is ignored) and
/// make it known. A file that does not check is skipped (logged), never blocks the page.
pub(crate) fn keep(tx: &Transaction<'_>, p: &CataloguePayload) -> Result<bool, StoreError> {
    let file = match loket_domain::catalogue::parse(&p.file) {
        Ok(f) => f,
        Err(errors) => {
            tracing::warn!(region = %p.region, version = p.version, ?errors, "a catalogue that does not check was skipped");
            return Ok(false);
        }
    };
    tx.prepare_cached(
        "INSERT INTO catalogue (region, version, effective_from, file) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (region, version) DO NOTHING",
    )?
    .execute(params![p.region, p.version, p.effective_from, p.file])?;
    loket_domain::catalogue::register(file);
    Ok(true)
}

impl Store {
    /// Make the catalogue versions this store keeps known to the process (at open).
    pub(crate) fn load_catalogues(&self) -> Result<usize, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT file FROM catalogue ORDER BY region, version")?;
        let files = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut n = 0;
        for file in files {
            if let Ok(file) = loket_domain::catalogue::parse(&file?) {
                loket_domain::catalogue::register(file);
                n += 1;
            }
        }
        Ok(n)
    }
}
