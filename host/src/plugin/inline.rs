//! When a policy decision runs inline on the request's own async worker instead of on the
//! blocking pool. A warm decision takes microseconds while the hop to the blocking pool and
//! back costs far more, so a warm instance is called in place under a short deadline. Policies
//! are pure by contract, so a call cut off by that deadline is simply made again on the
//! blocking pool with the full `call_timeout`; the policy is then kept off the async workers
//! for a while, so that a slow or looping policy stalls them at most once per `SLOW_BACKOFF`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The inline deadline in epoch ticks (see `engine::EPOCH_TICK`). The ticker may advance just
/// after the deadline is set, so one tick could mean almost nothing; two give an inline call
/// at least one full tick (5 ms), hundreds of times what a warm decision takes.
pub(crate) const INLINE_DEADLINE_TICKS: u64 = 2;

/// How long a policy that needed the blocking pool goes straight there before it is tried
/// inline again.
const SLOW_BACKOFF: Duration = Duration::from_secs(5);

/// Remembers when a policy last overran its inline deadline.
pub(crate) struct SlowMark {
    since: Instant,
    /// Milliseconds after `since` until which the policy stays off the async workers; 0 for
    /// never marked.
    until_ms: AtomicU64,
}

impl Default for SlowMark {
    fn default() -> SlowMark {
        SlowMark {
            since: Instant::now(),
            until_ms: AtomicU64::new(0),
        }
    }
}

impl SlowMark {
    pub(crate) fn is_set(&self) -> bool {
        self.now_ms() < self.until_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self) {
        let until = self.now_ms() + SLOW_BACKOFF.as_millis() as u64;
        self.until_ms.fetch_max(until, Ordering::Relaxed);
    }

    fn now_ms(&self) -> u64 {
        // Counted from one past `since` so that a mark set at once is never mistaken for 0.
        self.since.elapsed().as_millis() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_holds_for_the_backoff_and_no_longer() {
        let mark = SlowMark::default();
        assert!(!mark.is_set());
        mark.set();
        assert!(mark.is_set());
        mark.until_ms.store(1, Ordering::Relaxed);
        assert!(!mark.is_set());
    }
}
