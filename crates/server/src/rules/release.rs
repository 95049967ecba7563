//! Which signed release a laptop is offered (issue 16): pure rules, no IO.
//!
//! IT publishes a release with a rollout percentage and, optionally, the kabupaten/kota or
//! offices it is for. A laptop is in a rollout when its bucket — a number from 0 to 99 drawn
//! from its device id, the same for every release — is below the percentage: 30 % today are
//! still in at 60 % tomorrow, and the same laptops go first release after release (IT learns
//! their names). Only active releases newer than what the laptop runs are offered (never a
//! downgrade), the newest first; a paused or yanked release is offered to none.

use semver::Version;

/// Where a release is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseState {
    /// Offered within its rollout.
    Active,
    /// Offered to nobody for now (a problem is being looked at); resumable.
    Paused,
    /// Withdrawn for good: offered to nobody, ever.
    Yanked,
}

impl ReleaseState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Yanked => "yanked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            "yanked" => Some(Self::Yanked),
            _ => None,
        }
    }
}

/// A release as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub version: Version,
    pub state: ReleaseState,
    /// 0 to 100.
    pub percent: u8,
    /// Dotted region codes it is for: a kabupaten/kota (`36.01`) or an office (`36.01.01`);
    /// empty for every office.
    pub regions: Vec<String>,
}

/// A laptop's bucket, 0 to 99: the first eight bytes of the SHA-256 of its device id.
pub fn bucket(device_id: &str) -> u8 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(device_id.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    (n % 100) as u8
}

/// Whether `office_code` is within one of `regions` (all when there are none).
fn in_regions(regions: &[String], office_code: &str) -> bool {
    regions.is_empty()
        || regions.iter().any(|r| {
            office_code == r || office_code.strip_prefix(r.as_str()).is_some_and(|rest| rest.starts_with('.'))
        })
}

/// The release to offer a laptop running `current`, if any (see the module documentation).
pub fn offer<'a>(
    releases: &'a [Rollout],
    current: &Version,
    device_id: &str,
    office_code: &str,
) -> Option<&'a Rollout> {
    let bucket = bucket(device_id);
    releases
        .iter()
        .filter(|r| r.state == ReleaseState::Active && r.version > *current)
        .filter(|r| bucket < r.percent && in_regions(&r.regions, office_code))
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// Whether an app at `app_version` is below the province's minimum (unreadable versions are:
/// an app that cannot say what it is does not sync past a minimum).
pub fn below_minimum(app_version: &str, minimum: Option<&Version>) -> bool {
    let Some(minimum) = minimum else { return false };
    Version::parse(app_version.trim_start_matches('v')).map_or(true, |v| v < *minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn release(version: &str, state: ReleaseState, percent: u8, regions: &[&str]) -> Rollout {
        Rollout {
            version: v(version),
            state,
            percent,
            regions: regions.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn devices() -> Vec<String> {
        (0..1000).map(|i| format!("01a2{i:04}-0000-7000-8000-000000000000")).collect()
    }

    #[test]
    fn thirty_percent_is_about_thirty_percent_of_a_thousand_devices_always_the_same_ones() {
        let at = |percent| vec![release("0.2.0", ReleaseState::Active, percent, &[])];
        let offered = |releases: &[Rollout]| -> Vec<String> {
            devices().into_iter().filter(|d| offer(releases, &v("0.1.0"), d, "36.01.01").is_some()).collect()
        };
        let thirty = offered(&at(30));
        assert!((250..=350).contains(&thirty.len()), "{} of 1,000", thirty.len());
        assert_eq!(offered(&at(30)), thirty, "the same devices every time");
        let sixty = offered(&at(60));
        assert!((550..=650).contains(&sixty.len()), "{} of 1,000", sixty.len());
        assert!(thirty.iter().all(|d| sixty.contains(d)), "promoting keeps those already in");
        assert_eq!(offered(&at(100)).len(), 1000);
        assert!(offered(&at(0)).is_empty());
    }

    #[test]
    fn paused_and_yanked_releases_and_downgrades_are_offered_to_nobody() {
        for state in [ReleaseState::Paused, ReleaseState::Yanked] {
            let releases = [release("0.2.0", state, 100, &[])];
            assert!(devices().iter().all(|d| offer(&releases, &v("0.1.0"), d, "36.01.01").is_none()));
        }
        let releases = [
            release("0.1.0", ReleaseState::Active, 100, &[]),
            release("0.0.9", ReleaseState::Active, 100, &[]),
        ];
        assert_eq!(offer(&releases, &v("0.1.0"), "d", "36.01.01"), None, "equal or older: never");
        let releases = [
            release("0.2.0", ReleaseState::Active, 100, &[]),
            release("0.3.0", ReleaseState::Active, 100, &[]),
            release("0.4.0", ReleaseState::Yanked, 100, &[]),
        ];
        assert_eq!(
            offer(&releases, &v("0.1.0"), "d", "36.01.01").unwrap().version,
            v("0.3.0"),
            "the newest active"
        );
    }

    #[test]
    fn a_release_for_chosen_regencies_or_offices_reaches_only_them() {
        let releases = [release("0.2.0", ReleaseState::Active, 100, &["36.01", "36.72.03"])];
        let offered = |office| offer(&releases, &v("0.1.0"), "d", office).is_some();
        assert!(offered("36.01.01") && offered("36.01.12"), "Kabupaten Pandeglang");
        assert!(offered("36.72.03") && !offered("36.72.01"), "one office of Kota Serang");
        assert!(!offered("36.010.01") && !offered("36.02.01"));
    }

    #[test]
    fn below_the_minimum_version_by_semver() {
        let min = v("0.3.0");
        assert!(below_minimum("0.2.9", Some(&min)) && below_minimum("0.3.0-rc.1", Some(&min)));
        assert!(!below_minimum("0.3.0", Some(&min)) && !below_minimum("v0.10.0", Some(&min)));
        assert!(below_minimum("unknown", Some(&min)), "an app that cannot say what it is");
        assert!(!below_minimum("anything", None));
    }
}
