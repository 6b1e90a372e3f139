//! Sign in with OpenID Connect (`oidc`, a first factor, aal1): Kratos' `generic` providers,
//! found by discovery, through the authorization code flow with PKCE. Every request to a
//! provider goes through the host's outbound HTTP, so the operator grants each issuer's origin
//! to this plugin (`plugins.factors[].outbound_http.allow`).
//!
//! A provider button sends the browser to the provider with a fresh state, nonce and PKCE
//! verifier, which the host keeps in the flow. The callback checks the answer against them,
//! exchanges the code, verifies the ID token (signature against the provider's keys, issuer,
//! audience, expiry by the host's clock, nonce) and names the subject, `<provider>:<sub>`, with
//! traits mapped from its claims. The host signs that subject in, signs it up, or links it.

mod callback;
mod claims;
mod client;
mod credential;
mod flows;
mod outbound;
mod redirect;
mod settings;
mod ui;

#[cfg(test)]
mod tests;

use latchkey_plugin_sdk::config::load_settings;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Guest, Host, Level};
use settings::Settings;

/// The method id: the credential type, the node group, the callback path's method.
pub const METHOD: &str = "oidc";

fn load() -> Settings {
    load_settings(&Host, METHOD, Settings::parse).0
}

struct Oidc;

impl Guest for Oidc {
    fn describe() -> MethodInfo {
        let (_, warnings) = load_settings(&Host, METHOD, Settings::parse);
        for warning in &warnings {
            Host.log(Level::Warn, warning, &[]);
        }
        MethodInfo {
            id: METHOD.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Login, FlowKind::Registration, FlowKind::Settings],
            node_group: METHOD.into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(Rendering {
            nodes: flows::render(&ctx, &load()),
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        flows::submit(&ctx, &input_json, &load(), &Host)
    }

    fn callback(
        ctx: FlowContext,
        key: String,
        query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        callback::finish(&ctx, &key, &query, &load(), &Host)
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        let config = credential::Config::of(Some(&credential));
        (!config.providers.is_empty()).then_some(Aal::Aal1)
    }

    fn import_credential(
        config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        credential::import(&config_json, Host.now())
            .map_err(|reason| Rejection::flow(ui::generic(&reason)))
    }

    fn issue_challenge(_ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        Err(Rejection::no_challenge(METHOD))
    }
}

latchkey_plugin_sdk::factor!(Oidc);
