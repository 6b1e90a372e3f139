//! Config layers (the defaults, each file, the environment) as JSON trees, and how they merge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};

use super::ConfigError;

/// One config file, parsed.
pub(super) struct FileLayer {
    pub value: Value,
    /// Relative paths written in this file resolve against this directory.
    pub dir: PathBuf,
}

pub(super) fn read_file(path: &Path, cwd: &Path) -> Result<FileLayer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let syntax = |message: String| ConfigError::Syntax {
        path: path.to_owned(),
        message,
    };
    let value = match parse_yaml(&text).map_err(syntax)? {
        Value::Null => Value::Object(Map::new()),
        value @ Value::Object(_) => value,
        _ => return Err(syntax("the top level must be a map of config keys".into())),
    };
    // Not canonicalized: with a symlinked config directory (a Kubernetes ConfigMap, say) the
    // files next to the config are found through the link, not in its target.
    let absolute = cwd.join(path);
    let dir = absolute.parent().unwrap_or(cwd).to_path_buf();
    tracing::debug!(path = %path.display(), "read config file");
    Ok(FileLayer { value, dir })
}

/// Parses YAML (JSON being a subset) into a JSON tree, the form the rest of loading works on.
pub(super) fn parse_yaml(text: &str) -> Result<Value, String> {
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    yaml.apply_merge().map_err(|e| e.to_string())?;
    to_json(yaml)
}

fn to_json(yaml: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Yaml;
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or("numbers must be finite")?)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    _ => return Err("map keys must be strings".into()),
                };
                map.insert(key, to_json(value)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => return Err(format!("YAML tag `{}` is not supported", tagged.tag)),
    })
}

/// Merges `overlay` onto `base` as Kratos does for several `-c` files: maps merge key by key,
/// anything else is replaced.
///
/// A key without a value (`courier:` with nothing under it, `base_url: ~`) leaves what the
/// layers below said: an empty section header must not wipe out the defaults beneath it.
pub(super) fn merge(base: &mut Value, overlay: Value) {
    match overlay {
        Value::Null => {}
        Value::Object(entries) => {
            if !base.is_object() {
                *base = Value::Object(Map::new());
            }
            let Value::Object(map) = base else {
                unreachable!("replaced by a map above")
            };
            for (key, value) in entries {
                let slot = map.entry(key.clone()).or_insert(Value::Null);
                merge(slot, value);
                if slot.is_null() {
                    map.remove(&key);
                }
            }
        }
        other => *base = other,
    }
}

/// Sets `path` (dot-separated map keys) in `root`, creating the maps on the way.
pub(super) fn insert_path(root: &mut Value, path: &str, value: Value) {
    let mut node = root;
    for segment in path.split('.') {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else {
            unreachable!("replaced by a map above")
        };
        node = map.entry(segment).or_insert(Value::Null);
    }
    *node = value;
}

fn has_path(root: &Value, path: &str) -> bool {
    path.split('.')
        .try_fold(root, |node, segment| node.get(segment))
        .is_some_and(|value| !value.is_null())
}

/// Keys holding file system paths or file URLs that may be relative.
pub(super) const PATH_KEYS: &[&str] = &[
    "identity.schemas",
    "plugins.factors",
    "plugins.extra_factors",
    "plugins.policies",
    "plugins.dir",
    "plugins.cache_dir",
    "ui.templates_dir",
    "courier.template_override_path",
    "courier.templates",
];

/// For each of [`PATH_KEYS`], the directory its relative paths resolve against: that of the
/// last layer that set it. Lists are replaced whole by a merge, so one directory serves every
/// item of the list.
pub(super) struct BaseDirs {
    dirs: BTreeMap<&'static str, PathBuf>,
    fallback: PathBuf,
}

impl BaseDirs {
    pub fn new(cwd: &Path) -> Self {
        Self {
            dirs: BTreeMap::new(),
            fallback: cwd.to_path_buf(),
        }
    }

    pub fn record(&mut self, layer: &Value, dir: &Path) {
        for key in PATH_KEYS {
            if has_path(layer, key) {
                self.dirs.insert(key, dir.to_path_buf());
            }
        }
    }

    pub fn get(&self, key: &str) -> &Path {
        self.dirs.get(key).unwrap_or(&self.fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_deep_for_maps_and_replaces_the_rest() {
        let mut base = json!({
            "serve": {"public": {"host": "a", "port": 1}, "admin": {"port": 2}},
            "secrets": {"cookie": ["one", "two"]},
            "log": {"level": "info"},
        });
        merge(
            &mut base,
            json!({
                "serve": {"public": {"port": 3}},
                "secrets": {"cookie": ["three"]},
                "log": null,
                "dsn": "x",
            }),
        );
        assert_eq!(
            base,
            json!({
                "serve": {"public": {"host": "a", "port": 3}, "admin": {"port": 2}},
                "secrets": {"cookie": ["three"]},
                "log": {"level": "info"},
                "dsn": "x",
            })
        );
    }

    #[test]
    fn merge_drops_empty_keys_that_have_nothing_beneath() {
        let mut base = json!({});
        merge(
            &mut base,
            json!({"courier": null, "plugins": {"dir": null, "call_timeout": "2s"}}),
        );
        assert_eq!(base, json!({"plugins": {"call_timeout": "2s"}}));
    }

    #[test]
    fn yaml_becomes_json_with_merge_keys_applied() {
        let value = parse_yaml(
            "base: &base {lifespan: 10m}\nlogin:\n  <<: *base\n  ui_url: http://x/\nport: 4455\n1: one\n",
        )
        .unwrap();
        assert_eq!(
            value["login"],
            json!({"lifespan": "10m", "ui_url": "http://x/"})
        );
        assert_eq!(value["port"], json!(4455));
        assert_eq!(value["1"], json!("one"));
        assert!(parse_yaml("a: !custom 1").unwrap_err().contains("!custom"));
    }

    #[test]
    fn insert_path_creates_maps() {
        let mut root = json!({"serve": "oops"});
        insert_path(&mut root, "serve.public.port", json!(1));
        insert_path(&mut root, "dsn", json!("d"));
        assert_eq!(root, json!({"serve": {"public": {"port": 1}}, "dsn": "d"}));
    }
}
