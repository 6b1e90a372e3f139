//! Limiting guesses at a secret that is short enough to be guessed online (a PIN, a TOTP code,
//! a recovery code), with counters kept in the credential itself.
//!
//! `max_attempts` wrong answers in a row lock the credential for `lock_seconds`; each further
//! lock in a row lasts twice as long as the one before, up to a day (or the first lock's length,
//! if that is longer). While locked every answer is refused, the right one too, without being
//! checked or counted, so a lock tells a guesser nothing. A right answer when not locked starts
//! the count over.
//!
//! The counters travel with a rejection's `credential-update` (`latchkey:factor@0.2.0`), and the
//! host evaluates one submission per credential at a time, so parallel guesses are counted one
//! after another. Time is the host clock (`Env::now`).
//!
//! A credential config embeds [`Attempts`] with `#[serde(flatten)]`: the fields are absent until
//! there is something to count, so configs written before (or by Kratos) read as "no failures".
//!
//! A credential that holds several items (security keys, devices) with a counter each keeps
//! [`PerItem`], the counters by item id. Count per item only when the submission names the
//! item it answers for (a WebAuthn assertion names its key); an answer that could be for any
//! item (a code from one of several authenticator apps) is counted once, credential-wide, or a
//! guesser would get `max_attempts` tries per item.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DAY: i64 = 86_400;
/// The longest first lock `lock_seconds` may ask for.
pub const MAX_LOCK_SECONDS: i64 = 30 * DAY;
/// The most `max_attempts` may allow: beyond it a short secret is not limited in any useful
/// sense.
pub const MAX_ATTEMPTS: u32 = 100;

/// The operator's limits, read from a plugin's settings (`max_attempts`, `lock_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Wrong answers in a row that lock the credential, 1 to [`MAX_ATTEMPTS`].
    pub max_attempts: u32,
    /// How long the first lock lasts, in seconds, 1 to [`MAX_LOCK_SECONDS`].
    pub lock_seconds: i64,
}

/// Five guesses, then a quarter of an hour: enough for typos and a clock that drifted, while
/// the doubling keeps a guesser to a few dozen tries a day (see `docs/security.md`).
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attempts: 5,
            lock_seconds: 15 * 60,
        }
    }
}

impl Limits {
    /// Refuses limits outside the allowed ranges, with a message for the operator.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(format!(
                "max_attempts must be 1 to {MAX_ATTEMPTS}, not {}",
                self.max_attempts
            ));
        }
        if !(1..=MAX_LOCK_SECONDS).contains(&self.lock_seconds) {
            return Err(format!(
                "lock_seconds must be 1 to {MAX_LOCK_SECONDS}, not {}",
                self.lock_seconds
            ));
        }
        Ok(())
    }

    /// The length of a lock after `earlier` locks in a row: doubled each time, capped at a day
    /// or at the first lock's length, whichever is longer.
    pub fn lock_length(&self, earlier: u32) -> i64 {
        let cap = DAY.max(self.lock_seconds);
        let factor = 1_i64.checked_shl(earlier.min(32)).unwrap_or(i64::MAX);
        self.lock_seconds.saturating_mul(factor).min(cap)
    }
}

/// The counters a credential keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// Wrong answers since the last right one or the last lock.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    /// Locks in a row, without a right answer between them; the next one lasts twice as long.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub locks: u32,
    /// Unix seconds (host clock) until which every answer is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<i64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Attempts {
    /// When the lock in force at `now` ends, if one is.
    pub fn locked_until(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The counters after a wrong answer at `now`: one more failure, and a lock when that makes
    /// `max_attempts`.
    pub fn after_failure(&self, now: i64, limits: &Limits) -> Attempts {
        let failed_attempts = self.failed_attempts.saturating_add(1);
        if failed_attempts < limits.max_attempts {
            return Attempts {
                failed_attempts,
                locked_until: None,
                ..*self
            };
        }
        Attempts {
            failed_attempts: 0,
            locks: self.locks.saturating_add(1),
            locked_until: Some(now.saturating_add(limits.lock_length(self.locks))),
        }
    }

    /// Whether there is nothing to reset: a right answer then need not write anything.
    pub fn is_clear(&self) -> bool {
        *self == Attempts::default()
    }

    /// Wrong answers left before the next lock.
    pub fn attempts_left(&self, limits: &Limits) -> u32 {
        limits.max_attempts.saturating_sub(self.failed_attempts)
    }
}

/// The counters of several items in one credential, by item id (a key's credential id, a
/// device name). An item without failures has no entry, so a credential config embeds it as
/// `#[serde(default, skip_serializing_if = "PerItem::is_clear")] attempts: PerItem` and it is
/// absent until there is something to count:
///
/// ```
/// use latchkey_plugin_sdk::attempts::{Limits, PerItem};
/// let limits = Limits { max_attempts: 2, lock_seconds: 60 };
/// let counted = PerItem::default().after_failure("key-a", 100, &limits);
/// assert_eq!(counted.of("key-a").failed_attempts, 1);
/// let locked = counted.after_failure("key-a", 100, &limits);
/// assert_eq!(locked.locked_until("key-a", 100), Some(160));
/// assert_eq!(locked.locked_until("key-b", 100), None, "each item has its own");
/// assert!(locked.after_success("key-a").is_clear(), "after the lock, a right answer clears it");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PerItem(BTreeMap<String, Attempts>);

impl PerItem {
    /// The counters of `item` (clear when it has none).
    pub fn of(&self, item: &str) -> Attempts {
        self.0.get(item).copied().unwrap_or_default()
    }

