//! Attempt limiting, kept in the credential, with the SDK's rules
//! ([`latchkey_plugin_sdk::attempts`]): `max_attempts` wrong PINs in a row lock the PIN for
//! `lock_seconds`, and each further lock in a row lasts twice as long as the one before, up to
//! a day: five guesses, then a quarter of an hour, five more, half an hour… so that a
//! four-digit PIN stands for months, not days, against someone guessing. While locked every PIN
//! is refused, the right one too, without being checked or counted. A correct PIN (when not
//! locked) starts the count over, and so does setting a new PIN.

use crate::Settings;
use crate::credential::Config;
use latchkey_plugin_sdk::attempts::Attempts;

impl Config {
    /// When the lock in force at `now` ends, if one is.
    pub fn locked_until(&self, now: i64) -> Option<i64> {
        self.attempts.locked_until(now)
    }

    /// The credential after a wrong PIN at `now`: one more failure, and a lock when that makes
    /// `max_attempts`.
    pub fn after_wrong_pin(&self, now: i64, settings: &Settings) -> Config {
        Config {
            attempts: self.attempts.after_failure(now, &settings.limits()),
            ..self.clone()
        }
    }

    /// The credential after a correct PIN: the count starts over. `None` when there is
    /// nothing to reset, so that an ordinary login writes nothing.
    pub fn after_correct_pin(&self) -> Option<Config> {
        (!self.attempts.is_clear()).then(|| Config {
            attempts: Attempts::default(),
            ..self.clone()
        })
    }

    /// Wrong PINs left before the next lock.
    pub fn attempts_left(&self, settings: &Settings) -> u32 {
        self.attempts.attempts_left(&settings.limits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::attempts::DAY;

    fn config() -> Config {
        Config {
            hashed_pin: "$argon2id$x".into(),
            attempts: Attempts::default(),
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
        assert_eq!((c.attempts.failed_attempts, c.attempts.locks), (0, 1));
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
