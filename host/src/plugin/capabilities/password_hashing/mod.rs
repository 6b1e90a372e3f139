//! The `password-hashing` capability: argon2 computed natively for plugins, with limits so a
//! plugin (or an imported hash) cannot make the host allocate or spin without bound.
//!
//! Native work is out of reach of the plugin's deadline, which WebAssembly notices only once
//! the host call returns: a hash that takes six seconds holds its thread for six seconds,
//! whatever the deadline says. So the work is judged before it starts: parameters above
//! `hashers.limits` are refused, and so is work that could not finish before the call's
//! deadline even at the fastest pace this host has shown ([`pace`]). Running it on a thread
//! the call could abandon would not help: a thread cannot be stopped, so the CPU would be
//! spent all the same, only no longer counted against anyone.

mod argon2_memory;
mod pace;

use super::{Call, Capability, Importer, Setup};
use crate::config::CostLimits;
use crate::plugin::bindings::latchkey::host::password_hashing;
use crate::plugin::call_state::CallState;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::time::Instant;
use wasmtime::component::{HasSelf, Linker};

pub(crate) struct State {
    limits: CostLimits,
    deadline: Option<Instant>,
}

impl Capability for State {
    const INTERFACE: &'static str = "password-hashing";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    /// `hashers.limits`, with its defaults filled in.
    type Grant = CostLimits;

    fn grant(setup: &Setup) -> CostLimits {
        setup.hash_costs
    }

    fn prepare(limits: &CostLimits, call: &Call<'_>) -> State {
        State {
            limits: *limits,
            deadline: call.deadline,
        }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        password_hashing::add_to_linker::<_, HasSelf<State>>(linker, state)
    }
}

impl password_hashing::Host for State {
    fn argon2id_hash(
        &mut self,
        password: Vec<u8>,
        salt: Vec<u8>,
        p: password_hashing::Argon2Params,
    ) -> wasmtime::Result<Result<String, String>> {
        let budget = Budget {
            limits: &self.limits,
            deadline: self.deadline,
        };
        Ok(argon2id_hash(
            &budget,
            &password,
            &salt,
            p.memory_kib,
            p.iterations,
            p.parallelism,
            p.key_length,
        ))
    }

    fn argon2_verify(
        &mut self,
        phc: String,
        password: Vec<u8>,
    ) -> wasmtime::Result<Result<bool, String>> {
        let budget = Budget {
            limits: &self.limits,
            deadline: self.deadline,
        };
        Ok(argon2_verify(&budget, &phc, &password))
    }
}

/// What one call may spend on argon2.
struct Budget<'a> {
    limits: &'a CostLimits,
    deadline: Option<Instant>,
}

/// Lanes split the memory without adding work (they run one after another here), so this
/// only bounds bookkeeping.
const MAX_PARALLELISM: u32 = 16;
const SALT_BYTES: std::ops::RangeInclusive<usize> = 8..=64;
const KEY_BYTES: std::ops::RangeInclusive<u32> = 16..=64;

impl Budget<'_> {
    /// Refuses, before any memory is taken, work above the limits or past the deadline.
    fn allows(&self, memory_kib: u32, iterations: u32, parallelism: u32) -> Result<(), String> {
        let CostLimits {
            argon2_memory_kib: max_m,
            argon2_iterations: max_t,
            ..
        } = *self.limits;
        if memory_kib > max_m || iterations > max_t || parallelism > MAX_PARALLELISM {
            return Err(format!(
                "argon2 cost m={memory_kib} t={iterations} p={parallelism} is beyond the host's \
                 limits (m ≤ {max_m} KiB, t ≤ {max_t}: hashers.limits.argon2; \
                 p ≤ {MAX_PARALLELISM})"
            ));
        }
        if let Some(deadline) = self.deadline {
            if !pace::HOST.is_known() {
                calibrate();
            }
            let needed = pace::HOST.estimate(memory_kib, iterations);
            let left = deadline.saturating_duration_since(Instant::now());
            if needed > left {
                return Err(format!(
                    "argon2 cost m={memory_kib} t={iterations} needs about {} ms on this host, \
                     more than the {} ms left of the plugin call (plugins.call_timeout)",
                    needed.as_millis(),
                    left.as_millis()
                ));
            }
        }
        Ok(())
    }
}

