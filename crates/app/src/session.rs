//! Who is at the counter: offline login against the office's synced users, and logout.

use crate::dto::{LoginInput, SessionDto};
use crate::loket::local_clerk;
use crate::{AppError, Loket};

impl Loket {
    /// Who is at the counter, and whether a login is needed.
    pub fn session(&self) -> Result<SessionDto, AppError> {
        let full_name = self.user.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let actor = self.actor();
        let users = self.store().office_user_count()?;
        Ok(SessionDto {
            login_required: users > 0 && full_name.is_none(),
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
