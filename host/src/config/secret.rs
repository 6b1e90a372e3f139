//! Secret strings that never show up in `Debug` output or config errors.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Kratos rejects shorter `secrets.*` entries; a kratos.yml that Kratos accepts loads here too.
pub const MIN_SECRET_CHARS: usize = 16;

/// A secret (cookie signing key, cipher key, …). `Debug` prints `[redacted]`; read it with
/// [`Secret::expose`] only where it is used.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret without the length check, for secrets the server generates itself.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl SecretVisitor {
    // serde's stock type errors quote the offending value; for a secret that would print it.
    fn not_a_string<E: de::Error>(kind: &str) -> E {
        E::custom(format_args!(
            "invalid type: {kind}, expected a string of at least {MIN_SECRET_CHARS} characters (quote it)"
        ))
    }
}

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a string of at least {MIN_SECRET_CHARS} characters")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        let chars = v.chars().count();
        if chars < MIN_SECRET_CHARS {
            return Err(E::custom(format_args!(
                "secret is {chars} characters long, at least {MIN_SECRET_CHARS} are required"
            )));
        }
        Ok(Secret(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(Self::not_a_string("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(Self::not_a_string("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(Self::not_a_string("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(Self::not_a_string("number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::new("correct-horse-battery-staple");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", vec![secret.clone()]), "[[redacted]]");
        assert_eq!(secret.expose(), "correct-horse-battery-staple");
    }

    #[test]
    fn errors_do_not_quote_the_value() {
        let short = serde_json::from_value::<Secret>(serde_json::json!("hunter2")).unwrap_err();
        assert!(short.to_string().contains("7 characters"), "{short}");
        assert!(!short.to_string().contains("hunter2"), "{short}");

        let number = serde_json::from_value::<Secret>(serde_json::json!(982451653)).unwrap_err();
        assert!(!number.to_string().contains("982451653"), "{number}");
    }
}
