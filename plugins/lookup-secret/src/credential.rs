//! The stored credential: Kratos' lookup-secret config, with each code replaced by its digest
//! (`{"recovery_codes": [{"code_hash": "<hex SHA-256>", "used_at": null | "<RFC 3339>"}]}`).
//! Codes are never stored in clear. The wrong-code counters of
//! [`latchkey_plugin_sdk::attempts`] sit beside the list once there is something to count.

use crate::codes;
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::compare::constant_time_eq;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredCode {
    pub code_hash: String,
    pub used_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Config {
    pub recovery_codes: Vec<StoredCode>,
    #[serde(flatten)]
    pub attempts: Attempts,
}

/// What a submitted code is to this credential.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The index of an unused code with that digest.
    Unused(usize),
    Used,
    NoMatch,
}

/// An import may not carry more codes than this.
const MAX_IMPORTED: usize = 100;

impl Config {
    /// A fresh set of codes, none used.
    pub fn from_codes(codes: &[String]) -> Config {
        Config {
            recovery_codes: codes
                .iter()
                .map(|c| StoredCode {
                    code_hash: codes::hash(c),
                    used_at: None,
                })
                .collect(),
            attempts: Attempts::default(),
        }
    }

    pub fn parse(json: &str) -> Option<Config> {
        serde_json::from_str(json).ok()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings serialises")
    }

    /// Whether any code can still sign in; a credential without one counts for nothing.
    pub fn has_unused(&self) -> bool {
        self.recovery_codes.iter().any(|c| c.used_at.is_none())
    }

    /// Whether this credential holds exactly these codes (in any order).
    pub fn holds(&self, codes: &[String]) -> bool {
        let mut stored: Vec<&str> = self
            .recovery_codes
            .iter()
            .map(|c| c.code_hash.as_str())
            .collect();
        let mut given: Vec<String> = codes.iter().map(|c| codes::hash(c)).collect();
        stored.sort_unstable();
        given.sort_unstable();
        stored == given
    }

    /// Finds `code` among the stored digests. Every digest is compared in constant time and
    /// none is skipped, so timing tells nothing about which code matched, or whether one did.
    pub fn find(&self, code: &str) -> Lookup {
        let digest = codes::digest(code);
        let mut unused = None;
        let mut used = false;
        for (i, stored) in self.recovery_codes.iter().enumerate() {
            let stored_digest = codes::from_hex(&stored.code_hash).unwrap_or_default();
            let matches = constant_time_eq(&stored_digest[..], &digest[..]);
            let fresh = stored.used_at.is_none();
            if matches && fresh && unused.is_none() {
                unused = Some(i);
            }
            used |= matches && !fresh;
        }
        match (unused, used) {
            (Some(i), _) => Lookup::Unused(i),
            (None, true) => Lookup::Used,
            (None, false) => Lookup::NoMatch,
        }
    }

    /// Marks code `index` used at `when`.
    pub fn mark_used(&mut self, index: usize, when: String) {
        self.recovery_codes[index].used_at = Some(when);
    }
}

/// An administrator's import, also nested under `config` as Kratos' identity export has it:
/// `{"codes": ["…"]}`, Kratos' own `{"recovery_codes": [{"code": "…", "used_at": …}]}`, or this
/// plugin's hashed form. Clear codes are hashed; Kratos' zero time counts as unused.
pub fn import(config_json: &str) -> Result<Config, String> {
    let value: Value = serde_json::from_str(config_json).map_err(|e| format!("not JSON: {e}"))?;
    let object = value
        .get("config")
        .filter(|c| c.is_object())
        .unwrap_or(&value);
    let recovery_codes = if let Some(list) = object.get("codes") {
        let list = list
            .as_array()
            .ok_or("`codes` must be a list of recovery codes")?;
        list.iter()
            .map(|c| {
                let code = c
                    .as_str()
                    .ok_or("every entry of `codes` must be a string")?;
                clear_code(code, None)
            })
            .collect::<Result<Vec<_>, String>>()?
    } else if let Some(list) = object.get("recovery_codes") {
        let list = list.as_array().ok_or("`recovery_codes` must be a list")?;
        list.iter()
            .map(kratos_code)
            .collect::<Result<Vec<_>, String>>()?
    } else {
        return Err(
            "a lookup_secret credential needs `codes` (a list of recovery codes) or Kratos' \
             `recovery_codes`"
                .into(),
        );
    };
    if recovery_codes.is_empty() {
        return Err("there must be at least one recovery code".into());
    }
    if recovery_codes.len() > MAX_IMPORTED {
        return Err(format!(
            "at most {MAX_IMPORTED} recovery codes can be imported"
        ));
    }
    // An export of this plugin keeps its counters; Kratos' has none.
    let attempts = serde_json::from_value(object.clone())
        .map_err(|e| format!("unreadable attempt counters: {e}"))?;
    Ok(Config {
        recovery_codes,
        attempts,
    })
}

fn clear_code(code: &str, used_at: Option<String>) -> Result<StoredCode, String> {
    if codes::normalise(code).is_empty() {
        return Err("a recovery code must not be empty".into());
    }
    Ok(StoredCode {
        code_hash: codes::hash(code),
        used_at,
    })
}

