//! Sessions over HTTP: whoami, listing and revoking one's sessions, and logout for API
//! clients and browsers.

use crate::app::{App, SharedApp};
use crate::browser::client::{self, see_other, with_cookies};
use crate::browser::{logout, return_to};
use crate::error::ApiError;
use crate::http::PeerIp;
use crate::identity::wire::session_json;
use crate::model::Session;
use crate::policy::{self, Hook, RequestFacts, route_check};
use crate::session_token;
use crate::sessions::{self, ActiveSession};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn routes() -> Router<SharedApp> {
    Router::new()
        .route("/sessions/whoami", get(whoami))
        .route("/sessions", get(list_mine).delete(revoke_others))
        .route("/sessions/{id}", delete(revoke_one))
        .route("/self-service/logout/api", delete(logout_api))
        .route("/self-service/logout/browser", get(logout_browser))
        .route("/self-service/logout", get(logout))
        .route("/schemas", get(list_schemas))
        .route("/schemas/{id}", get(get_schema))
        .route(route_check::PREFIX, any(route_check::check_root))
        .route(
            &format!("{}/{{*rest}}", route_check::PREFIX),
            any(route_check::check_path),
        )
}

fn to_json(app: &App, session: &Session, active: &ActiveSession) -> Value {
    session_json(session, &active.identity, &app.public_base, app.now())
}

/// A `return_to` given to whoami is carried into the step-up redirect, as Kratos does; the
/// login flow that redirect starts checks it against the allow-list.
async fn whoami(
    State(app): State<SharedApp>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Result<Json<Value>, ApiError> {
    let active = sessions::require(&app, &headers).await?;
    let facts = RequestFacts::of(&app, "GET", "/sessions/whoami", ip, &headers);
    let required = app.config.session.whoami.required_aal;
    let return_to = q.return_to.as_deref();
    policy::check(&app, Hook::Whoami, &active, &facts, required, return_to).await?;
    Ok(Json(to_json(&app, &active.session, &active)))
}

/// The identity's other active sessions (the current one is whoami's).
async fn list_mine(
    State(app): State<SharedApp>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let active = sessions::require(&app, &headers).await?;
    let identity_id = active.identity.id;
    let all = app.db(move |s| s.sessions_of(identity_id)).await?;
    let now = app.now();
    let others: Vec<Value> = all
        .iter()
        .filter(|s| s.id != active.session.id && s.active && s.expires_at > now)
        .map(|s| to_json(&app, s, &active))
        .collect();
    Ok(Json(Value::Array(others)))
}

async fn revoke_others(
    State(app): State<SharedApp>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let active = sessions::require(&app, &headers).await?;
    let (identity_id, keep) = (active.identity.id, active.session.id);
    let count = app
        .db(move |s| {
            let mut count = 0;
            for session in s.sessions_of(identity_id)? {
                if session.id != keep && s.deactivate_session(session.id)? {
                    count += 1;
                }
            }
            Ok(count)
        })
        .await?;
    Ok(Json(json!({ "count": count })))
}

async fn revoke_one(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let active = sessions::require(&app, &headers).await?;
    let id =
        Uuid::parse_str(&id).map_err(|_| ApiError::bad_request("the session id is not a UUID"))?;
    if id == active.session.id {
        return Err(ApiError::bad_request(
            "The current session can not be revoked here; use the logout flow.",
        ));
    }
    let identity_id = active.identity.id;
    let revoked = app
        .db(move |s| match s.get_session(id)? {
            Some(session) if session.identity_id == identity_id => s.deactivate_session(id),
            _ => Ok(false),
        })
        .await?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such active session of yours"))
    }
}

#[derive(Deserialize)]
struct LogoutBody {
    session_token: Option<String>,
}

async fn logout_api(State(app): State<SharedApp>, bytes: Bytes) -> Result<StatusCode, ApiError> {
    let body: LogoutBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))?;
    let token = body
        .session_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("`session_token` is required"))?;
    let hash = session_token::hash(&token);
    let revoked = app
        .db(move |s| match s.session_by_token_hash(&hash)? {
            Some(session) if session.active => s.deactivate_session(session.id),
            _ => Ok(false),
        })
        .await?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(
            ApiError::forbidden("The provided session token is not valid or already revoked.")
                .with_id("session_inactive"),
        )
    }
}

/// A logout URL for the browser's session; see [`logout`](crate::browser::logout). It only
/// works while that session is active.
async fn logout_browser(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Result<Json<Value>, ApiError> {
    let active = sessions::require(&app, &headers).await?;
    if let Some(rt) = q.return_to.as_deref()
        && !return_to::is_allowed(
            rt,
            &app.config.selfservice.allowed_return_urls,
            &app.public_base,
        )
    {
        return Err(ApiError::bad_request(format!(
            "Requested return_to URL \"{rt}\" is not allowed."
        ))
        .with_id("self_service_flow_return_to_forbidden"));
    }
    let token = logout::token(&app, active.session.id);
    let url = logout::url(&app, active.session.id, q.return_to.as_deref());
    Ok(Json(json!({ "logout_url": url, "logout_token": token })))
}

#[derive(Deserialize)]
struct ReturnTo {
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct LogoutParams {
    token: Option<String>,
    return_to: Option<String>,
}

async fn logout(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Query(q): Query<LogoutParams>,
) -> Result<Response, ApiError> {
    let session_id = q
        .token
        .as_deref()
        .and_then(|t| logout::session_of(&app, t))
        .ok_or_else(|| {
            ApiError::forbidden("The provided logout token is invalid or expired.")
                .with_id("self_service_logout_token_invalid")
        })?;
    if let Some(rt) = q.return_to.as_deref()
        && !return_to::is_allowed(
            rt,
            &app.config.selfservice.allowed_return_urls,
            &app.public_base,
        )
    {
        return Err(ApiError::bad_request(format!(
            "Requested return_to URL \"{rt}\" is not allowed."
        ))
        .with_id("self_service_flow_return_to_forbidden"));
    }
    app.db(move |s| s.deactivate_session(session_id)).await?;
    let clear = client::session_cookie(&app).clear();
    let resp = if client::browser_mode(&headers) == client::Mode::Spa {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let after = q
            .return_to
            .clone()
            .or_else(|| {
                app.config
                    .selfservice
                    .flows
                    .logout
                    .after
                    .default_browser_return_url
                    .as_ref()
                    .map(|u| u.to_string())
            })
            .unwrap_or_else(|| {
                app.config
                    .selfservice
                    .default_browser_return_url
                    .to_string()
            });
        see_other(&after)
    };
    Ok(with_cookies(resp, &[clear]))
}

async fn list_schemas(State(app): State<SharedApp>) -> Json<Value> {
    Json(Value::Array(
        app.schemas
            .by_id
            .values()
            .map(|s| json!({ "id": s.id, "schema": s.raw }))
            .collect(),
    ))
}

/// Kratos accepts the plain id or its base64url form (used in `schema_url`).
async fn get_schema(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let schema = app
        .schemas
        .get(&id)
        .or_else(|| decoded.as_deref().and_then(|d| app.schemas.get(d)))
        .ok_or_else(|| ApiError::not_found(format!("no identity schema `{id}`")))?;
    Ok(Json(schema.raw.clone()))
}
