//! An application's personal data removed at the end of its retention period, as the server
//! said (`redacted` change, `loket-server retention run`).
//!
//! What stays is what the office's statistics need: kind, service, programme, period, status and
//! its history, dates, desa, fee, registration number. What goes: NIK, KK, name, address and
//! phone, household members, the personal details of permits and grants, decision notes, the
//! names and contents of its scanned documents (unless another application holds the same
//! scan), and the same fields in the outbox's sent operations, the sync conflicts and the audit
//! log (whose chain stays verifiable, see `audit`).

use std::collections::{BTreeMap, BTreeSet};

use loket_protocol::redaction::scrub_personal_text;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::{audit, search, StoreError};

/// The redactions of one pulled page: what is left to do once per page (the outbox and the
/// audit log have no index by application, and a retention run redacts many at once), and once
/// the transaction has committed.
#[derive(Debug, Default)]
pub(crate) struct Redacted {
    /// The applications redacted in this page.
    pub ids: BTreeSet<String>,
    /// Attachment files to delete after the commit.
    pub files: Vec<String>,
    /// Per application: its audit entries redacted, with their hashes after the redaction.
    pub audit: BTreeMap<String, BTreeMap<i64, String>>,
}

/// Remove the personal data of application `id`; `false` when this device does not have it.
pub(crate) fn redact(tx: &Transaction<'_>, id: &str, done: &mut Redacted) -> Result<bool, StoreError> {
    let details: Option<String> = tx
        .prepare_cached("SELECT details FROM application WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(details) = details else { return Ok(false) };
    tx.prepare_cached(
        "UPDATE application SET applicant_nik = NULL, kk = NULL, applicant_name = '', applicant_address = '',
             applicant_phone = NULL, details = ?2 WHERE id = ?1",
    )?
    .execute(params![id, scrub_personal_text(&details)])?;
    tx.prepare_cached("DELETE FROM household_member WHERE application_id = ?1")?.execute([id])?;
    // The receipt's PDF names the person: its file goes with the row.
    let receipt: Option<String> = tx
        .prepare_cached("SELECT sha256 FROM receipt WHERE application_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    done.files.extend(receipt);
    tx.prepare_cached("DELETE FROM receipt WHERE application_id = ?1")?.execute([id])?;
    tx.prepare_cached("UPDATE workflow_event SET note = '' WHERE application_id = ?1")?.execute([id])?;
    search::index(tx, id)?;
    // Scans: their names go; their contents too unless another application holds the same one.
    let shas: Vec<String> = tx
        .prepare_cached("SELECT sha256 FROM application_attachment WHERE application_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached("UPDATE application_attachment SET file_name = '' WHERE application_id = ?1")?
        .execute([id])?;
    for sha in shas {
        let shared: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM application_attachment WHERE sha256 = ?1 AND application_id <> ?2",
            )?
            .query_row(params![sha, id], |r| r.get(0))?;
        if shared == 0 {
            tx.prepare_cached("UPDATE attachment SET present = 0, uploaded = 1 WHERE sha256 = ?1")?
                .execute([&sha])?;
            done.files.push(sha);
        }
    }
    let conflicts: Vec<(i64, String)> = tx
        .prepare_cached("SELECT server_seq, data FROM sync_conflict WHERE application_id = ?1")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, data) in conflicts {
        tx.prepare_cached("UPDATE sync_conflict SET data = ?2 WHERE server_seq = ?1")?
            .execute(params![seq, scrub_personal_text(&data)])?;
    }
    done.ids.insert(id.to_string());
    Ok(true)
}

/// The rest of a page's redactions, in one pass over the outbox and one over the audit log:
/// the operations already sent about them and their audit entries.
pub(crate) fn finish(tx: &Transaction<'_>, done: &mut Redacted) -> Result<(), StoreError> {
    if done.ids.is_empty() {
        return Ok(());
    }
    let sent: Vec<(i64, String, String)> = tx
        .prepare("SELECT seq, entity_id, payload FROM outbox WHERE state <> 'pending'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, _, payload) in sent.into_iter().filter(|(_, e, _)| done.ids.contains(e)) {
        tx.prepare_cached("UPDATE outbox SET payload = ?2 WHERE seq = ?1")?
            .execute(params![seq, scrub_personal_text(&payload)])?;
    }
    let entity = loket_protocol::Entity::Application.as_str();
    done.audit = audit::redact_entries(tx, entity, &done.ids)?;
    Ok(())
}
