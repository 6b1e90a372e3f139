//! Kratos' TOTP method (authenticator apps) as a Latchkey factor plugin: a second factor for
//! `aal=aal2` logins, linked and unlinked in the settings flow. Credentials keep Kratos'
//! format (`{"totp_url": "otpauth://…"}`) and add `last_used_step`, so that a code is accepted
//! once only.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`latchkey_plugin_sdk::Env`].

mod credential;
mod form;
mod login;
mod messages;
mod nodes;
mod otpauth;
mod qr;
mod settings;
mod settings_flow;
mod state;
mod verify;

use latchkey_plugin_sdk::config::load_settings;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Guest, Host};
use settings::Settings;

fn load() -> Settings {
    load_settings(&Host, "totp", Settings::parse)
}

struct Totp;

impl Guest for Totp {
    fn describe() -> MethodInfo {
        load();
        MethodInfo {
            id: "totp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::Second,
            aal: Aal::Aal2,
            flows: vec![FlowKind::Login, FlowKind::Settings],
            node_group: "totp".into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        match ctx.kind {
            FlowKind::Login => Ok(Rendering {
                nodes: login::render(&ctx),
                plugin_state: None,
            }),
            FlowKind::Settings => Ok(settings_flow::render(&ctx, &load(), &Host)),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => Ok(Rendering {
                nodes: vec![],
                plugin_state: None,
            }),
        }
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let settings = load();
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &settings, &Host),
            FlowKind::Settings => settings_flow::submit(&ctx, &form, &settings, &Host),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => {
                Err(Rejection::flow(messages::generic(
                    "An authenticator app is linked in the settings flow only.",
                )))
            }
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks("totp"))
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        credential::Config::parse(&credential.config_json).map(|_| Aal::Aal2)
    }

    fn import_credential(
        config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        match credential::import(&config_json) {
            Ok(config) => Ok(CredentialWrite {
                identifiers: vec![],
                config_json: config.to_json(),
            }),
            Err(reason) => Err(Rejection::flow(messages::generic(&reason))),
        }
    }

    fn issue_challenge(_ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        Err(Rejection::no_challenge("totp"))
    }
}

latchkey_plugin_sdk::factor!(Totp);
