//! Signed operations for the rules' tests: one test key, registered for whichever user a test
//! names.

use std::sync::{Arc, LazyLock};

use loket_domain::workflow::Role;
use loket_keys::UserKey;
use loket_protocol::{Operation, Proof};

use super::Signer;

pub static KEY: LazyLock<UserKey> = LazyLock::new(UserKey::generate);

/// An active user of `office` holding the test key.
pub fn signer(office: &str, roles: &[Role]) -> Arc<Signer> {
    Arc::new(Signer {
        office: office.into(),
        roles: roles.to_vec(),
        active: true,
        keys: [(KEY.key_id(), KEY.public_key())].into(),
    })
}

/// `op` signed by `user` with `key`.
pub fn sign_with(mut op: Operation, user: &str, key: &UserKey) -> Operation {
    let mut proof = Proof { user: user.into(), key_id: key.key_id(), signature: String::new() };
    proof.signature = key.sign(&op.signed(&proof).message());
    op.proof = Some(proof);
    op
}

/// `op` signed by `user` with the test key.
pub fn sign(op: Operation, user: &str) -> Operation {
    sign_with(op, user, &KEY)
}
