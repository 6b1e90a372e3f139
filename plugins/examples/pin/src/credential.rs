//! The stored credential: `{"hashed_pin": "$argon2id$…"}`, with the attempt counters of
//! [`crate::attempts`] once there is something to count.
//!
//! The hash is argon2id with a fixed parameter set, OWASP's baseline (19 MiB, two passes, one
//! lane; the password plugin's default too). A PIN has far less entropy than a password, so
//! the hash mostly guards against a stolen database being read at a glance: four to twelve
//! digits fall to an offline search whatever the cost. What protects a PIN online is limiting
//! attempts.

use crate::ui;
use crate::{MAX_DIGITS, Settings};
use latchkey_plugin_sdk::Env;
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::config::{import_object, parse_credential, to_json};
use latchkey_plugin_sdk::env::Argon2Params;
use latchkey_plugin_sdk::types::{CredentialWrite, Rejection};
use serde::{Deserialize, Serialize};

pub const PARAMS: Argon2Params = Argon2Params {
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
    key_length: 32,
};
const SALT_BYTES: u32 = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub hashed_pin: String,
    /// Absent from the JSON until a wrong PIN is counted.
    #[serde(flatten)]
    pub attempts: Attempts,
}

impl Config {
    /// `None` for a config without a usable hash: it counts for nothing and signs nobody in.
    pub fn parse(json: &str) -> Option<Config> {
        parse_credential::<Config>(json).filter(|c| c.hashed_pin.starts_with("$argon2"))
    }

    /// Hashes a PIN that [`check`] accepted, with a fresh salt.
    pub fn new(pin: &str, env: &dyn Env) -> Result<Config, String> {
        let salt = env.random(SALT_BYTES);
        let hashed_pin = env.argon2id_hash(pin.as_bytes(), &salt, PARAMS)?;
        Ok(Config {
            hashed_pin,
            attempts: Attempts::default(),
        })
    }

    /// Whether `pin` is this credential's PIN. An unreadable hash matches nothing.
    pub fn matches(&self, pin: &str, env: &dyn Env) -> bool {
        env.argon2_verify(&self.hashed_pin, pin.as_bytes())
            .unwrap_or(false)
    }

    pub fn write(&self) -> CredentialWrite {
        CredentialWrite {
            identifiers: vec![],
            config_json: to_json(self),
        }
    }
}

/// Digits only, as many as the settings ask for and at most [`MAX_DIGITS`].
pub fn check(pin: &str, settings: &Settings) -> Result<(), Rejection> {
    let digits_only = pin.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || !(settings.min_digits..=MAX_DIGITS).contains(&pin.len()) {
        return Err(Rejection::on_node(
            "pin",
            ui::bad_format(settings.min_digits, MAX_DIGITS),
        ));
    }
    Ok(())
}

/// An administrator's import: `{"pin": "1234"}` is checked and hashed, `{"hashed_pin": …}`
/// (an argon2 PHC string, what an export of this plugin holds) is kept as it is. Both also
/// nested under `config`.
pub fn import(
    config_json: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<CredentialWrite, Rejection> {
    let refuse = |reason: &str| Rejection::flow(ui::generic(reason));
    let object = import_object(config_json).map_err(|e| refuse(&e))?;
    if let Some(pin) = object.get("pin") {
        let pin = pin
            .as_str()
            .ok_or_else(|| refuse("`pin` must be a string"))?;
        check(pin, settings).map_err(|_| {
            refuse(&format!(
                "`pin` must be {} to {MAX_DIGITS} digits",
                settings.min_digits
            ))
        })?;
        let config = Config::new(pin, env).map_err(|e| refuse(&e))?;
        return Ok(config.write());
    }
    let config = Config::parse(&object.to_string()).ok_or_else(|| {
        refuse("a pin credential needs `pin` (the digits) or `hashed_pin` (an argon2 hash)")
    })?;
    Ok(config.write())
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;

    #[test]
    fn hashes_with_the_fixed_parameters_and_verifies() {
        let env = FakeEnv::default();
        let config = Config::new("2468", &env).unwrap();
        assert!(
            config
                .hashed_pin
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert!(config.matches("2468", &env));
        assert!(!config.matches("2469", &env));
        assert_eq!(
            config.write().config_json,
            format!(r#"{{"hashed_pin":"{}"}}"#, config.hashed_pin),
            "no counters until there is something to count"
        );
        assert_eq!(Config::parse(&config.write().config_json), Some(config));
    }

    #[test]
    fn unusable_configs_are_no_credential() {
        for bad in [
            "{}",
            r#"{"hashed_pin":""}"#,
            r#"{"hashed_pin":"1234"}"#,
            "nope",
        ] {
            assert_eq!(Config::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_digits_of_the_allowed_length() {
        let s = Settings::default();
        for ok in ["0000", "123456789012"] {
            assert!(check(ok, &s).is_ok(), "{ok}");
        }
        for bad in ["123", "1234567890123", "12a4", "12 34", "١٢٣٤"] {
            let r = check(bad, &s).unwrap_err();
            assert_eq!(r.node_messages[0].0, "pin");
            assert_eq!(r.node_messages[0].1.id, ui::BAD_FORMAT);
        }
        let six = Settings {
            min_digits: 6,
            ..Settings::default()
        };
        assert!(check("1234", &six).is_err());
    }

    #[test]
    fn imports() {
        let env = FakeEnv::default();
        let s = Settings::default();
        let clear = import(r#"{"config":{"pin":"8642"}}"#, &s, &env).unwrap();
        let config = Config::parse(&clear.config_json).unwrap();
        assert!(config.matches("8642", &env));
        let hashed = import(&clear.config_json, &s, &env).unwrap();
        assert_eq!(hashed.config_json, clear.config_json);
        for bad in [
            "{}",
            r#"{"pin":1234}"#,
            r#"{"pin":"12"}"#,
            r#"{"hashed_pin":"x"}"#,
            "",
        ] {
            assert!(import(bad, &s, &env).is_err(), "{bad} was accepted");
        }
    }
}
