//! One push planned as a whole. Both backends load what a batch needs in a few queries, the
//! planner decides each operation in order against an overlay of what the earlier ones in the
//! same batch wrote (a registration followed by its submission, two edits in a row), and the
//! backend executes the planned writes. Decoding, ordering, idempotent replays and the overlay
//! live here once, not in each backend.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use loket_protocol::{OpResult, OpStatus, Operation};

use super::{
    decide_decoded, decode, needs, AppState, Context, Decoded, DuplicateKey, Needs, Signer, StaffState, Write,
};

/// A push, decoded: each operation's payload once, and what it needs loaded.
pub struct Batch<'a> {
    ops: &'a [Operation],
    bodies: Vec<Decoded>,
    needs: Vec<Needs>,
}

/// What a backend loads for a batch: every key at once.
#[derive(Debug, Default)]
pub struct BatchNeeds<'a> {
    pub op_ids: Vec<&'a str>,
    pub seqs: Vec<i64>,
    /// Applications referred to (each once).
    pub application_ids: Vec<&'a str>,
    /// Users whose proofs the operations carry (each once).
    pub actors: Vec<&'a str>,
    /// Duplicate-aid keys, with the index of the operation that needs each.
    pub duplicate_keys: Vec<(usize, &'a DuplicateKey)>,
    /// Registration numbers the operations assign (each once).
    pub registration_numbers: Vec<&'a str>,
    /// Staff records the operations create or update (each once).
    pub staff_ids: Vec<&'a str>,
}

/// What the backend loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Results stored for operations already applied, by op id and by this device's seq.
    pub previous_by_op_id: HashMap<String, OpResult>,
    pub previous_by_seq: HashMap<i64, OpResult>,
    pub apps: HashMap<String, AppState>,
    /// The users whose proofs the operations carry, by username (active or not).
    pub actors: HashMap<String, Arc<Signer>>,
    /// Duplicate-aid candidates, by operation index.
    pub duplicates: HashMap<usize, Vec<AppState>>,
    /// Registration numbers already held, with the application holding each.
    pub numbers: HashMap<String, String>,
    /// Staff records the server keeps, by id.
    pub staff: HashMap<String, StaffState>,
}

/// One operation's outcome.
#[derive(Debug)]
pub struct Step<'a> {
    pub op: &'a Operation,
    pub result: OpResult,
    /// Empty for a replay.
    pub writes: Vec<Write>,
    /// `false` when the operation was applied before (its stored result is returned, nothing
    /// is written, not even the op log).
    pub fresh: bool,
}

impl<'a> Batch<'a> {
    pub fn decode(ops: &'a [Operation]) -> Self {
        let bodies: Vec<Decoded> = ops.iter().map(decode).collect();
        let needs = ops.iter().zip(&bodies).map(|(op, body)| needs(op, body)).collect();
        Self { ops, bodies, needs }
    }

    pub fn ops(&self) -> &'a [Operation] {
        self.ops
    }

    /// Every key the batch needs loaded.
    pub fn needs(&self) -> BatchNeeds<'_> {
        let mut apps = HashSet::new();
        let mut actors = HashSet::new();
        let mut numbers = HashSet::new();
        let mut staff = HashSet::new();
        let mut out = BatchNeeds {
            op_ids: self.ops.iter().map(|o| o.op_id.as_str()).collect(),
            seqs: self.ops.iter().map(|o| o.seq).collect(),
            ..BatchNeeds::default()
        };
        for (i, n) in self.needs.iter().enumerate() {
            if let Some(id) = n.application_id.as_deref().filter(|id| apps.insert(*id)) {
                out.application_ids.push(id);
            }
            if let Some(a) = n.actor.as_deref().filter(|a| actors.insert(*a)) {
                out.actors.push(a);
            }
            if let Some(number) = n.registration_number.as_deref().filter(|x| numbers.insert(*x)) {
                out.registration_numbers.push(number);
            }
            if let Some(id) = n.staff_id.as_deref().filter(|x| staff.insert(*x)) {
                out.staff_ids.push(id);
            }
            if let Some(k) = &n.duplicates_of {
                out.duplicate_keys.push((i, k));
            }
        }
        out
    }

    /// Decide every operation in order. Each sees the writes of the earlier ones; an operation
    /// repeated within the batch or applied before gets its first result again.
    pub fn plan(&self, device_office: &str, mut loaded: Loaded) -> Vec<Step<'a>> {
        let verified = self.verify_proofs(&loaded);
        let mut steps = Vec::with_capacity(self.ops.len());
        for (i, ((op, body), need)) in self.ops.iter().zip(&self.bodies).zip(&self.needs).enumerate() {
            let previous =
                loaded.previous_by_op_id.get(&op.op_id).or_else(|| loaded.previous_by_seq.get(&op.seq));
            if let Some(previous) = previous {
                steps.push(Step { op, result: previous.clone(), writes: vec![], fresh: false });
                continue;
            }
            let ctx = Context {
                device_office: device_office.to_string(),
                app: need.application_id.as_ref().and_then(|id| loaded.apps.get(id).cloned()),
                actor: need.actor.as_ref().and_then(|a| loaded.actors.get(a).cloned()),
                duplicates: loaded.duplicates.remove(&i).unwrap_or_default(),
                verified: verified[i],
                number_holder: need.registration_number.as_ref().and_then(|n| loaded.numbers.get(n).cloned()),
                staff: need.staff_id.as_ref().and_then(|id| loaded.staff.get(id).cloned()),
            };
            let decision = decide_decoded(op, body, &ctx);
            for w in &decision.writes {
                overlay(&mut loaded, w);
            }
            let result = decision.result(op);
            loaded.previous_by_op_id.insert(op.op_id.clone(), result.clone());
            loaded.previous_by_seq.insert(op.seq, result.clone());
            steps.push(Step { op, result, writes: decision.writes, fresh: true });
        }
        steps
    }
}

