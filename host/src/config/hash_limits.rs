//! `hashers.limits` (Latchkey's own keys): the most checking one stored password hash may
//! cost. Imported hashes carry their own parameters, and checking a password costs whatever
//! they say, on every login attempt; without a ceiling one import of `m=4GiB` or `t=32` turns
//! each attempt into seconds of native CPU or an allocation the machine cannot make.

use serde::Deserialize;

use super::model::Hashers;
use super::units::ByteSize;

/// As written; a missing key takes its default from the configured hasher.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HashLimits {
    pub argon2: Argon2Limits,
    pub bcrypt: BcryptLimits,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Argon2Limits {
    pub memory: Option<ByteSize>,
    pub iterations: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BcryptLimits {
    pub cost: Option<u32>,
}

/// The ceilings in force. Argon2's time grows with memory × iterations and bcrypt's doubles
/// with each step of cost. The argon2 defaults (four times the configured memory, twice its
/// iterations) allow eight times the work of a hash this server writes itself, about half a
/// second with the default hasher, inside the default one-second call deadline (sixteen times
/// took 0.9 s, too close to it). bcrypt runs inside the plugin, two to three times slower than
/// natively: at the default cost 12 a check takes 0.4 s and at 13 already 1 s, so its default
/// ceiling is the configured cost itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostLimits {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub bcrypt_cost: u32,
}

/// How far above the configured hasher the default ceilings sit.
const MEMORY_FACTOR: u64 = 4;
const ITERATIONS_FACTOR: u32 = 2;

impl Hashers {
    /// `hashers.limits`, with defaults filled in from the configured hasher.
    pub fn cost_limits(&self) -> CostLimits {
        let a = &self.argon2;
        let memory_kib = self
            .limits
            .argon2
            .memory
            .map_or(a.memory.kib().saturating_mul(MEMORY_FACTOR), ByteSize::kib);
        CostLimits {
            argon2_memory_kib: u32::try_from(memory_kib).unwrap_or(u32::MAX),
            argon2_iterations: self
                .limits
                .argon2
                .iterations
                .unwrap_or(a.iterations.saturating_mul(ITERATIONS_FACTOR)),
            bcrypt_cost: self.limits.bcrypt.cost.unwrap_or(self.bcrypt.cost),
        }
    }

    /// A ceiling below what the server itself writes would refuse its own hashes.
    pub(super) fn check_limits(&self) -> Result<(), (&'static str, String)> {
        let limits = self.cost_limits();
        let a = &self.argon2;
        if u64::from(limits.argon2_memory_kib) < a.memory.kib() {
            return Err((
                "hashers.limits.argon2.memory",
                format!(
                    "must be at least hashers.argon2.memory ({}KiB)",
                    a.memory.kib()
                ),
            ));
        }
        if limits.argon2_iterations < a.iterations {
            return Err((
                "hashers.limits.argon2.iterations",
                format!(
                    "must be at least hashers.argon2.iterations ({})",
                    a.iterations
                ),
            ));
        }
        if limits.bcrypt_cost < self.bcrypt.cost {
            return Err((
                "hashers.limits.bcrypt.cost",
                format!(
                    "must be at least hashers.bcrypt.cost ({})",
                    self.bcrypt.cost
                ),
            ));
        }
        Ok(())
    }
}
