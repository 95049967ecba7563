//! The hash-chained audit log.
//!
//! Each entry stores the hash of the previous one; its own hash covers that and every field.
//! The chain head (last sequence number and hash) is kept in `setting`, so removing the newest
//! entries is detected too. [`Store::verify_audit`] walks the chain and reports the first
//! entry that was edited, deleted or inserted out of band.
//!
//! Redaction (an application past its retention period) removes the personal data from the
//! entries about it. Their stored hashes stay, so the chain still links; a later `redact` entry
//! records, per redacted entry, the hash of what it holds now ([`redacted_hash`]), and the
//! verifier checks a redacted entry against that instead. Editing a redacted entry afterwards
//! is detected like any other edit.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

const HEAD_SETTING: &str = "audit.head";
/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) struct NewEntry<'a> {
    pub hlc: &'a str,
    pub actor: &'a str,
    pub device: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub change: &'a str,
}

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub hlc: String,
    pub actor: String,
    pub device: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub change: String,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_hash(prev: &str, seq: i64, e: &NewEntry<'_>) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different entries serialise to the same bytes.
    for field in [prev, &seq.to_string(), e.hlc, e.actor, e.device, e.entity, e.entity_id, e.action, e.change]
    {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The audit action of the entry that records a redaction.
pub(crate) const REDACT_ACTION: &str = "redact";

/// The hash of a redacted entry as it stands after the redaction.
fn redacted_hash(seq: i64, e: &NewEntry<'_>) -> String {
    entry_hash("redacted", seq, e)
}

/// Remove the personal data from the entries about the `ids` of `entity` (see the module
/// documentation), in one pass over the log. Returns, per id and redacted entry, its
/// [`redacted_hash`] — what the caller's `redact` entry records.
pub(crate) fn redact_entries(
    tx: &Transaction<'_>,
    entity: &str,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeMap<i64, String>>, StoreError> {
    let entries: Vec<(i64, [String; 6])> = tx
        .prepare(
            "SELECT seq, entity_id, hlc, actor, device, action, change FROM audit_log WHERE entity = ?1",
        )?
        .query_map([entity], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?]))
        })?
        .collect::<Result<_, _>>()?;
    let mut redacted: BTreeMap<String, BTreeMap<i64, String>> = BTreeMap::new();
    for (seq, [entity_id, hlc, actor, device, action, change]) in entries {
        if action == REDACT_ACTION || !ids.contains(&entity_id) {
            continue;
        }
        let scrubbed = loket_protocol::redaction::scrub_personal_text(&change);
        tx.prepare_cached("UPDATE audit_log SET change = ?2 WHERE seq = ?1")?
            .execute(params![seq, scrubbed])?;
        let e = NewEntry {
            hlc: &hlc,
            actor: &actor,
            device: &device,
            entity,
            entity_id: &entity_id,
            action: &action,
            change: &scrubbed,
        };
        let hash = redacted_hash(seq, &e);
        redacted.entry(entity_id).or_default().insert(seq, hash);
    }
    Ok(redacted)
}

/// Every redaction recorded: redacted entry → its hash after the redaction.
fn recorded_redactions(conn: &rusqlite::Connection) -> Result<BTreeMap<i64, String>, StoreError> {
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT change FROM audit_log WHERE action = ?1")?;
    let rows = stmt.query_map([REDACT_ACTION], |r| r.get::<_, String>(0))?;
    for change in rows {
        let change = change?;
        let entries: Option<BTreeMap<i64, String>> = serde_json::from_str::<serde_json::Value>(&change)
            .ok()
            .and_then(|v| serde_json::from_value(v.get("entries")?.clone()).ok());
        out.extend(entries.unwrap_or_default());
    }
    Ok(out)
}

fn head(tx: &rusqlite::Connection) -> Result<(i64, String), StoreError> {
    let head: Option<String> = tx
        .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([HEAD_SETTING], |r| r.get(0))
        .optional()?;
    Ok(match head.as_deref().and_then(|h| h.split_once(' ')) {
        Some((seq, hash)) => {
            (seq.parse().map_err(|_| StoreError::Corrupt(format!("audit head {head:?}")))?, hash.to_string())
        }
        None => (0, GENESIS.to_string()),
    })
}

pub(crate) fn append(tx: &Transaction<'_>, e: &NewEntry<'_>) -> Result<(), StoreError> {
    let (last_seq, prev) = head(tx)?;
    let seq = last_seq + 1;
    let hash = entry_hash(&prev, seq, e);
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, hlc, actor, device, entity, entity_id, action, change, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        seq,
        e.hlc,
        e.actor,
        e.device,
        e.entity,
        e.entity_id,
        e.action,
        e.change,
        prev,
        hash
    ])?;
    tx.prepare_cached(
        "INSERT INTO setting (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![HEAD_SETTING, format!("{seq} {hash}")])?;
    Ok(())
}

/// What is wrong with the chain, at the first place it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// The entry's content does not match its hash: it was edited.
    Edited { seq: i64 },
    /// A sequence number is missing, or an entry does not follow its predecessor: deleted.
    Missing { expected_seq: i64 },
    /// The newest entries are gone (the chain ends before the recorded head).
    Truncated { head_seq: i64, last_seq: i64 },
}

/// The result of verifying the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: i64,
    pub problem: Option<AuditProblem>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

impl Store {
    /// Walk the whole chain.
    pub fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let (head_seq, head_hash) = head(&self.conn)?;
        let redactions = recorded_redactions(&self.conn)?;
        let mut stmt = self.conn.prepare(
            "SELECT seq, hlc, actor, device, entity, entity_id, action, change, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_seq = 1;
        let mut prev = GENESIS.to_string();
        let mut entries = 0;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let fields: [String; 9] = [
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ];
            let [hlc, actor, device, entity, entity_id, action, change, prev_hash, hash] = fields;
            if seq != expected_seq || prev_hash != prev {
                return Ok(AuditReport { entries, problem: Some(AuditProblem::Missing { expected_seq }) });
            }
            let e = NewEntry {
                hlc: &hlc,
                actor: &actor,
                device: &device,
                entity: &entity,
                entity_id: &entity_id,
                action: &action,
                change: &change,
            };
            let redacted = redactions.get(&seq).is_some_and(|h| *h == redacted_hash(seq, &e));
            if !redacted && entry_hash(&prev_hash, seq, &e) != hash {
                return Ok(AuditReport { entries, problem: Some(AuditProblem::Edited { seq }) });
            }
            entries += 1;
            expected_seq += 1;
            prev = hash;
        }
        let last_seq = expected_seq - 1;
        if last_seq != head_seq || prev != head_hash {
            return Ok(AuditReport {
                entries,
                problem: Some(AuditProblem::Truncated { head_seq, last_seq }),
            });
        }
        Ok(AuditReport { entries, problem: None })
    }

    /// Audit entries about one entity, oldest first.
    pub fn audit_for(&self, entity: &str, entity_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, hlc, actor, device, entity, entity_id, action, change, prev_hash, hash
             FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map([entity, entity_id], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                hlc: r.get(1)?,
                actor: r.get(2)?,
                device: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                action: r.get(6)?,
                change: r.get(7)?,
                prev_hash: r.get(8)?,
                hash: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of audit entries.
    pub fn audit_len(&self) -> Result<i64, StoreError> {
        Ok(self.conn.prepare_cached("SELECT count(*) FROM audit_log")?.query_row([], |r| r.get(0))?)
    }
}
