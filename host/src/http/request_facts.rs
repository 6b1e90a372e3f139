//! What a request tells the engine, read from its headers here at the edge so that sessions,
//! policies and flows take plain values: the session credential it presents, the client's
//! address and user agent, and the headers policies were configured to see.

use crate::app::App;
use crate::browser::cookies;
use crate::domain_error::DomainError;
use crate::policy::RequestFacts;
use crate::session_token;
use crate::sessions::{self, ActiveSession, ClientInfo, SessionCredential};
use axum::http::{HeaderMap, header};
use std::net::IpAddr;

/// The session credential the request presents: a token (`X-Session-Token` or a bearer), else
/// the session cookie when its signature holds.
pub fn session_credential(app: &App, headers: &HeaderMap) -> Option<SessionCredential> {
    if let Some(token) = session_token::from_headers(headers) {
        return Some(SessionCredential { token });
    }
    let raw = cookies::read(headers, &app.config.session.cookie.name)?;
    sessions::verify_cookie(app, &raw).map(|token| SessionCredential { token })
}

/// The request's active session, if it carries one; see [`sessions::current`].
pub async fn current_session(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<ActiveSession>, DomainError> {
    sessions::current(app, session_credential(app, headers)).await
}

/// The request's active session, or 401 `session_inactive`.
pub async fn require_session(app: &App, headers: &HeaderMap) -> Result<ActiveSession, DomainError> {
    sessions::require(app, session_credential(app, headers)).await
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The client facts recorded on a session's device. The address is the TCP peer: forwarded-for
/// headers are not trusted, since any client can send them.
pub fn client_info(ip: Option<IpAddr>, headers: &HeaderMap) -> ClientInfo {
    ClientInfo {
        ip,
        user_agent: user_agent(headers),
    }
}

/// The facts policies see of a request made to Latchkey itself.
pub fn policy_facts(
    app: &App,
    method: &str,
    path: &str,
    ip: Option<IpAddr>,
    headers: &HeaderMap,
) -> RequestFacts {
    RequestFacts {
        method: method.to_string(),
        path: path.to_string(),
        ip: ip.map(|ip| ip.to_string()),
        user_agent: user_agent(headers),
        headers: configured_headers(app, headers),
        submitted_method: None,
    }
}

/// The headers policies were configured to see (their `headers` settings), for
/// [`RequestFacts::headers`].
pub fn configured_headers(app: &App, headers: &HeaderMap) -> Vec<(String, String)> {
    app.policies
        .get()
        .header_names
        .iter()
        .filter_map(|name| {
            let value = headers.get(name.as_str())?.to_str().ok()?;
            Some((name.clone(), value.to_string()))
        })
        .collect()
}
