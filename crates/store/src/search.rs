//! Full-text search over applications (FTS5).
//!
//! Indexed: registration number, applicant NIK, applicant name, organisation name. The index row
//! shares the application's rowid. A query is split into words; each must match as a prefix, so
//! "siti 3601" finds Siti with a NIK from 3601…, and "K7QX-0000" finds registration numbers of
//! device K7QX.
//!
//! Why new rows are indexed lazily: the index is derived data, and writing it costs a save about
//! a third of its WAL pages (BENCHMARKS.md). A registration only commits its row; every search
//! first indexes the rows inserted since the last one (`search.indexed_rowid` in `setting`, moved
//! in the same transaction), and a pulled page is indexed in the transaction that applies it.
//! Rows already indexed are re-indexed in the transaction that changes them. Application rows
//! are never deleted, so rowids above the watermark are exactly the unindexed rows.

use loket_domain::registration::RegistrationNumber;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::application::{from_row, Application, COLUMNS};
use crate::{Store, StoreError};

const INDEXED_SETTING: &str = "search.indexed_rowid";

fn indexed_through(conn: &Connection) -> Result<i64, StoreError> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([INDEXED_SETTING], |r| r.get(0))
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Re-index an application whose searchable fields changed in this transaction. A row the index
/// has not reached yet is left to [`catch_up`], which reads its current values.
pub(crate) fn index(tx: &Transaction<'_>, id: &str) -> Result<(), StoreError> {
    let rowid: i64 =
        tx.prepare_cached("SELECT rowid FROM application WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    if rowid > indexed_through(tx)? {
        return Ok(());
    }
    tx.prepare_cached("DELETE FROM application_search WHERE rowid = ?1")?.execute([rowid])?;
    tx.prepare_cached(
        "INSERT INTO application_search (rowid, registration_number, nik, name, organization_name)
         SELECT rowid, coalesce(registration_number, ''), coalesce(applicant_nik, ''), applicant_name,
                coalesce(organization_name, '')
         FROM application WHERE rowid = ?1",
    )?
    .execute(params![rowid])?;
    Ok(())
}

/// The rowids still to index: `(indexed through, newest)`; nothing to do when equal.
fn pending_range(conn: &Connection) -> Result<(i64, i64), StoreError> {
    let newest: i64 = conn
        .prepare_cached("SELECT coalesce(max(rowid), 0) FROM application")?
        .query_row([], |r| r.get(0))?;
    Ok((indexed_through(conn)?, newest))
}

/// Index every application inserted since the last catch-up, inside the caller's transaction.
/// Returns how many rows were indexed.
pub(crate) fn catch_up(conn: &Connection) -> Result<usize, StoreError> {
    let (from, to) = pending_range(conn)?;
    if to <= from {
        return Ok(0);
    }
    let n = conn
        .prepare_cached(
            "INSERT INTO application_search (rowid, registration_number, nik, name, organization_name)
             SELECT rowid, coalesce(registration_number, ''), coalesce(applicant_nik, ''), applicant_name,
                    coalesce(organization_name, '')
             FROM application WHERE rowid > ?1 AND rowid <= ?2",
        )?
        .execute(params![from, to])?;
    conn.prepare_cached(
        "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![INDEXED_SETTING, to.to_string()])?;
    Ok(n)
}

/// Turn user input into an FTS5 query: every word a quoted prefix term, all required.
/// Returns `None` when there is nothing to search for.
/// Digits typed in groups ("3601 0112 0590") are one number: a NIK is printed in groups of
/// four but indexed whole.
pub fn fts_query(input: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    for w in input.split_whitespace() {
        let numeric = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
        match words.last_mut() {
            Some(last) if numeric && last.bytes().all(|b| b.is_ascii_digit()) => last.push_str(w),
            _ => words.push(w.to_string()),
        }
    }
    let terms: Vec<String> = words
        .iter()
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|t| !t.is_empty())
        .take(8)
        .map(|t| format!("\"{}\"*", t.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// What a search asks for.
pub(crate) enum Matching {
    /// One registration number.
    Number(String),
    /// An FTS5 query.
    Fts(String),
    /// Nothing searchable: the newest applications.
    Everything,
}

/// The applications (`a`) matching the FTS query `?1`, newest first, at most `?2`: the inner
/// query walks the FTS index newest-first and stops at the limit; only then are rows read.
pub(crate) const FTS_MATCHES: &str = "WHERE a.rowid IN (
         SELECT rowid FROM application_search WHERE application_search MATCH ?1 ORDER BY rowid DESC LIMIT ?2)
     ORDER BY a.rowid DESC";

impl Store {
    /// Applications matching `query`, newest first, at most `limit`.
    pub fn search_applications(&self, query: &str, limit: u32) -> Result<Vec<Application>, StoreError> {
        match self.matching(query)? {
            Matching::Number(number) => Ok(self.application_by_number(&number)?.into_iter().collect()),
            Matching::Fts(fts) => self.search_fts(&fts, limit),
            Matching::Everything => self.list_applications(limit),
        }
    }

    /// What `query` asks for, once the search index has caught up.
    pub(crate) fn matching(&self, query: &str) -> Result<Matching, StoreError> {
        self.catch_up_search_index()?;
        // Exact identifiers go straight to their indexes: every registration number of a
        // device shares its first two words, which makes them the costliest FTS queries.
        if let Ok(number) = query.parse::<RegistrationNumber>() {
            return Ok(Matching::Number(number.to_string()));
        }
        let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() == 16 && compact.bytes().all(|b| b.is_ascii_digit()) {
            // A whole NIK: that exact term in the `nik` column (no prefix expansion).
            return Ok(Matching::Fts(format!("nik : \"{compact}\"")));
        }
        Ok(fts_query(query).map_or(Matching::Everything, Matching::Fts))
    }

    /// Index the applications saved since the last search (see the module docs). Runs without
    /// an fsync of its own: the index is derived data, and its watermark commits with it, so a
    /// crash at worst leaves rows for the next catch-up. Returns how many rows were indexed.
    pub fn catch_up_search_index(&self) -> Result<usize, StoreError> {
        let (from, to) = pending_range(&self.conn)?;
        if to <= from {
            return Ok(0);
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let indexed = (|| {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let n = catch_up(&tx)?;
            tx.commit()?;
            Ok(n)
        })();
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        indexed
    }

    fn search_fts(&self, fts: &str, limit: u32) -> Result<Vec<Application>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM application a {FTS_MATCHES}"))?;
        let rows = stmt.query_map(params![fts, limit], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn queries_are_prefix_terms_and_safe() {
        assert_eq!(fts_query("Siti 3601").as_deref(), Some("\"siti\"* \"3601\"*"));
        assert_eq!(fts_query("360101-K7QX-000001").as_deref(), Some("\"360101\"* \"k7qx\"* \"000001\"*"));
        // Operators become plain quoted words: user input never reaches FTS5 syntax.
        assert_eq!(fts_query("\" OR * NEAR(").as_deref(), Some("\"or\"* \"near\"*"));
        assert_eq!(fts_query("\"*("), None);
        assert_eq!(fts_query("   "), None);
        // Regression: a NIK typed in groups of four found nothing.
        assert_eq!(fts_query("3601 0112 0590").as_deref(), Some("\"360101120590\"*"));
        assert_eq!(fts_query("siti 3601 0112").as_deref(), Some("\"siti\"* \"36010112\"*"));
    }
}
