//! A PIN as a second factor (`pin`, aal2): a worked example of a custom factor built on
//! `latchkey-plugin-sdk`, walked through in `docs/plugins.md`.
//!
//! The user sets a numeric PIN in the settings flow, changes or removes it there; a login with
//! `aal=aal2` asks for it. The PIN is stored as an argon2id hash computed by the host. Wrong
//! PINs are counted in the credential, and too many in a row lock it for a while
//! ([`attempts`]); the count travels with a rejection's `credential-update`
//! (`latchkey:factor@0.2.0`).

mod attempts;
mod credential;
mod flows;
mod ui;

use latchkey_plugin_sdk::attempts::Limits;
use latchkey_plugin_sdk::config::{load_settings, parse_settings};
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Guest, Host};
use serde::Deserialize;

/// The method id: the credential type, the `method` value of submissions, the node group.
pub const METHOD: &str = "pin";

/// The operator's settings (`selfservice.methods.pin.config`). Unknown keys are ignored: the
/// host passes Kratos' `hashers` section alongside every plugin's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The shortest PIN accepted when one is set, 4 to 12 digits.
    pub min_digits: usize,
    /// Wrong PINs in a row that lock the PIN, 1 to 100.
    pub max_attempts: u32,
    /// How long the first lock lasts, in seconds; each further lock in a row lasts twice as
    /// long as the one before, up to a day (or this, if longer).
    pub lock_seconds: i64,
}

/// The longest PIN: enough for anyone who would rather not use a password, short enough for a
/// keypad.
pub const MAX_DIGITS: usize = 12;

impl Default for Settings {
    fn default() -> Self {
        let limits = Limits::default();
        Settings {
            min_digits: 4,
            max_attempts: limits.max_attempts,
            lock_seconds: limits.lock_seconds,
        }
    }
}

impl Settings {
    pub fn parse(json: &str) -> Result<Settings, String> {
        let settings: Settings = parse_settings(json, METHOD)?;
        if !(4..=MAX_DIGITS).contains(&settings.min_digits) {
            return Err(format!(
                "min_digits must be 4 to {MAX_DIGITS}, not {}",
                settings.min_digits
            ));
        }
        settings.limits().check()?;
        Ok(settings)
    }

    /// The attempt limits, in the SDK's terms.
    pub fn limits(&self) -> Limits {
        Limits {
            max_attempts: self.max_attempts,
            lock_seconds: self.lock_seconds,
        }
    }
}

fn load() -> Settings {
    load_settings(&Host, METHOD, Settings::parse)
}

struct Pin;

impl Guest for Pin {
    fn describe() -> MethodInfo {
        load();
        MethodInfo {
            id: METHOD.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::Second,
            aal: Aal::Aal2,
            flows: vec![FlowKind::Login, FlowKind::Settings],
            node_group: METHOD.into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        let nodes = match ctx.kind {
            FlowKind::Login => flows::login_nodes(&ctx),
            FlowKind::Settings => flows::settings_nodes(&ctx, &load()),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => vec![],
        };
        Ok(Rendering {
            nodes,
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        match ctx.kind {
            FlowKind::Login => flows::login(&ctx, &input_json, &load(), &Host),
            FlowKind::Settings => flows::settings(&ctx, &input_json, &load(), &Host),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => Err(
                Rejection::flow(ui::generic("A PIN is set in the settings flow only.")),
            ),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks(METHOD))
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        credential::Config::parse(&credential.config_json).map(|_| Aal::Aal2)
    }

    fn import_credential(
        config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        credential::import(&config_json, &load(), &Host)
    }

    fn issue_challenge(_ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        Err(Rejection::no_challenge(METHOD))
    }
}

latchkey_plugin_sdk::factor!(Pin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert_eq!(Settings::parse("{}"), Ok(Settings::default()));
        assert_eq!(
            Settings::parse(r#"{"config":{"min_digits":6}}"#),
            Ok(Settings {
                min_digits: 6,
                ..Settings::default()
            })
        );
        assert_eq!(
            Settings::parse(r#"{"max_attempts":3,"lock_seconds":60}"#),
            Ok(Settings {
                min_digits: 4,
                max_attempts: 3,
                lock_seconds: 60,
            })
        );
        for bad in [
            r#"{"min_digits":3}"#,
            r#"{"min_digits":13}"#,
            r#"{"min_digits":"six"}"#,
            r#"{"max_attempts":0}"#,
            r#"{"max_attempts":101}"#,
            r#"{"lock_seconds":0}"#,
            r#"{"lock_seconds":-5}"#,
            r#"{"lock_seconds":"15m"}"#,
            "[]",
        ] {
            assert!(Settings::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
