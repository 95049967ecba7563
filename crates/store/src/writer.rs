//! The one way to change the store.
//!
//! [`Store::write`] opens an immediate transaction, ticks the hybrid logical clock, and hands a
//! [`Writer`] to the repository code. Each [`Writer::record`] appends the audit entry and the
//! outbox operation for one change. The transaction commits only if everything succeeded, so a
//! row change without its audit entry or outbox operation cannot exist.

use chrono::{DateTime, Utc};
use loket_domain::hlc::{Hlc, HlcTimestamp};
use loket_domain::workflow::Role;
use std::sync::Arc;

use loket_keys::UserKey;
use loket_protocol::{OpBody, Signed};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use uuid::Uuid;

use crate::{audit, Store, StoreError};

const HLC_SETTING: &str = "hlc.last";
const OUTBOX_COUNTER: &str = "outbox";

/// Who makes a change, and the key that signs it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub username: String,
    pub roles: Vec<Role>,
    /// The user's unwrapped key: every operation recorded is signed with it. Without one the
    /// operations carry no proof and the server refuses them (kept on the device, shown).
    pub key: Option<Arc<UserKey>>,
}

impl Actor {
    /// An actor without a key (its operations are unsigned).
    pub fn new(username: impl Into<String>, roles: &[Role]) -> Self {
        Self { username: username.into(), roles: roles.to_vec(), key: None }
    }

    /// An actor whose operations are signed with `key`.
    pub fn signing(username: impl Into<String>, roles: &[Role], key: Arc<UserKey>) -> Self {
        Self { key: Some(key), ..Self::new(username, roles) }
    }
}

/// One change to record: the audit entry and the outbox operation it produces.
pub(crate) struct Change<'a> {
    pub entity_id: &'a str,
    /// Audit action name (`register`, `transition`, `edit`, ...).
    pub action: &'static str,
    /// What changed, for the audit log.
    pub audit: Value,
    /// The sync operation, typed; its kind names the operation and the entity.
    pub body: OpBody,
    /// For edits: the version the edit was made on.
    pub base_version: Option<i64>,
}

/// A transaction in progress.
pub(crate) struct Writer<'s> {
    pub tx: Transaction<'s>,
    pub actor: &'s Actor,
    pub device: String,
    pub now: DateTime<Utc>,
    clock: Hlc,
}

impl Writer<'_> {
    /// A new HLC timestamp (strictly after every earlier one on this device).
    pub fn tick(&mut self) -> HlcTimestamp {
        self.clock.tick(u64::try_from(self.now.timestamp_millis()).unwrap_or(0))
    }

    /// Append the audit entry and the outbox operation for `change`.
    pub fn record(&mut self, change: Change<'_>) -> Result<HlcTimestamp, StoreError> {
        let hlc = self.tick();
        let hlc_text = hlc.to_string();
        let kind = change.body.kind();
        audit::append(
            &self.tx,
            &audit::NewEntry {
                hlc: &hlc_text,
                actor: &self.actor.username,
                device: &self.device,
                entity: kind.entity().as_str(),
                entity_id: change.entity_id,
                action: change.action,
                change: &change.audit.to_string(),
            },
        )?;
        let seq = next_counter(&self.tx, OUTBOX_COUNTER)?;
        let op_id = Uuid::now_v7().to_string();
        let payload = change.body.encode();
        // Signed as it is stored: the payload text is sent as it is, never encoded again.
        let proof = self.actor.key.as_ref().map(|key| {
            let key_id = key.key_id();
            let signed = Signed {
                op_id: &op_id,
                seq,
                entity: kind.entity(),
                entity_id: change.entity_id,
                op: kind,
                base_version: change.base_version,
                hlc: &hlc_text,
                user: &self.actor.username,
                key_id: &key_id,
                payload: &payload,
            };
            let signature = key.sign(&signed.message());
            (key_id, signature)
        });
        let (key_id, signature) = proof.unzip();
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (seq, op_id, entity, entity_id, op, payload, base_version, hlc, actor, key_id, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                seq,
                op_id,
                kind.entity().as_str(),
                change.entity_id,
                kind.as_str(),
                payload,
                change.base_version,
                hlc_text,
                self.actor.username,
                key_id,
                signature,
            ])?;
        Ok(hlc)
    }
}

/// Increment and return a named counter inside a transaction. Counters are `counter.<name>`
/// settings (same page as the HLC and the audit chain head) and are never decremented.
pub(crate) fn next_counter(tx: &Transaction<'_>, name: &str) -> Result<i64, StoreError> {
    let value: String = tx
        .prepare_cached(
            "INSERT INTO setting (key, value) VALUES ('counter.' || ?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
         RETURNING value",
        )?
        .query_row([name], |r| r.get(0))?;
    value.parse().map_err(|_| StoreError::Corrupt(format!("counter {name}: {value:?}")))
}

impl Store {
    /// Run `f` in one immediate transaction with audit and outbox recording; commit on `Ok`.
    pub(crate) fn write<T>(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let device = self.device_code()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<String> = tx
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
            .query_row([HLC_SETTING], |r| r.get(0))
            .optional()?;
        let last = last.and_then(|s| s.parse::<HlcTimestamp>().ok());
        let clock = Hlc::new(device.clone(), last);
        let mut w = Writer { tx, actor, device, now, clock };
        let out = f(&mut w)?;
        let last = w.clock.last().to_string();
        w.tx.prepare_cached(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![HLC_SETTING, last])?;
        w.tx.commit()?;
        Ok(out)
    }
}
