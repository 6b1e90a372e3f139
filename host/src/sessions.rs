//! Finding the session a request carries, and starting new ones.

use crate::app::App;
use crate::error::ApiError;
use crate::model::{Aal, AuthMethod, Device, Identity, IdentityState, Session};
use crate::session_token;
use axum::http::HeaderMap;
use uuid::Uuid;

pub struct ActiveSession {
    pub session: Session,
    pub identity: Identity,
}

/// The active session of the request, if it carries one. Expired or revoked sessions and
/// sessions of disabled identities count as none.
pub async fn current(app: &App, headers: &HeaderMap) -> Result<Option<ActiveSession>, ApiError> {
    let Some(token) = session_token::from_headers(headers) else {
        return Ok(None);
    };
    let hash = session_token::hash(&token);
    let found = app
        .db(move |s| {
            let Some(session) = s.session_by_token_hash(&hash)? else {
                return Ok(None);
            };
            let identity = s.get_identity(session.identity_id)?;
            Ok(identity.map(|identity| ActiveSession { session, identity }))
        })
        .await?;
    let now = app.now();
    Ok(found.filter(|a| {
        a.session.active && a.session.expires_at > now && a.identity.state == IdentityState::Active
    }))
}

/// A new session for `identity` after it completed `method`, with its token (shown once).
pub fn start(
    app: &App,
    identity_id: Uuid,
    method: &str,
    aal: Aal,
    headers: &HeaderMap,
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
        devices: vec![device(headers)],
    };
    (session, token)
}

fn device(headers: &HeaderMap) -> Device {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Device {
        id: Uuid::new_v4(),
        ip_address: header("x-forwarded-for")
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_string()))
            .or_else(|| header("x-real-ip")),
        user_agent: header("user-agent"),
        location: None,
    }
}
