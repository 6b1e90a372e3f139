//! Time is injected so that tests and plugins see the same "now".

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    /// To the microsecond: PostgreSQL keeps timestamps to the microsecond, so a time kept to
    /// the nanosecond would come back from it different from what was written and shown.
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
}
