//! A clock tests move by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use leadpool_app::Clock;
use leadpool_domain::Timestamp;

/// A clock that stands still until told to move.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

/// 2026-11-25T09:00:00Z, a Wednesday: where every fake clock starts.
pub const START: Timestamp = Timestamp::from_millis(1_795_597_200_000);

impl FakeClock {
    /// A clock at [`START`].
    pub fn new() -> Self {
        Self(Arc::new(AtomicI64::new(START.as_millis())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(
            i64::try_from(by.as_millis()).unwrap_or(i64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Sets the clock.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}
