//! Sessions over HTTP: whoami, listing and revoking one's sessions, and logout for API
//! clients and browsers.

use crate::app::{App, IdentitySchemas, SharedApp};
use crate::browser::client::{self, see_other, with_cookies};
use crate::browser::{error_flow, logout, return_to};
use crate::error::ApiError;
use crate::http::PeerIp;
use crate::http::query::QueryParams;
use crate::http::request_facts;
use crate::identity::wire::session_json;
use crate::model::Session;
use crate::policy::{self, Hook, route_check};
use crate::session_token;
use crate::sessions::ActiveSession;
use axum::body::Bytes;
use axum::extract::{Path, State};
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
    q: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let active = request_facts::require_session(&app, &headers).await?;
    let facts = request_facts::policy_facts(&app, "GET", "/sessions/whoami", ip, &headers);
    let required = app.config.session.whoami.required_aal;
    let return_to = q.get("return_to");
    policy::check(&app, Hook::Whoami, &active, &facts, required, return_to).await?;
    // Latchkey configures no tokenizer templates, so every template is unknown, as in
    // Kratos without `session.whoami.tokenizer.templates` (driver/config TokenizeTemplate).
    if let Some(template) = q.get("tokenize_as") {
        return Err(ApiError::bad_request(format!(
            "Unable to find tokenizer template \"{template}\"."
        )));
    }
    Ok(Json(to_json(&app, &active.session, &active)))
}

/// The caller's session for the `/sessions` endpoints, which Kratos answers with a 401
/// without an id when there is none (session/handler.go listMySessions, deleteMySessions,
/// deleteMySession).
async fn my_session(app: &App, headers: &HeaderMap) -> Result<ActiveSession, ApiError> {
    session_or_unauthorized(app, headers, "No valid session cookie found.").await
}

/// The caller's session where Kratos guards a handler with `IsAuthenticated`: without one, a
/// 401 without an id, for the reason that handler gives.
pub(super) async fn session_or_unauthorized(
    app: &App,
    headers: &HeaderMap,
    reason: &str,
) -> Result<ActiveSession, ApiError> {
    request_facts::require_session(app, headers)
        .await
        .map_err(|err| {
            let err = ApiError::from(err);
            if err.id == Some("session_inactive") {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "The request could not be authorized",
                )
                .with_reason(reason)
            } else {
                err
            }
        })
}

/// The identity's other active sessions (the current one is whoami's).
async fn list_mine(
    State(app): State<SharedApp>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let active = my_session(&app, &headers).await?;
    let identity_id = active.identity.id;
    let all = app.store.sessions_of(identity_id).await?;
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
    let active = my_session(&app, &headers).await?;
    let (identity_id, keep) = (active.identity.id, active.session.id);
    let mut count = 0;
    for session in app.store.sessions_of(identity_id).await? {
        if session.id != keep && app.store.deactivate_session(session.id).await? {
            count += 1;
        }
    }
    Ok(Json(json!({ "count": count })))
}

async fn revoke_one(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let active = my_session(&app, &headers).await?;
    let id =
        Uuid::parse_str(&id).map_err(|_| ApiError::bad_request("the session id is not a UUID"))?;
    if id == active.session.id {
        return Err(ApiError::bad_request(
            "The current session can not be revoked here; use the logout flow.",
        ));
    }
    // Someone else's session, or none, is left alone and still answers 204: Kratos revokes
    // with `UPDATE … WHERE id = ? AND identity_id = ?` and reports no count, so the answer
    // tells nobody which session ids exist.
    let identity_id = active.identity.id;
    if let Some(session) = app.store.get_session(id).await?
        && session.identity_id == identity_id
    {
        app.store.deactivate_session(id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LogoutBody {
    session_token: Option<String>,
}

/// As Kratos' performNativeLogout: a token that names a session (revoked already or not)
/// answers 204; a missing, empty or unknown one 403 without an id.
async fn logout_api(State(app): State<SharedApp>, bytes: Bytes) -> Result<StatusCode, ApiError> {
    let body: LogoutBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))?;
    let hash = session_token::hash(body.session_token.as_deref().unwrap_or(""));
    let found = match app.store.session_by_token_hash(&hash).await? {
        Some(session) => {
            app.store.deactivate_session(session.id).await?;
            true
        }
        None => false,
    };
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::forbidden(
            "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
        ))
    }
}

