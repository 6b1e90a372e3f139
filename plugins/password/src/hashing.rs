//! Password hashes: argon2 (id, i, d) in PHC form and bcrypt in modular crypt form, the formats
//! Kratos writes. New hashes use the configured hasher; any supported hash verifies, and a hash
//! that is not what the configuration would produce today is replaced after a good login.

use crate::settings::{CostLimits, Hasher};
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Params, Version};
use latchkey_plugin_sdk::{Env, Level};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2id,
    Argon2i,
    Argon2d,
    Bcrypt,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2id => "argon2id",
            Scheme::Argon2i => "argon2i",
            Scheme::Argon2d => "argon2d",
            Scheme::Bcrypt => "bcrypt",
        }
    }
}

/// bcrypt silently ignores everything past 72 bytes; like Kratos (Go's bcrypt) we refuse such
/// passwords rather than let a prefix stand for them.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

const BCRYPT_SALT_BYTES: u32 = 16;

fn looks_like_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

/// Which supported scheme a stored hash uses, if it is well-formed enough to verify against.
pub fn scheme(stored: &str) -> Option<Scheme> {
    if looks_like_bcrypt(stored) {
        let cost = bcrypt::HashParts::from_str(stored).ok()?.get_cost();
        return (4..=31).contains(&cost).then_some(Scheme::Bcrypt);
    }
    let hash = PasswordHash::new(stored).ok()?;
    let scheme = [
        (Algorithm::Argon2id, Scheme::Argon2id),
        (Algorithm::Argon2i, Scheme::Argon2i),
        (Algorithm::Argon2d, Scheme::Argon2d),
    ]
    .into_iter()
    .find(|(a, _)| hash.algorithm == a.ident())
    .map(|(_, s)| s)?;
    let usable = hash.salt.is_some() && hash.hash.is_some() && Params::try_from(&hash).is_ok();
    usable.then_some(scheme)
}

/// Whether checking `stored` (a hash [`scheme`] accepts) stays within `limits`; if not, why,
/// naming the limit, for an administrator importing it.
pub fn within(stored: &str, limits: &CostLimits) -> Result<(), String> {
    if looks_like_bcrypt(stored) {
        let cost = bcrypt::HashParts::from_str(stored)
            .map_err(|e| format!("bcrypt: {e}"))?
            .get_cost();
        if cost > limits.bcrypt_cost {
            return Err(format!(
                "The imported hashed_password has bcrypt cost {cost}, above this server's limit \
                 of {} (hashers.limits.bcrypt.cost): every login would pay for it.",
                limits.bcrypt_cost
            ));
        }
        return Ok(());
    }
    let hash = PasswordHash::new(stored).map_err(|e| format!("argon2: {e}"))?;
    let params = Params::try_from(&hash).map_err(|e| format!("argon2: {e}"))?;
    if params.m_cost() > limits.argon2_memory_kib {
        return Err(format!(
            "The imported hashed_password needs {}KiB of argon2 memory, above this server's \
             limit of {}KiB (hashers.limits.argon2.memory): every login would pay for it.",
            params.m_cost(),
            limits.argon2_memory_kib
        ));
    }
    if params.t_cost() > limits.argon2_iterations {
        return Err(format!(
            "The imported hashed_password has {} argon2 iterations, above this server's limit \
             of {} (hashers.limits.argon2.iterations): every login would pay for it.",
            params.t_cost(),
            limits.argon2_iterations
        ));
    }
    Ok(())
}

/// How many random bytes [`hash`] needs as salt.
pub fn salt_length(hasher: &Hasher) -> u32 {
    match hasher {
        Hasher::Argon2id(p) => p.salt_length,
        Hasher::Bcrypt { .. } => BCRYPT_SALT_BYTES,
    }
}