/// The fresh refusals of a planned batch, counted by code (replays are not counted again):
/// logged by code — never by content — and kept per device for IT.
pub fn refusals(device_id: &str, steps: &[Step<'_>]) -> Vec<(String, i64)> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    for s in steps.iter().filter(|s| s.fresh && s.result.status == OpStatus::Rejected) {
        let code = s.result.code.clone().unwrap_or_default();
        tracing::warn!(device = device_id, op = %s.op.op, seq = s.op.seq, %code, "operation refused");
        match counts.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => counts.push((code, 1)),
        }
    }
    counts
}

impl Batch<'_> {
    /// Every signature of the push whose user and key are known, checked at once (one batch
    /// equation per key, on every core: `loket_keys::verify_all`); `None` where there is
    /// nothing to check (the rules then refuse the proof) or the operation was applied before.
    fn verify_proofs(&self, loaded: &Loaded) -> Vec<Option<bool>> {
        let mut wanted = Vec::new();
        let mut messages = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            if loaded.previous_by_op_id.contains_key(&op.op_id)
                || loaded.previous_by_seq.contains_key(&op.seq)
            {
                continue;
            }
            let Some(proof) = &op.proof else { continue };
            let key = loaded.actors.get(&proof.user).and_then(|s| s.keys.get(&proof.key_id));
            if let Some(key) = key {
                wanted.push((i, key.as_str(), proof.signature.as_str()));
                messages.push(op.signed(proof).message());
            }
        }
        let items: Vec<(&str, &[u8], &str)> =
            wanted.iter().zip(&messages).map(|((_, key, sig), m)| (*key, m.as_slice(), *sig)).collect();
        let mut out = vec![None; self.ops.len()];
        for ((i, _, _), ok) in wanted.iter().zip(loket_keys::verify_all(&items)) {
            out[*i] = Some(ok);
        }
        out
    }
}

