//! Signed operations for the rules' tests: the conformance suite's key and signing, registered
//! for whichever user a test names.

use std::sync::Arc;

use loket_domain::workflow::Role;
use loket_protocol::Operation;

pub use crate::storage::conformance::sign_as as sign_with;
use crate::storage::conformance::KEY;

use super::Signer;

/// An active user of `office` holding the suite's key.
pub fn signer(office: &str, roles: &[Role]) -> Arc<Signer> {
    Arc::new(Signer {
        office: office.into(),
        roles: roles.to_vec(),
        active: true,
        keys: [(KEY.key_id(), KEY.public_key())].into(),
    })
}

/// `op` signed by `user` with the suite's key.
pub fn sign(op: Operation, user: &str) -> Operation {
    sign_with(op, user, &KEY)
}
