//! Authenticator assurance, as Kratos defines it: a session is aal2 when it holds a completed
//! first factor and a completed second factor; an identity can reach aal2 when any plugin
//! says one of its credentials counts as aal2.

use crate::app::App;
use crate::config::RequiredAal;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::model::{Aal, AuthMethod, Session};
use crate::sessions::ActiveSession;
use uuid::Uuid;

/// The AAL a set of completed methods reaches. Two first factors (password + oidc) stay aal1.
pub fn of_methods(methods: &[AuthMethod]) -> Aal {
    let has = |aal| methods.iter().any(|m| m.aal == aal);
    if has(Aal::Aal1) && has(Aal::Aal2) {
        Aal::Aal2
    } else {
        Aal::Aal1
    }
}

/// Records a completed method on a session: appended to `authentication_methods`,
/// `authenticated_at` reset, and the AAL recomputed.
pub fn record(session: &mut Session, method: &str, aal: Aal, now: chrono::DateTime<chrono::Utc>) {
    session.methods.push(AuthMethod {
        method: method.to_string(),
        aal,
        completed_at: now,
        provider: None,
    });
    session.authenticated_at = now;
    session.aal = of_methods(&session.methods);
}

/// What the credentials an identity holds add up to, as policies see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSummary {
    /// The highest AAL the identity could reach with them.
    pub available: Aal,
    /// Their types, sorted and without repeats.
    pub types: std::sync::Arc<[String]>,
}

/// The highest AAL the identity could reach with the credentials it holds.
pub async fn available(app: &App, identity_id: Uuid) -> Result<Aal, DomainError> {
    Ok(summary(app, identity_id).await?.available)
}

/// The identity's [`CredentialSummary`], read once and then served from the hot reads until
/// the next write.
pub async fn summary(app: &App, identity_id: Uuid) -> Result<CredentialSummary, DomainError> {
    let ticket = app.hot.credentials.ticket();
    if let Some(summary) = app.hot.credentials.get(&identity_id) {
        return Ok(summary);
    }
    let summary = summary_uncached(app, identity_id).await?;
    app.hot
        .credentials
        .put(identity_id, ticket, summary.clone());
    Ok(summary)
}

async fn summary_uncached(app: &App, identity_id: Uuid) -> Result<CredentialSummary, DomainError> {
    let credentials = app.store.credentials_of(identity_id).await?;
    let mut best = Aal::Aal1;
    for credential in &credentials {
        let Some(factor) = app.factors.get(&credential.method) else {
            continue;
        };
        if let Some(aal) = factor.credential_aal(credential).await? {
            best = best.max(aal);
        }
    }
    let mut types: Vec<String> = credentials.into_iter().map(|c| c.method).collect();
    types.sort();
    types.dedup();
    Ok(CredentialSummary {
        available: best,
        types: types.into(),
    })
}

/// Enforces `aal1` / `highest_available`: under `highest_available` an aal1 session of an
/// identity that could do aal2 gets 403 `session_aal2_required`, with the step-up login to
/// send the browser to.
pub async fn require(
    app: &App,
    active: &ActiveSession,
    required: RequiredAal,
    return_to: Option<&str>,
) -> Result<(), DomainError> {
    if required == RequiredAal::Aal1 || active.session.aal == Aal::Aal2 {
        return Ok(());
    }
    if available(app, active.identity.id).await? < Aal::Aal2 {
        return Ok(());
    }
    let mut url = url::Url::parse(&app.public_url("/self-service/login/browser"))
        .expect("the public base URL is absolute");
    url.query_pairs_mut().append_pair("aal", "aal2");
    if let Some(rt) = return_to {
        url.query_pairs_mut().append_pair("return_to", rt);
    }
    Err(ApiError::forbidden(
        "Session does not fulfill the requested Authenticator Assurance Level",
    )
    .with_id("session_aal2_required")
    .with_reason("An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.")
    .with_extra("redirect_browser_to", url.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn m(method: &str, aal: Aal) -> AuthMethod {
        AuthMethod {
            method: method.into(),
            aal,
            completed_at: Utc::now(),
            provider: None,
        }
    }

    #[test]
    fn aal2_needs_a_first_and_a_second_factor() {
        assert_eq!(of_methods(&[m("password", Aal::Aal1)]), Aal::Aal1);
        assert_eq!(
            of_methods(&[m("password", Aal::Aal1), m("oidc", Aal::Aal1)]),
            Aal::Aal1
        );
        assert_eq!(of_methods(&[m("totp", Aal::Aal2)]), Aal::Aal1);
        assert_eq!(
            of_methods(&[m("password", Aal::Aal1), m("totp", Aal::Aal2)]),
            Aal::Aal2
        );
    }
}
