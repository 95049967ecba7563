//! One sync run: push the outbox, then pull and apply the office's changes.
//!
//! Every step is safe to interrupt (network cut, process killed):
//! - An operation stays `pending` until its verdict is stored, so it is re-sent; the server
//!   answers a re-sent operation with its first verdict and changes nothing.
//! - A pulled page is applied in one transaction with its checkpoint (`Store::apply_remote`),
//!   so a page is either fully applied and never fetched again, or not applied at all.
//! - A batch the server refuses as a whole (400, 413, 422) is split in halves until the one
//!   operation it cannot take is found; that operation is quarantined and the rest go on.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use loket_protocol::{OpStatus, Operation, RawPayload};
use loket_store::{OutboxOp, RemoteChange, SettledState, Settlement, Store, StoreError};

use crate::{Client, Credential, SyncError};

/// The store, shared by the app and the sync engine.
pub type SharedStore = Arc<Mutex<Store>>;

/// Operations per push request.
pub const PUSH_BATCH: u32 = 500;
/// Changes per pull request.
pub const PULL_PAGE: u32 = 1000;
/// Bytes per attachment upload request.
pub const UPLOAD_CHUNK: usize = 256 * 1024;

/// Lock the shared store. A panic while holding the lock cannot leave SQLite half-written
/// (transactions roll back), so a poisoned lock is safe to keep using.
pub fn lock(store: &SharedStore) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run `f` on the store off the async threads.
async fn with_store<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&mut lock(&store)))
        .await
        .map_err(|e| SyncError::Protocol(format!("store task: {e}")))?
        .map_err(SyncError::from)
}

/// Where a running sync is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub pushed: u64,
    pub pending: i64,
    pub pulled: u64,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub pushed: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub conflicts: u64,
    pub quarantined: u64,
    pub pulled: u64,
    pub skipped: u64,
    /// Attachments whose content the server now holds completely.
    pub uploaded: u64,
    /// Attachments the server does not take (yet): no accepted attach operation announced them,
    /// or their content is not the declared type. Kept on the device; tried again next run.
    pub uploads_held: u64,
    /// Server clock minus device clock, milliseconds (from the last answer that said).
    pub clock_offset_ms: Option<i64>,
    /// The server data's epoch this run synced with.
    pub server_epoch: Option<String>,
    /// The server had been restored from a backup: everything it had accepted was sent again
    /// and the pull started over.
    pub server_restored: bool,
}

/// Compare an answer's epoch with the one this run syncs with (the first one seen is taken).
fn observe_epoch(report: &mut RunReport, seen: Option<&str>) -> Result<(), SyncError> {
    match (report.server_epoch.as_deref(), seen) {
        (_, None) => Ok(()),
        (None, Some(e)) => {
            report.server_epoch = Some(e.to_string());
            Ok(())
        }
        (Some(known), Some(e)) if known == e => Ok(()),
        (Some(_), Some(e)) => Err(SyncError::ServerRestored { epoch: e.to_string() }),
    }
}

/// What became of an attachment's upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// The server holds the whole content.
    Complete,
    /// The server does not take it (yet): no accepted attach operation announced it, or it is
    /// not the declared type. Kept; tried again next run.
    Held,
}

/// The engine for one enrolled device.
#[derive(Debug, Clone)]
pub struct Engine {
    client: Client,
    cred: Credential,
    app_version: String,
    pub push_batch: u32,
    pub pull_page: u32,
    pub upload_chunk: usize,
}

/// An outbox operation as sent: its stored payload goes out as it is, after a check that it is
/// JSON and of a kind this protocol knows (anything else is quarantined instead of refusing the
/// whole batch).
pub fn wire_op(op: &OutboxOp) -> Result<Operation<RawPayload>, String> {
    let kind = op.kind().ok_or_else(|| format!("unknown operation kind {:?}", op.op))?;
    let payload = serde_json::value::RawValue::from_string(op.payload.clone())
        .map_err(|e| format!("payload is not JSON: {e}"))?;
    Ok(Operation {
        op_id: op.op_id.clone(),
        seq: op.seq,
        entity: kind.entity(),
        entity_id: op.entity_id.clone(),
        op: kind,
        payload,
        base_version: op.base_version,
        hlc: op.hlc.clone(),
        proof: op.proof.clone(),
    })
}

