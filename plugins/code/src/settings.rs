//! The operator's settings: Kratos' `selfservice.methods.code.config`. Only `lifespan` concerns
//! the plugin; the host reads `max_submissions` itself, and Kratos' passwordless switches
//! (`passwordless_enabled`, `mfa_enabled`) concern login and registration, which this plugin
//! does not join.

use latchkey_plugin_sdk::challenge::lifespan_setting;

/// Kratos' default code lifespan: 15 minutes.
const DEFAULT_LIFESPAN_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a code works after it was sent, in seconds.
    pub lifespan: i64,
}

impl Settings {
    pub fn parse(json: &str) -> Result<Settings, String> {
        let lifespan = lifespan_setting(json, super::METHOD, DEFAULT_LIFESPAN_SECONDS)?;
        Ok(Settings { lifespan })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifespan_comes_from_kratos_method_config() {
        assert_eq!(Settings::parse("{}").unwrap().lifespan, 900);
        let kratos = r#"{"selfservice":{"methods":{"code":{"config":{"lifespan":"2m","max_submissions":3}}}}}"#;
        assert_eq!(Settings::parse(kratos).unwrap().lifespan, 120);
        assert!(Settings::parse(r#"{"lifespan":"soon"}"#).is_err());
        assert!(Settings::parse(r#"{"lifespan":"0s"}"#).is_err());
    }
}
