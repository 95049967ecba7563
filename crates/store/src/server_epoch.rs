//! The server data's generation ("epoch"), and what a device does when it changes.
//!
//! A provincial server restored from a backup lacks whatever devices sent it after that backup.
//! It announces a new epoch; a device that sees it change queues again every operation the
//! old server had accepted (the restored one answers those it holds with their first result
//! and applies those it lost), uploads its attachments again (the server says at once which it
//! holds), and pulls from the start (changes it already has are skipped by version). Nothing
//! a device ever had acknowledged is lost, and nothing is applied twice.

use rusqlite::{params, TransactionBehavior};

use crate::{Store, StoreError};

const EPOCH: &str = "sync.server_epoch";

/// What a device queued again after the server was restored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requeued {
    pub operations: u64,
    pub attachments: u64,
}

impl Store {
    /// The server epoch this device last synced with (none before its first sync).
    pub fn server_epoch(&self) -> Result<Option<String>, StoreError> {
        self.setting(EPOCH)
    }

    /// Remember the server's epoch (first contact).
    pub fn set_server_epoch(&mut self, epoch: &str) -> Result<(), StoreError> {
        self.set_setting(EPOCH, epoch)
    }

    /// The server was restored and its epoch is now `epoch`: requeue, re-upload and pull
    /// again from the start, in one transaction (see the module documentation).
    pub fn server_restored(&mut self, epoch: &str) -> Result<Requeued, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let operations =
            tx.execute("UPDATE outbox SET state = 'pending', last_error = NULL WHERE state = 'acked'", [])?;
        let attachments =
            tx.execute("UPDATE attachment SET uploaded = 0 WHERE present = 1 AND uploaded = 1", [])?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES ('sync.checkpoint', '0')
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [],
        )?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![EPOCH, epoch],
        )?;
        // The restored server may not know this device's receipt key (or the province key that
        // certified it): the next run registers it again and takes a new certificate.
        tx.execute("DELETE FROM setting WHERE key = ?1", [crate::settings::DEVICE_CERTIFICATE])?;
        tx.commit()?;
        tracing::warn!(
            operations,
            attachments,
            "the server was restored from a backup: sending again and pulling from the start"
        );
        Ok(Requeued { operations: operations as u64, attachments: attachments as u64 })
    }
}
