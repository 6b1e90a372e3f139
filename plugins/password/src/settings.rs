//! The operator's settings as the host hands them over: the method's own options
//! (`selfservice.methods.password.config`) with Kratos' `hashers` section alongside.

use latchkey_plugin_sdk::env::Argon2Params as HostArgon2Params;
use latchkey_plugin_sdk::{Env, Level};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt_length: u32,
    pub key_length: u32,
}

impl Argon2Params {
    /// The parameters as the host's `password-hashing` capability takes them (the salt comes
    /// with the call).
    pub fn host_params(&self) -> HostArgon2Params {
        HostArgon2Params {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
            key_length: self.key_length,
        }
    }
}

impl Default for Argon2Params {
    /// OWASP's argon2id baseline (19 MiB, two passes, one lane), the host's default too.
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            salt_length: 16,
            key_length: 32,
        }
    }
}

/// How new passwords are hashed (`hashers.algorithm`). Hashes of the other kind still verify
/// and are replaced on the next successful login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hasher {
    Argon2id(Argon2Params),
    Bcrypt { cost: u32 },
}

/// The most a stored hash may cost to check (`hashers.limits`, Latchkey's own): imports above
/// them are refused, since every login would pay for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLimits {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub bcrypt_cost: u32,
}

impl CostLimits {
    /// The host's defaults: four times the configured argon2 memory and twice its iterations,
    /// and bcrypt's configured cost (bcrypt runs in the plugin, where a step more already
    /// takes a second).
    fn around(argon2: &Argon2Params, bcrypt_cost: u32) -> CostLimits {
        CostLimits {
            argon2_memory_kib: argon2.memory_kib.saturating_mul(4),
            argon2_iterations: argon2.iterations.saturating_mul(2),
            bcrypt_cost,
        }
    }
}

/// Kratos' breached-password options. The origin is `None` when `haveibeenpwned_enabled` is
/// off; the offline list of common passwords is consulted either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachCheck {
    pub haveibeenpwned_origin: Option<String>,
    pub max_breaches: u64,
    pub ignore_network_errors: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub hasher: Hasher,
    pub limits: CostLimits,
    pub min_password_length: usize,
    pub identifier_similarity_check_enabled: bool,
    pub breaches: BreachCheck,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::parse("{}").expect("the defaults parse")
    }
}

/// Kratos' default bcrypt cost.
const DEFAULT_BCRYPT_COST: u32 = 12;

/// Kratos' `haveibeenpwned_host`.
const DEFAULT_HAVEIBEENPWNED_HOST: &str = "api.pwnedpasswords.com";

/// The origin the range API is asked at. Kratos takes a host name and always speaks HTTPS; a
/// value with a scheme (`http://127.0.0.1:9000`, for a mirror on the local network) is taken
/// as the origin itself. The host derives the plugin's outbound grant by the same rule.
pub fn haveibeenpwned_origin(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.contains("://") {
        host.to_string()
    } else {
        format!("https://{host}")
    }
}

// Unknown keys (argon2's `expected_duration`, `migrate_hook`…) are accepted and ignored, so a
// Kratos configuration loads unchanged.
#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    hashers: RawHashers,
    min_password_length: Option<usize>,
    identifier_similarity_check_enabled: Option<bool>,
    haveibeenpwned_enabled: Option<bool>,
    haveibeenpwned_host: Option<String>,
    max_breaches: Option<u64>,
    ignore_network_errors: Option<bool>,
}

#[derive(Deserialize, Default)]
struct RawHashers {
    algorithm: Option<String>,
    #[serde(default)]
    argon2: RawArgon2,
    #[serde(default)]
    bcrypt: RawBcrypt,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize, Default)]
struct RawLimits {
    #[serde(default)]
    argon2: RawArgon2Limits,
    #[serde(default)]
    bcrypt: RawBcrypt,
}

#[derive(Deserialize, Default)]
struct RawArgon2Limits {
    memory: Option<Value>,
    iterations: Option<u32>,
}

#[derive(Deserialize, Default)]
struct RawArgon2 {
    memory: Option<Value>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
    salt_length: Option<u32>,
    key_length: Option<u32>,
}

#[derive(Deserialize, Default)]
struct RawBcrypt {
    cost: Option<u32>,
}

