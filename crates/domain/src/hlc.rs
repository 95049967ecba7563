//! Hybrid logical clock.
//!
//! Office laptops have wrong clocks, so ordering never trusts the wall clock alone. An HLC
//! timestamp is `(wall milliseconds, logical counter, node)`: it never goes backwards on one
//! device, it moves past any timestamp the device has seen from elsewhere, and it stays close to
//! physical time when clocks are right. The clock is pure: the caller passes the wall time in.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// One HLC timestamp. Orders by wall time, then counter, then node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HlcTimestamp {
    pub wall_ms: u64,
    pub counter: u32,
    pub node: String,
}

impl Ord for HlcTimestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.node).cmp(&(other.wall_ms, other.counter, &other.node))
    }
}

impl PartialOrd for HlcTimestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Text form `0001764300000000-00000-NODE`: sorts lexically in HLC order.
impl fmt::Display for HlcTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}-{:05}-{}", self.wall_ms, self.counter, self.node)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an HLC timestamp: {0:?}")]
pub struct HlcParseError(pub String);

impl FromStr for HlcTimestamp {
    type Err = HlcParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || HlcParseError(s.to_string());
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next().filter(|p| p.len() == 16).and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let counter = parts.next().filter(|p| p.len() == 5).and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let node = parts.next().filter(|p| !p.is_empty()).ok_or_else(err)?.to_string();
        Ok(Self { wall_ms, counter, node })
    }
}

/// The clock of one node (device or server).
#[derive(Debug, Clone)]
pub struct Hlc {
    last: HlcTimestamp,
}

impl Hlc {
    /// A clock for `node`, resuming after `last` (persisted) if given.
    pub fn new(node: impl Into<String>, last: Option<HlcTimestamp>) -> Self {
        let node = node.into();
        let last = match last {
            Some(t) => HlcTimestamp { node: node.clone(), ..t },
            None => HlcTimestamp { wall_ms: 0, counter: 0, node },
        };
        Self { last }
    }

    /// A timestamp for a local event at wall time `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> HlcTimestamp {
        if now_ms > self.last.wall_ms {
            self.last.wall_ms = now_ms;
            self.last.counter = 0;
        } else {
            self.last.counter += 1;
        }
        self.last.clone()
    }

    /// Merge a timestamp received from another node, then tick.
    pub fn observe(&mut self, remote: &HlcTimestamp, now_ms: u64) -> HlcTimestamp {
        let wall = now_ms.max(self.last.wall_ms).max(remote.wall_ms);
        let counter = if wall == self.last.wall_ms && wall == remote.wall_ms {
            self.last.counter.max(remote.counter) + 1
        } else if wall == self.last.wall_ms {
            self.last.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        self.last.wall_ms = wall;
        self.last.counter = counter;
        self.last.clone()
    }

    pub fn last(&self) -> &HlcTimestamp {
        &self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_backwards_when_the_wall_clock_does() {
        let mut c = Hlc::new("A", None);
        let a = c.tick(1000);
        let b = c.tick(900); // clock set back
        let d = c.tick(1000);
        assert!(a < b && b < d);
        assert_eq!((b.wall_ms, b.counter), (1000, 1));
    }

    #[test]
    fn observing_a_future_timestamp_moves_past_it() {
        let mut c = Hlc::new("A", None);
        c.tick(1000);
        let remote = HlcTimestamp { wall_ms: 5000, counter: 7, node: "B".into() };
        let t = c.observe(&remote, 1001);
        assert!(t > remote);
        assert_eq!((t.wall_ms, t.counter), (5000, 8));
        assert!(c.tick(1002) > t);
    }

    #[test]
    fn text_form_round_trips_and_sorts() {
        let t = HlcTimestamp { wall_ms: 1_764_300_000_000, counter: 3, node: "K7QX".into() };
        assert_eq!(t.to_string(), "0001764300000000-00003-K7QX");
        assert_eq!(t.to_string().parse::<HlcTimestamp>().unwrap(), t);
        let later = HlcTimestamp { counter: 10, ..t.clone() };
        assert!(t.to_string() < later.to_string());
        assert!("garbage".parse::<HlcTimestamp>().is_err());
    }

    #[test]
    fn resumes_after_persisted_timestamp() {
        let last = HlcTimestamp { wall_ms: 9000, counter: 2, node: "X".into() };
        let mut c = Hlc::new("A", Some(last));
        let t = c.tick(100);
        assert_eq!((t.wall_ms, t.counter, t.node.as_str()), (9000, 3, "A"));
    }
}
