//! Kratos' `code` method for account recovery and address verification, as a Latchkey factor
//! plugin: the user types an address, the host's courier mails a six-digit code to it, and the
//! code typed back proves the user reads that mailbox (`challenge-passed`). Which identity the
//! address belongs to, and whether it belongs to one at all, is the host's business: this
//! plugin never learns it, so it behaves the same for known and unknown addresses.
//!
//! Codes live in the flow's plugin state as a SHA-256 digest bound to the flow, with their
//! expiry (`selfservice.methods.code.config.lifespan`, 15 minutes by default); a new code
//! replaces the old one. The host counts submissions (`max_submissions`) and spends a flow that
//! passed its challenge, so every code works once.
//!
//! Everything but this file is plain Rust that also compiles natively, so the method's logic is
//! unit-tested with `cargo test` and reaches the host only through [`latchkey_plugin_sdk::Env`].

mod challenge;
mod nodes;
mod settings;
mod texts;

use latchkey_plugin_sdk::config::load_settings;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Guest, Host};
use settings::Settings;

/// The method id: the `method` value of submissions and the node group.
const METHOD: &str = "code";

fn load() -> Settings {
    load_settings(&Host, METHOD, Settings::parse)
}

struct Code;

impl Guest for Code {
    fn describe() -> MethodInfo {
        load();
        MethodInfo {
            id: METHOD.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Recovery, FlowKind::Verification],
            node_group: METHOD.into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(Rendering {
            nodes: nodes::ask_for_address(ctx.kind),
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        challenge::submit(&ctx, &input_json, &load(), &Host)
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks(METHOD))
    }

    fn credential_aal(_credential: Credential) -> Option<Aal> {
        None
    }

    fn import_credential(
        _config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        Err(Rejection::flow(latchkey_plugin_sdk::messages::generic(
            "The code method keeps no credentials.",
        )))
    }

    fn issue_challenge(ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        challenge::issue(&ctx, &Host)
    }
}

latchkey_plugin_sdk::factor!(Code);
