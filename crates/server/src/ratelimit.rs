//! A fixed-window rate limiter per client address, for enrollment and login.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// (client, bucket) → (window start, requests in window).
type Hits = HashMap<(IpAddr, &'static str), (Instant, u32)>;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    hits: Mutex<Hits>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, hits: Mutex::new(HashMap::new()) }
    }

    /// The length of a window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Count a request; `false` when the client is over its limit for this window.
    pub fn allow(&self, ip: IpAddr, bucket: &'static str) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry((ip, bucket)).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
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
    fn window_resets() {
        let rl = RateLimiter::new(1, Duration::ZERO);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(rl.allow(a, "x") && rl.allow(a, "x"));
    }
}
