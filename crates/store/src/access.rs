//! The record of who looked at personal data (UU 27/2022 Pasal 31: a controller records its
//! processing). Each look — an application's detail, an attachment opened, a search by NIK or
//! KK, an export — is an entry of the audit chain and an `access.record` operation the server
//! keeps for IT (`loket-server audit`). The audit entry names a searched number only masked;
//! the operation carries it, inside this encrypted store and TLS, for the server to keep as a
//! keyed hash.

use chrono::{DateTime, Utc};
use loket_protocol::{AccessAction, AccessPayload, OpBody};
use rusqlite::OptionalExtension;
use serde_json::json;

use crate::writer::{Actor, Change};
use crate::{Store, StoreError};

/// What was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access<'a> {
    ViewApplication {
        application_id: &'a str,
    },
    OpenAttachment {
        application_id: &'a str,
        sha256: &'a str,
    },
    /// A search whose query was a 16-digit number (a NIK or a KK).
    SearchNumber {
        number: &'a str,
    },
    Export,
}

impl Store {
    /// Record that `actor` looked at personal data (see the module documentation).
    pub fn record_access(
        &mut self,
        access: Access<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut payload = AccessPayload {
            id: id.clone(),
            action: AccessAction::Export,
            application_id: None,
            attachment: None,
            identifier: None,
        };
        match access {
            Access::ViewApplication { application_id } => {
                payload.action = AccessAction::ViewApplication;
                payload.application_id = Some(application_id.to_string());
            }
            Access::OpenAttachment { application_id, sha256 } => {
                payload.action = AccessAction::OpenAttachment;
                payload.application_id = Some(application_id.to_string());
                payload.attachment = Some(sha256.to_string());
            }
            Access::SearchNumber { number } => {
                payload.action = AccessAction::SearchNumber;
                payload.identifier = Some(number.to_string());
            }
            Access::Export => {}
        }
        let audit = json!({
            "application_id": payload.application_id,
            "attachment": payload.attachment,
            "number": payload.identifier.as_deref().map(loket_domain::nik::mask),
        });
        self.write(actor, now, |w| {
            w.record(Change {
                entity_id: &id,
                action: payload.action.as_str(),
                audit,
                body: OpBody::Access(payload.clone()),
                base_version: None,
            })?;
            Ok(())
        })
    }

    /// The application an attachment belongs to.
    pub fn attachment_application(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT application_id FROM application_attachment WHERE sha256 = ?1 LIMIT 1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?)
    }
}
