//! Attempt limiting, kept in the credential. A wrong PIN counts; `max_attempts` wrong PINs in a
//! row lock the PIN for `lock_seconds`, and each further lock in a row lasts twice as long as
//! the one before, up to a day: five guesses, then a quarter of an hour, five more, half an
//! hour… so that a four-digit PIN stands for months, not days, against someone guessing. While
//! locked every PIN is refused, the right one too, without being checked or counted. A correct
//! PIN (when not locked) starts the count over, and so does setting a new PIN.
//!
//! Time is the host clock (`Env::now`). The host stores the counters of a rejected attempt
//! (`rejection.credential-update`) and evaluates one attempt per credential at a time, so
//! parallel guesses are counted one after another.

use crate::Settings;
use crate::credential::Config;

pub const DAY: i64 = 86_400;
/// The longest first lock `lock_seconds` may ask for.
pub const MAX_LOCK_SECONDS: i64 = 30 * DAY;

impl Config {
    /// When the lock in force at `now` ends, if one is.
    pub fn locked_until(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The credential after a wrong PIN at `now`: one more failure, and a lock when that makes
    /// `max_attempts`.
    pub fn after_wrong_pin(&self, now: i64, settings: &Settings) -> Config {
        let failed_attempts = self.failed_attempts.saturating_add(1);
        if failed_attempts < settings.max_attempts {
            return Config {
                failed_attempts,
                locked_until: None,
                ..self.clone()
            };
        }
        Config {
            failed_attempts: 0,
            locks: self.locks.saturating_add(1),
            locked_until: Some(now.saturating_add(lock_length(self.locks, settings))),
            ..self.clone()
        }
    }

    /// The credential after a correct PIN: the count starts over. `None` when there is
    /// nothing to reset, so that an ordinary login writes nothing.
    pub fn after_correct_pin(&self) -> Option<Config> {
        let fresh = Config {
            failed_attempts: 0,
            locks: 0,
            locked_until: None,
            ..self.clone()
        };
        (fresh != *self).then_some(fresh)
    }

    /// Wrong PINs left before the next lock.
    pub fn attempts_left(&self, settings: &Settings) -> u32 {
        settings.max_attempts.saturating_sub(self.failed_attempts)
    }
}

/// The length of a lock after `earlier` locks in a row: doubled each time, capped at a day or
/// at the first lock's length, whichever is longer.
fn lock_length(earlier: u32, settings: &Settings) -> i64 {
    let cap = DAY.max(settings.lock_seconds);
    let factor = 1_i64.checked_shl(earlier.min(32)).unwrap_or(i64::MAX);
    settings.lock_seconds.saturating_mul(factor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            hashed_pin: "$argon2id$x".into(),
            failed_attempts: 0,
            locks: 0,
            locked_until: None,
        }
    }

    fn settings(max_attempts: u32, lock_seconds: i64) -> Settings {
        Settings {
            max_attempts,
            lock_seconds,
            ..Settings::default()
        }
    }

    #[test]
    fn the_last_allowed_failure_locks() {
        let s = settings(3, 900);
        let mut c = config();
        for expected_left in [2, 1] {
            c = c.after_wrong_pin(1_000, &s);
            assert_eq!(c.locked_until(1_000), None);
            assert_eq!(c.attempts_left(&s), expected_left);
        }
        c = c.after_wrong_pin(1_000, &s);
        assert_eq!(c.locked_until(1_000), Some(1_900));
        assert_eq!(c.locked_until(1_899), Some(1_900));
        assert_eq!(c.locked_until(1_900), None, "the lock ends on time");
        assert_eq!((c.failed_attempts, c.locks), (0, 1));
    }

    #[test]
    fn locks_in_a_row_double_up_to_a_day() {
        let s = settings(1, 900);
        let mut c = config();
        let mut now = 0;
        let mut lengths = vec![];
        for _ in 0..10 {
            c = c.after_wrong_pin(now, &s);
            let until = c.locked_until(now).unwrap();
            lengths.push(until - now);
            now = until;
        }
        assert_eq!(
            lengths,
            [
                900, 1_800, 3_600, 7_200, 14_400, 28_800, 57_600, DAY, DAY, DAY
            ]
        );
        // A first lock longer than a day is not shortened, nor doubled.
        let long = settings(1, 2 * DAY);
        let c = config().after_wrong_pin(0, &long).after_wrong_pin(0, &long);
        assert_eq!(c.locked_until(0), Some(2 * DAY));
        // No overflow however many locks came before.
        let mut many = config();
        many.locks = u32::MAX;
        assert_eq!(many.after_wrong_pin(0, &s).locked_until, Some(DAY));
    }

    #[test]
    fn a_correct_pin_starts_over_and_writes_only_when_needed() {
        let s = settings(5, 900);
        assert_eq!(config().after_correct_pin(), None);
        let counted = config().after_wrong_pin(0, &s).after_wrong_pin(0, &s);
        let reset = counted.after_correct_pin().unwrap();
        assert_eq!(reset, config());
        let locked = config().after_wrong_pin(0, &settings(1, 60));
        assert_eq!(locked.after_correct_pin(), Some(config()));
    }
}
