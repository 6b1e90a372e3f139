//! Typed JSON at the plugin boundary: the operator's settings and the plugin's own credential
//! configs, both read with serde.

use crate::env::Env;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The operator's settings for method `method`: the plugin's own `config:` object, or Kratos'
/// `selfservice.methods.<method>.config` nested inside it (`{"config": {...}}` or the whole
/// `{"selfservice": {"methods": {"<method>": {"config": {...}}}}}`), so a Kratos configuration
/// carries over unchanged. Missing keys are `T`'s business (`#[serde(default)]`).
pub fn parse_settings<T: DeserializeOwned>(json: &str, method: &str) -> Result<T, String> {
    let root: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if !root.is_object() {
        return Err("the settings must be a JSON object".into());
    }
    let section = root
        .pointer(&format!("/selfservice/methods/{method}/config"))
        .or_else(|| root.get("config"))
        .filter(|v| v.is_object())
        .unwrap_or(&root);
    T::deserialize(section).map_err(|e| e.to_string())
}

/// Reads and checks the settings with `parse`. Call it from `describe`, which runs at load
/// time, so that a bad configuration stops the server from starting instead of failing
/// requests later. Panicking is deliberate: the host reports the trap (and this message on
/// stderr) as an operator error, never as a user's.
pub fn load_settings<T>(
    env: &dyn Env,
    method: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> T {
    match parse(&env.settings()) {
        Ok(settings) => settings,
        Err(reason) => panic!("invalid {method} plugin settings: {reason}"),
    }
}

/// A stored credential config; `None` when it is unreadable, and such a credential should count
/// for nothing and sign nobody in.
pub fn parse_credential<T: DeserializeOwned>(config_json: &str) -> Option<T> {
    serde_json::from_str(config_json).ok()
}

/// A credential config (or plugin state) as JSON.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plugin configs serialise: string keys, no floats")
}

/// The object of an administrator's import, also when nested under `config` as Kratos'
/// identity export has it.
pub fn import_object(config_json: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(config_json).map_err(|e| format!("not JSON: {e}"))?;
    Ok(match value.get("config") {
        Some(inner) if inner.is_object() => inner.clone(),
        _ => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeEnv;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct S {
        digits: u8,
    }

    #[test]
    fn settings_own_or_nested_like_kratos() {
        assert_eq!(parse_settings::<S>("{}", "m"), Ok(S { digits: 0 }));
        assert_eq!(
            parse_settings::<S>(r#"{"digits":6}"#, "m"),
            Ok(S { digits: 6 })
        );
        assert_eq!(
            parse_settings::<S>(r#"{"config":{"digits":7}}"#, "m"),
            Ok(S { digits: 7 })
        );
        let deep = r#"{"selfservice":{"methods":{"m":{"enabled":true,"config":{"digits":8}}}}}"#;
        assert_eq!(parse_settings::<S>(deep, "m"), Ok(S { digits: 8 }));
        for bad in ["[]", "nope", r#"{"digits":"six"}"#] {
            assert!(parse_settings::<S>(bad, "m").is_err(), "{bad}");
        }
    }

    #[test]
    #[should_panic(expected = "invalid m plugin settings")]
    fn bad_settings_stop_the_load() {
        let env = FakeEnv::default().with_settings("[]");
        load_settings(&env, "m", |json| parse_settings::<S>(json, "m"));
    }

    #[test]
    fn imports_unwrap_kratos_nesting() {
        assert_eq!(import_object(r#"{"config":{"a":1}}"#).unwrap()["a"], 1);
        assert_eq!(import_object(r#"{"a":1}"#).unwrap()["a"], 1);
        assert_eq!(import_object(r#"{"config":3}"#).unwrap()["config"], 3);
        assert!(import_object("").is_err());
    }
}
