//! The stored credential: its config JSON and its lookup identifiers.

use latchkey_plugin_sdk::config::{parse_credential, to_json};
use serde::{Deserialize, Serialize};

/// Kratos' password credential config, field for field.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Config {
    pub hashed_password: String,
}

impl Config {
    /// `None` for a config without a usable hash: such a credential does not count toward the
    /// identity's AAL and cannot sign anyone in.
    pub fn parse(json: &str) -> Option<Config> {
        parse_credential::<Config>(json).filter(|c| !c.hashed_password.is_empty())
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// Login identifiers are matched case-insensitively and without surrounding blanks, so they
/// are stored and looked up in this form.
pub fn normalise(identifier: &str) -> String {
    identifier.trim().to_lowercase()
}

/// The traits the identity schema marks `credentials.password.identifier`, normalised and
/// without duplicates, in schema order (the first one prefills a refresh login).
pub fn identifiers(marked_traits: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (key, value) in marked_traits {
        let id = normalise(value);
        if key == "identifier" && !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn identifiers_are_normalised_deduplicated_and_ordered() {
        let ids = identifiers(&marked(&[
            ("identifier", " Ann@Example.com "),
            ("account_name", "other"),
            ("identifier", "ann"),
            ("identifier", "ANN@example.com"),
            ("identifier", "  "),
        ]));
        assert_eq!(ids, ["ann@example.com", "ann"]);
    }

    #[test]
    fn a_config_without_hash_is_no_credential() {
        assert!(Config::parse(r#"{"hashed_password":""}"#).is_none());
        assert!(Config::parse(r#"{}"#).is_none());
        assert!(Config::parse(r#"{"hashed_password":"$2b$04$x"}"#).is_some());
    }
}
