//! One push planned as a whole. Both backends load what a batch needs in a few queries, the
//! planner decides each operation in order against an overlay of what the earlier ones in the
//! same batch wrote (a registration followed by its submission, two edits in a row), and the
//! backend executes the planned writes. Decoding, ordering, idempotent replays and the overlay
//! live here once, not in each backend.

use std::collections::{HashMap, HashSet};

use loket_domain::workflow::Role;
use loket_protocol::{OpResult, Operation};

use super::{decide_decoded, decode, needs, AppState, Context, Decoded, DuplicateKey, Needs, Write};

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
    /// Users named as actors (each once).
    pub actors: Vec<&'a str>,
    /// Duplicate-aid keys, with the index of the operation that needs each.
    pub duplicate_keys: Vec<(usize, &'a DuplicateKey)>,
}

/// What the backend loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Results stored for operations already applied, by op id and by this device's seq.
    pub previous_by_op_id: HashMap<String, OpResult>,
    pub previous_by_seq: HashMap<i64, OpResult>,
    pub apps: HashMap<String, AppState>,
    /// `(office, roles)` of active users, by username.
    pub actors: HashMap<String, (String, Vec<Role>)>,
    /// Duplicate-aid candidates, by operation index.
    pub duplicates: HashMap<usize, Vec<AppState>>,
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
            if let Some(k) = &n.duplicates_of {
                out.duplicate_keys.push((i, k));
            }
        }
        out
    }

    /// Decide every operation in order. Each sees the writes of the earlier ones; an operation
    /// repeated within the batch or applied before gets its first result again.
    pub fn plan(&self, device_office: &str, mut loaded: Loaded) -> Vec<Step<'a>> {
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
            };
            let decision = decide_decoded(op, body, &ctx);
            for w in &decision.writes {
                overlay(&mut loaded.apps, w);
            }
            let result = decision.result(op);
            loaded.previous_by_op_id.insert(op.op_id.clone(), result.clone());
            loaded.previous_by_seq.insert(op.seq, result.clone());
            steps.push(Step { op, result, writes: decision.writes, fresh: true });
        }
        steps
    }
}

/// What a write does to the applications later operations of the batch see.
fn overlay(apps: &mut HashMap<String, AppState>, w: &Write) {
    match w {
        Write::InsertApplication { app, .. } => {
            apps.insert(app.id.clone(), app.clone());
        }
        Write::SetStatus { id, status, version, registration_number } => {
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
        | Write::ResolveConflicts { .. } => {}
    }
}
