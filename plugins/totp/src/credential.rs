//! The stored credential: Kratos' TOTP config (`totp_url`) plus the last time step a code was
//! accepted for, so that no code is accepted twice, and the wrong-code counters of
//! [`latchkey_plugin_sdk::attempts`] once there is something to count.

use crate::otpauth::Key;
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::config::{import_object, parse_credential, to_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Config {
    pub totp_url: String,
    /// `null` for a key no code was accepted for yet (an imported Kratos credential).
    #[serde(default)]
    pub last_used_step: Option<u64>,
    #[serde(flatten)]
    pub attempts: Attempts,
}

impl Config {
    /// The config and its key; `None` when the config or its URL is unusable. Such a credential
    /// counts for nothing and signs nobody in.
    pub fn parse(json: &str) -> Option<(Config, Key)> {
        let config: Config = parse_credential(json)?;
        let key = Key::parse(&config.totp_url).ok()?;
        Some((config, key))
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// An administrator's import: `{"totp_url": "otpauth://…"}`, also nested under `config` as
/// Kratos' identity export has it. The URL is stored as given once it parses; an imported
/// `last_used_step` is kept, and so are the counters of an export of this plugin.
pub fn import(config_json: &str) -> Result<Config, String> {
    let object = import_object(config_json)?;
    let Some(url) = object.get("totp_url").and_then(Value::as_str) else {
        return Err("a TOTP credential needs `totp_url`, an otpauth://totp/… URL".into());
    };
    Key::parse(url)?;
    let last_used_step = match object.get("last_used_step") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or("`last_used_step` must be a whole number or null")?,
        ),
    };
    let attempts = serde_json::from_value(object.clone())
        .map_err(|e| format!("unreadable attempt counters: {e}"))?;
    Ok(Config {
        totp_url: url.to_string(),
        last_used_step,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "otpauth://totp/Latchkey:a@b.c?algorithm=SHA1&digits=6&issuer=Latchkey\
                       &period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn kratos_configs_parse_and_ours_round_trip() {
        let kratos = format!(r#"{{"totp_url":"{URL}"}}"#);
        let (config, _) = Config::parse(&kratos).unwrap();
        assert_eq!(config.last_used_step, None);
        assert_eq!(
            config.to_json(),
            format!(r#"{{"totp_url":"{URL}","last_used_step":null}}"#)
        );
        let ours = Config {
            totp_url: URL.into(),
            last_used_step: Some(42),
            attempts: Attempts {
                failed_attempts: 2,
                ..Attempts::default()
            },
        };
        assert_eq!(
            ours.to_json(),
            format!(r#"{{"totp_url":"{URL}","last_used_step":42,"failed_attempts":2}}"#)
        );
        assert_eq!(Config::parse(&ours.to_json()).unwrap().0, ours);
    }

    #[test]
    fn unusable_configs_are_no_credential() {
        assert!(Config::parse("{}").is_none());
        assert!(Config::parse(r#"{"totp_url":"otpauth://totp/x"}"#).is_none());
        assert!(Config::parse(r#"{"totp_url":3}"#).is_none());
        assert!(Config::parse("nope").is_none());
    }

    #[test]
    fn imports() {
        let flat = import(&format!(r#"{{"totp_url":"{URL}"}}"#)).unwrap();
        assert_eq!(flat.totp_url, URL);
        assert_eq!(flat.last_used_step, None);
        let nested = import(&format!(
            r#"{{"config":{{"totp_url":"{URL}","last_used_step":7}}}}"#
        ))
        .unwrap();
        assert_eq!(nested.last_used_step, Some(7));
        let locked = import(&format!(
            r#"{{"totp_url":"{URL}","locks":1,"locked_until":99}}"#
        ))
        .unwrap();
        assert_eq!(locked.attempts.locked_until, Some(99));
        for bad in [
            "{}",
            r#"{"totp_url":"https://example.com"}"#,
            r#"{"config":{"totp_url":null}}"#,
            &format!(r#"{{"totp_url":"{URL}","last_used_step":"soon"}}"#),
            &format!(r#"{{"totp_url":"{URL}","locks":-1}}"#),
            "[]",
            "",
        ] {
            assert!(import(bad).is_err(), "{bad} was accepted");
        }
    }
}