/// Where a browser goes after logging out when it names no `return_to`:
/// `selfservice.flows.logout.after.default_browser_return_url`, else the global default.
fn logout_default(app: &App) -> &url::Url {
    let selfservice = &app.config.selfservice;
    selfservice
        .flows
        .logout
        .after
        .default_browser_return_url
        .as_ref()
        .unwrap_or(&selfservice.default_browser_return_url)
}

/// A logout URL for the browser's session; see [`logout`](crate::browser::logout). It only
/// works while that session is active. As in Kratos, a `return_to` is checked here and passed
/// on made absolute, and a page load that fails goes to the error UI.
async fn logout_browser(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    q: QueryParams,
) -> Response {
    match logout_url_for(&app, &headers, &q).await {
        Ok(body) => Json(body).into_response(),
        Err(err) => error_flow::respond(&app, err, client::browser_mode(&headers)).await,
    }
}

async fn logout_url_for(
    app: &App,
    headers: &HeaderMap,
    q: &QueryParams,
) -> Result<Value, ApiError> {
    let active = request_facts::require_session(app, headers).await?;
    let return_to = q
        .get("return_to")
        .map(|rt| return_to::secure(app, rt, logout_default(app)))
        .transpose()?;
    let token = logout::token(app, active.session.id);
    let url = logout::url(
        app,
        active.session.id,
        return_to.as_ref().map(|u| u.as_str()),
    );
    Ok(json!({ "logout_url": url, "logout_token": token }))
}

/// Ends the browser's session, as Kratos' updateLogoutFlow: the token is required (400), the
/// request must carry the session (its cookie; 401 otherwise), and the token must be that
/// session's (403) — so a logout link alone ends nothing. A browser whose logout fails goes to
/// the error UI.
async fn logout(State(app): State<SharedApp>, headers: HeaderMap, q: QueryParams) -> Response {
    match end_session(&app, &headers, &q).await {
        Ok(resp) => resp,
        Err(err) => error_flow::respond(&app, err, client::browser_mode(&headers)).await,
    }
}

async fn end_session(
    app: &App,
    headers: &HeaderMap,
    q: &QueryParams,
) -> Result<Response, ApiError> {
    let token = q
        .get("token")
        .ok_or_else(|| ApiError::bad_request("Please include a token in the URL query."))?;
    let active = request_facts::require_session(app, headers).await?;
    let session_id = logout::session_of(app, token)
        .filter(|id| *id == active.session.id)
        .ok_or_else(|| {
            ApiError::forbidden(
                "Unable to log out because the logout token in the URL query does not match the session cookie.",
            )
        })?;
    // Checked before the session ends, so a refused `return_to` leaves the user signed in.
    let after = match q.get("return_to") {
        Some(rt) => return_to::secure(app, rt, logout_default(app))?,
        None => logout_default(app).clone(),
    };
    app.store.deactivate_session(session_id).await?;
    let clear = client::session_cookie(app).clear();
    let resp = if client::browser_mode(headers) == client::Mode::Spa {
        StatusCode::NO_CONTENT.into_response()
    } else {
        see_other(after.as_str())
    };
    Ok(with_cookies(resp, &[clear]))
}

async fn list_schemas(State(IdentitySchemas(schemas)): State<IdentitySchemas>) -> Json<Value> {
    Json(Value::Array(
        schemas
            .by_id
            .values()
            .map(|s| json!({ "id": s.id, "schema": s.raw }))
            .collect(),
    ))
}

/// Kratos accepts the plain id or its base64url form (used in `schema_url`).
async fn get_schema(
    State(IdentitySchemas(schemas)): State<IdentitySchemas>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let schema = schemas
        .get(&id)
        .or_else(|| decoded.as_deref().and_then(|d| schemas.get(d)))
        .ok_or_else(|| ApiError::not_found(format!("no identity schema `{id}`")))?;
    Ok(Json(schema.raw.clone()))
}
