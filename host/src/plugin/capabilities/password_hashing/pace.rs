//! How fast this host computes argon2, learnt from the hashes it has computed: the fastest
//! pace seen, in picoseconds per KiB and pass. Argon2's time is close to proportional to
//! memory × passes, so that pace tells how long any parameters will take at best. The best
//! rather than the average: a busy moment must not make the host refuse work it could do.
//! Before the first hash of a process a small one is timed ([`super::calibrate`]), so that
//! even the first call is judged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Hashes smaller than this fit in the CPU's caches and run faster per KiB than the large
/// ones a limit is about, so they would make the estimate too hopeful.
pub(super) const MIN_MEASURED_KIB: u32 = 4096;

pub(super) struct Pace {
    /// Zero until the first measurement.
    fastest_ps_per_kib_pass: AtomicU64,
}

/// This process's.
pub(super) static HOST: Pace = Pace::new();

fn work(memory_kib: u32, iterations: u32) -> u64 {
    u64::from(memory_kib) * u64::from(iterations)
}

impl Pace {
    const fn new() -> Pace {
        Pace {
            fastest_ps_per_kib_pass: AtomicU64::new(0),
        }
    }

    /// Notes how long `memory_kib` × `iterations` took.
    pub(super) fn record(&self, memory_kib: u32, iterations: u32, took: Duration) {
        if memory_kib < MIN_MEASURED_KIB {
            return;
        }
        let per = took.as_nanos() * 1000 / u128::from(work(memory_kib, iterations).max(1));
        let ps = u64::try_from(per).unwrap_or(u64::MAX).max(1);
        let _ = self.fastest_ps_per_kib_pass.fetch_update(
            Ordering::Relaxed,
            Ordering::Relaxed,
            |seen| (seen == 0 || ps < seen).then_some(ps),
        );
    }

    pub(super) fn is_known(&self) -> bool {
        self.fastest_ps_per_kib_pass.load(Ordering::Relaxed) > 0
    }

    /// The least time `memory_kib` × `iterations` can take here; zero while nothing is known.
    pub(super) fn estimate(&self, memory_kib: u32, iterations: u32) -> Duration {
        let ps = self.fastest_ps_per_kib_pass.load(Ordering::Relaxed);
        let ns = u128::from(work(memory_kib, iterations)) * u128::from(ps) / 1000;
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fastest_pace_scales_with_memory_and_passes() {
        let pace = Pace::new();
        // Far faster than any real host, so the calibration cannot beat it.
        pace.record(19_456, 2, Duration::from_micros(300));
        pace.record(19_456, 2, Duration::from_millis(90));
        pace.record(64, 1, Duration::from_nanos(1));
        let estimate = pace.estimate(19_456 * 4, 2 * 4);
        assert!(
            (4_700..=4_900).contains(&estimate.as_micros()),
            "{estimate:?}"
        );
    }

    #[test]
    fn nothing_is_estimated_before_a_measurement() {
        let pace = Pace::new();
        assert!(!pace.is_known());
        assert_eq!(pace.estimate(256 * 1024, 32), Duration::ZERO);
    }
}
