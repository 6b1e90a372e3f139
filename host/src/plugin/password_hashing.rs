//! The `password-hashing` capability: argon2 computed natively for plugins, with limits so a
//! plugin (or an imported hash) cannot make the host allocate or spin without bound.

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};

/// Kratos' own default is 128 MiB; twice that leaves room for a deliberate choice.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub const MAX_ITERATIONS: u32 = 32;
pub const MAX_PARALLELISM: u32 = 16;
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

pub fn argon2id_hash(
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
    let salt = SaltString::encode_b64(salt).map_err(|e| format!("salt: {e}"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

pub fn argon2_verify(phc: &str, password: &[u8]) -> Result<bool, String> {
    let parsed = PasswordHash::new(phc).map_err(|e| format!("not an argon2 PHC string: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| format!("argon2 parameters: {e}"))?;
    within_limits(params.m_cost(), params.t_cost(), params.p_cost())?;
    // `Argon2::default()` takes algorithm, version and cost from the hash; the output
    // comparison inside is constant-time.
    match Argon2::default().verify_password(password, &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(format!("not a usable argon2 hash: {e}")),
    }
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
