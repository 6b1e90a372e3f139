//! Public self-service endpoints (API variant) and sessions.

use crate::app::SharedApp;
use crate::error::ApiError;
use crate::flows::login::{self, LoggedIn};
use crate::flows::registration::{self, Registered};
use crate::flows::{self, FlowStart, body};
use crate::identity::wire::session_json;
use crate::model::{Aal, FlowKind, FlowVariant};
use crate::{session_token, sessions};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<SharedApp> {
    Router::new()
        .route("/self-service/login/api", get(init_login_api))
        .route("/self-service/registration/api", get(init_registration_api))
        .route("/self-service/login", post(submit_login))
        .route("/self-service/registration", post(submit_registration))
        .route("/self-service/login/flows", get(get_login_flow))
        .route(
            "/self-service/registration/flows",
            get(get_registration_flow),
        )
        .route("/self-service/logout/api", delete(logout_api))
        .route("/sessions/whoami", get(whoami))
        .route("/schemas", get(list_schemas))
        .route("/schemas/{id}", get(get_schema))
}

#[derive(Deserialize)]
struct LoginParams {
    refresh: Option<bool>,
    aal: Option<String>,
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct FlowParam {
    flow: Option<String>,
}

#[derive(Deserialize)]
struct IdParam {
    id: Option<String>,
}

async fn init_login_api(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<LoginParams>,
) -> Result<Json<Value>, ApiError> {
    let requested_aal = match params.aal.as_deref() {
        None | Some("") => Aal::Aal1,
        Some(s) => Aal::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Unable to parse AuthenticationMethod Assurance Level (AAL): unknown value `{s}`"
            ))
        })?,
    };
    let refresh = params.refresh.unwrap_or(false);
    let current = sessions::current(&app, &headers).await?;
    if current.is_some() && !refresh && requested_aal == Aal::Aal1 {
        return Err(ApiError::session_already_available());
    }
    let flow = flows::create(
        &app,
        FlowStart {
            kind: FlowKind::Login,
            variant: FlowVariant::Api,
            request_url: app.public_url(&uri.to_string()),
            return_to: params.return_to,
            requested_aal,
            refresh,
            identity: current.as_ref().map(|c| c.identity.clone()),
            session_id: current.as_ref().map(|c| c.session.id),
        },
    )
    .await?;
    Ok(Json(flows::flow_json(&flow)))
}

async fn init_registration_api(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    if sessions::current(&app, &headers).await?.is_some() {
        return Err(ApiError::session_already_available());
    }
    let flow = flows::create(
        &app,
        FlowStart {
            kind: FlowKind::Registration,
            variant: FlowVariant::Api,
            request_url: app.public_url(&uri.to_string()),
            return_to: None,
            requested_aal: Aal::Aal1,
            refresh: false,
            identity: None,
            session_id: None,
        },
    )
    .await?;
    Ok(Json(flows::flow_json(&flow)))
}

fn required_flow_id(param: Option<String>) -> Result<String, ApiError> {
    param
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("the `flow` query parameter is required"))
}

async fn submit_login(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Query(q): Query<FlowParam>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let id = required_flow_id(q.flow)?;
    let input = body::parse(&headers, &bytes)?;
    let flow = flows::load_for_submit(&app, &id, FlowKind::Login).await?;
    Ok(match login::submit(&app, flow, input, &headers).await? {
        LoggedIn::Done(body) => Json(body).into_response(),
        LoggedIn::Rejected(flow) => (StatusCode::BAD_REQUEST, Json(flow)).into_response(),
    })
}

async fn submit_registration(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Query(q): Query<FlowParam>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let id = required_flow_id(q.flow)?;
    let input = body::parse(&headers, &bytes)?;
    let flow = flows::load_for_submit(&app, &id, FlowKind::Registration).await?;
    Ok(
        match registration::submit(&app, flow, input, &headers).await? {
            Registered::Done(body) => Json(body).into_response(),
            Registered::Rejected(flow) => (StatusCode::BAD_REQUEST, Json(flow)).into_response(),
        },
    )
}

async fn get_flow(
    app: &SharedApp,
    id: Option<String>,
    kind: FlowKind,
) -> Result<Json<Value>, ApiError> {
    let id = id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("the `id` query parameter is required"))?;
    let flow = flows::load(app, &id, kind).await?;
    Ok(Json(flows::flow_json(&flow)))
}

async fn get_login_flow(
    State(app): State<SharedApp>,
    Query(q): Query<IdParam>,
) -> Result<Json<Value>, ApiError> {
    get_flow(&app, q.id, FlowKind::Login).await
}

async fn get_registration_flow(
    State(app): State<SharedApp>,
    Query(q): Query<IdParam>,
) -> Result<Json<Value>, ApiError> {
    get_flow(&app, q.id, FlowKind::Registration).await
}

async fn whoami(State(app): State<SharedApp>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let active = sessions::current(&app, &headers)
        .await?
        .ok_or_else(ApiError::session_inactive)?;
    Ok(Json(session_json(
        &active.session,
        &active.identity,
        &app.public_base,
        app.now(),
    )))
}

#[derive(Deserialize)]
struct LogoutBody {
    session_token: Option<String>,
}

async fn logout_api(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: LogoutBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))?;
    let _ = headers;
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
