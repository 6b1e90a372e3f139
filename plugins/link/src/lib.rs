//! Kratos' `link` method for account recovery and address verification, as a Latchkey factor
//! plugin: the user types an address, the host's courier mails a link to it, and following
//! the link proves the user reads that mailbox (`challenge-passed`). As with the `code`
//! method, which identity the address belongs to, if any, is the host's business: this plugin
//! behaves the same for known and unknown addresses.
//!
//! The link is the flow's own URL with `&token=<token>`: 32 random bytes, far beyond guessing.
//! The flow keeps only the token's SHA-256 digest bound to the flow, with its expiry
//! (`selfservice.methods.link.config.lifespan`, one hour by default); a new mail replaces the
//! token, and the host spends a flow that passed its challenge, so every link works once.
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
const METHOD: &str = "link";

fn load() -> Settings {
    load_settings(&Host, METHOD, Settings::parse)
}

struct Link;

impl Guest for Link {
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

    fn render(_ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(Rendering {
            nodes: nodes::ask_for_address(""),
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
            "The link method keeps no credentials.",
        )))
    }

    fn issue_challenge(ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        challenge::issue(&ctx, &Host)
    }
}

latchkey_plugin_sdk::factor!(Link);
