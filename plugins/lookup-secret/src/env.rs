//! The host capabilities the method's logic needs, behind a trait so that tests can run the
//! logic natively with fixed randomness, a clock they control and a captured log.

pub use crate::bindings::latchkey::host::log::Level;

pub trait Env {
    /// Bytes from the host's CSPRNG.
    fn random(&self, len: u32) -> Vec<u8>;

    /// Seconds since the Unix epoch, from the host's clock (never the plugin's own).
    fn now(&self) -> i64;

    /// One structured log event. Never pass recovery codes, their hashes or credential configs.
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
}

#[cfg(test)]
pub mod testing {
    use super::{Env, Level};
    use std::cell::{Cell, RefCell};

    /// Deterministic "randomness", a settable clock and a log that tests can inspect.
    pub struct FakeEnv {
        pub now: Cell<i64>,
        /// Added to every random byte, so that two fake environments can differ.
        pub seed: u8,
        pub events: RefCell<Vec<String>>,
    }

    impl FakeEnv {
        pub fn at(now: i64) -> FakeEnv {
            FakeEnv {
                now: Cell::new(now),
                seed: 0,
                events: RefCell::default(),
            }
        }
    }

    impl Env for FakeEnv {
        fn random(&self, len: u32) -> Vec<u8> {
            (0..len)
                .map(|i| (i as u8).wrapping_add(self.seed))
                .collect()
        }

        fn now(&self) -> i64 {
            self.now.get()
        }

        fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.events
                .borrow_mut()
                .push(format!("{level:?} {message} {}", fields.join(" ")));
        }
    }
}
