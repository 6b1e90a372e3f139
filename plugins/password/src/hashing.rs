//! Password hashes in PHC form: argon2id for everything new; argon2i, argon2d and bcrypt
//! accepted from imports and upgraded on the next successful login.

use crate::settings::Argon2Params;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub fn argon2(params: &Argon2Params) -> Result<Argon2<'static>, String> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(params.key_length as usize),
    )
    .map_err(|e| format!("invalid argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

pub fn hash(password: &str, salt: &[u8], params: &Argon2Params) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| format!("salt: {e}"))?;
    argon2(params)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Match {
        needs_rehash: bool,
    },
    Mismatch,
    /// The stored string is no hash this plugin knows; treated like a wrong password.
    Unreadable,
}

/// Compares in constant time (both argon2 and bcrypt compare their outputs that way).
pub fn verify(password: &str, stored: &str, params: &Argon2Params) -> Verdict {
    if is_bcrypt(stored) {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verdict::Match { needs_rehash: true },
            Ok(false) => Verdict::Mismatch,
            Err(_) => Verdict::Unreadable,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verdict::Unreadable;
    };
    // `Argon2::default()` verifies any argon2 variant with the parameters the hash carries.
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Verdict::Match {
            needs_rehash: !is_current(&parsed, params),
        },
        Err(argon2::password_hash::Error::Password) => Verdict::Mismatch,
        Err(_) => Verdict::Unreadable,
    }
}

fn is_current(hash: &PasswordHash<'_>, params: &Argon2Params) -> bool {
    let Ok(p) = Params::try_from(hash) else {
        return false;
    };
    hash.algorithm == Algorithm::Argon2id.ident()
        && p.m_cost() == params.memory_kib
        && p.t_cost() == params.iterations
        && p.p_cost() == params.parallelism
        && hash
            .hash
            .is_some_and(|h| h.len() == params.key_length as usize)
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

/// Whether an imported hash is one this plugin can verify.
pub fn is_supported_hash(stored: &str) -> bool {
    if is_bcrypt(stored) {
        return stored.len() == 60;
    }
    PasswordHash::new(stored).is_ok_and(|h| {
        [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d]
            .iter()
            .any(|a| h.algorithm == a.ident())
    })
}

/// A well-formed hash with the configured parameters that no password matches. Verifying
/// against it costs the same as verifying a real hash, so an unknown identifier takes as long
/// as a wrong password.
pub fn decoy(params: &Argon2Params) -> String {
    use argon2::password_hash::Output;
    let salt = SaltString::encode_b64(&[0x5a; 16]).expect("16 bytes make a valid salt");
    let output = Output::new(&vec![0u8; params.key_length as usize]).expect("valid output length");
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(params.key_length as usize),
    );
    match p {
        Ok(p) => PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&p).try_into().expect("argon2 params encode"),
            salt: Some(salt.as_salt()),
            hash: Some(output),
        }
        .to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Params {
        Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            salt_length: 16,
            key_length: 32,
        }
    }

    #[test]
    fn hash_then_verify() {
        let h = hash("hunter2hunter2", &[7; 16], &cheap()).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            verify("hunter2hunter2", &h, &cheap()),
            Verdict::Match {
                needs_rehash: false
            }
        );
        assert_eq!(verify("hunter3hunter3", &h, &cheap()), Verdict::Mismatch);
    }

    #[test]
    fn other_parameters_or_algorithms_ask_for_a_rehash() {
        let mut old = cheap();
        old.iterations = 2;
        let h = hash("pw-pw-pw-pw", &[1; 16], &old).unwrap();
        assert_eq!(
            verify("pw-pw-pw-pw", &h, &cheap()),
            Verdict::Match { needs_rehash: true }
        );

        let bcrypt = bcrypt::hash_with_salt("pw-pw-pw-pw", 4, [3; 16])
            .unwrap()
            .to_string();
        assert!(is_supported_hash(&bcrypt));
        assert_eq!(
            verify("pw-pw-pw-pw", &bcrypt, &cheap()),
            Verdict::Match { needs_rehash: true }
        );
        assert_eq!(verify("nope-nope", &bcrypt, &cheap()), Verdict::Mismatch);
    }

    #[test]
    fn the_decoy_never_matches_and_has_the_configured_cost() {
        let d = decoy(&cheap());
        assert!(d.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{d}");
        assert_eq!(verify("", &d, &cheap()), Verdict::Mismatch);
        assert_eq!(verify("anything", &d, &cheap()), Verdict::Mismatch);
    }

    #[test]
    fn garbage_is_not_a_supported_hash() {
        assert!(!is_supported_hash("plaintext"));
        assert!(!is_supported_hash("$md5$abc"));
        assert_eq!(verify("x", "plaintext", &cheap()), Verdict::Unreadable);
    }
}