impl Settings {
    /// Missing keys keep their defaults; anything malformed or outside what the algorithms
    /// accept is an error, reported when the plugin loads.
    pub fn parse(json: &str) -> Result<Settings, String> {
        let raw: Raw = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let d = Argon2Params::default();
        let a = raw.hashers.argon2;
        let argon2 = Argon2Params {
            memory_kib: match a.memory {
                None => d.memory_kib,
                Some(v) => memory_kib(&v)?,
            },
            iterations: a.iterations.unwrap_or(d.iterations),
            parallelism: a.parallelism.unwrap_or(d.parallelism),
            salt_length: a.salt_length.unwrap_or(d.salt_length),
            key_length: a.key_length.unwrap_or(d.key_length),
        };
        let bcrypt_cost = raw.hashers.bcrypt.cost.unwrap_or(DEFAULT_BCRYPT_COST);
        let hasher = match raw.hashers.algorithm.as_deref().unwrap_or("argon2") {
            "argon2" | "argon2id" => Hasher::Argon2id(check_argon2(argon2)?),
            "bcrypt" => {
                if !(4..=31).contains(&bcrypt_cost) {
                    return Err(format!(
                        "hashers.bcrypt.cost must be 4 to 31, not {bcrypt_cost}"
                    ));
                }
                Hasher::Bcrypt { cost: bcrypt_cost }
            }
            other => {
                return Err(format!(
                    "hashers.algorithm `{other}` is not supported, use `argon2` or `bcrypt`"
                ));
            }
        };
        let defaults = CostLimits::around(&argon2, bcrypt_cost);
        let l = raw.hashers.limits;
        let limits = CostLimits {
            argon2_memory_kib: match l.argon2.memory {
                None => defaults.argon2_memory_kib,
                Some(v) => memory_kib(&v)?,
            },
            argon2_iterations: l.argon2.iterations.unwrap_or(defaults.argon2_iterations),
            bcrypt_cost: l.bcrypt.cost.unwrap_or(defaults.bcrypt_cost),
        };
        let min_password_length = raw.min_password_length.unwrap_or(8);
        if min_password_length == 0 {
            return Err("min_password_length must be at least 1".into());
        }
        let max_breaches = raw.max_breaches.unwrap_or(0);
        if max_breaches > 100 {
            return Err(format!(
                "max_breaches must be 0 to 100 (as in Kratos), not {max_breaches}"
            ));
        }
        let haveibeenpwned_origin = raw.haveibeenpwned_enabled.unwrap_or(true).then(|| {
            haveibeenpwned_origin(
                raw.haveibeenpwned_host
                    .as_deref()
                    .unwrap_or(DEFAULT_HAVEIBEENPWNED_HOST),
            )
        });
        Ok(Settings {
            hasher,
            limits,
            min_password_length,
            identifier_similarity_check_enabled: raw
                .identifier_similarity_check_enabled
                .unwrap_or(true),
            breaches: BreachCheck {
                haveibeenpwned_origin,
                max_breaches,
                ignore_network_errors: raw.ignore_network_errors.unwrap_or(true),
            },
        })
    }
}

/// The limits of argon2 itself and of the PHC string format the hashes are stored in.
fn check_argon2(p: Argon2Params) -> Result<Argon2Params, String> {
    argon2::Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| format!("hashers.argon2: {e}"))?;
    if !(8..=48).contains(&p.salt_length) {
        return Err(format!(
            "hashers.argon2.salt_length must be 8 to 48 bytes, not {}",
            p.salt_length
        ));
    }
    if !(10..=64).contains(&p.key_length) {
        return Err(format!(
            "hashers.argon2.key_length must be 10 to 64 bytes, not {}",
            p.key_length
        ));
    }
    Ok(p)
}

