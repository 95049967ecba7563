//! Records the server publishes to devices outside of operations.

use loket_domain::workflow::Role;
use loket_protocol::{ChangeBody, UserRecord};

use crate::storage::User;

/// A user as synced to the office's devices, with their public key and wrapped private key for
/// offline login (never a password hash): the data of a `user` change.
pub fn user_change(u: &User) -> String {
    ChangeBody::User(UserRecord {
        id: u.id.clone(),
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        roles: u.roles.iter().filter_map(|r| Role::parse(r)).collect(),
        public_key: u.public_key.clone(),
        wrapped_key: u.wrapped_key.clone(),
        active: u.active,
    })
    .encode()
}