fn argon2id_hash(
    budget: &Budget<'_>,
    password: &[u8],
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    key_length: u32,
) -> Result<String, String> {
    budget.allows(memory_kib, iterations, parallelism)?;
    if !SALT_BYTES.contains(&salt.len()) {
        return Err(format!(
            "the salt must be 8 to 64 bytes, not {}",
            salt.len()
        ));
    }
    if !KEY_BYTES.contains(&key_length) {
        return Err(format!(
            "the key length must be 16 to 64 bytes, not {key_length}"
        ));
    }
    let params = Params::new(
        memory_kib,
        iterations,
        parallelism,
        Some(key_length as usize),
    )
    .map_err(|e| format!("invalid argon2 parameters: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0u8; key_length as usize];
    compute(&argon2, &params, password, salt, &mut out)?;
    let salt = SaltString::encode_b64(salt).map_err(|e| format!("salt: {e}"))?;
    let output = Output::new(&out).map_err(|e| format!("argon2 output: {e}"))?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e| format!("argon2 parameters: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Times a small hash twice, in the pooled memory real hashes use: the first run pays for
/// faulting the pages in, the second shows the pace (8 MiB, a few milliseconds).
fn calibrate() {
    let kib = 2 * pace::MIN_MEASURED_KIB;
    let Ok(params) = Params::new(kib, 1, 1, Some(32)) else {
        return;
    };
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    for _ in 0..2 {
        let _ = compute(
            &argon2,
            &params,
            b"calibration",
            b"calibration salt",
            &mut out,
        );
    }
}

/// The raw argon2 output for `password` and `salt`, computed in pooled memory.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let started = Instant::now();
    argon2_memory::with_blocks(params.block_count(), |memory| {
        argon2
            .hash_password_into_with_memory(password, salt, out, memory)
            .map_err(|e| format!("argon2: {e}"))
    })?;
    pace::HOST.record(params.m_cost(), params.t_cost(), started.elapsed());
    Ok(())
}

fn argon2_verify(budget: &Budget<'_>, phc: &str, password: &[u8]) -> Result<bool, String> {
    let parsed = PasswordHash::new(phc).map_err(|e| format!("not an argon2 PHC string: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| format!("argon2 parameters: {e}"))?;
    budget.allows(params.m_cost(), params.t_cost(), params.p_cost())?;
    let algorithm =
        Algorithm::try_from(parsed.algorithm).map_err(|e| format!("not an argon2 hash: {e}"))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| format!("argon2 version: {e}"))?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err("the argon2 hash has no salt or no output".into());
    };
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| format!("argon2 salt: {e}"))?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    compute(&argon2, &params, password, salt, &mut out)?;
    let computed = Output::new(&out).map_err(|e| format!("argon2 output: {e}"))?;
    // `Output` compares in constant time.
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CostLimits = CostLimits {
        argon2_memory_kib: 256 * 1024,
        argon2_iterations: 32,
        bcrypt_cost: 14,
    };

    const UNHURRIED: Budget<'static> = Budget {
        limits: &LIMITS,
        deadline: None,
    };

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let phc = argon2id_hash(&UNHURRIED, b"hunter2 hunter2", &[7; 16], 256, 1, 1, 32).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert_eq!(
            argon2_verify(&UNHURRIED, &phc, b"hunter2 hunter2"),
            Ok(true)
        );
        assert_eq!(
            argon2_verify(&UNHURRIED, &phc, b"hunter3 hunter3"),
            Ok(false)
        );
    }

    #[test]
    fn agrees_with_the_reference_implementation_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(&[3; 16]).unwrap();
        for algorithm in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
            let params = Params::new(128, 2, 2, Some(24)).unwrap();
            let theirs = Argon2::new(algorithm, Version::V0x10, params)
                .hash_password(b"pw", &salt)
                .unwrap()
                .to_string();
            assert_eq!(
                argon2_verify(&UNHURRIED, &theirs, b"pw"),
                Ok(true),
                "{theirs}"
            );
            assert_eq!(
                argon2_verify(&UNHURRIED, &theirs, b"px"),
                Ok(false),
                "{theirs}"
            );
        }
        let ours = argon2id_hash(&UNHURRIED, b"pw", &[3; 16], 128, 2, 2, 32).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
    }

    #[test]
    fn costs_beyond_the_limits_are_refused_before_any_work() {
        let huge = argon2id_hash(
            &UNHURRIED,
            b"x",
            &[7; 16],
            LIMITS.argon2_memory_kib + 1,
            1,
            1,
            32,
        );
        assert!(huge.unwrap_err().contains("beyond the host's limits"));
        let imported = "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        assert!(
            argon2_verify(&UNHURRIED, imported, b"x")
                .unwrap_err()
                .contains("limits")
        );
        assert!(argon2_verify(&UNHURRIED, "$2b$10$notargon", b"x").is_err());
        assert!(
            argon2id_hash(&UNHURRIED, b"x", &[7; 4], 256, 1, 1, 32).is_err(),
            "short salt"
        );
    }

    #[test]
    fn the_configured_limits_name_their_key() {
        let tight = CostLimits {
            argon2_memory_kib: 1024,
            argon2_iterations: 2,
            bcrypt_cost: 12,
        };
        let budget = Budget {
            limits: &tight,
            deadline: None,
        };
        let err = argon2id_hash(&budget, b"x", &[7; 16], 2048, 1, 1, 32).unwrap_err();
        assert!(err.contains("hashers.limits.argon2"), "{err}");
        assert!(argon2id_hash(&budget, b"x", &[7; 16], 1024, 3, 1, 32).is_err());
        assert!(argon2id_hash(&budget, b"x", &[7; 16], 1024, 2, 1, 32).is_ok());
    }

    #[test]
    fn work_that_cannot_finish_before_the_deadline_is_refused_up_front() {
        let budget = Budget {
            limits: &LIMITS,
            deadline: Some(Instant::now() + std::time::Duration::from_millis(1)),
        };
        let started = Instant::now();
        let err = argon2id_hash(&budget, b"x", &[7; 16], 256 * 1024, 32, 1, 32).unwrap_err();
        assert!(err.contains("plugins.call_timeout"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }
}
