//! Sending the browser to the provider: the authorization code flow with PKCE (S256), and the
//! state the callback is checked against, kept in the flow by the host (never in the browser).

use crate::client::{client, discover};
use crate::settings::Provider;
use crate::{METHOD, ui};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_plugin_sdk::config::to_json;
use latchkey_plugin_sdk::types::{FlowContext, Redirect, Rejection, SubmitOutcome};
use latchkey_plugin_sdk::{Env, Level};
use openidconnect::core::{CoreAuthenticationFlow, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};
use serde::{Deserialize, Serialize};

/// Bytes of randomness in the state, the nonce and the PKCE verifier each (a 43-character
/// verifier, the shortest RFC 7636 allows).
const SECRET_BYTES: usize = 32;

/// What the callback needs: the secrets to check the answer against, and the provider's
/// discovery document and keys as they were fetched, so the callback makes one request fewer.
#[derive(Serialize, Deserialize)]
pub struct Pending {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub metadata: CoreProviderMetadata,
    pub jwks: CoreJsonWebKeySet,
}

impl Pending {
    pub fn parse(plugin_state: &str) -> Option<Pending> {
        serde_json::from_str(plugin_state).ok()
    }

    /// The discovery document with the keys put back (they are not part of its JSON).
    pub fn metadata(&self) -> CoreProviderMetadata {
        self.metadata.clone().set_jwks(self.jwks.clone())
    }
}

/// `<public base>/self-service/methods/oidc/callback/<provider>`, the public base being the
/// flow's own URL up to `/self-service/`.
pub fn redirect_uri(action_url: &str, provider: &str) -> Option<RedirectUrl> {
    let base = &action_url[..action_url.find("/self-service/")?];
    RedirectUrl::new(format!(
        "{base}/self-service/methods/{METHOD}/callback/{provider}"
    ))
    .ok()
}

pub fn start(
    ctx: &FlowContext,
    provider: &Provider,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let Some(redirect_uri) = redirect_uri(&ctx.action_url, &provider.id) else {
        env.log(
            Level::Error,
            "the flow's URL has no public base to build the redirect URI from",
            &[("action_url", &ctx.action_url)],
        );
        return Err(Rejection::flow(ui::generic(&format!(
            "Signing in with {} is not possible right now.",
            provider.label
        ))));
    };
    let metadata = discover(provider, env).map_err(|reason| {
        env.log(
            Level::Warn,
            "the provider's discovery failed",
            &[("provider", &provider.id), ("reason", &reason)],
        );
        Rejection::flow(ui::generic(&format!(
            "{} cannot be used right now: {reason}",
            provider.label
        )))
    })?;

    let random = env.random((3 * SECRET_BYTES) as u32);
    let [state, nonce, verifier] =
        [0, 1, 2].map(|i| URL_SAFE_NO_PAD.encode(&random[i * SECRET_BYTES..][..SECRET_BYTES]));
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));

    let jwks = metadata.jwks().clone();
    let client = client(provider, metadata.clone(), redirect_uri.clone());
    let (state_for_url, nonce_for_url) = (state.clone(), nonce.clone());
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_for_url),
            move || Nonce::new(nonce_for_url),
        )
        // The crate puts `openid` first by itself.
        .add_scopes(
            provider
                .scope
                .iter()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.clone())),
        )
        .set_pkce_challenge(challenge)
        .url();

    let pending = Pending {
        provider: provider.id.clone(),
        state,
        nonce,
        pkce_verifier: verifier,
        redirect_uri: redirect_uri.to_string(),
        metadata,
        jwks,
    };
    Ok(SubmitOutcome::Redirect(Redirect {
        url: url.to_string(),
        plugin_state: to_json(&pending),
    }))
}
