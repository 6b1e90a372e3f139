//! The operator's providers, Kratos' `selfservice.methods.oidc.config` shape:
//!
//! ```yaml
//! providers:
//!   - id: example            # in the callback path and the credential's identifiers
//!     provider: generic      # the only kind this plugin speaks: OpenID Connect discovery
//!     issuer_url: https://accounts.example.com
//!     client_id: ...
//!     client_secret: ...
//!     scope: [openid, email, profile]
//!     claims_mapping: { email: email, name.first: given_name }
//!     label: Example
//! ```

use crate::METHOD;
use latchkey_plugin_sdk::config::parse_settings;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub providers: Vec<Provider>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: String,
    /// What the buttons say (`Sign in with {label}`); the id when not set.
    pub label: String,
    /// Without a trailing slash: discovery appends `/.well-known/openid-configuration`, and the
    /// ID token's `iss` must equal the issuer the discovery document names.
    pub issuer_url: String,
    pub client_id: String,
    /// `None` for a public client, which proves itself with PKCE alone.
    pub client_secret: Option<String>,
    /// Always includes `openid`, first.
    pub scope: Vec<String>,
    /// Trait path (dot-separated) to claim name.
    pub claims_mapping: BTreeMap<String, String>,
}

/// The keys a provider entry may have; anything else lands in `other`, reported and ignored.
#[derive(Deserialize)]
struct RawProvider {
    #[serde(default)]
    id: String,
    provider: Option<String>,
    label: Option<String>,
    #[serde(default)]
    issuer_url: String,
    #[serde(default)]
    client_id: String,
    client_secret: Option<String>,
    scope: Option<Vec<String>>,
    claims_mapping: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// The only top-level key read; the host passes others alongside (Kratos' `hashers`, the
/// method's `enabled`), which are no business of this plugin.
#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    providers: Value,
}

impl Settings {
    /// The settings, and warnings about keys that are accepted but have no effect.
    pub fn parse(json: &str) -> Result<(Settings, Vec<String>), String> {
        let section: Section = parse_settings(json, METHOD)?;
        let providers = if section.providers.is_null() {
            Value::Array(vec![])
        } else {
            section.providers
        };
        let Value::Array(entries) = providers else {
            return Err("providers must be a list".into());
        };
        let mut warnings = Vec::new();
        let mut out = Vec::<Provider>::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let provider = serde_json::from_value::<RawProvider>(entry)
                .map_err(|e| e.to_string())
                .and_then(|p| Provider::check(p, &mut warnings))
                .map_err(|reason| format!("providers[{i}]: {reason}"))?;
            if out.iter().any(|o| o.id == provider.id) {
                return Err(format!(
                    "providers[{i}]: the id `{}` is used twice",
                    provider.id
                ));
            }
            out.push(provider);
        }
        Ok((Settings { providers: out }, warnings))
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

impl Provider {
    fn check(p: RawProvider, warnings: &mut Vec<String>) -> Result<Provider, String> {
        check_id(&p.id)?;
        let kind = p.provider.as_deref().unwrap_or("generic");
        if kind != "generic" {
            return Err(format!(
                "provider `{kind}` of `{}` is not supported: only `generic` (any OpenID Connect provider with discovery) is",
                p.id
            ));
        }
        let issuer_url = check_issuer(&p.issuer_url)?;
        if p.client_id.trim().is_empty() {
            return Err("client_id is missing".into());
        }
        if p.client_secret.as_deref() == Some("") {
            return Err("client_secret is empty (leave it out for a public client)".into());
        }
        let scope = check_scope(p.scope)?;
        let claims_mapping = check_claims_mapping(p.claims_mapping)?;
        for key in p.other.keys() {
            warnings.push(if key == "mapper_url" {
                format!(
                    "provider `{}`: mapper_url is ignored: Jsonnet mappers are not supported, map claims to traits with claims_mapping",
                    p.id
                )
            } else {
                format!("provider `{}`: unknown key `{key}` is ignored", p.id)
            });
        }
        let label = p
            .label
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| p.id.clone());
        Ok(Provider {
            id: p.id,
            label,
            issuer_url,
            client_id: p.client_id,
            client_secret: p.client_secret,
            scope,
            claims_mapping,
        })
    }
}

/// Ids end up in URLs and in `provider:subject` identifiers, so they are kept plain.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("id is missing".into());
    }
    let plain = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !plain {
        return Err(format!(
            "id `{id}` may only have lowercase letters, digits, `-` and `_`"
        ));
    }
    Ok(())
}

fn check_issuer(issuer: &str) -> Result<String, String> {
    if issuer.is_empty() {
        return Err("issuer_url is missing".into());
    }
    let url = openidconnect::url::Url::parse(issuer)
        .map_err(|e| format!("issuer_url `{issuer}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(format!(
            "issuer_url `{issuer}` must be an http(s) URL with a host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "issuer_url `{issuer}` must not have a query or fragment"
        ));
    }
    Ok(issuer.trim_end_matches('/').to_string())
}