/// One entry of Kratos' `recovery_codes`, or of this plugin's own hashed list.
fn kratos_code(entry: &Value) -> Result<StoredCode, String> {
    let used_at = match entry.get("used_at") {
        None | Some(Value::Null) => None,
        // Kratos writes Go's zero time for an unused code in some versions.
        Some(Value::String(s)) if s.is_empty() || s.starts_with("0001-01-01") => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("`used_at` must be a time or null".into()),
    };
    if let Some(code) = entry.get("code") {
        let code = code.as_str().ok_or("`code` must be a string")?;
        return clear_code(code, used_at);
    }
    match entry.get("code_hash").and_then(Value::as_str) {
        Some(hash) if codes::from_hex(hash).is_some() => Ok(StoredCode {
            code_hash: hash.to_ascii_lowercase(),
            used_at,
        }),
        _ => Err("every recovery code needs `code` (or `code_hash`, 64 hex digits)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stored_hashed_never_in_clear() {
        let config = Config::from_codes(&codes(&["abcdefghijkm", "npqrstuvwxyz"]));
        let json = config.to_json();
        assert!(!json.contains("abcdefghijkm"));
        assert_eq!(
            json,
            format!(
                r#"{{"recovery_codes":[{{"code_hash":"{}","used_at":null}},{{"code_hash":"{}","used_at":null}}]}}"#,
                codes::hash("abcdefghijkm"),
                codes::hash("npqrstuvwxyz")
            )
        );
        assert_eq!(Config::parse(&json), Some(config));
    }

    #[test]
    fn each_code_works_once() {
        let mut config = Config::from_codes(&codes(&["aaaa", "bbbb"]));
        assert!(config.has_unused());
        assert_eq!(config.find("BBBB"), Lookup::Unused(1));
        config.mark_used(1, "2021-08-17T11:32:39Z".into());
        assert_eq!(config.find("bbbb"), Lookup::Used);
        assert_eq!(config.find("cccc"), Lookup::NoMatch);
        assert_eq!(config.find(""), Lookup::NoMatch);
        assert!(config.has_unused());
        config.mark_used(0, "2021-08-17T11:32:40Z".into());
        assert!(!config.has_unused());
    }

    #[test]
    fn a_duplicate_code_can_be_used_as_often_as_it_was_given() {
        let mut config = Config::from_codes(&codes(&["aaaa", "aaaa"]));
        assert_eq!(config.find("aaaa"), Lookup::Unused(0));
        config.mark_used(0, "t".into());
        assert_eq!(config.find("aaaa"), Lookup::Unused(1));
    }

    #[test]
    fn corrupt_digests_match_nothing() {
        let config = Config {
            recovery_codes: vec![StoredCode {
                code_hash: "not hex".into(),
                used_at: None,
            }],
            attempts: Attempts::default(),
        };
        assert_eq!(config.find("aaaa"), Lookup::NoMatch);
    }

    #[test]
    fn holds_compares_sets() {
        let config = Config::from_codes(&codes(&["aaaa", "bbbb"]));
        assert!(config.holds(&codes(&["bbbb", "aaaa"])));
        assert!(!config.holds(&codes(&["aaaa"])));
        assert!(!config.holds(&codes(&["aaaa", "cccc"])));
    }

    #[test]
    fn imports() {
        let plain = import(r#"{"codes":["Abc-Def","ghij"]}"#).unwrap();
        assert_eq!(plain.find("abcdef"), Lookup::Unused(0));
        assert!(!plain.to_json().contains("ghij"));

        let nested = import(r#"{"config":{"codes":["x1"]}}"#).unwrap();
        assert_eq!(nested.find("x1"), Lookup::Unused(0));

        let kratos = import(
            r#"{"recovery_codes":[{"code":"k1","used_at":"2021-08-17T11:32:39Z"},
                {"code":"k2"},{"code":"k3","used_at":"0001-01-01T00:00:00Z"},
                {"code":"k4","used_at":null}]}"#,
        )
        .unwrap();
        assert_eq!(kratos.find("k1"), Lookup::Used);
        assert_eq!(kratos.find("k2"), Lookup::Unused(1));
        assert_eq!(kratos.find("k3"), Lookup::Unused(2));
        assert_eq!(kratos.find("k4"), Lookup::Unused(3));

        let ours = import(&Config::from_codes(&codes(&["zz"])).to_json()).unwrap();
        assert_eq!(ours.find("zz"), Lookup::Unused(0));
        let mut counted = Config::from_codes(&codes(&["zz"]));
        counted.attempts.failed_attempts = 3;
        assert_eq!(import(&counted.to_json()).unwrap(), counted);

        for bad in [
            "{}",
            r#"{"codes":[]}"#,
            r#"{"codes":["  "]}"#,
            r#"{"codes":[3]}"#,
            r#"{"codes":"abc"}"#,
            r#"{"recovery_codes":[{"used_at":null}]}"#,
            r#"{"recovery_codes":[{"code_hash":"abc"}]}"#,
            r#"{"recovery_codes":[{"code":"a","used_at":5}]}"#,
            r#"{"codes":["a"],"failed_attempts":"many"}"#,
            &format!(r#"{{"codes":{}}}"#, serde_json::json!(vec!["a"; 101])),
            "nope",
        ] {
            assert!(import(bad).is_err(), "{bad} was accepted");
        }
    }
}
