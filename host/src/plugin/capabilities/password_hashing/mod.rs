//! The `password-hashing` capability: argon2 computed natively for plugins, with limits so a
//! plugin (or an imported hash) cannot make the host allocate or spin without bound.

mod argon2_memory;

use super::{Call, Capability, Importer, Setup};
use crate::plugin::bindings::latchkey::host::password_hashing;
use crate::plugin::call_state::CallState;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use wasmtime::component::{HasSelf, Linker};

pub(crate) struct State;

impl Capability for State {
    const INTERFACE: &'static str = "password-hashing";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    type Grant = ();

    fn grant(_: &Setup) {}

    fn prepare(_: &(), _: &Call<'_>) -> State {
        State
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
        Ok(argon2id_hash(
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
        Ok(argon2_verify(&phc, &password))
    }
}

/// Kratos' own default is 128 MiB; twice that leaves room for a deliberate choice.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ITERATIONS: u32 = 32;
const MAX_PARALLELISM: u32 = 16;
const SALT_BYTES: std::ops::RangeInclusive<usize> = 8..=64;
const KEY_BYTES: std::ops::RangeInclusive<u32> = 16..=64;

fn within_limits(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<(), String> {
    if memory_kib > MAX_MEMORY_KIB || iterations > MAX_ITERATIONS || parallelism > MAX_PARALLELISM {
        return Err(format!(
            "argon2 cost m={memory_kib} t={iterations} p={parallelism} is beyond the host's \
             limits (m ≤ {MAX_MEMORY_KIB} KiB, t ≤ {MAX_ITERATIONS}, p ≤ {MAX_PARALLELISM})"
        ));
    }
    Ok(())
}

fn argon2id_hash(
    password: &[u8],
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    key_length: u32,
) -> Result<String, String> {
    within_limits(memory_kib, iterations, parallelism)?;
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

/// The raw argon2 output for `password` and `salt`, computed in pooled memory.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    argon2_memory::with_blocks(params.block_count(), |memory| {
        argon2
            .hash_password_into_with_memory(password, salt, out, memory)
            .map_err(|e| format!("argon2: {e}"))
    })
}

fn argon2_verify(phc: &str, password: &[u8]) -> Result<bool, String> {
    let parsed = PasswordHash::new(phc).map_err(|e| format!("not an argon2 PHC string: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| format!("argon2 parameters: {e}"))?;
    within_limits(params.m_cost(), params.t_cost(), params.p_cost())?;
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

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let phc = argon2id_hash(b"hunter2 hunter2", &[7; 16], 256, 1, 1, 32).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert_eq!(argon2_verify(&phc, b"hunter2 hunter2"), Ok(true));
        assert_eq!(argon2_verify(&phc, b"hunter3 hunter3"), Ok(false));
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
            assert_eq!(argon2_verify(&theirs, b"pw"), Ok(true), "{theirs}");
            assert_eq!(argon2_verify(&theirs, b"px"), Ok(false), "{theirs}");
        }
        let ours = argon2id_hash(b"pw", &[3; 16], 128, 2, 2, 32).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
    }

    #[test]
    fn costs_beyond_the_limits_are_refused_before_any_work() {
        let huge = argon2id_hash(b"x", &[7; 16], MAX_MEMORY_KIB + 1, 1, 1, 32);
        assert!(huge.unwrap_err().contains("beyond the host's limits"));
        let imported = "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        assert!(
            argon2_verify(imported, b"x")
                .unwrap_err()
                .contains("limits")
        );
        assert!(argon2_verify("$2b$10$notargon", b"x").is_err());
        assert!(
            argon2id_hash(b"x", &[7; 4], 256, 1, 1, 32).is_err(),
            "short salt"
        );
    }
}