/// A byte size as Kratos writes it (`128MB`, `19456KiB`, `1.5GB`) or a plain number of bytes.
/// As in Kratos (go-bytesize), `KB`, `MB` and `GB` are powers of 1024.
fn memory_kib(v: &Value) -> Result<u32, String> {
    let bytes = match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or("hashers.argon2.memory must be a whole number of bytes")?,
        Value::String(s) => parse_size(s)?,
        _ => return Err("hashers.argon2.memory must be a number or a size like \"64MB\"".into()),
    };
    u32::try_from(bytes / 1024).map_err(|_| "hashers.argon2.memory is too large".into())
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` in `{s}`")),
    };
    if let Ok(whole) = number.parse::<u64>() {
        return whole
            .checked_mul(factor)
            .ok_or_else(|| format!("size `{s}` is too large"));
    }
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok((n * factor as f64) as u64),
        _ => Err(format!("invalid size `{s}`")),
    }
}

/// Legal but probably unintended settings, reported once when the plugin loads.
pub fn warn_about(settings: &Settings, env: &dyn Env) {
    if let Hasher::Argon2id(p) = settings.hasher
        && p.memory_kib < 1024
    {
        let memory = format!("{}KiB", p.memory_kib);
        env.log(
            Level::Warn,
            "argon2 memory is below 1 MiB; a plain number in hashers.argon2.memory means bytes",
            &[("memory", &memory)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argon2(json: &str) -> Argon2Params {
        match Settings::parse(json).unwrap().hasher {
            Hasher::Argon2id(p) => p,
            other => panic!("expected argon2id, got {other:?}"),
        }
    }

    #[test]
    fn defaults_without_settings() {
        let s = Settings::default();
        assert_eq!(s.hasher, Hasher::Argon2id(Argon2Params::default()));
        assert_eq!(s.min_password_length, 8);
    }

    #[test]
    fn kratos_style_sizes() {
        let p = argon2(r#"{"hashers":{"argon2":{"memory":"128MB","iterations":3}}}"#);
        assert_eq!((p.memory_kib, p.iterations), (131_072, 3));
        assert_eq!(
            argon2(r#"{"hashers":{"argon2":{"memory":"19456KiB"}}}"#).memory_kib,
            19_456
        );
        assert_eq!(
            argon2(r#"{"hashers":{"argon2":{"memory":" 64 mib "}}}"#).memory_kib,
            65_536
        );
        assert_eq!(
            argon2(r#"{"hashers":{"argon2":{"memory":"1.5GB"}}}"#).memory_kib,
            1_572_864
        );
        assert_eq!(
            argon2(r#"{"hashers":{"argon2":{"memory":65536}}}"#).memory_kib,
            64
        );
    }

    #[test]
    fn the_other_options() {
        let s = Settings::parse(
            r#"{"min_password_length":12,"identifier_similarity_check_enabled":false,
                "hashers":{"argon2":{"parallelism":2,"salt_length":32,"key_length":64,
                "expected_duration":"500ms"}}}"#,
        )
        .unwrap();
        assert_eq!(s.min_password_length, 12);
        let Hasher::Argon2id(p) = s.hasher else {
            panic!("argon2id expected")
        };
        assert_eq!((p.parallelism, p.salt_length, p.key_length), (2, 32, 64));
    }

    #[test]
    fn kratos_password_policy_keys() {
        let d = Settings::default();
        assert_eq!(d.min_password_length, 8);
        assert!(d.identifier_similarity_check_enabled);
        assert_eq!(
            d.breaches,
            BreachCheck {
                haveibeenpwned_origin: Some("https://api.pwnedpasswords.com".into()),
                max_breaches: 0,
                ignore_network_errors: true,
            }
        );
        let s = Settings::parse(
            r#"{"identifier_similarity_check_enabled":false,"haveibeenpwned_host":"hibp.internal:8443",
                "max_breaches":10,"ignore_network_errors":false}"#,
        )
        .unwrap();
        assert!(!s.identifier_similarity_check_enabled);
        assert_eq!(
            s.breaches,
            BreachCheck {
                haveibeenpwned_origin: Some("https://hibp.internal:8443".into()),
                max_breaches: 10,
                ignore_network_errors: false,
            }
        );
        let off = Settings::parse(r#"{"haveibeenpwned_enabled":false}"#).unwrap();
        assert_eq!(off.breaches.haveibeenpwned_origin, None);
        assert_eq!(
            haveibeenpwned_origin("http://127.0.0.1:9000/"),
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn cost_limits_default_around_the_hasher() {
        let d = Settings::default();
        assert_eq!(
            d.limits,
            CostLimits {
                argon2_memory_kib: 4 * 19_456,
                argon2_iterations: 4,
                bcrypt_cost: 12,
            }
        );
        let s = Settings::parse(
            r#"{"hashers":{"argon2":{"memory":"64MB","iterations":1},"bcrypt":{"cost":10},
                "limits":{"argon2":{"memory":"128MB"},"bcrypt":{"cost":11}}}}"#,
        )
        .unwrap();
        assert_eq!(
            s.limits,
            CostLimits {
                argon2_memory_kib: 131_072,
                argon2_iterations: 2,
                bcrypt_cost: 11,
            }
        );
    }

    #[test]
    fn bcrypt_can_be_chosen() {
        let s =
            Settings::parse(r#"{"hashers":{"algorithm":"bcrypt","bcrypt":{"cost":10}}}"#).unwrap();
        assert_eq!(s.hasher, Hasher::Bcrypt { cost: 10 });
        let s = Settings::parse(r#"{"hashers":{"algorithm":"bcrypt"}}"#).unwrap();
        assert_eq!(s.hasher, Hasher::Bcrypt { cost: 12 });
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            r#"{"hashers":{"argon2":{"memory":"12 parsecs"}}}"#,
            r#"{"hashers":{"argon2":{"memory":"lots"}}}"#,
            r#"{"hashers":{"argon2":{"memory":-5}}}"#,
            r#"{"hashers":{"argon2":{"memory":"8192GB"}}}"#,
            r#"{"hashers":{"argon2":{"iterations":0}}}"#,
            r#"{"hashers":{"argon2":{"salt_length":4}}}"#,
            r#"{"hashers":{"argon2":{"key_length":65}}}"#,
            r#"{"hashers":{"algorithm":"md5"}}"#,
            r#"{"hashers":{"algorithm":"bcrypt","bcrypt":{"cost":40}}}"#,
            r#"{"min_password_length":0}"#,
            r#"{"min_password_length":"eight"}"#,
            r#"{"max_breaches":101}"#,
            r#"{"haveibeenpwned_enabled":"yes"}"#,
            r#"{"hashers":{"limits":{"argon2":{"memory":"lots"}}}}"#,
            "[]",
        ] {
            assert!(Settings::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
