//! A fixed-window rate limiter: per client address for enrollment and login, per device for
//! sync.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Key → (window start, requests in window).
type Hits<K> = HashMap<K, (Instant, u32)>;

pub struct RateLimiter<K = (IpAddr, &'static str)> {
    limit: u32,
    window: Duration,
    hits: Mutex<Hits<K>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, hits: Mutex::new(HashMap::new()) }
    }

    /// The length of a window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Count a request; `false` when `key` is over its limit for this window.
    pub fn allow_key(&self, key: K) -> bool {
        self.wait(key).is_none()
    }

    /// Count a request; when `key` is over its limit, how long until its window ends.
    pub fn wait(&self, key: K) -> Option<Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 > self.limit).then(|| self.window.saturating_sub(now.duration_since(entry.0)))
    }
}

impl RateLimiter {
    /// Count a request of `ip` in `bucket`; `false` when the client is over its limit.
    pub fn allow(&self, ip: IpAddr, bucket: &'static str) -> bool {
        self.allow_key((ip, bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_bucket() {
        let rl = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(rl.allow(a, "enroll") && rl.allow(a, "enroll"));
        assert!(!rl.allow(a, "enroll"));
        assert!(rl.allow(a, "login"));
        assert!(rl.allow(b, "enroll"));
    }

    #[test]
    fn a_key_over_its_limit_is_told_how_long_to_wait() {
        let rl: RateLimiter<String> = RateLimiter::new(2, Duration::from_secs(60));
        assert_eq!(rl.wait("device-a".into()), None);
        assert_eq!(rl.wait("device-a".into()), None);
        let wait = rl.wait("device-a".into()).expect("over the limit");
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60), "{wait:?}");
        assert_eq!(rl.wait("device-b".into()), None, "per key");
    }

    #[test]
    fn window_resets() {
        let rl = RateLimiter::new(1, Duration::ZERO);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(rl.allow(a, "x") && rl.allow(a, "x"));
    }
}
