//! Kratos' breached-password lookup (`selfservice.methods.password.config.haveibeenpwned_*`)
//! as an outbound HTTP grant. Naming the range API's host is the operator's consent to that
//! one origin, so the password method is granted it without repeating it under
//! `plugins.factors[].outbound_http.allow`; nothing else is opened.

use serde_json::Value;

use super::ConfigError;
use super::model::{Config, PluginEntry};
use super::outbound::{Origin, OutboundHttp};

/// The method whose settings name the range API.
const METHOD: &str = "password";
const DEFAULT_HOST: &str = "api.pwnedpasswords.com";

/// The origin a `haveibeenpwned_host` stands for. Kratos takes a host name and always speaks
/// HTTPS; a value with a scheme (`http://10.0.0.5:8080`) is taken as the origin itself, for a
/// mirror inside the network. The password plugin reads the key by the same rule.
fn origin_of(host: &str) -> Result<Origin, String> {
    let host = host.trim().trim_end_matches('/');
    if host.contains("://") {
        Origin::parse(host)
    } else {
        Origin::parse(&format!("https://{host}"))
    }
}

/// One of the method's settings: its entry's `config` first, as the plugin sees them overlaid.
fn setting<'a>(config: &'a Config, entry: &'a Value, key: &str) -> Option<&'a Value> {
    entry.get(key).or_else(|| {
        config
            .selfservice
            .methods
            .get(METHOD)
            .and_then(|m| m.config.get(key))
    })
}

impl Config {
    /// The outbound grant of the factor `method` loaded by `entry`: the entry's own, and for the
    /// password method with `haveibeenpwned_enabled` (Kratos' default) the range API's origin
    /// too. Its requests then get at most half of `plugins.call_timeout`, so that a range API
    /// that does not answer leaves the call the time to hash the password all the same.
    pub fn factor_grant(&self, entry: &PluginEntry, method: &str) -> OutboundHttp {
        let mut grant = entry.outbound_http.clone();
        if method != METHOD {
            return grant;
        }
        let enabled = setting(self, &entry.config, "haveibeenpwned_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if !enabled {
            return grant;
        }
        let host = setting(self, &entry.config, "haveibeenpwned_host")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_HOST);
        // Checked at start-up (`check`); an entry's own value is checked by the plugin.
        let Ok(origin) = origin_of(host) else {
            return grant;
        };
        if !grant.allow.contains(&origin) {
            grant.allow.push(origin);
        }
        grant.timeout = grant.timeout.min(self.plugins.call_timeout / 2);
        grant
    }
}

/// Whether the factor `method` works without any outbound grant: the password method reaches
/// out only for the breach lookup, and is whole without it when `haveibeenpwned_enabled` is off.
pub fn grant_is_optional(method: &str) -> bool {
    method == METHOD
}

/// `haveibeenpwned_host` must name an origin and nothing more.
pub(super) fn check(method_config: Option<&Value>) -> Result<(), ConfigError> {
    let Some(host) = method_config.and_then(|c| c.get("haveibeenpwned_host")) else {
        return Ok(());
    };
    let key = "selfservice.methods.password.config.haveibeenpwned_host";
    let host = host
        .as_str()
        .ok_or_else(|| ConfigError::invalid(key, "must be a host name"))?;
    origin_of(host).map_err(|e| ConfigError::invalid(key, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_means_https_and_a_scheme_is_kept() {
        assert_eq!(
            origin_of("api.pwnedpasswords.com").unwrap().to_string(),
            "https://api.pwnedpasswords.com"
        );
        assert_eq!(
            origin_of("hibp.internal:8443").unwrap().to_string(),
            "https://hibp.internal:8443"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:9000/").unwrap().to_string(),
            "http://127.0.0.1:9000"
        );
        assert!(origin_of("hibp.internal/range").is_err());
        assert!(origin_of("").is_err());
    }

    #[test]
    fn the_key_is_checked_at_start_up() {
        let ok = serde_json::json!({ "haveibeenpwned_host": "hibp.internal" });
        assert!(check(Some(&ok)).is_ok());
        assert!(check(None).is_ok());
        for bad in [
            serde_json::json!({ "haveibeenpwned_host": "hibp.internal/v3" }),
            serde_json::json!({ "haveibeenpwned_host": 5 }),
        ] {
            assert!(check(Some(&bad)).is_err(), "{bad}");
        }
    }
}
