//! Records the server publishes to devices outside of operations.

use serde_json::{json, Value};

use crate::storage::User;

/// A user as synced to the office's devices, with the password hash for offline login.
pub fn user_record(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "roles": u.roles,
        "password_hash": u.password_hash,
        "active": u.active,
    })
}
