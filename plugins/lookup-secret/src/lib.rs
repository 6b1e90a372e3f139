//! Kratos' lookup-secret method (backup recovery codes) as a Latchkey factor plugin: a second
//! factor for `aal=aal2` logins, set up and removed in the settings flow. Each code works once.
//! Unlike Kratos, codes are stored hashed
//! (`{"recovery_codes": [{"code_hash": "<hex SHA-256>", "used_at": null}]}`), so they are shown
//! once, when generated, and never revealed again. Wrong codes are counted in the credential,
//! and too many in a row lock it for a while ([`latchkey_plugin_sdk::attempts`]).
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`latchkey_plugin_sdk::Env`].

mod codes;
mod credential;
mod form;
mod login;
mod messages;
mod nodes;
mod settings;
mod settings_flow;
mod state;

use latchkey_plugin_sdk::config::load_settings;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Guest, Host};
use settings::Settings;

fn load() -> Settings {
    load_settings(&Host, "lookup_secret", Settings::parse)
}

struct LookupSecret;

impl Guest for LookupSecret {
    fn describe() -> MethodInfo {
        load();
        MethodInfo {
            id: "lookup_secret".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::Second,
            aal: Aal::Aal2,
            flows: vec![FlowKind::Login, FlowKind::Settings],
            node_group: "lookup_secret".into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(match ctx.kind {
            FlowKind::Login => Rendering {
                nodes: login::render(&ctx),
                plugin_state: None,
            },
            FlowKind::Settings => settings_flow::render(&ctx),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => Rendering {
                nodes: vec![],
                plugin_state: None,
            },
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &load(), &Host),
            FlowKind::Settings => settings_flow::submit(&ctx, &form, &Host),
            FlowKind::Registration | FlowKind::Recovery | FlowKind::Verification => {
                Err(Rejection::flow(messages::generic(
                    "Backup recovery codes are set up in the settings flow only.",
                )))
            }
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks("lookup_secret"))
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        credential::Config::parse(&credential.config_json)
            .filter(credential::Config::has_unused)
            .map(|_| Aal::Aal2)
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
        Err(Rejection::no_challenge("lookup_secret"))
    }
}

latchkey_plugin_sdk::factor!(LookupSecret);
