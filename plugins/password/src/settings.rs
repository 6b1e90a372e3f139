//! The operator's settings, as the host hands them over: Kratos' `hashers` section plus the
//! method's own options.

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

impl Default for Argon2Params {
    /// OWASP's argon2id baseline: 19 MiB, two passes, one lane.
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub argon2: Argon2Params,
    pub min_password_length: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            argon2: Argon2Params::default(),
            min_password_length: 8,
        }
    }
}

#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    hashers: RawHashers,
    min_password_length: Option<usize>,
}

#[derive(Deserialize, Default)]
struct RawHashers {
    #[serde(default)]
    argon2: RawArgon2,
}

#[derive(Deserialize, Default)]
struct RawArgon2 {
    memory: Option<Value>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
    salt_length: Option<u32>,
    key_length: Option<u32>,
}

impl Settings {
    /// Parses the settings JSON; anything missing keeps its default, anything malformed is an
    /// error the host reports at load time.
    pub fn parse(json: &str) -> Result<Settings, String> {
        let raw: Raw = serde_json::from_str(json).map_err(|e| format!("invalid settings: {e}"))?;
        let d = Argon2Params::default();
        let a = raw.hashers.argon2;
        let memory_kib = match a.memory {
            None => d.memory_kib,
            Some(v) => memory_kib(&v)?,
        };
        Ok(Settings {
            argon2: Argon2Params {
                memory_kib,
                iterations: a.iterations.unwrap_or(d.iterations),
                parallelism: a.parallelism.unwrap_or(d.parallelism),
                salt_length: a.salt_length.unwrap_or(d.salt_length),
                key_length: a.key_length.unwrap_or(d.key_length),
            },
            min_password_length: raw.min_password_length.unwrap_or(8),
        })
    }
}

/// A byte size as Kratos writes it (`128MB`, `19456KiB`) or a plain number of bytes.
/// Like Kratos' go-bytesize, `KB`/`MB` are powers of 1024.
fn memory_kib(v: &Value) -> Result<u32, String> {
    let bytes = match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or("argon2 memory must be a positive integer")?,
        Value::String(s) => parse_bytes(s)?,
        _ => return Err("argon2 memory must be a number or a size like \"64MiB\"".into()),
    };
    u32::try_from(bytes / 1024).map_err(|_| "argon2 memory is too large".into())
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} in {s:?}")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size {s:?} overflows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_settings() {
        assert_eq!(Settings::parse("{}").unwrap(), Settings::default());
    }

    #[test]
    fn kratos_style_sizes() {
        let s =
            Settings::parse(r#"{"hashers":{"argon2":{"memory":"128MB","iterations":3}}}"#).unwrap();
        assert_eq!(s.argon2.memory_kib, 131_072);
        assert_eq!(s.argon2.iterations, 3);
        let s = Settings::parse(r#"{"hashers":{"argon2":{"memory":"19456KiB"}}}"#).unwrap();
        assert_eq!(s.argon2.memory_kib, 19_456);
        let s = Settings::parse(r#"{"hashers":{"argon2":{"memory":65536}}}"#).unwrap();
        assert_eq!(s.argon2.memory_kib, 64);
        assert!(Settings::parse(r#"{"hashers":{"argon2":{"memory":"12 parsecs"}}}"#).is_err());
    }
}
