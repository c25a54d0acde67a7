//! Pacing GraphQL calls by Shopify's cost bucket, and retrying THROTTLED answers.
//!
//! Every response reports `throttleStatus`: a bucket holding up to `maximumAvailable` points,
//! `currentlyAvailable` now, refilled at `restoreRate` points a second. A query is admitted only
//! if its requested cost is in the bucket. So before sending a query of cost `c`, wait
//! `(c − available) / restoreRate` seconds (nothing if it fits), counting the refill since the
//! status was read and never beyond the bucket's size: sending no faster than the bucket
//! refills is what keeps a long sync from ever being throttled.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::graphql::response::QueryCost;

/// `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    /// The bucket's size.
    pub maximum_available: f64,
    /// Points in the bucket when the response was sent.
    pub currently_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
}

/// Why no wait can be given.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ThrottleError {
    /// The query costs more than the bucket holds: no wait will admit it; split it.
    #[error("a query costing {cost} points can never run in a bucket of {maximum}; split it")]
    TooExpensive {
        /// The query's cost.
        cost: f64,
        /// The bucket's size.
        maximum: f64,
    },
    /// The status is not a bucket (a rate or size not positive and finite, or a negative cost).
    #[error("the throttle status or cost is not usable")]
    InvalidStatus,
}

impl ThrottleStatus {
    /// How long to wait before sending a query of `cost` points, `elapsed` after this status was
    /// read. Rounded up to the millisecond, so the query never arrives a moment early.
    pub fn wait_before(&self, cost: f64, elapsed: Duration) -> Result<Duration, ThrottleError> {
        let usable = |x: f64| x.is_finite() && x >= 0.0;
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let valid = usable(cost)
            && usable(self.currently_available)
            && positive(self.restore_rate)
            && positive(self.maximum_available);
        if !valid {
            return Err(ThrottleError::InvalidStatus);
        }
        if cost > self.maximum_available {
            return Err(ThrottleError::TooExpensive { cost, maximum: self.maximum_available });
        }
        let refilled = self.restore_rate * elapsed.as_secs_f64();
        let available = (self.currently_available + refilled).min(self.maximum_available);
        if cost <= available {
            return Ok(Duration::ZERO);
        }
        let millis = ((cost - available) / self.restore_rate * 1000.0).ceil();
        Ok(Duration::from_millis(millis as u64))
    }
}

/// When to retry a THROTTLED answer, and when to give up. Deterministic: the random part
/// (jitter) is passed in, so tests pin it and the glue draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Throttled attempts tolerated before giving up.
    pub max_attempts: u32,
    /// The backoff after the first throttled attempt; doubled after each further one.
    pub base: Duration,
    /// The backoff never exceeds this.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 1 s doubling to at most 32 s: about a minute in all, enough for any bucket
    /// to refill (1,000 points at 50/s takes 20 s).
    fn default() -> Self {
        Self { max_attempts: 6, base: Duration::from_secs(1), cap: Duration::from_secs(32) }
    }
}

/// The answer of [`RetryPolicy::after_throttled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry after this long.
    RetryAfter(Duration),
    /// Stop: report the failure.
    GiveUp,
}

