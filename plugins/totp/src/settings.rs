//! The operator's settings: the plugin's own `config:` object, or Kratos'
//! `selfservice.methods.totp.config` nested inside it (`{"config": {...}}` or the whole
//! `{"selfservice": {"methods": {"totp": {"config": {...}}}}}`), so a Kratos configuration
//! carries over unchanged.

use latchkey_plugin_sdk::attempts::Limits;
use latchkey_plugin_sdk::config::parse_settings;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Shown by authenticator apps next to the account name.
    pub issuer: String,
    /// Seconds per code (`period` in the otpauth URL).
    pub period: u64,
    /// Digits per code.
    pub digits: u8,
    /// How many steps before and after the current one a code may come from, for clock drift
    /// and typing time.
    pub skew: u8,
    /// Wrong codes in a row before the app is locked, and for how long
    /// (`max_attempts`, `lock_seconds`).
    pub limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: "Latchkey".into(),
            period: 30,
            digits: 6,
            skew: 1,
            limits: Limits::default(),
        }
    }
}

// Unknown keys are accepted and ignored, as in the other plugins.
#[derive(Deserialize, Default)]
struct Raw {
    issuer: Option<String>,
    period: Option<u64>,
    digits: Option<u8>,
    skew: Option<u8>,
    algorithm: Option<String>,
    max_attempts: Option<u32>,
    lock_seconds: Option<i64>,
}

/// Most authenticator apps only ever compute 30-second, 6-digit SHA-1 codes and silently
/// ignore other parameters, so the limits stay close to that.
const MAX_PERIOD: u64 = 300;
const MAX_SKEW: u8 = 10;

impl Settings {
    /// Missing keys keep their defaults; anything malformed is an error, reported when the
    /// plugin loads.
    pub fn parse(json: &str) -> Result<Settings, String> {
        let raw: Raw = parse_settings(json, "totp")?;
        let d = Settings::default();
        let settings = Settings {
            issuer: raw.issuer.unwrap_or(d.issuer),
            period: raw.period.unwrap_or(d.period),
            digits: raw.digits.unwrap_or(d.digits),
            skew: raw.skew.unwrap_or(d.skew),
            limits: Limits {
                max_attempts: raw.max_attempts.unwrap_or(d.limits.max_attempts),
                lock_seconds: raw.lock_seconds.unwrap_or(d.limits.lock_seconds),
            },
        };
        settings.limits.check()?;
        if settings.issuer.trim().is_empty() {
            return Err("issuer must not be empty".into());
        }
        if settings.issuer.contains(':') {
            // The otpauth label is `issuer:account`; a colon in the issuer would split it.
            return Err(format!(
                "issuer must not contain `:`, got `{}`",
                settings.issuer
            ));
        }
        if !(1..=MAX_PERIOD).contains(&settings.period) {
            return Err(format!(
                "period must be 1 to {MAX_PERIOD} seconds, not {}",
                settings.period
            ));
        }
        if !(6..=8).contains(&settings.digits) {
            return Err(format!("digits must be 6 to 8, not {}", settings.digits));
        }
        if settings.skew > MAX_SKEW {
            return Err(format!(
                "skew must be 0 to {MAX_SKEW} steps, not {}",
                settings.skew
            ));
        }
        match raw.algorithm.as_deref() {
            None => {}
            Some(a) if a.eq_ignore_ascii_case("sha1") => {}
            Some(other) => {
                return Err(format!(
                    "algorithm `{other}` is not supported: only SHA1 works with common authenticator apps"
                ));
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_settings() {
        assert_eq!(Settings::parse("{}").unwrap(), Settings::default());
        let d = Settings::default();
        assert_eq!(
            (d.issuer.as_str(), d.period, d.digits, d.skew),
            ("Latchkey", 30, 6, 1)
        );
        assert_eq!(d.limits, Limits::default());
    }

    #[test]
    fn own_keys() {
        let s = Settings::parse(
            r#"{"issuer":"Example Inc.","period":60,"digits":8,"skew":2,"algorithm":"sha1",
                "max_attempts":3,"lock_seconds":60}"#,
        )
        .unwrap();
        assert_eq!(
            s,
            Settings {
                issuer: "Example Inc.".into(),
                period: 60,
                digits: 8,
                skew: 2,
                limits: Limits {
                    max_attempts: 3,
                    lock_seconds: 60
                },
            }
        );
    }

    #[test]
    fn nested_like_kratos() {
        let s = Settings::parse(r#"{"config":{"issuer":"Nested"}}"#).unwrap();
        assert_eq!(s.issuer, "Nested");
        let s = Settings::parse(
            r#"{"selfservice":{"methods":{"totp":{"enabled":true,"config":{"issuer":"Deep"}}}}}"#,
        )
        .unwrap();
        assert_eq!(s.issuer, "Deep");
        assert_eq!(s.period, 30);
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            r#"{"issuer":""}"#,
            r#"{"issuer":"a:b"}"#,
            r#"{"period":0}"#,
            r#"{"period":3600}"#,
            r#"{"digits":5}"#,
            r#"{"digits":9}"#,
            r#"{"skew":11}"#,
            r#"{"skew":-1}"#,
            r#"{"algorithm":"SHA256"}"#,
            r#"{"max_attempts":0}"#,
            r#"{"max_attempts":101}"#,
            r#"{"lock_seconds":0}"#,
            r#"{"lock_seconds":"15m"}"#,
            r#"{"issuer":3}"#,
            "[]",
            "nope",
        ] {
            assert!(Settings::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
