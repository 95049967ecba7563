//! Who is at the counter: offline login against the office's synced users, and logout.

use crate::dto::{LoginInput, SessionDto};
use crate::loket::local_clerk;
use crate::{AppError, Loket};

impl Loket {
    /// Who is at the counter, and whether a login is needed.
    pub fn session(&self) -> Result<SessionDto, AppError> {
        let full_name = self.user.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let actor = self.actor();
        let users_known = self.store().office_users_known()?;
        Ok(SessionDto {
            login_required: users_known && full_name.is_none(),
            username: full_name.as_ref().map(|_| actor.username.clone()),
            full_name,
            roles: actor.roles.clone(),
        })
    }

    /// Log in offline: the password is checked against the office user's argon2id hash synced
    /// from the provincial server. The same message for an unknown user and a wrong password.
    pub fn login(&self, input: LoginInput) -> Result<SessionDto, AppError> {
        let user = self.store().office_user(input.username.trim())?;
        let Some(user) = user.filter(|u| u.active) else { return Err(AppError::LoginFailed) };
        let ok = argon2::PasswordHash::new(&user.password_hash).is_ok_and(|h| {
            use argon2::PasswordVerifier;
            argon2::Argon2::default().verify_password(input.password.as_bytes(), &h).is_ok()
        });
        if !ok {
            tracing::info!("login refused");
            return Err(AppError::LoginFailed);
        }
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) =
            loket_store::Actor::new(user.username.clone(), &user.roles);
        *self.user.lock().unwrap_or_else(|p| p.into_inner()) = Some(user.full_name);
        tracing::info!(user = %user.username, "logged in");
        self.session()
    }

    /// Log out; the next change needs a login again.
    pub fn logout(&self) -> Result<SessionDto, AppError> {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = local_clerk();
        *self.user.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.session()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use loket_domain::workflow::Role;
    use loket_protocol::{ChangeBody, UserRecord};

    use crate::dto::LoginInput;
    use crate::test_support::{configured, synced_user};

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
        let input = crate::test_support::bansos("3601011205900001");
        assert_eq!(loket.register_bansos(input).unwrap_err().code(), "login_required");
    }
}