impl RetryPolicy {
    /// After the `attempt`-th throttled answer (1 for the first): backoff = min(cap, base ×
    /// 2^(attempt−1)), scaled by `0.5 + 0.5 × jitter` ("equal jitter", `jitter` clamped to
    /// 0..=1), and never less than what the bucket in `cost` needs to admit the query again.
    pub fn after_throttled(&self, attempt: u32, cost: Option<&QueryCost>, jitter: f64) -> RetryDecision {
        if attempt == 0 || attempt >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let exponent = (attempt - 1).min(31);
        let backoff = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        let jittered = backoff.mul_f64(0.5 + 0.5 * jitter);
        let bucket = cost
            .and_then(|c| c.throttle_status.wait_before(c.requested_query_cost, Duration::ZERO).ok())
            .unwrap_or(Duration::ZERO);
        RetryDecision::RetryAfter(jittered.max(bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shopify's standard bucket: 2,000 points restored at 100 a second.
    fn status(available: f64) -> ThrottleStatus {
        ThrottleStatus { maximum_available: 2000.0, currently_available: available, restore_rate: 100.0 }
    }

    #[test]
    fn a_query_that_fits_is_sent_at_once() {
        assert_eq!(status(1000.0).wait_before(352.0, Duration::ZERO), Ok(Duration::ZERO));
        assert_eq!(status(352.0).wait_before(352.0, Duration::ZERO), Ok(Duration::ZERO));
    }

    #[test]
    fn a_query_that_does_not_fit_waits_for_the_deficit_at_the_restore_rate() {
        // 352 wanted, 100 there: 252 short at 100/s is 2.52 s.
        assert_eq!(status(100.0).wait_before(352.0, Duration::ZERO), Ok(Duration::from_millis(2520)));
        // A second after the status was read, 100 more points are back: 1.52 s.
        assert_eq!(status(100.0).wait_before(352.0, Duration::from_secs(1)), Ok(Duration::from_millis(1520)));
        // An empty bucket and a full-size query: 20 s, the time to refill it all.
        assert_eq!(status(0.0).wait_before(2000.0, Duration::ZERO), Ok(Duration::from_secs(20)));
    }

    #[test]
    fn the_refill_stops_at_the_bucket_size() {
        // Long after, the bucket is full (2,000), not 100 + 100 × 60.
        assert_eq!(status(100.0).wait_before(2000.0, Duration::from_secs(60)), Ok(Duration::ZERO));
    }

    #[test]
    fn waits_are_rounded_up_never_down() {
        // 1 point short at 3/s is 333.33… ms: wait 334.
        let s = ThrottleStatus { maximum_available: 100.0, currently_available: 9.0, restore_rate: 3.0 };
        assert_eq!(s.wait_before(10.0, Duration::ZERO), Ok(Duration::from_millis(334)));
    }

    #[test]
    fn a_query_larger_than_the_bucket_is_refused_not_waited_for() {
        assert_eq!(
            status(2000.0).wait_before(2001.0, Duration::ZERO),
            Err(ThrottleError::TooExpensive { cost: 2001.0, maximum: 2000.0 })
        );
    }

    #[test]
    fn a_nonsensical_status_is_refused() {
        let zero_rate = ThrottleStatus { restore_rate: 0.0, ..status(0.0) };
        assert_eq!(zero_rate.wait_before(1.0, Duration::ZERO), Err(ThrottleError::InvalidStatus));
        assert_eq!(status(0.0).wait_before(f64::NAN, Duration::ZERO), Err(ThrottleError::InvalidStatus));
        assert_eq!(status(0.0).wait_before(-1.0, Duration::ZERO), Err(ThrottleError::InvalidStatus));
    }

    fn throttled(available: f64, requested: f64) -> QueryCost {
        QueryCost {
            requested_query_cost: requested,
            actual_query_cost: None,
            throttle_status: status(available),
        }
    }

    #[test]
    fn throttled_retries_back_off_exponentially_with_jitter_and_give_up() {
        let p = RetryPolicy::default();
        let d = |attempt, jitter| p.after_throttled(attempt, None, jitter);
        assert_eq!(d(1, 1.0), RetryDecision::RetryAfter(Duration::from_secs(1)));
        assert_eq!(d(1, 0.0), RetryDecision::RetryAfter(Duration::from_millis(500)));
        assert_eq!(d(3, 1.0), RetryDecision::RetryAfter(Duration::from_secs(4)));
        assert_eq!(d(3, 0.5), RetryDecision::RetryAfter(Duration::from_secs(3)));
        assert_eq!(d(5, 1.0), RetryDecision::RetryAfter(Duration::from_secs(16)));
        assert_eq!(d(6, 1.0), RetryDecision::GiveUp);
        // Out-of-range jitter is clamped, not trusted.
        assert_eq!(d(1, 7.0), d(1, 1.0));
        assert_eq!(d(1, f64::NAN), d(1, 0.0));
    }

    #[test]
    fn the_backoff_is_capped() {
        let p = RetryPolicy { max_attempts: 100, ..RetryPolicy::default() };
        assert_eq!(p.after_throttled(40, None, 1.0), RetryDecision::RetryAfter(Duration::from_secs(32)));
    }

    #[test]
    fn a_retry_waits_at_least_as_long_as_the_bucket_needs() {
        let p = RetryPolicy::default();
        // Backoff says 0.5 s, but 352 points at 100/s from 100 needs 2.52 s.
        let cost = throttled(100.0, 352.0);
        assert_eq!(
            p.after_throttled(1, Some(&cost), 0.0),
            RetryDecision::RetryAfter(Duration::from_millis(2520))
        );
        // When the backoff is the longer, it wins.
        assert_eq!(p.after_throttled(4, Some(&cost), 1.0), RetryDecision::RetryAfter(Duration::from_secs(8)));
    }
}