/// What a write does to the applications later operations of the batch see.
fn overlay(loaded: &mut Loaded, w: &Write) {
    let apps = &mut loaded.apps;
    match w {
        Write::Staff(s) => {
            loaded.staff.insert(s.id.clone(), s.clone());
        }
        Write::InsertApplication { app, .. } => {
            if let Some(n) = &app.registration_number {
                loaded.numbers.insert(n.clone(), app.id.clone());
            }
            apps.insert(app.id.clone(), app.clone());
        }
        Write::SetStatus { id, status, version, registration_number } => {
            if let Some(n) = registration_number {
                loaded.numbers.insert(n.clone(), id.clone());
            }
            if let Some(a) = apps.get_mut(id) {
                a.status = *status;
                a.version = *version;
                a.registration_number.clone_from(registration_number);
            }
        }
        Write::SetFields { id, version, fields } => {
            if let Some(a) = apps.get_mut(id) {
                a.version = *version;
                a.fields.merge(fields);
            }
        }
        Write::Change { .. }
        | Write::Flag { .. }
        | Write::Conflict { .. }
        | Write::ResolveConflicts { .. }
        | Write::ExpectBlob { .. }
        | Write::Access { .. } => {}
        // Operations later in the same batch were taken on the laptop in the order sent, before
        // it learnt of the departure: their signers are judged as the batch found them.
        Write::DeactivateAccounts { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use loket_domain::workflow::{ApplicationKind, Role, Status};
    use loket_protocol::{OpKind, OpStatus, Operation};
    use serde_json::{json, Value};

    use super::*;

    fn op(seq: i64, op_id: &str, kind: OpKind, payload: Value, base_version: Option<i64>) -> Operation {
        let op = Operation {
            op_id: op_id.into(),
            seq,
            entity: kind.entity(),
            entity_id: "a1".into(),
            op: kind,
            payload: serde_json::value::RawValue::from_string(payload.to_string()).unwrap(),
            base_version,
            hlc: format!("{seq:016}-00000-AAAA"),
            proof: None,
        };
        crate::rules::testkit::sign(op, "ani")
    }

    fn register(seq: i64, op_id: &str) -> Operation {
        let draft = crate::storage::conformance::permit_draft_op(seq, "a1", "36.01.01", "3601011205900001");
        let payload = serde_json::from_str(draft.payload.get()).unwrap();
        op(seq, op_id, OpKind::ApplicationRegister, payload, None)
    }

    fn submit(seq: i64) -> Operation {
        let payload = json!({
            "event_id": "e1", "application_id": "a1", "action": "submit", "from": "draft", "to": "submitted",
            "registration_number": "360101-AAAA-000001", "actor": "ani",
        });
        op(seq, "op-submit", OpKind::ApplicationTransition, payload, Some(1))
    }

    fn edit(seq: i64, base: i64) -> Operation {
        let payload = json!({ "application_id": "a1", "fields": { "applicant_name": "Siti Aminah" } });
        op(seq, &format!("op-edit-{seq}"), OpKind::ApplicationEdit, payload, Some(base))
    }

    fn loaded() -> Loaded {
        let mut l = Loaded::default();
        l.actors.insert("ani".into(), crate::rules::testkit::signer("36.01.01", &[Role::Clerk]));
        l
    }

    fn statuses(steps: &[Step<'_>]) -> Vec<(OpStatus, Option<String>)> {
        steps.iter().map(|s| (s.result.status, s.result.code.clone())).collect()
    }

    #[test]
    fn each_operation_sees_what_the_earlier_ones_of_the_push_wrote() {
        // Registered, submitted and edited in one push: the submission finds the draft the
        // registration wrote, the edit finds version 2 the submission made.
        let ops = [register(1, "op-reg"), submit(2), edit(3, 2)];
        let batch = Batch::decode(&ops);
        let needs = batch.needs();
        assert_eq!(needs.application_ids, ["a1"], "each application loaded once");
        assert_eq!(needs.actors, ["ani"]);
        let steps = batch.plan("36.01.01", loaded());
        assert_eq!(statuses(&steps), vec![(OpStatus::Accepted, None); 3]);
        assert!(steps.iter().all(|s| s.fresh));
        assert!(matches!(
            &steps[1].writes[0],
            Write::SetStatus { status: Status::Submitted, version: 2, registration_number: Some(_), .. }
        ));
        assert!(matches!(&steps[2].writes[0], Write::SetFields { version: 3, .. }));
        // The same edit on a version the push already moved past is a conflict.
        let ops = [register(1, "op-reg"), submit(2), edit(3, 1)];
        let steps = Batch::decode(&ops).plan("36.01.01", loaded());
        assert_eq!(steps[2].result.status, OpStatus::Conflict);
    }

    #[test]
    fn an_operation_applied_before_or_repeated_in_the_push_gets_its_first_result() {
        let first = register(1, "op-reg");
        let mut l = loaded();
        let stored = OpResult {
            op_id: "op-reg".into(),
            seq: 1,
            status: OpStatus::Accepted,
            code: None,
            message: None,
        };
        l.previous_by_op_id.insert("op-reg".into(), stored.clone());
        // The stored application, as the first push left it.
        l.apps.insert(
            "a1".into(),
            AppState {
                id: "a1".into(),
                office_code: "36.01.01".into(),
                kind: ApplicationKind::Permit,
                status: Status::Draft,
                version: 1,
                service_code: "SKTM".into(),
                period: None,
                applicant_nik: None,
                kk: None,
                registration_number: None,
                fields: Default::default(),
                catalogue: None,
            },
        );
        let ops = [first.clone(), submit(2), submit(2)];
        let steps = Batch::decode(&ops).plan("36.01.01", l);
        assert_eq!((steps[0].result.clone(), steps[0].fresh, steps[0].writes.len()), (stored, false, 0));
        assert!(steps[1].fresh);
        assert_eq!(steps[2].result, steps[1].result, "a re-send within the push");
        assert!(!steps[2].fresh && steps[2].writes.is_empty());
    }

    #[test]
    fn a_payload_that_does_not_decode_is_refused_alone() {
        let bad = op(2, "op-bad", OpKind::ApplicationEdit, json!({ "fields": 5 }), Some(1));
        let ops = [register(1, "op-reg"), bad, submit(3)];
        let steps = Batch::decode(&ops).plan("36.01.01", loaded());
        assert_eq!(
            statuses(&steps),
            [
                (OpStatus::Accepted, None),
                (OpStatus::Rejected, Some("invalid_payload".into())),
                (OpStatus::Accepted, None)
            ]
        );
    }

    /// The push's signatures are checked together; a forged one among them is refused alone.
    #[test]
    fn a_forged_operation_in_a_push_is_refused_alone() {
        let forged = crate::rules::testkit::sign_with(edit(3, 2), "ani", &loket_keys::UserKey::generate());
        let ops = [register(1, "op-reg"), submit(2), forged, edit(4, 2)];
        let steps = Batch::decode(&ops).plan("36.01.01", loaded());
        assert_eq!(
            statuses(&steps),
            [
                (OpStatus::Accepted, None),
                (OpStatus::Accepted, None),
                (OpStatus::Rejected, Some("bad_signature".into())),
                (OpStatus::Accepted, None)
            ]
        );
    }
}
