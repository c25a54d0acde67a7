//! Time for pacing Shopify calls: the cost bucket refills with it, and bulk polls wait on it.
//!
//! In the component this is the monotonic clock and `std::thread::sleep` (wasip2 blocks on a
//! monotonic-clock pollable). Native tests install a clock they move themselves — the fake
//! Shopify's — so a throttled run is exact and takes no real time.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A source of elapsed time that can be waited on.
pub trait Clock {
    /// Time since some fixed start.
    fn now(&self) -> Duration;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration);
}

struct System(Instant);

impl Clock for System {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

thread_local! {
    static CLOCK: RefCell<Option<Rc<dyn Clock>>> = const { RefCell::new(None) };
}

fn current() -> Rc<dyn Clock> {
    CLOCK.with(|c| c.borrow_mut().get_or_insert_with(|| Rc::new(System(Instant::now()))).clone())
}

/// Time since the clock started.
pub fn now() -> Duration {
    current().now()
}

/// Waits `duration` (nothing for zero).
pub fn sleep(duration: Duration) {
    if !duration.is_zero() {
        current().sleep(duration);
    }
}

/// Replaces this thread's clock: for native tests, which move a fake's clock instead of waiting.
#[cfg(not(target_arch = "wasm32"))]
pub fn install(clock: impl Clock + 'static) {
    CLOCK.with(|c| *c.borrow_mut() = Some(Rc::new(clock)));
}
