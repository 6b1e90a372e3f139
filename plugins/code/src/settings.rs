//! The operator's settings: Kratos' `selfservice.methods.code.config`. Only `lifespan` concerns
//! the plugin; the host reads `max_submissions` itself, and Kratos' passwordless switches
//! (`passwordless_enabled`, `mfa_enabled`) concern login and registration, which this plugin
//! does not join.

use latchkey_plugin_sdk::config::parse_settings;
use serde::Deserialize;

/// Kratos' default code lifespan: 15 minutes.
const DEFAULT_LIFESPAN_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a code works after it was sent, in seconds.
    pub lifespan: i64,
}

#[derive(Deserialize, Default)]
struct Raw {
    lifespan: Option<String>,
}

impl Settings {
    pub fn parse(json: &str) -> Result<Settings, String> {
        let raw: Raw = parse_settings(json, super::METHOD)?;
        let lifespan = match raw.lifespan {
            None => DEFAULT_LIFESPAN_SECONDS,
            Some(text) => seconds(&text).ok_or_else(|| {
                format!("lifespan {text:?} is no duration such as \"15m\" or \"1h30m\"")
            })?,
        };
        if lifespan <= 0 {
            return Err("lifespan must be longer than 0".into());
        }
        Ok(Settings { lifespan })
    }
}

/// A Go duration (`15m`, `1h30m`, `90s`) in whole seconds.
fn seconds(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    chars.peek()?;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: i64 = number.parse().ok()?;
        number.clear();
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                0
            }
            ('h', _) => 3600,
            ('m', _) => 60,
            ('s', _) => 1,
            _ => return None,
        };
        total = total.checked_add(value.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_kratos_writes_them() {
        assert_eq!(seconds("15m"), Some(900));
        assert_eq!(seconds("1h30m"), Some(5400));
        assert_eq!(seconds("90s"), Some(90));
        assert_eq!(seconds("1h0m500ms"), Some(3600));
        for bad in ["", "15", "m", "15x", "-5m"] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_lifespan_comes_from_kratos_method_config() {
        assert_eq!(Settings::parse("{}").unwrap().lifespan, 900);
        let kratos = r#"{"selfservice":{"methods":{"code":{"config":{"lifespan":"2m","max_submissions":3}}}}}"#;
        assert_eq!(Settings::parse(kratos).unwrap().lifespan, 120);
        assert!(Settings::parse(r#"{"lifespan":"soon"}"#).is_err());
        assert!(Settings::parse(r#"{"lifespan":"0s"}"#).is_err());
    }
}
