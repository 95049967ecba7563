//! What a user signs for an operation: every field of the envelope that the server acts on,
//! and the payload exactly as stored and sent (its JSON text, never re-encoded).
//!
//! Fields are length-prefixed after a domain-separation tag, so no two different operations
//! give the same bytes and a signature for anything else (another kind of message, another
//! version of this one) never verifies as an operation. The device is not part of it: work
//! done before enrollment is signed before the device has a server identity; replaying an
//! operation elsewhere gets its first result again (it is idempotent by `op_id`).

use crate::{Entity, OpKind, Operation, Proof};

const TAG: &[u8] = b"loket-op-v1";

/// The parts of an operation that its proof covers.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub op_id: &'a str,
    pub seq: i64,
    pub entity: Entity,
    pub entity_id: &'a str,
    pub op: OpKind,
    pub base_version: Option<i64>,
    pub hlc: &'a str,
    /// The acting user.
    pub user: &'a str,
    /// The key the user signed with.
    pub key_id: &'a str,
    /// The payload's JSON text.
    pub payload: &'a str,
}

impl Signed<'_> {
    /// The bytes to sign and verify.
    pub fn message(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let base = self.base_version.map(|v| v.to_string()).unwrap_or_default();
        let fields: [&[u8]; 10] = [
            self.op_id.as_bytes(),
            seq.as_bytes(),
            self.entity.as_str().as_bytes(),
            self.entity_id.as_bytes(),
            self.op.as_str().as_bytes(),
            base.as_bytes(),
            self.hlc.as_bytes(),
            self.user.as_bytes(),
            self.key_id.as_bytes(),
            self.payload.as_bytes(),
        ];
        let mut out = Vec::with_capacity(TAG.len() + fields.iter().map(|f| f.len() + 4).sum::<usize>());
        out.extend_from_slice(TAG);
        for f in fields {
            out.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(f);
        }
        out
    }
}

impl Operation {
    /// What `proof` must sign for this operation.
    pub fn signed<'a>(&'a self, proof: &'a Proof) -> Signed<'a> {
        Signed {
            op_id: &self.op_id,
            seq: self.seq,
            entity: self.entity,
            entity_id: &self.entity_id,
            op: self.op,
            base_version: self.base_version,
            hlc: &self.hlc,
            user: &proof.user,
            key_id: &proof.key_id,
            payload: self.payload.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Operation {
        serde_json::from_str(
            r#"{"op_id":"o1","seq":7,"entity":"application","entity_id":"a1","op":"application.edit",
                "payload": {"application_id":"a1", "fields":{"applicant_name":"Siti"}},"base_version":2,"hlc":"h"}"#,
        )
        .unwrap()
    }

    #[test]
    fn every_field_changes_the_message() {
        let proof = Proof { user: "kasi".into(), key_id: "k1".into(), signature: String::new() };
        let base = op().signed(&proof).message();
        // The payload is signed as sent, spaces included.
        assert!(base.windows(14).any(|w| w == br#"{"application_"#));
        let mut variants = Vec::new();
        let o = op();
        let s = o.signed(&proof);
        variants.push(Signed { op_id: "o2", ..s });
        variants.push(Signed { seq: 8, ..s });
        variants.push(Signed { entity_id: "a2", ..s });
        variants.push(Signed { op: OpKind::ApplicationTransition, ..s });
        variants.push(Signed { base_version: None, ..s });
        variants.push(Signed { hlc: "g", ..s });
        variants.push(Signed { user: "ani", ..s });
        variants.push(Signed { key_id: "k2", ..s });
        variants.push(Signed { payload: "{}", ..s });
        // Moving bytes between adjacent fields changes it too (length prefixes).
        variants.push(Signed { op_id: "o", entity_id: "1a1", ..s });
        for v in variants {
            assert_ne!(v.message(), base, "{v:?}");
        }
    }
}
