//! What a request tells the engine, read from its headers here at the edge so that sessions,
//! policies and flows take plain values: the session credential it presents, the client's
//! address and user agent, and the headers policies were configured to see.

use crate::app::App;
use crate::browser::{client, cookies};
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

/// The client facts recorded on a session's device and counted by the login throttle.
pub fn client_info(app: &App, peer: Option<IpAddr>, headers: &HeaderMap) -> ClientInfo {
    ClientInfo {
        ip: client_address(app, peer, headers),
        user_agent: user_agent(headers),
        known_device: cookies::read(headers, client::known_device_cookie(app).name)
            .and_then(|value| sessions::verify_known_device(app, &value)),
    }
}

/// The client's address: the TCP peer, unless the peer is one of
/// `serve.public.trusted_proxies`; then the last `X-Forwarded-For` hop that is not a trusted
/// proxy itself. Hops further left were written by the client and prove nothing.
pub fn client_address(app: &App, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let trusted = &app.config.serve.public.trusted_proxies;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse().ok())
        .collect();
    let mut client = peer;
    // A hop that is not an address ends the walk: nothing left of it can be trusted.
    for hop in hops.into_iter().rev().map_while(|hop| hop) {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    Some(client)
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
        ip: client_address(app, ip, headers).map(|ip| ip.to_string()),
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
