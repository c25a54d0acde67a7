//! Whether a roll-out's version is doing worse than the version before it
//! (docs/adr/024-plugin-rollouts.md), and which tenants a percentage stage reaches.
//!
//! Two signals, each measured since the roll-out started:
//! - **Breaker trips per tenant.** The new version's trips divided by the tenants on it, against
//!   the previous version's trips per tenant plus the margin. One tenant's breaker opening on
//!   the new version while the old one opened none is enough: a trip already means calls refused.
//! - **Failure rate.** Judged once the new version ran `min_calls` calls, by the lower bound of
//!   the 95% Wilson interval of its failure rate — so a few unlucky calls do not roll back a
//!   good version — against the previous version's rate plus the margin. The previous rate is
//!   the one measured since the start when it ran `min_calls` calls by then, else its lifetime
//!   rate (a version with no calls at all counts as never failing).

use ils_plugin_host::metering::Health;
use ils_storage::ids::TenantId;
use sha2::{Digest as _, Sha256};

/// z for a two-sided 95% interval.
const Z: f64 = 1.96;

/// What one version did, and how many tenants run it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Its calls since the roll-out started.
    pub since_start: Health,
    /// Its calls ever.
    pub lifetime: Health,
    /// Tenants on it now.
    pub tenants: u64,
}

/// The lower bound of the 95% Wilson score interval of `failures` in `n` calls.
pub fn wilson_lower(failures: u64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // call counts are far below 2^52
    let (f, n) = (failures as f64, n as f64);
    let p = f / n;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let spread = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - spread) / (1.0 + z2 / n)).max(0.0)
}

#[allow(clippy::cast_precision_loss)] // call and tenant counts are far below 2^52
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// Why the new version should be rolled back, or `None` while it does no worse than the previous
/// one by more than `margin` (a fraction: 0.02 is two percentage points).
pub fn verdict(new: &Observed, previous: &Observed, margin: f64, min_calls: u64) -> Option<String> {
    let trips = new.since_start.breaker_trips;
    let trips_per_tenant = ratio(trips, new.tenants.max(1));
    let before_per_tenant = ratio(previous.since_start.breaker_trips, previous.tenants.max(1));
    if trips > 0 && trips_per_tenant > before_per_tenant + margin {
        return Some(format!(
            "breakers opened {trips} time(s) on it ({trips_per_tenant:.2} per tenant) against {before_per_tenant:.2} per tenant on the previous version, over the margin of {margin:.2}",
        ));
    }
    let calls = new.since_start.invocations;
    if calls < min_calls {
        return None;
    }
    let low = wilson_lower(new.since_start.failures, calls);
    let base =
        if previous.since_start.invocations >= min_calls { previous.since_start } else { previous.lifetime };
    let before = ratio(base.failures, base.invocations);
    (low > before + margin).then(|| {
        format!(
            "{} of {calls} calls failed ({}, at least {} at 95% confidence) against {} of the previous version over {} calls, over the margin of {} points",
            new.since_start.failures,
            percent(ratio(new.since_start.failures, calls)),
            percent(low),
            percent(before),
            base.invocations,
            margin * 100.0,
        )
    })
}

/// The bucket (0–99) of `tenant` for `plugin`: a percentage stage of `p` reaches the tenants in
/// buckets below `p`. Stable, so raising the percentage only adds tenants; per plugin, so the
/// same tenants are not always first.
pub fn bucket(plugin: &str, tenant: TenantId) -> u8 {
    let mut hash = Sha256::new();
    hash.update(plugin.as_bytes());
    hash.update([0]);
    hash.update(tenant.as_uuid().as_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u8::try_from(u64::from_be_bytes(first) % 100).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(invocations: u64, failures: u64, trips: u64, tenants: u64) -> Observed {
        let h = Health { invocations, failures, breaker_trips: trips };
        Observed { since_start: h, lifetime: h, tenants }
    }

    #[test]
    fn the_wilson_bound_is_below_the_rate_and_tightens_with_calls() {
        assert_eq!(wilson_lower(0, 0), 0.0);
        assert_eq!(wilson_lower(0, 50), 0.0);
        let few = wilson_lower(5, 10);
        let many = wilson_lower(500, 1000);
        assert!(few < 0.5 && many < 0.5, "{few} {many}");
        assert!(many > few, "more calls, a tighter bound: {few} {many}");
        assert!((wilson_lower(20, 20) - 0.839).abs() < 0.01, "{}", wilson_lower(20, 20));
    }

    #[test]
    fn a_version_failing_more_than_the_previous_by_the_margin_is_rolled_back() {
        let previous = seen(1000, 10, 0, 10);
        // 1% before; 30 of 40 now.
        let why = verdict(&seen(40, 30, 0, 2), &previous, 0.02, 20).expect("rolled back");
        assert!(why.contains("30 of 40 calls failed"), "{why}");
        // The same rate as before is fine, and so is a little worse within the margin.
        assert_eq!(verdict(&seen(1000, 10, 0, 5), &previous, 0.02, 20), None);
        assert_eq!(verdict(&seen(1000, 20, 0, 5), &previous, 0.02, 20), None);
        // Too few calls to judge a rate.
        assert_eq!(verdict(&seen(10, 10, 0, 1), &previous, 0.02, 20), None);
        // A handful of failures in a small sample stays within the confidence bound.
        assert_eq!(verdict(&seen(25, 2, 0, 1), &seen(1000, 40, 0, 10), 0.02, 20), None);
    }

    #[test]
    fn breaker_trips_on_the_new_version_roll_it_back_before_any_rate_is_judged() {
        let why = verdict(&seen(5, 5, 1, 1), &seen(100, 0, 0, 3), 0.02, 20).expect("rolled back");
        assert!(why.contains("breakers opened 1 time"), "{why}");
        // Trips as frequent as before (per tenant) are within the margin.
        assert_eq!(verdict(&seen(100, 0, 1, 10), &seen(100, 0, 1, 10), 0.02, 20), None);
    }

    #[test]
    fn the_previous_rate_comes_from_its_lifetime_until_it_ran_enough_since_the_start() {
        let previous = Observed {
            since_start: Health { invocations: 3, failures: 3, breaker_trips: 0 },
            lifetime: Health { invocations: 1000, failures: 0, breaker_trips: 0 },
            tenants: 4,
        };
        assert!(verdict(&seen(40, 20, 0, 1), &previous, 0.02, 20).is_some());
    }

    #[test]
    fn buckets_are_stable_and_spread_evenly() {
        let tenants: Vec<TenantId> = (0..10_000).map(|_| TenantId::new()).collect();
        let mut counts = [0u32; 100];
        for t in &tenants {
            let b = bucket("order-notes", *t);
            assert_eq!(b, bucket("order-notes", *t));
            counts[usize::from(b)] += 1;
        }
        let half: u32 = counts[..50].iter().sum();
        assert!((4_700..=5_300).contains(&half), "{half} of 10000 below 50");
        assert!(counts.iter().all(|&c| c > 40), "every bucket used: {counts:?}");
    }
}
