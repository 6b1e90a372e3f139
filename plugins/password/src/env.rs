//! The host capabilities the method's logic needs, behind a trait so that tests can run the
//! logic natively with fixed randomness and a captured log.

pub use crate::bindings::latchkey::host::log::Level;

pub trait Env {
    /// Bytes from the host's CSPRNG.
    fn random(&self, len: u32) -> Vec<u8>;

    /// One structured log event. Never pass passwords, hashes or credential configs.
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
}

#[cfg(test)]
pub mod testing {
    use super::{Env, Level};
    use std::cell::RefCell;

    /// Deterministic "randomness" and a log that tests can inspect.
    #[derive(Default)]
    pub struct FakeEnv {
        pub events: RefCell<Vec<String>>,
    }

    impl Env for FakeEnv {
        fn random(&self, len: u32) -> Vec<u8> {
            (0..len).map(|i| i as u8).collect()
        }

        fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.events
                .borrow_mut()
                .push(format!("{level:?} {message} {}", fields.join(" ")));
        }
    }
}
