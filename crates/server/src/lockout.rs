//! Lockout of repeated failed logins, per username and per client address, with backoff.
//!
//! After `threshold` failures in a row a key is locked for `base`, doubling with each further
//! failure up to `cap`; a success clears the user's count. The address threshold is higher than
//! the user's: an office behind one address shares it. Usernames are counted whether they exist
//! or not, so a lockout says nothing about which accounts exist.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Addr(IpAddr),
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    until: Option<Instant>,
}

/// Settings of a [`Lockout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row before a username is locked.
    pub per_user: u32,
    /// Failures in a row before a client address is locked.
    pub per_address: u32,
    /// The first lock's length; each further failure doubles it.
    pub base: Duration,
    pub cap: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_address: 30,
            base: Duration::from_secs(30),
            cap: Duration::from_secs(15 * 60),
        }
    }
}

pub struct Lockout {
    policy: LockoutPolicy,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Lockout {
    pub fn new(policy: LockoutPolicy) -> Self {
        Self { policy, entries: Mutex::new(HashMap::new()) }
    }

    fn keys(username: &str, ip: IpAddr) -> [Key; 2] {
        [Key::User(username.trim().to_lowercase()), Key::Addr(ip)]
    }

    /// How long until `username` may try again from `ip`, if either is locked at `now`.
    pub fn locked(&self, username: &str, ip: IpAddr, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(username, ip)
            .iter()
            .filter_map(|k| entries.get(k)?.until)
            .filter(|until| *until > now)
            .max()
            .map(|until| until - now)
    }

    /// Count a failed attempt.
    pub fn failed(&self, username: &str, ip: IpAddr, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 100_000 {
            entries.retain(|_, e| e.until.is_some_and(|u| u > now));
        }
        for key in Self::keys(username, ip) {
            let threshold = match key {
                Key::User(_) => self.policy.per_user,
                Key::Addr(_) => self.policy.per_address,
            };
            let e = entries.entry(key).or_default();
            e.failures += 1;
            if e.failures >= threshold {
                let doublings = (e.failures - threshold).min(16);
                let lock = self.policy.base.saturating_mul(1 << doublings).min(self.policy.cap);
                e.until = Some(now + lock);
            }
        }
    }

    /// A successful login clears the user's count (not the address's).
    pub fn succeeded(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&Key::User(username.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 1, 1));

    fn lockout() -> Lockout {
        Lockout::new(LockoutPolicy {
            per_user: 3,
            per_address: 5,
            base: Duration::from_secs(10),
            cap: Duration::from_secs(35),
        })
    }

    #[test]
    fn a_user_is_locked_after_repeated_failures_with_backoff_and_it_lifts() {
        let l = lockout();
        let t0 = Instant::now();
        for _ in 0..2 {
            l.failed("Kasi", IP, t0);
        }
        assert_eq!(l.locked("kasi", IP, t0), None, "two failures: not yet");
        l.failed(" KASI ", IP, t0);
        assert_eq!(l.locked("kasi", IP, t0), Some(Duration::from_secs(10)), "names are compared folded");
        assert_eq!(l.locked("kasi", IP, t0 + Duration::from_secs(10)), None, "the lock lifts");
        l.failed("kasi", IP, t0 + Duration::from_secs(10));
        assert_eq!(
            l.locked("kasi", IP, t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(20)),
            "doubled"
        );
        let other_ip = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 1, 2));
        assert!(
            l.locked("kasi", other_ip, t0 + Duration::from_secs(10)).is_some(),
            "per user, from anywhere"
        );
        assert_eq!(l.locked("ani", other_ip, t0), None);
        l.succeeded("kasi");
        assert_eq!(l.locked("kasi", other_ip, t0 + Duration::from_secs(10)), None, "a success clears it");
    }

    #[test]
    fn an_address_trying_many_names_is_locked_and_the_lock_is_capped() {
        let l = lockout();
        let t0 = Instant::now();
        for i in 0..5 {
            l.failed(&format!("user{i}"), IP, t0);
        }
        assert!(l.locked("someone", IP, t0).is_some(), "the address is locked for every name");
        for _ in 0..10 {
            l.failed("user9", IP, t0);
        }
        assert_eq!(l.locked("user9", IP, t0), Some(Duration::from_secs(35)), "capped");
    }
}
