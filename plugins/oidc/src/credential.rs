//! The credential: which provider subjects an identity signs in with. Identifiers are
//! `<provider>:<subject>` (what the host looks a callback's subject up by); the config lists
//! the same links with when they were made. No token is stored.

use latchkey_plugin_sdk::config::{import_object, parse_credential, to_json};
use latchkey_plugin_sdk::time::rfc3339;
use latchkey_plugin_sdk::types::{Credential, CredentialWrite};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Config {
    pub providers: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub provider: String,
    pub subject: String,
    /// RFC 3339, from the host's clock.
    #[serde(default)]
    pub linked_at: String,
}

impl Link {
    pub fn new(provider: &str, subject: &str, now: i64) -> Link {
        Link {
            provider: provider.into(),
            subject: subject.into(),
            linked_at: rfc3339(now),
        }
    }

    pub fn identifier(&self) -> String {
        identifier(&self.provider, &self.subject)
    }
}

pub fn identifier(provider: &str, subject: &str) -> String {
    format!("{provider}:{subject}")
}

impl Config {
    /// The links of a stored credential; an unreadable one links nothing.
    pub fn of(credential: Option<&Credential>) -> Config {
        credential
            .and_then(|c| parse_credential(&c.config_json))
            .unwrap_or_default()
    }

    pub fn is_linked(&self, provider: &str) -> bool {
        self.providers.iter().any(|l| l.provider == provider)
    }

    /// `None` when nothing is left, which removes the credential.
    pub fn write(&self) -> Option<CredentialWrite> {
        if self.providers.is_empty() {
            return None;
        }
        Some(CredentialWrite {
            identifiers: self.providers.iter().map(Link::identifier).collect(),
            config_json: to_json(self),
        })
    }
}

/// Kratos' import shape, `{"providers": [{"provider": "x", "subject": "y"}]}`; other keys of a
/// link (Kratos' stored tokens) are dropped.
pub fn import(config_json: &str, now: i64) -> Result<CredentialWrite, String> {
    #[derive(Deserialize)]
    struct Imported {
        providers: Vec<ImportedLink>,
    }
    #[derive(Deserialize)]
    struct ImportedLink {
        provider: String,
        subject: String,
    }
    let object = import_object(config_json)?;
    let imported: Imported = serde_json::from_value(object).map_err(|e| {
        format!(
            "the oidc credential must look like {{\"providers\": [{{\"provider\": \"…\", \"subject\": \"…\"}}]}}: {e}"
        )
    })?;
    let mut config = Config::default();
    for link in imported.providers {
        if link.provider.is_empty() || link.subject.is_empty() {
            return Err("every imported link needs a provider and a subject".into());
        }
        let link = Link::new(&link.provider, &link.subject, now);
        if config
            .providers
            .iter()
            .any(|l| l.identifier() == link.identifier())
        {
            return Err(format!("`{}` is imported twice", link.identifier()));
        }
        config.providers.push(link);
    }
    config
        .write()
        .ok_or_else(|| "the imported oidc credential links no provider".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_identifiers_and_links() {
        let mut config = Config::default();
        assert!(config.write().is_none());
        config.providers.push(Link::new("a", "1", 0));
        config.providers.push(Link::new("b", "x:y", 86_400));
        let w = config.write().unwrap();
        assert_eq!(w.identifiers, ["a:1", "b:x:y"]);
        let back: Config = serde_json::from_str(&w.config_json).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.providers[1].linked_at, "1970-01-02T00:00:00Z");
        assert!(back.is_linked("b") && !back.is_linked("c"));
    }

    #[test]
    fn unreadable_credentials_link_nothing() {
        let c = Credential {
            identifiers: vec!["a:1".into()],
            config_json: "nope".into(),
            version: 1,
        };
        assert_eq!(Config::of(Some(&c)), Config::default());
        assert_eq!(Config::of(None), Config::default());
    }

    #[test]
    fn imports_kratos_shape() {
        let w = import(
            r#"{"config":{"providers":[{"provider":"google","subject":"123","initial_id_token":"x"}]}}"#,
            0,
        )
        .unwrap();
        assert_eq!(w.identifiers, ["google:123"]);
        assert!(!w.config_json.contains("initial_id_token"));
        assert!(
            w.config_json
                .contains(r#""linked_at":"1970-01-01T00:00:00Z""#)
        );
        for bad in [
            "{}",
            r#"{"providers":[]}"#,
            r#"{"providers":[{"provider":"g"}]}"#,
            r#"{"providers":[{"provider":"","subject":"1"}]}"#,
            r#"{"providers":[{"provider":"g","subject":"1"},{"provider":"g","subject":"1"}]}"#,
            r#"{"providers":"g"}"#,
            "not json",
        ] {
            assert!(import(bad, 0).is_err(), "{bad}");
        }
    }
}
