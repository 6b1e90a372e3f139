//! The operator's settings: Kratos' `selfservice.methods.link.config`, of which only
//! `lifespan` concerns the plugin (Kratos' `base_url` is the host's public URL here).

use latchkey_plugin_sdk::challenge::lifespan_setting;

/// Kratos' default link lifespan: one hour.
const DEFAULT_LIFESPAN_SECONDS: i64 = 60 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a link works after it was sent, in seconds.
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
        assert_eq!(Settings::parse("{}").unwrap().lifespan, 3600);
        let kratos = r#"{"selfservice":{"methods":{"link":{"config":{"lifespan":"15m","base_url":"https://x"}}}}}"#;
        assert_eq!(Settings::parse(kratos).unwrap().lifespan, 900);
        assert!(Settings::parse(r#"{"lifespan":"soon"}"#).is_err());
        assert!(Settings::parse(r#"{"lifespan":"0s"}"#).is_err());
    }
}