fn check_scope(scope: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let mut out = vec!["openid".to_string()];
    for s in scope.unwrap_or_else(|| vec!["openid".into(), "email".into()]) {
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(format!(
                "scope `{s}` must be one non-empty word (list scopes separately)"
            ));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

fn check_claims_mapping(
    mapping: Option<BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>, String> {
    let mapping =
        mapping.unwrap_or_else(|| BTreeMap::from([("email".to_string(), "email".to_string())]));
    for (path, claim) in &mapping {
        if path.split('.').any(str::is_empty) {
            return Err(format!(
                "claims_mapping: `{path}` is no trait path (names joined by dots)"
            ));
        }
        if claim.is_empty() {
            return Err(format!("claims_mapping: `{path}` names no claim"));
        }
        // `name` and `name.first` cannot both be set: one is a value, the other an object.
        if let Some(prefix) = mapping
            .keys()
            .find(|other| path.starts_with(&format!("{other}.")))
        {
            return Err(format!(
                "claims_mapping: `{prefix}` and `{path}` cannot both be set"
            ));
        }
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(provider: &str) -> Result<Provider, String> {
        let json = format!(r#"{{"providers":[{provider}]}}"#);
        Settings::parse(&json).map(|(s, _)| s.providers[0].clone())
    }

    const MINIMAL: &str = r#"{"id":"example","issuer_url":"https://op.example/","client_id":"c","client_secret":"s"}"#;

    #[test]
    fn defaults() {
        let p = one(MINIMAL).unwrap();
        assert_eq!(p.label, "example");
        assert_eq!(p.issuer_url, "https://op.example");
        assert_eq!(p.scope, ["openid", "email"]);
        assert_eq!(
            p.claims_mapping,
            BTreeMap::from([("email".into(), "email".into())])
        );
        assert_eq!(Settings::parse("{}").unwrap().0, Settings::default());
        assert_eq!(
            Settings::parse(r#"{"providers":null}"#).unwrap().0,
            Settings::default()
        );
    }

    #[test]
    fn kratos_shape_nested_and_openid_added() {
        let json = r#"{"hashers":{"algorithm":"argon2"},"selfservice":{"methods":{"oidc":{"enabled":true,"config":{"providers":[
            {"id":"ex-1","provider":"generic","issuer_url":"http://127.0.0.1:9000","client_id":"c",
             "scope":["email","profile","email"],"claims_mapping":{"email":"email","name.first":"given_name"},
             "label":"Example","mapper_url":"file:///m.jsonnet","requested_claims":{}}]}}}}}"#;
        let (s, warnings) = Settings::parse(json).unwrap();
        let p = &s.providers[0];
        assert_eq!(p.scope, ["openid", "email", "profile"]);
        assert_eq!(p.client_secret, None);
        assert_eq!(p.label, "Example");
        assert_eq!(p.claims_mapping["name.first"], "given_name");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("mapper_url") && warnings[0].contains("claims_mapping"),
            "{warnings:?}"
        );
        assert!(warnings[1].contains("requested_claims"), "{warnings:?}");
    }

    #[test]
    fn refuses_what_cannot_work() {
        for (provider, why) in [
            (
                r#"{"id":"g","provider":"github","issuer_url":"https://op.example","client_id":"c"}"#,
                "provider `github` of `g` is not supported",
            ),
            (
                r#"{"id":"Ex","issuer_url":"https://op.example","client_id":"c"}"#,
                "lowercase",
            ),
            (
                r#"{"id":"a:b","issuer_url":"https://op.example","client_id":"c"}"#,
                "lowercase",
            ),
            (
                r#"{"issuer_url":"https://op.example","client_id":"c"}"#,
                "id is missing",
            ),
            (r#"{"id":"e","client_id":"c"}"#, "issuer_url is missing"),
            (
                r#"{"id":"e","issuer_url":"op.example","client_id":"c"}"#,
                "not a URL",
            ),
            (
                r#"{"id":"e","issuer_url":"ftp://op.example","client_id":"c"}"#,
                "http(s)",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example?x=1","client_id":"c"}"#,
                "query",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example"}"#,
                "client_id is missing",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":"c","client_secret":""}"#,
                "client_secret is empty",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":"c","scope":["openid email"]}"#,
                "one non-empty word",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":"c","claims_mapping":{"a..b":"x"}}"#,
                "no trait path",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":"c","claims_mapping":{"a":""}}"#,
                "names no claim",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":"c","claims_mapping":{"name":"n","name.first":"g"}}"#,
                "cannot both be set",
            ),
            (
                r#"{"id":"e","issuer_url":"https://op.example","client_id":1}"#,
                "invalid type",
            ),
        ] {
            let err = one(provider).unwrap_err();
            assert!(err.contains(why), "{provider}: {err}");
            assert!(err.starts_with("providers[0]: "), "{err}");
        }
        let twice = format!(r#"{{"providers":[{MINIMAL},{MINIMAL}]}}"#);
        let err = Settings::parse(&twice).unwrap_err();
        assert!(err.contains("`example` is used twice"), "{err}");
        assert!(Settings::parse(r#"{"providers":{}}"#).is_err());
    }
}
