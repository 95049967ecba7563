//! Who is at the counter: the laptop's first local user before enrollment, offline login
//! against the office's users (opening the user's wrapped signing key with the password), a
//! session that locks after a while without activity (or when the user steps away) and drops
//! the key until the password opens it again, switching user, and logout. Unsynced work is
//! never touched by any of them: it belongs to the store, and each change was recorded and
//! signed under the user who made it.

use std::sync::Arc;
use std::time::Instant;

use loket_domain::workflow::Role;
use loket_keys::UserKey;
use loket_store::{Actor, OfficeUser};

use crate::dto::{FirstUserInput, LoginInput, SessionDto, UnlockInput};
use crate::loket::{LoggedIn, Session};
use crate::{AppError, Loket};

/// The shortest password accepted for a new user (the server's rule too).
const MIN_PASSWORD_CHARS: usize = 10;

impl Loket {
    /// Who is at the counter, whether a first user or a login is needed, and whether the
    /// session is locked.
    pub fn session(&self) -> Result<SessionDto, AppError> {
        self.not_wiped()?;
        // An enrolled laptop gets its users from the server (the first pull may still be on
        // its way); one that is not enrolled starts with a first local user.
        let users_known = self.users_known()?;
        let s = self.session_state();
        let user = s.user.as_ref();
        Ok(SessionDto {
            first_user_required: !users_known,
            login_required: users_known && user.is_none(),
            locked: user.is_some() && s.locked,
            username: user.map(|u| u.actor.username.clone()),
            full_name: user.map(|u| u.full_name.clone()),
            roles: user.map(|u| u.actor.roles.clone()).unwrap_or_default(),
            idle_lock_seconds: u32::try_from(self.idle_lock.as_secs()).unwrap_or(u32::MAX),
        })
    }

