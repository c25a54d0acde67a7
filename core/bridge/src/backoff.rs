//! Waits between attempts: from 0.2 s, doubling to a cap, each with up to a quarter more at
//! random so that bridges cut off together do not return together.

use std::time::Duration;

use rand::Rng as _;

/// Capped exponential backoff with jitter.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    /// From 0.2 s, doubling to 10 s.
    pub(crate) fn new() -> Self {
        Self::with(Duration::from_millis(200), Duration::from_secs(10))
    }

    pub(crate) fn with(first: Duration, cap: Duration) -> Self {
        Self { first, cap, next: first }
    }

    /// The next wait.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.cap);
        jitter(base)
    }

    /// After a success: start again from the first wait.
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

/// `base` plus up to a quarter of it.
pub(crate) fn jitter(base: Duration) -> Duration {
    let quarter = base.as_millis() as u64 / 4;
    base + Duration::from_millis(rand::rng().random_range(0..=quarter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_start_again_after_a_reset() {
        let mut backoff = Backoff::new();
        let waits: Vec<Duration> = (0..8).map(|_| backoff.next_delay()).collect();
        for (wait, base) in waits.iter().zip([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]) {
            let base = Duration::from_millis(base);
            assert!(*wait >= base && *wait <= base + base / 4, "{wait:?} for {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(251));
    }
}
