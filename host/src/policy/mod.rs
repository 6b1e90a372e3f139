//! AAL and step-up policies: components asked at whoami, settings and route checks, their
//! verdicts combined (see [`combine`]) and turned into Kratos errors.

pub mod combine;
pub mod reload;
pub mod route_check;

pub use crate::plugin::{Hook, Policies, RequestFacts};

use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::model::Aal;
use crate::plugin::{PolicyInput, PreparedInput};
use crate::sessions::ActiveSession;
use combine::{Decision, combine};

/// Asks every policy that wants `hook` about this session and request. `None` when no policy
/// wants the hook, so the caller applies the built-in rules.
pub async fn decide(
    app: &App,
    hook: Hook,
    active: &ActiveSession,
    request: &RequestFacts,
) -> Result<Option<Decision>, DomainError> {
    let set = app.policies.get();
    let policies: Vec<_> = set.for_hook(hook).cloned().collect();
    if policies.is_empty() {
        return Ok(None);
    }
    let identity_id = active.identity.id;
    let credentials = crate::aal::summary(app, identity_id).await?;
    let input = PreparedInput::from(&PolicyInput {
        hook,
        session: &active.session,
        identity: &active.identity,
        available_aal: credentials.available,
        credential_types: &credentials.types,
        request,
        now: app.now(),
    });
    let mut verdicts = Vec::with_capacity(policies.len());
    for policy in &policies {
        // A policy that fails cannot vouch for anything: the request fails closed.
        let verdict = policy.evaluate(&input).await?;
        let answer = verdict.answer;
        tracing::debug!(
            plugin = policy.plugin_name(),
            ?hook,
            ?answer,
            "policy verdict"
        );
        verdicts.push((policy.name().to_string(), answer, verdict.message));
    }
    Ok(Some(combine(
        verdicts
            .iter()
            .map(|(n, a, m)| (n.as_str(), a.clone(), m.clone())),
    )))
}

/// The check at a hook: the policies' decision when any policy wants the hook, else the
/// built-in Kratos rule `required` (`aal1` / `highest_available`).
pub async fn check(
    app: &App,
    hook: Hook,
    active: &ActiveSession,
    facts: &RequestFacts,
    required: crate::config::RequiredAal,
    return_to: Option<&str>,
) -> Result<(), DomainError> {
    match decide(app, hook, active, facts).await? {
        Some(decision) => Ok(enforce(app, &decision, active, return_to)?),
        None => crate::aal::require(app, active, required, return_to).await,
    }
}

/// Turns a decision into the answer Kratos gives: 403 `session_aal2_required` or
/// `session_refresh_required` with the login that resolves it, or 403 `policy_denied`. The
/// reason is the policies' message when they gave one.
pub fn enforce(
    app: &App,
    decision: &Decision,
    active: &ActiveSession,
    return_to: Option<&str>,
) -> Result<(), ApiError> {
    let needs = match decision {
        Decision::Allow => return Ok(()),
        Decision::Deny {
            reason,
            message,
            by,
        } => {
            return Err(
                ApiError::forbidden(message.clone().unwrap_or_else(|| reason.clone()))
                    .with_id("policy_denied")
                    .with_details(serde_json::json!({ "policy": by, "reason": reason })),
            );
        }
        Decision::Require(needs) => needs,
    };
    let aal_short = needs.aal == Some(Aal::Aal2) && active.session.aal < Aal::Aal2;
    let too_old = needs.within.is_some_and(|within| {
        let age = app.now() - active.session.authenticated_at;
        age.to_std().is_ok_and(|age| age > within)
    });
    if !aal_short && !too_old {
        return Ok(());
    }
    let mut url = url::Url::parse(&app.public_url("/self-service/login/browser"))
        .expect("the public base URL is absolute");
    {
        let mut q = url.query_pairs_mut();
        if aal_short {
            q.append_pair("aal", "aal2");
        }
        if too_old {
            q.append_pair("refresh", "true");
        }
        if let Some(rt) = return_to {
            q.append_pair("return_to", rt);
        }
    }
    let (id, default_reason) = if aal_short {
        (
            "session_aal2_required",
            "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.",
        )
    } else {
        (
            "session_refresh_required",
            "The login session is too old for this request. Please re-authenticate.",
        )
    };
    let reason = if needs.messages.is_empty() {
        default_reason.to_string()
    } else {
        needs.messages.join(" ")
    };
    Err(ApiError::forbidden(reason)
        .with_id(id)
        .with_details(serde_json::json!({ "policies": needs.by }))
        .with_extra("redirect_browser_to", url.to_string()))
}
