//! Who took an operation. Before anything else is decided, the operation's proof must name an
//! active user of the device's office, be signed by one of that user's registered keys over
//! exactly this operation, agree with the names inside the payload, and the user's roles must
//! allow the kind of operation. Transitions are checked against the workflow's roles later,
//! with the roles returned here.

use std::collections::HashMap;

use loket_domain::workflow::Role;
use loket_protocol::{OpBody, Operation};

use super::Context;

/// A user as the server knows them, for checking proofs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signer {
    pub office: String,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Every key ever registered for the user (key id → public key): an operation signed
    /// offline with a key since replaced still verifies.
    pub keys: HashMap<String, String>,
}

/// Why a proof is refused: a stable code and a message.
pub(super) type Refusal = (&'static str, String);

/// Which roles may take an operation of this kind (`None`: the workflow decides).
fn allowed_roles(body: &OpBody) -> Option<&'static [Role]> {
    match body {
        OpBody::Register(_) | OpBody::Edit(_) | OpBody::Document(_) | OpBody::Attach(_) => {
            Some(&[Role::Clerk, Role::Supervisor])
        }
        OpBody::Transition(_) => None,
        OpBody::Resolve(_) => Some(&[Role::Supervisor]),
        // Staff records are kept by the office's supervisors; deactivating a staff member
        // deactivates their accounts on the same laptop.
        OpBody::StaffCreate(_) | OpBody::StaffUpdate(_) | OpBody::UserDeactivate(_) => {
            Some(&[Role::Supervisor, Role::Admin])
        }
        // Accounts, the holiday calendar and the catalogue are the province's (IT).
        OpBody::UserCreate(_) | OpBody::HolidaySet(_) | OpBody::CataloguePublish(_) => Some(&[Role::Admin]),
        // Whoever may look at the office's records leaves a record of doing so.
        OpBody::Access(_) => Some(&[Role::Clerk, Role::Supervisor, Role::Admin]),
    }
}

/// The acting user's roles, or why the operation is refused.
pub(super) fn check(op: &Operation, body: &OpBody, ctx: &Context) -> Result<Vec<Role>, Refusal> {
    let Some(proof) = &op.proof else {
        return Err(("unsigned", "the operation carries no proof of who took it".into()));
    };
    let Some(signer) = ctx.actor.as_deref() else {
        return Err(("unknown_user", format!("{} is not a user known to the server", proof.user)));
    };
    if signer.office != ctx.device_office {
        return Err(("forbidden_office", format!("{} is not a user of this office", proof.user)));
    }
    let Some(public_key) = signer.keys.get(&proof.key_id) else {
        return Err(("bad_signature", format!("key {} is not one of {}'s keys", proof.key_id, proof.user)));
    };
    let valid = ctx
        .verified
        .unwrap_or_else(|| loket_keys::verify(public_key, &op.signed(proof).message(), &proof.signature));
    if !valid {
        return Err(("bad_signature", "the signature does not match the operation".into()));
    }
    if !signer.active {
        return Err(("user_deactivated", format!("{} has been deactivated", proof.user)));
    }
    let named = match body {
        OpBody::Transition(p) => Some(&p.actor),
        OpBody::Resolve(p) => Some(&p.actor),
        _ => None,
    };
    if let Some(named) = named.filter(|n| **n != proof.user) {
        return Err(("actor_mismatch", format!("signed by {} but names {named}", proof.user)));
    }
    if let Some(allowed) = allowed_roles(body) {
        if !signer.roles.iter().any(|r| allowed.contains(r)) {
            return Err(("role_not_allowed", format!("{} may not take {}", proof.user, op.op)));
        }
    }
    Ok(signer.roles.clone())
}
