//! Kratos' password method as a Latchkey factor plugin. Credentials keep Kratos' format
//! (`{"hashed_password": "<PHC string>"}`), so identities exported from Kratos import as they are.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`latchkey_plugin_sdk::Env`].

mod breached;
mod credential;
mod form;
mod hashing;
mod login;
mod messages;
mod new_password;
mod nodes;
mod settings;
mod similarity;

use latchkey_plugin_sdk::config::load_settings;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Guest, Host};
use settings::Settings;

fn load() -> Settings {
    load_settings(&Host, "password", Settings::parse)
}

struct Password;

impl Guest for Password {
    fn describe() -> MethodInfo {
        let settings = load();
        settings::warn_about(&settings, &Host);
        MethodInfo {
            id: "password".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Login, FlowKind::Registration, FlowKind::Settings],
            node_group: "password".into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        let nodes = match ctx.kind {
            FlowKind::Login => login::render(&ctx),
            FlowKind::Registration => nodes::registration(),
            FlowKind::Settings => nodes::settings(),
            FlowKind::Recovery | FlowKind::Verification => vec![],
        };
        Ok(Rendering {
            nodes,
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let settings = load();
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &settings, &Host),
            FlowKind::Registration | FlowKind::Settings => {
                new_password::submit(&ctx, &form, &settings, &Host)
            }
            FlowKind::Recovery | FlowKind::Verification => {
                Err(Rejection::flow(latchkey_plugin_sdk::messages::generic(
                    "A password takes no part in recovery or verification; set a new one in settings.",
                )))
            }
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks("password"))
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        credential::Config::parse(&credential.config_json)
            .is_some()
            .then_some(Aal::Aal1)
    }

    fn import_credential(
        config_json: String,
        marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        new_password::import(&config_json, &marked_traits, &load(), &Host)
    }

    fn issue_challenge(_ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        Err(Rejection::no_challenge("password"))
    }
}

latchkey_plugin_sdk::factor!(Password);
