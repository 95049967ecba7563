//! The sync outbox: operations waiting for the provincial server.
//!
//! Operations are pushed in `seq` order. The server's verdict for each is recorded here:
//! accepted operations are `acked`, refused ones `rejected` (with the reason, shown to a person)
//! and ones that cannot be processed at all `quarantined`. Neither of the last two blocks the
//! operations after it.

use rusqlite::params;

use crate::{Store, StoreError};

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxOp {
    pub seq: i64,
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub payload: String,
    pub base_version: Option<i64>,
    pub hlc: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The acting user's proof, when the operation was signed.
    pub proof: Option<loket_protocol::Proof>,
}

/// Where an operation ends up once the server (or the sync engine) has settled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledState {
    /// Accepted by the server, or kept by it as a conflict (the conflict itself comes back
    /// through the pull and is shown until resolved).
    Acked,
    /// Refused by the server for a reason a person must see; never re-sent.
    Rejected,
    /// Could not be processed at all (malformed, or refused as a request); set aside so the
    /// rest of the queue goes on.
    Quarantined,
}

impl SettledState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acked => "acked",
            Self::Rejected => "rejected",
            Self::Quarantined => "quarantined",
        }
    }
}

/// One operation's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub seq: i64,
    pub state: SettledState,
    /// Reason code and message (`stale_base_version: ...`), for rejected, quarantined and
    /// conflicting operations.
    pub error: Option<String>,
}

impl OutboxOp {
    /// The operation's kind, if this build knows it.
    pub fn kind(&self) -> Option<loket_protocol::OpKind> {
        loket_protocol::OpKind::parse(&self.op)
    }

    /// The payload decoded by its kind.
    pub fn body(&self) -> Result<loket_protocol::OpBody, String> {
        let kind = self.kind().ok_or_else(|| format!("unknown operation kind {:?}", self.op))?;
        loket_protocol::OpBody::decode(kind, &self.payload).map_err(|e| e.to_string())
    }
}

const OUTBOX_COLUMNS: &str =
    "seq, op_id, entity, entity_id, op, payload, base_version, hlc, state, attempts, \
     last_error, actor, key_id, signature";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxOp> {
    Ok(OutboxOp {
        seq: r.get(0)?,
        op_id: r.get(1)?,
        entity: r.get(2)?,
        entity_id: r.get(3)?,
        op: r.get(4)?,
        payload: r.get(5)?,
        base_version: r.get(6)?,
        hlc: r.get(7)?,
        state: r.get(8)?,
        attempts: r.get(9)?,
        last_error: r.get(10)?,
        proof: match (r.get::<_, Option<String>>(11)?, r.get(12)?, r.get(13)?) {
            (Some(user), Some(key_id), Some(signature)) => {
                Some(loket_protocol::Proof { user, key_id, signature })
            }
            _ => None,
        },
    })
}

impl Store {
    /// The oldest pending operations, up to `limit`.
    pub fn pending_ops(&self, limit: u32) -> Result<Vec<OutboxOp>, StoreError> {
        self.pending_ops_after(0, limit)
    }

    /// Up to `limit` pending operations after sequence `after`, in order (the next batch while
    /// the previous one is still with the server).
    pub fn pending_ops_after(&self, after: i64, limit: u32) -> Result<Vec<OutboxOp>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'pending' AND seq > ?2 ORDER BY seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map(rusqlite::params![limit, after], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of operations not yet settled by the server.
    pub fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox WHERE state = 'pending'")?
            .query_row([], |r| r.get(0))?)
    }

    /// Record the server's verdict on an operation: `acked`, `rejected` or `quarantined`.
    pub fn settle_op(&mut self, seq: i64, state: &str, error: Option<&str>) -> Result<(), StoreError> {
        debug_assert!(matches!(state, "acked" | "rejected" | "quarantined"));
        self.conn
            .prepare_cached(
                "UPDATE outbox SET state = ?2, last_error = ?3, attempts = attempts + 1 WHERE seq = ?1",
            )?
            .execute(params![seq, state, error])?;
        Ok(())
    }

    /// Record the server's verdicts on a pushed batch in one transaction.
    pub fn settle_ops(&mut self, settled: &[Settlement]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = ?2, last_error = ?3, attempts = attempts + 1
                 WHERE seq = ?1 AND state = 'pending'",
            )?;
            for s in settled {
                stmt.execute(params![s.seq, s.state.as_str(), s.error])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Operations the server refused or that could not be sent at all: shown to a person.
    pub fn refused_ops(&self, limit: u32) -> Result<Vec<OutboxOp>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state IN ('rejected', 'quarantined') ORDER BY seq DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many operations, conflicts and flags need a person's attention.
    pub fn attention_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT (SELECT count(*) FROM outbox WHERE state IN ('rejected', 'quarantined'))
                      + (SELECT count(*) FROM sync_conflict WHERE resolved = 0)
                      + (SELECT count(*) FROM aid_flag)",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// Total operations ever queued on this device.
    pub fn outbox_len(&self) -> Result<i64, StoreError> {
        Ok(self.conn.prepare_cached("SELECT count(*) FROM outbox")?.query_row([], |r| r.get(0))?)
    }
}