/// One batch read from the outbox and encoded, ready to send.
#[derive(Debug, Default)]
struct Prepared {
    /// Outbox operations read (sent or quarantined).
    count: usize,
    last_seq: i64,
    ops: Vec<Operation<RawPayload>>,
    /// The encoded push of all of `ops`.
    body: Option<Vec<u8>>,
    /// Operations that could not even be encoded.
    quarantined: Vec<Settlement>,
}

/// Wait for verdicts being stored.
async fn join_settle(task: tokio::task::JoinHandle<Result<(), SyncError>>) -> Result<(), SyncError> {
    task.await.map_err(|e| SyncError::Protocol(format!("store task: {e}")))?
}

fn offset_ms(server_time: &str, local: DateTime<Utc>) -> Option<i64> {
    DateTime::parse_from_rfc3339(server_time).ok().map(|t| (t.with_timezone(&Utc) - local).num_milliseconds())
}

impl Engine {
    pub fn new(client: Client, cred: Credential, app_version: impl Into<String>) -> Self {
        Self {
            client,
            cred,
            app_version: app_version.into(),
            push_batch: PUSH_BATCH,
            pull_page: PULL_PAGE,
            upload_chunk: UPLOAD_CHUNK,
        }
    }

    /// Push everything pending, then pull everything new. `progress` is called after each
    /// request. When the server turns out to have been restored from a backup (its epoch
    /// changed), everything it had accepted is queued again and the run starts over.
    pub async fn run(
        &self,
        store: &SharedStore,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<RunReport, SyncError> {
        let known = with_store(store, |s| s.server_epoch()).await?;
        let mut report = RunReport { server_epoch: known.clone(), ..RunReport::default() };
        let mut restarts = 0;
        loop {
            match self.run_once(store, &mut report, progress).await {
                Err(SyncError::ServerRestored { epoch }) if restarts < 2 => {
                    restarts += 1;
                    let e = epoch.clone();
                    with_store(store, move |s| s.server_restored(&e)).await?;
                    report.server_epoch = Some(epoch);
                    report.server_restored = true;
                }
                Err(e) => return Err(e),
                Ok(()) => break,
            }
        }
        if report.server_epoch != known {
            if let Some(e) = report.server_epoch.clone() {
                with_store(store, move |s| s.set_server_epoch(&e)).await?;
            }
        }
        Ok(report)
    }

    async fn run_once(
        &self,
        store: &SharedStore,
        report: &mut RunReport,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<(), SyncError> {
        self.certify(store).await?;
        self.push_all(store, report, progress).await?;
        // Contents after their records: the server knows what an attachment belongs to.
        self.upload_all(store, report).await?;
        // A revoked device may still hand its work over, but not read: the pull is refused.
        // Reaching it means everything was pushed and uploaded.
        match self.pull_all(store, report, progress).await {
            Err(SyncError::Revoked) => Err(SyncError::HandedOver),
            other => other,
        }
    }

    /// Until the province has certified this device's receipt key, ask for the certificate
    /// (receipts printed from then on carry it). Only a transient failure stops the run.
    pub async fn certify(&self, store: &SharedStore) -> Result<(), SyncError> {
        // Once certified, a run reads one setting and goes on.
        let public_key = with_store(store, |s| match s.device_certificate()? {
            Some(_) => Ok(None),
            None => Ok(Some(s.device_receipt_key()?.public_key())),
        })
        .await?;
        let Some(public_key) = public_key else { return Ok(()) };
        match self.client.certify_device(&self.cred, &public_key).await {
            Ok(answer) => {
                with_store(store, move |s| s.set_device_certificate(&answer.certificate)).await?;
                tracing::info!("the province certified this device's receipt key");
                Ok(())
            }
            Err(e) if e.is_transient() => Err(e),
            // Refused (another key registered, an older server) or revoked (the push that
            // follows hands the work over): receipts carry no certificate meanwhile.
            Err(e) => {
                tracing::warn!(error = %e, "receipt key not certified");
                Ok(())
            }
        }
    }

    /// Upload every attachment whose content the server does not have complete yet, in chunks,
    /// resuming where the server is (after a cut connection or a restart).
    pub async fn upload_all(&self, store: &SharedStore, report: &mut RunReport) -> Result<(), SyncError> {
        let pending = with_store(store, |s| s.uploads_pending()).await?;
        for (sha, _) in pending {
            let name = sha.clone();
            let bytes = with_store(store, move |s| s.attachment_bytes(&name)).await?;
            match self.upload(&sha, &bytes).await? {
                Upload::Complete => {
                    let name = sha.clone();
                    with_store(store, move |s| s.mark_uploaded(&name)).await?;
                    report.uploaded += 1;
                }
                Upload::Held => report.uploads_held += 1,
            }
        }
        Ok(())
    }

    /// Upload one attachment's content, in chunks, from where the server is.
    pub async fn upload(&self, sha: &str, bytes: &[u8]) -> Result<Upload, SyncError> {
        let size = bytes.len() as i64;
        let mut offset = self.resume_at(sha, size).await?;
        let mut restarts = 0;
        while offset < size {
            let end = (offset as usize + self.upload_chunk).min(bytes.len());
            let chunk = bytes[offset as usize..end].to_vec();
            match self.client.upload_chunk(&self.cred, sha, size, offset, chunk).await {
                Ok(st) if st.complete => offset = size,
                Ok(st) => offset = st.received,
                // The server is elsewhere (an earlier chunk's answer was lost): ask where.
                Err(SyncError::Refused { code, .. }) if code == "upload_offset" => {
                    offset = self.resume_at(sha, size).await?;
                }
                Err(SyncError::Refused { code, .. }) if code == "upload_hash_mismatch" && restarts == 0 => {
                    restarts += 1;
                    offset = 0;
                }
                // Its attach operation was refused (and is shown with the application), or the
                // file is not what it said: the other attachments go on.
                Err(SyncError::Refused { code, .. })
                    if code == "attachment_not_expected" || code == "attachment_type_mismatch" =>
                {
                    tracing::warn!(%sha, %code, "attachment held back by the server");
                    return Ok(Upload::Held);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Upload::Complete)
    }

    /// Where the upload of an attachment of `size` bytes continues on the server.
    async fn resume_at(&self, sha256: &str, size: i64) -> Result<i64, SyncError> {
        Ok(match self.client.blob_status(&self.cred, sha256).await? {
            Some(st) if st.complete => size,
            Some(st) => st.received,
            None => 0,
        })
    }

    /// Fetch an attachment registered on another device of the office (on demand). `false`
    /// when the server does not have its content yet.
    pub async fn fetch_attachment(&self, store: &SharedStore, sha256: &str) -> Result<bool, SyncError> {
        let Some(bytes) = self.client.download(&self.cred, sha256).await? else { return Ok(false) };
        let name = sha256.to_string();
        with_store(store, move |s| s.store_fetched_attachment(&name, &bytes)).await?;
        Ok(true)
    }

    /// Push every pending operation (the first half of [`Engine::run`]).
    ///
    /// Pipelined: while one batch is with the server, the next is read from the outbox and
    /// encoded, and the verdicts of the previous one are being stored. Batches still go out one
    /// at a time, in sequence order (the server applies a device's operations in that order).
    pub async fn push_all(
        &self,
        store: &SharedStore,
        report: &mut RunReport,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<(), SyncError> {
        // Counted once, then decremented: counting every batch re-reads the whole queue
        // (quadratic in a long offline backlog).
        let mut pending = with_store(store, |s| s.pending_count()).await?;
        let mut next = self.prepare(store, 0, pending);
        let mut settling: Option<tokio::task::JoinHandle<Result<(), SyncError>>> = None;
        let result = loop {
            let batch = match next.await {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => break Err(e),
                Err(e) => break Err(SyncError::Protocol(format!("store task: {e}"))),
            };
            if batch.count == 0 {
                break Ok(());
            }
            pending = pending.max(batch.count as i64);
            next = self.prepare(store, batch.last_seq, pending - batch.count as i64);
            let mut settled = batch.quarantined;
            report.quarantined += settled.len() as u64;
            let sent = self.send(batch.ops, batch.body, pending, report, &mut settled).await;
            // Verdicts are stored in order: the previous batch's first.
            if let Some(previous) = settling.take() {
                join_settle(previous).await?;
            }
            let n = settled.len() as i64;
            if !settled.is_empty() {
                let store = store.clone();
                settling = Some(tokio::task::spawn_blocking(move || {
                    lock(&store).settle_ops(&settled).map_err(SyncError::from)
                }));
            }
            if let Err(e) = sent {
                break Err(e);
            }
            pending = (pending - n).max(0);
            progress(Progress { pushed: report.pushed, pending, pulled: report.pulled });
        };
        if let Some(last) = settling.take() {
            join_settle(last).await?;
        }
        result
    }

    /// Read and encode the batch after outbox sequence `after`, off the async threads.
    fn prepare(
        &self,
        store: &SharedStore,
        after: i64,
        pending: i64,
    ) -> tokio::task::JoinHandle<Result<Prepared, SyncError>> {
        let (store, limit, version) = (store.clone(), self.push_batch, self.app_version.clone());
        tokio::task::spawn_blocking(move || {
            let ops = lock(&store).pending_ops_after(after, limit)?;
            let mut batch = Prepared {
                count: ops.len(),
                last_seq: ops.last().map_or(after, |o| o.seq),
                ..Prepared::default()
            };
            for op in &ops {
                match wire_op(op) {
                    Ok(w) => batch.ops.push(w),
                    Err(e) => {
                        tracing::warn!(seq = op.seq, "quarantined a malformed outbox operation");
                        batch.quarantined.push(Settlement {
                            seq: op.seq,
                            state: SettledState::Quarantined,
                            error: Some(format!("malformed: {e}")),
                        });
                    }
                }
            }
            if !batch.ops.is_empty() {
                batch.body = Some(crate::encode_push(batch.ops.clone(), pending.max(0), &version)?);
            }
            Ok(batch)
        })
    }

    /// Send one prepared batch; verdicts go to `settled`. A batch the server refuses as a whole
    /// is split in halves until the refused operation is alone, which is quarantined.
    async fn send(
        &self,
        ops: Vec<Operation<RawPayload>>,
        body: Option<Vec<u8>>,
        pending: i64,
        report: &mut RunReport,
        settled: &mut Vec<Settlement>,
    ) -> Result<(), SyncError> {
        let mut body = body;
        let mut queue: std::collections::VecDeque<Vec<Operation<RawPayload>>> = [ops].into();
        while let Some(part) = queue.pop_front() {
            if part.is_empty() {
                continue;
            }
            let sent = part.len() as u64;
            let answer = match body.take() {
                Some(encoded) => self.client.push_encoded(&self.cred, encoded).await,
                None => self.client.push(&self.cred, part.clone(), pending, &self.app_version).await,
            };
            match answer {
                Ok(resp) => {
                    report.clock_offset_ms = offset_ms(&resp.server_time, Utc::now());
                    let by_id: std::collections::HashMap<&str, _> =
                        resp.results.iter().map(|r| (r.op_id.as_str(), r)).collect();
                    for op in &part {
                        let Some(r) = by_id.get(op.op_id.as_str()) else {
                            return Err(SyncError::Protocol(format!("no verdict for operation {}", op.seq)));
                        };
                        let reason = r.code.as_ref().map(|c| match &r.message {
                            Some(m) => format!("{c}: {m}"),
                            None => c.clone(),
                        });
                        let state = match r.status {
                            OpStatus::Accepted => {
                                report.accepted += 1;
                                SettledState::Acked
                            }
                            OpStatus::Conflict => {
                                report.conflicts += 1;
                                SettledState::Acked
                            }
                            OpStatus::Rejected => {
                                report.rejected += 1;
                                SettledState::Rejected
                            }
                        };
                        settled.push(Settlement { seq: op.seq, state, error: reason });
                    }
                    report.pushed += sent;
                    // Verdicts of a restored server stand; what it may have lost is sent again.
                    observe_epoch(report, resp.epoch.as_deref())?;
                }
                Err(SyncError::Refused { status: 400 | 413 | 422, code, message }) => {
                    if part.len() > 1 {
                        let mut left = part;
                        let right = left.split_off(left.len() / 2);
                        queue.push_front(right);
                        queue.push_front(left);
                    } else {
                        tracing::warn!(seq = part[0].seq, %code, "quarantined an operation the server refused");
                        report.quarantined += 1;
                        settled.push(Settlement {
                            seq: part[0].seq,
                            state: SettledState::Quarantined,
                            error: Some(format!("{code}: {message}")),
                        });
                    }
                }
                // What was settled so far is kept; the rest stays pending.
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Pull and apply every new change (the second half of [`Engine::run`]).
    ///
    /// Pipelined: the next page is fetched while the previous one is being applied. Pages are
    /// applied one after another, in order, each with its checkpoint; a page fetched ahead of
    /// a failed or interrupted apply is thrown away and fetched again from the stored checkpoint.
    pub async fn pull_all(
        &self,
        store: &SharedStore,
        report: &mut RunReport,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<(), SyncError> {
        let mut after = with_store(store, |s| s.checkpoint()).await?;
        let mut applying: Option<(u64, ApplyTask)> = None;
        let result = loop {
            let page = match self.client.pull(&self.cred, after, self.pull_page).await {
                Ok(page) => page,
                Err(e) => break Err(e),
            };
            if let Some(t) = &page.server_time {
                report.clock_offset_ms = offset_ms(t, Utc::now());
            }
            if let Err(e) = observe_epoch(report, page.epoch.as_deref()) {
                break Err(e);
            }
            if page.next < after {
                break Err(SyncError::Protocol(format!(
                    "checkpoint went back from {after} to {}",
                    page.next
                )));
            }
            let n = page.changes.len() as u64;
            let next = page.next;
            // Parsed on a thread of its own while the previous page is being applied.
            let changes = page.changes;
            let parsed = tokio::task::spawn_blocking(move || {
                changes.into_iter().map(RemoteChange::decode).collect::<Vec<RemoteChange>>()
            });
            if let Some((pulled, task)) = applying.take() {
                if let Err(e) = applied(task, pulled, report, progress).await {
                    break Err(e);
                }
            }
            let changes = match parsed.await {
                Ok(changes) => changes,
                Err(e) => break Err(SyncError::Protocol(format!("parse task: {e}"))),
            };
            if !changes.is_empty() || next != after {
                let store = store.clone();
                applying = Some((
                    n,
                    tokio::task::spawn_blocking(move || {
                        lock(&store).apply_remote(&changes, next, Utc::now())
                    }),
                ));
            } else {
                report.pulled += n;
            }
            after = next;
            if !page.has_more {
                break Ok(());
            }
        };
        if let Some((pulled, task)) = applying.take() {
            applied(task, pulled, report, progress).await?;
        }
        result
    }
}

/// A page being applied to the store.
type ApplyTask = tokio::task::JoinHandle<Result<loket_store::ApplyReport, StoreError>>;

/// Wait for a page to be applied, and count it.
async fn applied(
    task: ApplyTask,
    pulled: u64,
    report: &mut RunReport,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), SyncError> {
    let applied = task.await.map_err(|e| SyncError::Protocol(format!("store task: {e}")))??;
    report.skipped += applied.skipped as u64;
    report.pulled += pulled;
    progress(Progress { pushed: report.pushed, pending: 0, pulled: report.pulled });
    Ok(())
}