/// Hashes with the configured hasher; `salt` must be [`salt_length`] bytes. Argon2's
/// memory-hard work runs natively in the host (two to three times faster than inside
/// WebAssembly).
pub fn hash(env: &dyn Env, password: &str, hasher: &Hasher, salt: &[u8]) -> Result<String, String> {
    match hasher {
        Hasher::Argon2id(p) => env.argon2id_hash(password.as_bytes(), salt, p.host_params()),
        Hasher::Bcrypt { cost } => {
            // Checked here rather than with the crate's non-truncating variant, which also
            // refuses exactly 72 bytes, a length Kratos (Go's bcrypt) accepts.
            if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
                return Err(format!(
                    "bcrypt takes at most {BCRYPT_MAX_PASSWORD_BYTES} bytes of password"
                ));
            }
            let salt: [u8; 16] = salt.try_into().map_err(|_| "bcrypt needs a 16-byte salt")?;
            bcrypt::hash_with_salt(password, *cost, salt)
                .map(|h| h.to_string())
                .map_err(|e| format!("bcrypt: {e}"))
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Match {
        needs_rehash: bool,
    },
    Mismatch,
    /// The stored string is no hash this plugin can check; treated like a wrong password.
    Unreadable,
}

/// Both algorithms compare their outputs in constant time.
pub fn verify(env: &dyn Env, password: &str, stored: &str, hasher: &Hasher) -> Verdict {
    let matched = match scheme(stored) {
        None => return Verdict::Unreadable,
        // The length check comes after the hash so an over-long guess costs as much as any.
        Some(Scheme::Bcrypt) => match bcrypt::verify(password, stored) {
            Ok(ok) => ok && password.len() <= BCRYPT_MAX_PASSWORD_BYTES,
            Err(_) => return Verdict::Unreadable,
        },
        Some(_) => match env.argon2_verify(stored, password.as_bytes()) {
            Ok(matched) => matched,
            // The host's reason (its limits, the call's deadline) is the operator's only clue.
            Err(reason) => {
                env.log(
                    Level::Warn,
                    "the host did not check the stored hash",
                    &[("reason", &reason)],
                );
                return Verdict::Unreadable;
            }
        },
    };
    if matched {
        Verdict::Match {
            needs_rehash: !is_current(stored, hasher),
        }
    } else {
        Verdict::Mismatch
    }
}

/// Whether `stored` is what the configured hasher would produce today (same algorithm and
/// cost), so that raising the parameters upgrades every account at its next login.
pub fn is_current(stored: &str, hasher: &Hasher) -> bool {
    match hasher {
        Hasher::Bcrypt { cost } => {
            looks_like_bcrypt(stored)
                && bcrypt::HashParts::from_str(stored).is_ok_and(|h| h.get_cost() == *cost)
        }
        Hasher::Argon2id(p) => {
            let Ok(hash) = PasswordHash::new(stored) else {
                return false;
            };
            let Ok(params) = Params::try_from(&hash) else {
                return false;
            };
            hash.algorithm == Algorithm::Argon2id.ident()
                && hash.version == Some(Version::V0x13.into())
                && params.m_cost() == p.memory_kib
                && params.t_cost() == p.iterations
                && params.p_cost() == p.parallelism
                && hash.hash.is_some_and(|h| h.len() == p.key_length as usize)
        }
    }
}

/// A well-formed hash with the configured cost that no password matches (its output is all
/// zeros). Verifying against it costs what verifying a real hash costs, so a login for an
/// unknown identifier takes as long as one with a wrong password — without hashing anything
/// to build it, and for any parameters the operator chooses.
pub fn decoy(hasher: &Hasher) -> String {
    match hasher {
        // `.` is zero in bcrypt's base64 alphabet: a zero salt and a zero digest.
        Hasher::Bcrypt { cost } => format!("$2b${cost:02}${}", ".".repeat(53)),
        Hasher::Argon2id(p) => {
            let params = Params::new(
                p.memory_kib,
                p.iterations,
                p.parallelism,
                Some(p.key_length as usize),
            )
            .expect("parameters were validated when the settings were read");
            let salt = SaltString::encode_b64(&[0u8; 16]).expect("16 bytes are a valid salt");
            let output = Output::new(&vec![0u8; p.key_length as usize])
                .expect("key length was validated when the settings were read");
            PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: (&params).try_into().expect("argon2 parameters encode"),
                salt: Some(salt.as_salt()),
                hash: Some(output),
            }
            .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Argon2Params;
    use argon2::Argon2;
    use argon2::password_hash::PasswordHasher;
    use latchkey_plugin_sdk::testing::FakeEnv;

    /// Cheap parameters: the tests are about formats and decisions, not cost.
    fn cheap() -> Argon2Params {
        Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            salt_length: 16,
            key_length: 32,
        }
    }

    fn argon2_with(algorithm: Algorithm, version: Version, p: Argon2Params, pw: &str) -> String {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None).unwrap();
        let salt = SaltString::encode_b64(&[9; 16]).unwrap();
        Argon2::new(algorithm, version, params)
            .hash_password(pw.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    fn bcrypt_hash(pw: &str, cost: u32) -> String {
        bcrypt::hash_with_salt(pw, cost, [3; 16])
            .unwrap()
            .to_string()
    }

    const KRATOS_ARGON2ID: &str = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$\
        NWL4bW2uwk5d4GsyFvZt2FaCi87/05aNaLEuZq0qYJw";

    #[test]
    fn detects_the_schemes_kratos_writes() {
        assert_eq!(scheme(KRATOS_ARGON2ID), Some(Scheme::Argon2id));
        let p = cheap();
        assert_eq!(
            scheme(&argon2_with(Algorithm::Argon2i, Version::V0x13, p, "x")),
            Some(Scheme::Argon2i)
        );
        assert_eq!(
            scheme(&argon2_with(Algorithm::Argon2d, Version::V0x10, p, "x")),
            Some(Scheme::Argon2d)
        );
        let b = bcrypt_hash("x", 4);
        assert_eq!(scheme(&b), Some(Scheme::Bcrypt));
        for prefix in ["$2a$", "$2y$"] {
            let other = b.replacen("$2b$", prefix, 1);
            assert_eq!(scheme(&other), Some(Scheme::Bcrypt), "{other}");
        }
    }

    #[test]
    fn rejects_what_it_cannot_verify() {
        for bad in [
            "",
            "plaintext",
            "$md5$abc",
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA",
            "$argon2id$v=19$m=1,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$NWL4bW2uwk5d4GsyFvZt2F",
            "$2b$04$tooshort",
            "$2b$99$.....................................................",
        ] {
            assert_eq!(scheme(bad), None, "{bad}");
            assert_eq!(
                verify(&FakeEnv::default(), "x", bad, &Hasher::Argon2id(cheap())),
                Verdict::Unreadable
            );
        }
    }

    #[test]
    fn hash_then_verify() {
        let hasher = Hasher::Argon2id(cheap());
        let h = hash(&FakeEnv::default(), "hunter2hunter2", &hasher, &[7; 16]).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert_eq!(
            verify(&FakeEnv::default(), "hunter2hunter2", &h, &hasher),
            Verdict::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify(&FakeEnv::default(), "hunter3hunter3", &h, &hasher),
            Verdict::Mismatch
        );

        let bcrypt = Hasher::Bcrypt { cost: 4 };
        let h = hash(&FakeEnv::default(), "hunter2hunter2", &bcrypt, &[7; 16]).unwrap();
        assert!(h.starts_with("$2b$04$"), "{h}");
        assert_eq!(
            verify(&FakeEnv::default(), "hunter2hunter2", &h, &bcrypt),
            Verdict::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn rehash_when_algorithm_or_cost_differs() {
        let current = cheap();
        let hasher = Hasher::Argon2id(current);
        let same = argon2_with(Algorithm::Argon2id, Version::V0x13, current, "pw");
        assert!(is_current(&same, &hasher));

        let more_passes = Argon2Params {
            iterations: 2,
            ..current
        };
        let more_memory = Argon2Params {
            memory_kib: 128,
            ..current
        };
        let longer_key = Argon2Params {
            key_length: 64,
            ..current
        };
        for stale in [
            argon2_with(Algorithm::Argon2id, Version::V0x13, more_passes, "pw"),
            argon2_with(Algorithm::Argon2id, Version::V0x13, more_memory, "pw"),
            argon2_with(Algorithm::Argon2id, Version::V0x10, current, "pw"),
            argon2_with(Algorithm::Argon2i, Version::V0x13, current, "pw"),
            argon2_with(Algorithm::Argon2d, Version::V0x13, current, "pw"),
            hash(
                &FakeEnv::default(),
                "pw",
                &Hasher::Argon2id(longer_key),
                &[1; 16],
            )
            .unwrap(),
            bcrypt_hash("pw", 4),
        ] {
            assert!(!is_current(&stale, &hasher), "{stale}");
            assert_eq!(
                verify(&FakeEnv::default(), "pw", &stale, &hasher),
                Verdict::Match { needs_rehash: true },
                "{stale}"
            );
            assert_eq!(
                verify(&FakeEnv::default(), "pw2", &stale, &hasher),
                Verdict::Mismatch
            );
        }

        let bcrypt10 = Hasher::Bcrypt { cost: 10 };
        assert!(!is_current(&bcrypt_hash("pw", 4), &bcrypt10));
        assert!(!is_current(&same, &bcrypt10));
        assert!(is_current(&decoy(&bcrypt10), &bcrypt10));
    }

    #[test]
    fn bcrypt_refuses_what_it_would_truncate() {
        let long = "a".repeat(80);
        let h = bcrypt_hash(&long, 4);
        let hasher = Hasher::Bcrypt { cost: 4 };
        assert_eq!(
            verify(&FakeEnv::default(), &long, &h, &hasher),
            Verdict::Mismatch
        );
        assert!(hash(&FakeEnv::default(), &long, &hasher, &[0; 16]).is_err());
        let max = "a".repeat(BCRYPT_MAX_PASSWORD_BYTES);
        let h = hash(&FakeEnv::default(), &max, &hasher, &[0; 16]).unwrap();
        assert_eq!(
            verify(&FakeEnv::default(), &max, &h, &hasher),
            Verdict::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn decoys_never_match_and_carry_the_configured_cost() {
        let hasher = Hasher::Argon2id(cheap());
        let d = decoy(&hasher);
        assert!(d.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{d}");
        assert!(is_current(&d, &hasher));
        for guess in ["", "anything", "password"] {
            assert_eq!(
                verify(&FakeEnv::default(), guess, &d, &hasher),
                Verdict::Mismatch
            );
        }

        let bcrypt = Hasher::Bcrypt { cost: 5 };
        let d = decoy(&bcrypt);
        assert_eq!(scheme(&d), Some(Scheme::Bcrypt), "{d}");
        assert_eq!(
            verify(&FakeEnv::default(), "anything", &d, &bcrypt),
            Verdict::Mismatch
        );
    }
}
