//! Time comes from an injected clock, so trash, expiry and (later) grace periods are tested by
//! moving time rather than by sleeping.

use std::sync::Mutex;

use time::{Date, OffsetDateTime, UtcOffset};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Today's date where the user is (UTC when the local offset is unknown).
    fn today(&self) -> Date {
        let now = self.now();
        let offset = UtcOffset::local_offset_at(now).unwrap_or(UtcOffset::UTC);
        now.to_offset(offset).date()
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved, for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn today(&self) -> Date {
        self.now().date()
    }
}
