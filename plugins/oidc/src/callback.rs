//! The provider sent the browser back: check the answer against the pending state, exchange the
//! code, verify the ID token, and name the subject. Everything that can go wrong here is the
//! provider's or the browser's doing, so it ends in a rejection with a message, never a trap.

use crate::claims;
use crate::client::client;
use crate::credential::{self, Config, Link};
use crate::outbound::{Outbound, chain};
use crate::redirect::Pending;
use crate::settings::{Provider, Settings};
use crate::ui;
use latchkey_plugin_sdk::compare::constant_time_eq;
use latchkey_plugin_sdk::config::parse_credential;
use latchkey_plugin_sdk::types::{
    ExternalSubject, FlowContext, FlowKind, Rejection, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Level};
use openidconnect::core::{CoreJsonWebKeySet, CoreTokenResponse};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Nonce, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, SignatureVerificationError, TokenResponse,
};

/// The longest piece of a provider's own error text shown to the user.
const PROVIDER_TEXT_MAX: usize = 200;

pub fn finish(
    ctx: &FlowContext,
    key: &str,
    query: &[(String, String)],
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let reject = |reason: &str| {
        env.log(
            Level::Info,
            "sign-in callback refused",
            &[("provider", key), ("reason", reason)],
        );
        Rejection::flow(ui::generic(reason))
    };
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    // Only the state this flow stored counts; the host spends it on every callback.
    let Some(pending) = ctx.plugin_state.as_deref().and_then(Pending::parse) else {
        return Err(reject(
            "No sign-in with this provider is in progress. Please start again.",
        ));
    };
    let state_matches =
        param("state").is_some_and(|s| constant_time_eq(s.as_bytes(), pending.state.as_bytes()));
    if !state_matches {
        return Err(reject(
            "The answer from the provider does not belong to this sign-in. Please start again.",
        ));
    }
    if key != pending.provider {
        return Err(reject(
            "The answer came from another provider than the one this sign-in started with.",
        ));
    }
    let Some(provider) = settings.provider(key) else {
        return Err(reject("This provider is no longer configured."));
    };
    let label = &provider.label;
    if let Some(error) = param("error") {
        return Err(reject(&provider_error(
            label,
            error,
            param("error_description"),
        )));
    }
    // RFC 9207: a provider that names itself must be the one the flow went to.
    if let Some(iss) = param("iss")
        && iss != pending.metadata.issuer().as_str()
    {
        return Err(reject(&format!(
            "The answer claims to come from {}, not from {label}.",
            clip(iss)
        )));
    }
    let Some(code) = param("code").filter(|c| !c.is_empty()) else {
        return Err(reject(&format!(
            "{label} sent the browser back without an authorization code."
        )));
    };

    let subject = verified_subject(&pending, provider, code, env).map_err(|reason| {
        env.log(
            Level::Warn,
            "sign-in with the provider failed",
            &[("provider", key), ("reason", &reason)],
        );
        Rejection::flow(ui::generic(&reason))
    })?;
    answer(ctx, provider, subject, env).map_err(|reason| reject(&reason))
}

/// What the provider's `error` means to the user (RFC 6749 4.1.2.1).
fn provider_error(label: &str, error: &str, description: Option<&str>) -> String {
    match error {
        "access_denied" => format!("The sign-in was cancelled at {label}."),
        _ => {
            let detail = description
                .filter(|d| !d.is_empty())
                .map(|d| format!(" ({})", clip(d)))
                .unwrap_or_default();
            format!("{label} refused the sign-in: {}{detail}.", clip(error))
        }
    }
}

fn clip(text: &str) -> String {
    text.chars().take(PROVIDER_TEXT_MAX).collect()
}

struct Subject {
    sub: String,
    traits: serde_json::Value,
}

fn verified_subject(
    pending: &Pending,
    provider: &Provider,
    code: &str,
    env: &dyn Env,
) -> Result<Subject, String> {
    let label = &provider.label;
    let redirect_uri = RedirectUrl::new(pending.redirect_uri.clone())
        .map_err(|e| format!("The sign-in state is unreadable: {e}"))?;
    let metadata = pending.metadata();
    let client = client(provider, metadata.clone(), redirect_uri.clone());

    let tokens: CoreTokenResponse = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| format!("{label} cannot be used: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request(&Outbound(env))
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(answer) => {
                let detail = answer
                    .error_description()
                    .map(|d| format!(" ({})", clip(d)))
                    .unwrap_or_default();
                format!(
                    "{label} did not accept the sign-in: {}{detail}.",
                    clip(answer.error().as_ref())
                )
            }
            // A parse error can quote what it could not read, and that may be a token: name
            // only where it failed.
            RequestTokenError::Parse(e, _) => {
                let at = e.path().to_string();
                let at = if at == "." {
                    String::new()
                } else {
                    format!(" at `{at}`")
                };
                format!("{label} could not complete the sign-in: its answer is unreadable{at}.")
            }
            other => format!("{label} could not complete the sign-in: {}", chain(&other)),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| format!("{label} sent no ID token."))?;

    let nonce = Nonce::new(pending.nonce.clone());
    let now = env.now();
    let verify = |client: &crate::client::Client| -> Result<String, ClaimsVerificationError> {
        let verifier = client
            .id_token_verifier()
            .set_time_fn(move || chrono_at(now));
        id_token
            .claims(&verifier, &nonce)
            .map(|c| c.subject().to_string())
    };
    let sub = match verify(&client) {
        // The provider may have rotated its keys since the redirect: fetch them once more.
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            let jwks = CoreJsonWebKeySet::fetch(metadata.jwks_uri(), &Outbound(env))
                .map_err(|e| format!("{label}'s signing keys are unavailable: {}", chain(&e)))?;
            verify(&crate::client::client(
                provider,
                metadata.set_jwks(jwks),
                redirect_uri,
            ))
        }
        other => other,
    }
    .map_err(|e| format!("The ID token from {label} is not valid: {}", chain(&e)))?;

    let claims = claims::payload(&id_token.to_string())
        .ok_or_else(|| format!("The ID token from {label} is unreadable."))?;
    Ok(Subject {
        traits: claims::traits(&claims, &provider.claims_mapping),
        sub,
    })
}

fn chrono_at(unix_seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix_seconds, 0).unwrap_or_default()
}

/// The subject for the host to sign in, sign up, or link. A settings flow links it beside the
/// identity's other providers; a login or registration names this one link only.
fn answer(
    ctx: &FlowContext,
    provider: &Provider,
    subject: Subject,
    env: &dyn Env,
) -> Result<SubmitOutcome, String> {
    let link = Link::new(&provider.id, &subject.sub, env.now());
    let mut config = Config::default();
    if ctx.kind == FlowKind::Settings {
        if let Some(stored) = &ctx.credential {
            config = parse_credential(&stored.config_json).unwrap_or_default();
        }
        if config.is_linked(&provider.id) {
            return Err(format!(
                "{} is already linked to this account.",
                provider.label
            ));
        }
    }
    config.providers.push(link);
    let credential = config.write().expect("one link at least");
    Ok(SubmitOutcome::ExternalSubject(ExternalSubject {
        identifier: credential::identifier(&provider.id, &subject.sub),
        traits_json: subject.traits.to_string(),
        credential,
    }))
}
