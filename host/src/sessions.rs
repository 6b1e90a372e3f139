//! Finding the session a request carries, and starting new ones.

use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::model::{Aal, AuthMethod, Device, Identity, IdentityState, Session};
use crate::session_token;
use std::net::IpAddr;
use uuid::Uuid;

#[derive(Clone)]
pub struct ActiveSession {
    pub session: Session,
    pub identity: Identity,
    /// The token the request presented, so a step-up can hand the same one back.
    pub token: String,
}

const COOKIE_PURPOSE: &str = "session";
const KNOWN_DEVICE_PURPOSE: &str = "known-device";

/// The known-device cookie's value for a browser that signed in as `identity`.
pub fn known_device_value(app: &App, identity: Uuid) -> String {
    app.cookies
        .sign(KNOWN_DEVICE_PURPOSE, &identity.to_string())
}

/// The identity a known-device cookie names, when its signature holds.
pub fn verify_known_device(app: &App, value: &str) -> Option<Uuid> {
    app.cookies
        .verify(KNOWN_DEVICE_PURPOSE, value)
        .and_then(|id| Uuid::parse_str(&id).ok())
}

/// The cookie value for a session token: the token, signed with `secrets.cookie`.
pub fn cookie_value(app: &App, token: &str) -> String {
    app.cookies.sign(COOKIE_PURPOSE, token)
}

/// The session a request presents, as the HTTP edge read it
/// (`crate::http::request_facts::session_credential`).
#[derive(Debug, Clone)]
pub struct SessionCredential {
    pub token: String,
}

/// The token a session cookie carries, when its signature holds.
pub fn verify_cookie(app: &App, value: &str) -> Option<String> {
    app.cookies.verify(COOKIE_PURPOSE, value)
}

/// The active session `presented` names, if any.
/// Expired or revoked sessions and sessions of disabled identities count as none.
pub async fn current(
    app: &App,
    presented: Option<SessionCredential>,
) -> Result<Option<ActiveSession>, DomainError> {
    let Some(SessionCredential { token }) = presented else {
        return Ok(None);
    };
    let hash = session_token::hash(&token);
    let ticket = app.hot.sessions.ticket();
    let found = match app.hot.sessions.get(&hash) {
        Some(found) => found,
        None => {
            let found = app.store.session_with_identity_by_token_hash(&hash).await?;
            app.hot.sessions.put(hash, ticket, found.clone());
            found
        }
    };
    let now = app.now();
    Ok(found
        .filter(|(session, identity)| {
            session.active && session.expires_at > now && identity.state == IdentityState::Active
        })
        .map(|(session, identity)| ActiveSession {
            session,
            identity,
            token,
        }))
}

/// The active session `presented` names, or 401 `session_inactive`.
pub async fn require(
    app: &App,
    presented: Option<SessionCredential>,
) -> Result<ActiveSession, DomainError> {
    current(app, presented)
        .await?
        .ok_or_else(|| ApiError::session_inactive().into())
}

/// A new session for `identity` after it completed `method`, with its token (shown once).
pub fn start(
    app: &App,
    identity_id: Uuid,
    method: &str,
    aal: Aal,
    client: &ClientInfo,
) -> (Session, String) {
    let now = app.now();
    let token = session_token::generate();
    let lifespan = chrono::Duration::from_std(app.config.session.lifespan)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let session = Session {
        id: Uuid::new_v4(),
        token_hash: session_token::hash(&token),
        identity_id,
        active: true,
        aal,
        authenticated_at: now,
        issued_at: now,
        expires_at: now + lifespan,
        methods: vec![AuthMethod {
            method: method.to_string(),
            aal,
            completed_at: now,
            provider: None,
        }],
        devices: vec![client.device()],
    };
    (session, token)
}

/// The token a session renewed by a step-up or a refresh is handed back with: the one the
/// client presented, or — with `session.rotate_on_aal_change` — a new one whose hash replaces
/// the old, so that the token that existed before the privilege change stops working as the
/// renewed session is stored.
pub fn renewed_token(app: &App, session: &mut Session, presented: String) -> String {
    if !app.config.session.rotate_on_aal_change {
        return presented;
    }
    let token = session_token::generate();
    session.token_hash = session_token::hash(&token);
    token
}

/// The client facts recorded on a session's device
/// (`crate::http::request_facts::client_info`).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The identity a signed known-device cookie names: this browser signed in as it before.
    pub known_device: Option<Uuid>,
}

impl ClientInfo {
    fn device(&self) -> Device {
        Device {
            id: Uuid::new_v4(),
            ip_address: self.ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.clone(),
            // Kratos joins `CF-IPCity` and `CF-IPCountry`; Latchkey trusts no proxy header, so
            // the location is what Kratos shows without such a proxy: empty.
            location: Some(String::new()),
        }
    }
}
