//! Kratos' lookup-secret method (backup recovery codes) as a Latchkey factor plugin: a second
//! factor for `aal=aal2` logins, set up and removed in the settings flow. Each code works once.
//! Unlike Kratos, codes are stored hashed
//! (`{"recovery_codes": [{"code_hash": "<hex SHA-256>", "used_at": null}]}`), so they are shown
//! once, when generated, and never revealed again.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`env::Env`].

mod codes;
mod credential;
mod env;
mod form;
mod login;
mod messages;
mod nodes;
mod settings_flow;
mod state;
mod time;

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/factor",
        world: "plugin",
        // The host capabilities live in another package (`deps/host`), and wit-bindgen only
        // generates foreign packages when told to.
        generate_all,
    });
}

use bindings::exports::latchkey::factor::factor::Guest;
use bindings::latchkey::factor::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, MethodInfo, Rejection,
    Rendering, SubmitOutcome,
};
use bindings::latchkey::host::clock;
use bindings::latchkey::host::log::{self, Level};
use bindings::latchkey::host::random;
use env::Env;

/// The host capabilities behind [`Env`].
struct Host;

impl Env for Host {
    fn random(&self, len: u32) -> Vec<u8> {
        random::bytes(len)
    }

    fn now(&self) -> i64 {
        clock::now().seconds
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>();
        log::emit(level, message, &fields);
    }
}

// Exported only in the component build: native builds (unit tests) cannot carry the
// component export names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct LookupSecret;

impl Guest for LookupSecret {
    /// The method has no settings of its own; whatever the operator sets is ignored.
    fn describe() -> MethodInfo {
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
            FlowKind::Registration => Rendering {
                nodes: vec![],
                plugin_state: None,
            },
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &Host),
            FlowKind::Settings => settings_flow::submit(&ctx, &form, &Host),
            FlowKind::Registration => Err(messages::rejection(messages::generic(
                "Backup recovery codes are set up in the settings flow, not at registration.",
            ))),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(messages::rejection(messages::generic(
            "The lookup_secret method does not accept callbacks.",
        )))
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
            Err(reason) => Err(messages::rejection(messages::generic(&reason))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(LookupSecret with_types_in bindings);
