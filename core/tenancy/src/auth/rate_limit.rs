//! Per-address limits on sign-in and registration attempts (in memory, per process). The
//! per-account lockout, which holds across processes, lives in the database.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use ils_kernel::{Error, Result};

/// Limits attempts per client address.
pub struct AttemptLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl std::fmt::Debug for AttemptLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptLimiter")
    }
}

impl AttemptLimiter {
    /// Allows `per_minute` attempts per address per minute (at least one).
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self { limiter: RateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// Takes one attempt for `ip`; an unknown address shares one bucket, so it is limited too.
    pub fn check(&self, ip: Option<&str>) -> Result<()> {
        let ip: IpAddr = ip.and_then(|ip| ip.parse().ok()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Error::RateLimited {
                code: "rate_limited",
                message: "Too many attempts from this address; wait and try again.".to_owned(),
                retry_after: wait.as_secs().max(1),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address() {
        let limiter = AttemptLimiter::new(2);
        assert!(limiter.check(Some("10.0.0.1")).is_ok());
        assert!(limiter.check(Some("10.0.0.1")).is_ok());
        assert!(matches!(limiter.check(Some("10.0.0.1")), Err(Error::RateLimited { .. })));
        assert!(limiter.check(Some("10.0.0.2")).is_ok());
    }
}
