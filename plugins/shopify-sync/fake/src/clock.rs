//! Time as the fake sees it: real, or moved by the test.
//!
//! The cost bucket refills with time and the request log is stamped with it. A test that asserts
//! "throttled now, admitted after the refill" moves a [`ManualClock`] instead of sleeping, so it
//! never races the machine's load.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The fake's clock: time since the fake started.
#[derive(Debug, Clone)]
pub enum Clock {
    /// Wall time.
    Real(Instant),
    /// Time that moves only when the test says so.
    Manual(ManualClock),
}

impl Clock {
    /// A real clock starting now.
    pub fn real() -> Self {
        Clock::Real(Instant::now())
    }

    /// Time elapsed on this clock.
    pub fn now(&self) -> Duration {
        match self {
            Clock::Real(start) => start.elapsed(),
            Clock::Manual(manual) => manual.now(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::real()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock::Manual(manual)
    }
}

/// A clock at zero that moves only by [`ManualClock::advance`]; clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<Mutex<Duration>>);

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time now.
    pub fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}