    /// When the lock on `item` in force at `now` ends, if one is.
    pub fn locked_until(&self, item: &str, now: i64) -> Option<i64> {
        self.of(item).locked_until(now)
    }

    /// The counters after a wrong answer for `item` at `now`.
    pub fn after_failure(&self, item: &str, now: i64, limits: &Limits) -> PerItem {
        self.with(item, self.of(item).after_failure(now, limits))
    }

    /// The counters after a right answer for `item` when it is not locked (while it is, refuse
    /// every answer unchecked): its count starts over, locks in a row included.
    pub fn after_success(&self, item: &str) -> PerItem {
        self.with(item, Attempts::default())
    }

    /// The counters without `item`: when the item is removed from the credential.
    pub fn forget(&self, item: &str) -> PerItem {
        self.with(item, Attempts::default())
    }

    /// Whether no item has anything counted.
    pub fn is_clear(&self) -> bool {
        self.0.is_empty()
    }

    /// The items with counters.
    pub fn items(&self) -> impl Iterator<Item = (&str, &Attempts)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn with(&self, item: &str, attempts: Attempts) -> PerItem {
        let mut next = self.0.clone();
        if attempts.is_clear() {
            next.remove(item);
        } else {
            next.insert(item.to_string(), attempts);
        }
        PerItem(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_counts_and_locks_on_its_own() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Keys {
            keys: Vec<String>,
            #[serde(default, skip_serializing_if = "PerItem::is_clear")]
            attempts: PerItem,
        }
        let l = limits(2, 60);
        let fresh = Keys {
            keys: vec!["a".into(), "b".into()],
            attempts: PerItem::default(),
        };
        assert_eq!(
            serde_json::to_string(&fresh).unwrap(),
            r#"{"keys":["a","b"]}"#
        );
        let once = fresh.attempts.after_failure("a", 0, &l);
        let locked = once.after_failure("a", 0, &l).after_failure("b", 0, &l);
        assert_eq!(locked.locked_until("a", 0), Some(60));
        assert_eq!(locked.locked_until("b", 0), None);
        assert_eq!(locked.of("b").attempts_left(&l), 1);
        let json = serde_json::to_string(&Keys {
            attempts: locked.clone(),
            ..fresh
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"keys":["a","b"],"attempts":{"a":{"locks":1,"locked_until":60},"b":{"failed_attempts":1}}}"#
        );
        assert_eq!(
            serde_json::from_str::<Keys>(&json).unwrap().attempts,
            locked
        );
        // A right answer for b clears b only; removing a forgets a.
        let b_ok = locked.after_success("b");
        assert_eq!(b_ok.of("b"), Attempts::default());
        assert_eq!(b_ok.locked_until("a", 0), Some(60));
        assert!(b_ok.forget("a").is_clear());
        assert_eq!(b_ok.items().count(), 1);
    }

    fn limits(max_attempts: u32, lock_seconds: i64) -> Limits {
        Limits {
            max_attempts,
            lock_seconds,
        }
    }

    #[test]
    fn the_last_allowed_failure_locks() {
        let l = limits(3, 900);
        let mut a = Attempts::default();
        for expected_left in [2, 1] {
            a = a.after_failure(1_000, &l);
            assert_eq!(a.locked_until(1_000), None);
            assert_eq!(a.attempts_left(&l), expected_left);
        }
        a = a.after_failure(1_000, &l);
        assert_eq!(a.locked_until(1_000), Some(1_900));
        assert_eq!(a.locked_until(1_899), Some(1_900));
        assert_eq!(a.locked_until(1_900), None, "the lock ends on time");
        assert_eq!((a.failed_attempts, a.locks), (0, 1));
        assert!(!a.is_clear());
    }

    #[test]
    fn locks_in_a_row_double_up_to_a_day() {
        let l = limits(1, 900);
        let mut a = Attempts::default();
        let mut now = 0;
        let mut lengths = vec![];
        for _ in 0..10 {
            a = a.after_failure(now, &l);
            let until = a.locked_until(now).unwrap();
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
        let long = limits(1, 2 * DAY);
        let twice = Attempts::default()
            .after_failure(0, &long)
            .after_failure(0, &long);
        assert_eq!(twice.locked_until(0), Some(2 * DAY));
        // No overflow however many locks came before.
        let many = Attempts {
            locks: u32::MAX,
            ..Attempts::default()
        };
        assert_eq!(many.after_failure(0, &l).locked_until, Some(DAY));
    }

    #[test]
    fn counters_are_absent_until_there_is_something_to_count() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Config {
            secret: String,
            #[serde(flatten)]
            attempts: Attempts,
        }
        let fresh = Config {
            secret: "s".into(),
            attempts: Attempts::default(),
        };
        assert_eq!(serde_json::to_string(&fresh).unwrap(), r#"{"secret":"s"}"#);
        let older: Config = serde_json::from_str(r#"{"secret":"s"}"#).unwrap();
        assert_eq!(older, fresh);
        let counted = Config {
            attempts: Attempts::default().after_failure(10, &limits(1, 5)),
            ..fresh
        };
        let json = serde_json::to_string(&counted).unwrap();
        assert_eq!(json, r#"{"secret":"s","locks":1,"locked_until":15}"#);
        assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), counted);
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(Limits::default(), limits(5, 900));
        assert!(Limits::default().check().is_ok());
        for bad in [
            limits(0, 900),
            limits(101, 900),
            limits(5, 0),
            limits(5, -5),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert!(limits(5, MAX_LOCK_SECONDS + 1).check().is_err());
    }
}
