//! Kratos' TOTP method (authenticator apps) as a Latchkey factor plugin: a second factor for
//! `aal=aal2` logins, linked and unlinked in the settings flow. Credentials keep Kratos'
//! format (`{"totp_url": "otpauth://…"}`) and add `last_used_step`, so that a code is accepted
//! once only.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`env::Env`].

mod credential;
mod env;
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
use bindings::latchkey::host::log::{self, Level};
use bindings::latchkey::host::{clock, random, settings as host_settings};
use env::Env;
use settings::Settings;

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

/// Settings are validated in `describe`, which runs at load time, so a bad configuration stops
/// the server from starting instead of failing logins later. Panicking is deliberate: the host
/// reports the trap (and the message on stderr) as an operator error, never as a user's.
fn load_settings() -> Settings {
    match Settings::parse(&host_settings::get()) {
        Ok(settings) => settings,
        Err(reason) => panic!("invalid totp plugin settings: {reason}"),
    }
}

// Exported only in the component build: native builds (unit tests) cannot carry the
// component export names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Totp;

impl Guest for Totp {
    fn describe() -> MethodInfo {
        load_settings();
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
            FlowKind::Settings => Ok(settings_flow::render(&ctx, &load_settings(), &Host)),
            FlowKind::Registration => Ok(Rendering {
                nodes: vec![],
                plugin_state: None,
            }),
        }
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let settings = load_settings();
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &settings, &Host),
            FlowKind::Settings => settings_flow::submit(&ctx, &form, &settings, &Host),
            FlowKind::Registration => Err(messages::rejection(messages::generic(
                "An authenticator app is linked in the settings flow, not at registration.",
            ))),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(messages::rejection(messages::generic(
            "The totp method does not accept callbacks.",
        )))
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
            Err(reason) => Err(messages::rejection(messages::generic(&reason))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Totp with_types_in bindings);
