//! Environment overrides, named as Kratos names them: `serve.public.port` is `SERVE_PUBLIC_PORT`.

use serde_json::{Map, Value};

use super::ConfigError;
use super::keys::{self, Kind};
use super::layers;

/// The overrides found in the environment, as a layer to merge on top of the files.
pub(super) struct EnvLayer {
    pub value: Value,
    /// `(key path, variable name)` of every override, to point errors at the variable.
    set: Vec<(String, String)>,
}

impl EnvLayer {
    /// The variable that set `key` or one of its parents (`identity.schemas[0].url` is set by
    /// `IDENTITY_SCHEMAS`).
    pub fn variable_for(&self, key: &str) -> Option<&str> {
        self.set.iter().find_map(|(path, name)| {
            let rest = key.strip_prefix(path.as_str())?;
            (rest.is_empty() || rest.starts_with(['.', '['])).then_some(name.as_str())
        })
    }
}

pub(super) fn read(env: &dyn Fn(&str) -> Option<String>) -> Result<EnvLayer, ConfigError> {
    let mut value = Value::Object(Map::new());
    let mut set = Vec::new();
    for key in keys::env_keys() {
        let Some(raw) = env(&key.name) else { continue };
        // An empty variable is how compose files and shell scripts leave a setting unset.
        if raw.trim().is_empty() {
            continue;
        }
        let parsed = parse(&raw, key.kind).map_err(|message| ConfigError::Env {
            name: key.name.clone(),
            key: key.path.clone(),
            message,
        })?;
        tracing::debug!(variable = %key.name, key = %key.path, "config key set from the environment");
        layers::insert_path(&mut value, &key.path, parsed);
        set.push((key.path, key.name));
    }
    Ok(EnvLayer { value, set })
}

fn parse(raw: &str, kind: Kind) -> Result<Value, String> {
    match kind {
        Kind::Text => Ok(Value::String(raw.to_owned())),
        // Whatever is not a YAML scalar is left as text for the type check to report.
        Kind::Scalar => match layers::parse_yaml(raw) {
            Ok(value) if !value.is_object() && !value.is_array() => Ok(value),
            _ => Ok(Value::String(raw.to_owned())),
        },
        Kind::List => parse_list(raw),
        Kind::Document => {
            layers::parse_yaml(raw).map_err(|e| format!("not valid YAML or JSON: {e}"))
        }
    }
}

/// A JSON array of strings, or comma-separated items. The JSON form is for items that contain
/// commas themselves.
fn parse_list(raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if !raw.starts_with('[') {
        let items = raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty());
        return Ok(Value::Array(items.map(Value::from).collect()));
    }
    let items: Vec<Value> =
        serde_json::from_str(raw).map_err(|e| format!("not a JSON array of strings: {e}"))?;
    // Item values are not quoted in the error: these lists hold secrets.
    if let Some(index) = items.iter().position(|item| !item.is_string()) {
        return Err(format!("item {index} of the JSON array is not a string"));
    }
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_from(vars: &[(&str, &str)]) -> Result<EnvLayer, ConfigError> {
        read(&|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn values_are_typed_by_key() {
        let layer = read_from(&[
            ("SERVE_PUBLIC_PORT", "4455"),
            ("SERVE_PUBLIC_HOST", "0"),
            ("LOG_LEAK_SENSITIVE_VALUES", "true"),
            (
                "SECRETS_COOKIE",
                " first-secret-0123456789 , second-secret-0123456789 ",
            ),
            ("SECRETS_CIPHER", r#"["with,comma-0123456789"]"#),
            (
                "SELFSERVICE_METHODS_TOTP_CONFIG",
                r#"{"issuer": "Example"}"#,
            ),
            ("DSN", ""),
        ])
        .unwrap();
        assert_eq!(
            layer.value,
            json!({
                "serve": {"public": {"port": 4455, "host": "0"}},
                "log": {"leak_sensitive_values": true},
                "secrets": {
                    "cookie": ["first-secret-0123456789", "second-secret-0123456789"],
                    "cipher": ["with,comma-0123456789"],
                },
                "selfservice": {"methods": {"totp": {"config": {"issuer": "Example"}}}},
            })
        );
        assert_eq!(
            layer.variable_for("serve.public.port"),
            Some("SERVE_PUBLIC_PORT")
        );
        assert_eq!(
            layer.variable_for("secrets.cookie[1]"),
            Some("SECRETS_COOKIE")
        );
        assert_eq!(layer.variable_for("serve.public.portal"), None);
        assert_eq!(layer.variable_for("dsn"), None);
    }

    #[test]
    fn a_malformed_list_names_the_variable_not_the_value() {
        let err = read_from(&[("SECRETS_COOKIE", "[123456789012345678]")])
            .err()
            .expect("a number is not a secret");
        let message = err.to_string();
        assert!(message.contains("SECRETS_COOKIE"), "{message}");
        assert!(!message.contains("123456789012345678"), "{message}");
    }
}
