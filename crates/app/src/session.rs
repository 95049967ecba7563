//! Who is at the counter: offline login against the office's synced users, a session that locks
//! after a while without activity (or when the user steps away), unlock with the same password,
//! switching user, and logout. Unsynced work is never touched by any of them: it belongs to the
//! store, and each change was recorded under the user who made it.

use std::time::Instant;

use crate::dto::{LoginInput, SessionDto, UnlockInput};
use crate::loket::{LoggedIn, Session};
use crate::{AppError, Loket};

fn password_matches(password: &str, phc: &str) -> bool {
    argon2::PasswordHash::new(phc).is_ok_and(|h| {
        use argon2::PasswordVerifier;
        argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok()
    })
}

impl Loket {
    /// Who is at the counter, whether a login is needed, and whether the session is locked.
    pub fn session(&self) -> Result<SessionDto, AppError> {
        let users_known = self.store().office_users_known()?;
        let s = self.session_state();
        let user = s.user.as_ref();
        Ok(SessionDto {
            login_required: users_known && user.is_none(),
            locked: user.is_some() && s.locked,
            username: user.map(|u| u.actor.username.clone()),
            full_name: user.map(|u| u.full_name.clone()),
            roles: user.map(|u| u.actor.roles.clone()).unwrap_or_default(),
            idle_lock_seconds: u32::try_from(self.idle_lock.as_secs()).unwrap_or(u32::MAX),
        })
    }

    /// Log in offline (also: switch user from a locked session): the password is checked
    /// against the office user's argon2id hash synced from the provincial server. The same
    /// message for an unknown user and a wrong password.
    pub fn login(&self, input: LoginInput) -> Result<SessionDto, AppError> {
        let user = self.store().office_user(input.username.trim())?;
        let Some(user) = user.filter(|u| u.active) else { return Err(AppError::LoginFailed) };
        if !password_matches(&input.password, &user.password_hash) {
            tracing::info!("login refused");
            return Err(AppError::LoginFailed);
        }
        tracing::info!(user = %user.username, "logged in");
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Session {
            user: Some(LoggedIn {
                actor: loket_store::Actor::new(user.username.clone(), &user.roles),
                full_name: user.full_name,
                password_hash: user.password_hash,
            }),
            locked: false,
            last_activity: Instant::now(),
        };
        self.session()
    }

    /// Lock the session now (the user steps away from the counter).
    pub fn lock(&self) -> Result<SessionDto, AppError> {
        self.session_state().locked = true;
        self.session()
    }

    /// Unlock a locked session with the same user's password.
    pub fn unlock(&self, input: UnlockInput) -> Result<SessionDto, AppError> {
        let hash = self.session_state().user.as_ref().map(|u| u.password_hash.clone());
        let Some(hash) = hash else { return Err(AppError::LoginRequired) };
        if !password_matches(&input.password, &hash) {
            return Err(AppError::LoginFailed);
        }
        let mut s = self.session_state();
        s.locked = false;
        s.last_activity = Instant::now();
        drop(s);
        self.session()
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
            password_hash: stored.password_hash,
            active: false,
        };
        let change = loket_store::RemoteChange::of(2, "kasi", ChangeBody::User(gone), "2026-12-01T00:00:00Z");
        loket.store().apply_remote(&[change], 2, Utc::now()).unwrap();
        assert_eq!(login().unwrap_err().code(), "login_failed");
        assert_eq!(loket.store().office_user_count().unwrap(), 0);
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
}