    /// Create the laptop's first user before it is enrolled, and log them in. Their key is
    /// made here and kept only wrapped by the password; at enrollment IT links the user to a
    /// server account and the work done until then is accepted with its signatures.
    pub fn create_first_user(&self, input: FirstUserInput) -> Result<SessionDto, AppError> {
        self.not_wiped()?;
        let username = input.username.trim().to_lowercase();
        let draft =
            loket_domain::staff::UserDraft { username: username.clone(), roles: vec!["clerk".into()] };
        loket_domain::staff::validate_user(&draft, true).map_err(|issues| AppError::Validation {
            issues: crate::present::issues(&issues),
            needs_confirmation: false,
        })?;
        if input.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AppError::WeakPassword);
        }
        if self.users_known()? {
            return Err(AppError::UsersExist);
        }
        let key = UserKey::generate();
        let user = OfficeUser {
            username,
            full_name: input.full_name.trim().to_string(),
            roles: vec![Role::Clerk],
            public_key: key.public_key(),
            wrapped_key: key.wrap(&input.password),
            active: true,
            local: true,
        };
        self.store().create_local_user(&user)?;
        tracing::info!(user = %user.username, "first local user created");
        self.open_session(user, key);
        self.session()
    }

    /// Log in offline (also: switch user from a locked session): the password must open the
    /// user's wrapped key. The same message for an unknown user and a wrong password.
    pub fn login(&self, input: LoginInput) -> Result<SessionDto, AppError> {
        self.not_wiped()?;
        let user = self.store().office_user(input.username.trim())?;
        let Some(user) = user.filter(|u| u.active) else { return Err(AppError::LoginFailed) };
        let Ok(key) = UserKey::unwrap(&user.wrapped_key, &input.password) else {
            tracing::info!("login refused");
            return Err(AppError::LoginFailed);
        };
        tracing::info!(user = %user.username, "logged in");
        self.open_session(user, key);
        self.session()
    }

    fn open_session(&self, user: OfficeUser, key: UserKey) {
        let now = Instant::now();
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Session {
            user: Some(LoggedIn {
                actor: Actor::signing(user.username, &user.roles, Arc::new(key)),
                full_name: user.full_name,
                wrapped_key: user.wrapped_key,
                authenticated_at: now,
            }),
            locked: false,
            last_activity: now,
        };
    }

    /// Lock the session now (the user steps away from the counter).
    pub fn lock(&self) -> Result<SessionDto, AppError> {
        self.session_state().lock();
        self.session()
    }

    /// Unlock a locked session with the same user's password.
    pub fn unlock(&self, input: UnlockInput) -> Result<SessionDto, AppError> {
        self.not_wiped()?;
        let key = self.check_password(&input.password)?;
        let mut s = self.session_state();
        if let Some(u) = &mut s.user {
            u.actor.key = Some(Arc::new(key));
            u.authenticated_at = Instant::now();
        }
        s.locked = false;
        s.last_activity = Instant::now();
        drop(s);
        self.session()
    }

    /// Open the logged-in user's key with `password` (unlocking, re-authenticating).
    pub(crate) fn check_password(&self, password: &str) -> Result<UserKey, AppError> {
        let wrapped = self.session_state().user.as_ref().map(|u| u.wrapped_key.clone());
        let Some(wrapped) = wrapped else { return Err(AppError::LoginRequired) };
        UserKey::unwrap(&wrapped, password).map_err(|_| AppError::LoginFailed)
    }

    /// Before an aid or grant decision: the password again if it was last entered too long
    /// ago (`password` given: checked, and the clock starts again).
    pub(crate) fn recent_password(&self, password: Option<&str>) -> Result<(), AppError> {
        let fresh = self
            .session_state()
            .user
            .as_ref()
            .is_some_and(|u| u.authenticated_at.elapsed() < self.reauth_after);
        if fresh {
            return Ok(());
        }
        let Some(password) = password.filter(|p| !p.is_empty()) else { return Err(AppError::ReauthRequired) };
        self.check_password(password)?;
        if let Some(u) = &mut self.session_state().user {
            u.authenticated_at = Instant::now();
        }
        Ok(())
    }

    /// Log out; the next change needs a login again.
    pub fn logout(&self) -> Result<SessionDto, AppError> {
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Session::default();
        self.session()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use loket_domain::workflow::Role;
    use loket_protocol::{ChangeBody, UserRecord};

    use crate::dto::{LoginInput, UnlockInput};
    use crate::test_support::{bansos, configured, synced_user};

    /// IT deactivates someone who left: the next sync drops them from this laptop's logins.
    #[test]
    fn a_user_deactivated_on_the_server_can_no_longer_log_in_here() {
        let (_dir, loket) = configured();
        synced_user(&loket, "kasi", &[Role::Supervisor], "rahasia-panjang");
        let login =
            || loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() });
        login().unwrap();
        loket.logout().unwrap();
        let stored = loket.store().office_user("kasi").unwrap().unwrap();
        let gone = UserRecord {
            id: "kasi".into(),
            username: "kasi".into(),
            full_name: stored.full_name,
            roles: stored.roles,
            public_key: stored.public_key,
            wrapped_key: stored.wrapped_key,
            active: false,
        };
        let change = loket_store::RemoteChange::of(2, "kasi", ChangeBody::User(gone), "2026-12-01T00:00:00Z");
        loket.store().apply_remote(&[change], 2, Utc::now()).unwrap();
        assert_eq!(login().unwrap_err().code(), "login_failed");
        assert_eq!(loket.store().office_user_count().unwrap(), 1, "only the laptop's first user");
        // The laptop does not fall back to working without a login.
        assert!(loket.session().unwrap().login_required);
        assert_eq!(loket.register_bansos(bansos("3601011205900001")).unwrap_err().code(), "login_required");
    }

    /// Locked on demand or when idle: nothing reads or changes the office's records until the
    /// same user's password unlocks it or another user logs in; the work done before stays.
    #[test]
    fn a_locked_session_opens_only_with_a_password() {
        let (_dir, loket) = configured();
        let loket = loket.with_idle_lock(Duration::from_secs(3600));
        synced_user(&loket, "ani", &[Role::Clerk], "rahasia-ani-2026");
        loket.login(LoginInput { username: "ani".into(), password: "rahasia-ani-2026".into() }).unwrap();
        loket.register_bansos(bansos("3601011205900001")).unwrap();
        assert!(loket.lock().unwrap().locked);
        assert_eq!(loket.list_applications().unwrap_err().code(), "session_locked");
        assert_eq!(loket.search_applications("ujang").unwrap_err().code(), "session_locked");
        assert_eq!(loket.list_staff().unwrap_err().code(), "session_locked");
        assert_eq!(loket.register_bansos(bansos("3601011205900002")).unwrap_err().code(), "session_locked");
        let wrong = UnlockInput { password: "salah".into() };
        assert_eq!(loket.unlock(wrong).unwrap_err().code(), "login_failed");
        let s = loket.unlock(UnlockInput { password: "rahasia-ani-2026".into() }).unwrap();
        assert!(!s.locked);
        assert_eq!(loket.list_applications().unwrap().len(), 1, "the work before the lock is there");
    }

    #[test]
    fn an_idle_session_locks_by_itself() {
        let (_dir, loket) = configured();
        let loket = loket.with_idle_lock(Duration::ZERO);
        synced_user(&loket, "ani", &[Role::Clerk], "rahasia-ani-2026");
        let s =
            loket.login(LoginInput { username: "ani".into(), password: "rahasia-ani-2026".into() }).unwrap();
        assert!(s.locked, "no time at all without activity is allowed here");
        assert_eq!(loket.register_bansos(bansos("3601011205900001")).unwrap_err().code(), "session_locked");
    }

    /// Each change carries its author's signature, made with the key their password opened;
    /// a locked session holds no key, and the unlocked one signs again.
    #[test]
    fn every_change_is_signed_by_the_user_who_made_it() {
        let (_dir, loket) = configured();
        let loket = loket.with_idle_lock(Duration::from_secs(3600));
        loket.register_bansos(bansos("3601011205900001")).unwrap();
        synced_user(&loket, "ani", &[Role::Clerk], "rahasia-ani-2026");
        loket.login(LoginInput { username: "ani".into(), password: "rahasia-ani-2026".into() }).unwrap();
        loket.lock().unwrap();
        assert!(
            loket.session.lock().unwrap().user.as_ref().unwrap().actor.key.is_none(),
            "no key while locked"
        );
        loket.unlock(UnlockInput { password: "rahasia-ani-2026".into() }).unwrap();
        loket.register_bansos(bansos("3601011205900002")).unwrap();
        let ops = loket.store().pending_ops(10).unwrap();
        let mut authors = Vec::new();
        for op in &ops {
            let proof = op.proof.clone().expect("signed");
            let public_key = loket.store().office_user(&proof.user).unwrap().unwrap().public_key;
            let signed = loket_protocol::Signed {
                op_id: &op.op_id,
                seq: op.seq,
                entity: op.kind().unwrap().entity(),
                entity_id: &op.entity_id,
                op: op.kind().unwrap(),
                base_version: op.base_version,
                hlc: &op.hlc,
                user: &proof.user,
                key_id: &proof.key_id,
                payload: &op.payload,
            };
            assert!(loket_keys::verify(&public_key, &signed.message(), &proof.signature), "{proof:?}");
            assert_eq!(proof.key_id, loket_keys::key_id(&public_key));
            authors.push(proof.user);
        }
        assert_eq!(authors, ["petugas", "ani"]);
        let stored = loket.store().office_user("petugas").unwrap().unwrap();
        assert!(
            stored.local && !stored.wrapped_key.contains("argon2"),
            "the laptop keeps a wrapped key only"
        );
    }
}
