//! The operator's settings: only the attempt limits (`max_attempts`, `lock_seconds`), in the
//! plugin's own `config:` object or Kratos' `selfservice.methods.lookup_secret.config`.
//! Unknown keys are ignored: Kratos has none for this method, and the host passes its
//! `hashers` section alongside.

use latchkey_plugin_sdk::attempts::Limits;
use latchkey_plugin_sdk::config::parse_settings;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Settings {
    /// Wrong codes in a row before the codes are locked, and for how long.
    #[serde(flatten)]
    pub limits: Limits,
}

impl Settings {
    pub fn parse(json: &str) -> Result<Settings, String> {
        let settings: Settings = parse_settings(json, "lookup_secret")?;
        settings.limits.check()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_or_their_defaults() {
        assert_eq!(Settings::parse("{}"), Ok(Settings::default()));
        assert_eq!(Settings::default().limits, Limits::default());
        let nested = r#"{"selfservice":{"methods":{"lookup_secret":{"config":
            {"max_attempts":3,"lock_seconds":60}}}},"hashers":{}}"#;
        assert_eq!(
            Settings::parse(nested).unwrap().limits,
            Limits {
                max_attempts: 3,
                lock_seconds: 60
            }
        );
        for bad in [
            r#"{"max_attempts":0}"#,
            r#"{"lock_seconds":-1}"#,
            r#"{"max_attempts":"five"}"#,
            "[]",
        ] {
            assert!(Settings::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
