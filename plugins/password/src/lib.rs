//! Kratos' password method as a Latchkey factor plugin. Credentials keep Kratos' format
//! (`{"hashed_password": "<PHC string>"}`), so identities exported from Kratos import as they are.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`env::Env`].

mod credential;
mod env;
mod form;
mod hashing;
mod login;
mod messages;
mod new_password;
mod nodes;
mod settings;

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
use bindings::latchkey::host::{random, settings as host_settings};
use env::Env;
use settings::Settings;

/// The host capabilities behind [`Env`].
struct Host;

impl Env for Host {
    fn random(&self, len: u32) -> Vec<u8> {
        random::bytes(len)
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
        Err(reason) => panic!("invalid password plugin settings: {reason}"),
    }
}

// Exported only in the component build: native builds (unit tests) cannot carry the
// component export names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Password;

impl Guest for Password {
    fn describe() -> MethodInfo {
        let settings = load_settings();
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
        };
        Ok(Rendering {
            nodes,
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let settings = load_settings();
        let form = form::Form::parse(&input_json);
        match ctx.kind {
            FlowKind::Login => login::submit(&ctx, &form, &settings, &Host),
            FlowKind::Registration | FlowKind::Settings => {
                new_password::submit(&ctx, &form, &settings, &Host)
            }
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(messages::rejection(messages::generic(
            "The password method does not accept callbacks.",
        )))
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
        new_password::import(&config_json, &marked_traits, &load_settings(), &Host)
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Password with_types_in bindings);
