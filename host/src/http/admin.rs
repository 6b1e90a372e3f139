//! The admin API's `/admin/*` endpoints: thin handlers over `crate::admin`.

use crate::admin::pagination::{self, PageRequest};
use crate::admin::sessions::Expand;
use crate::admin::{auth, courier, credentials, identities, recovery, sessions};
use crate::app::SharedApp;
use crate::error::ApiError;
use crate::http::query::QueryParams;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde_json::Value;
use uuid::Uuid;

pub fn routes() -> Router<SharedApp> {
    Router::new()
        .route(
            "/admin/identities",
            get(list_identities).post(create_identity),
        )
        .route(
            "/admin/identities/{id}",
            get(get_identity)
                .put(update_identity)
                .patch(patch_identity)
                .delete(delete_identity),
        )
        .route(
            "/admin/identities/{id}/credentials/{type}",
            delete(delete_credential),
        )
        .route(
            "/admin/identities/{id}/sessions",
            get(list_identity_sessions).delete(delete_identity_sessions),
        )
        .route("/admin/sessions", get(list_sessions))
        .route(
            "/admin/sessions/{id}",
            get(get_session).delete(disable_session),
        )
        .route("/admin/sessions/{id}/extend", patch(extend_session))
        .route("/admin/plugins/reload", post(reload_plugins))
        .route("/admin/courier/messages", get(list_courier_messages))
        .route("/admin/courier/messages/{id}", get(get_courier_message))
        .route("/admin/recovery/code", post(recovery_code))
        .route("/admin/recovery/link", post(recovery_link))
}

/// Requests under `/admin` need one of `serve.admin.api_keys` when any are configured;
/// health and version endpoints stay open for probes.
pub async fn require_api_key(State(app): State<SharedApp>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let guarded = path == "/admin" || path.starts_with("/admin/");
    if guarded && !auth::is_authorized(&app.config.serve.admin.api_keys, req.headers()) {
        let mut resp = auth::unauthorized().into_response();
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    next.run(req).await
}

/// Kratos answers an identity id that is not a UUID like an unknown one.
fn identity_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::not_found(format!("Unable to locate the identity `{raw}`.")))
}

/// Kratos' session endpoints (and an identity's sessions) parse ids with `uuid.FromString`:
/// a malformed one is a 400.
fn session_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request(format!("`{raw}` is not a valid UUID")))
}

fn json_body(bytes: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))
}

/// A JSON array with Kratos' `Link` headers.
fn paged(
    app: &SharedApp,
    path: &str,
    query: &QueryParams,
    page: &PageRequest,
    next: Option<Uuid>,
    items: Vec<Value>,
) -> Response {
    let mut resp = Json(Value::Array(items)).into_response();
    for link in pagination::link_headers(&app.config.admin_base_url(), path, query, page, next) {
        if let Ok(value) = HeaderValue::from_str(&link) {
            resp.headers_mut().append(header::LINK, value);
        }
    }
    resp
}

async fn list_identities(
    State(app): State<SharedApp>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let page = PageRequest::from_query(&query)?;
    let include = identities::included_credentials(&app, &query)?;
    let (views, next) = identities::list(&app, &query, page).await?;
    let items = views.iter().map(|v| v.to_json(&app, &include)).collect();
    Ok(paged(&app, "/admin/identities", &query, &page, next, items))
}

async fn list_courier_messages(
    State(app): State<SharedApp>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let page = PageRequest::from_query(&query)?;
    let filter = courier::filter(&query)?;
    let contents = courier_contents(&app);
    let (items, next) = courier::list(app.store.as_ref(), &filter, page, contents).await?;
    Ok(paged(
        &app,
        "/admin/courier/messages",
        &query,
        &page,
        next,
        items,
    ))
}

/// Kratos parses the id with `uuid.FromString`: a malformed one is a 400.
async fn get_courier_message(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::bad_request(format!("`{id}` is not a valid UUID")))?;
    let contents = courier_contents(&app);
    Ok(Json(courier::get(app.store.as_ref(), id, contents).await?))
}

/// As Kratos, subjects and bodies (codes, links) are shown in development mode only.
fn courier_contents(app: &SharedApp) -> courier::Contents {
    if app.config.dev {
        courier::Contents::Shown
    } else {
        courier::Contents::Redacted
    }
}

async fn create_identity(State(app): State<SharedApp>, bytes: Bytes) -> Result<Response, ApiError> {
    let view = identities::create(&app, json_body(&bytes)?).await?;
    let mut resp = (StatusCode::CREATED, Json(view.to_json(&app, &[]))).into_response();
    let location = app
        .config
        .admin_base_url()
        .join(&format!("admin/identities/{}", view.identity.id));
    if let Some(value) = location
        .ok()
        .and_then(|u| HeaderValue::from_str(u.as_str()).ok())
    {
        resp.headers_mut().insert(header::LOCATION, value);
    }
    Ok(resp)
}

async fn get_identity(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let view = identities::get(&app, identity_id(&id)?).await?;
    let include = identities::included_credentials(&app, &query)?;
    Ok(Json(view.to_json(&app, &include)))
}

async fn update_identity(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = identity_id(&id)?;
    let view = identities::replace(&app, id, json_body(&bytes)?).await?;
    Ok(Json(view.to_json(&app, &[])))
}

async fn patch_identity(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = identity_id(&id)?;
    let view = identities::patch(&app, id, json_body(&bytes)?).await?;
    Ok(Json(view.to_json(&app, &[])))
}

async fn delete_identity(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identities::delete(&app, identity_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_credential(
    State(app): State<SharedApp>,
    Path((id, kind)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    credentials::delete(
        &app,
        identity_id(&id)?,
        &kind,
        query.first_given("identifier"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_identity_sessions(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    // Unlike the identity endpoints, Kratos parses this id strictly (`uuid.FromString`).
    let id = session_id(&id)?;
    let query = QueryParams::parse(raw.as_deref());
    let page = PageRequest::lenient(&query);
    let (items, next) = sessions::list(&app, &query, page, Some(id), Expand::ALL).await?;
    let path = format!("/admin/identities/{id}/sessions");
    Ok(paged(&app, &path, &query, &page, next, items))
}

async fn recovery_code(
    State(app): State<SharedApp>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    recovery::ensure_method(&app, "code")?;
    let body = recovery::code(&app, &json_body(&bytes)?).await?;
    Ok((StatusCode::CREATED, Json(body)))
}

async fn recovery_link(
    State(app): State<SharedApp>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    recovery::ensure_method(&app, "link")?;
    Ok(Json(recovery::link(&app, &json_body(&bytes)?).await?))
}

async fn delete_identity_sessions(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sessions::delete_for_identity(&app, session_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_sessions(
    State(app): State<SharedApp>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let page = PageRequest::from_query(&query)?;
    let expand = Expand::from_query(&query)?;
    let (items, next) = sessions::list(&app, &query, page, None, expand).await?;
    Ok(paged(&app, "/admin/sessions", &query, &page, next, items))
}

async fn get_session(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let expand = Expand::from_query(&query)?;
    Ok(Json(sessions::get(&app, session_id(&id)?, expand).await?))
}

async fn disable_session(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sessions::disable(&app, session_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn extend_session(
    State(app): State<SharedApp>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(sessions::extend(&app, session_id(&id)?).await?))
}

/// Loads the configured factor plugins and policies again; 200 with what now serves, or 400
/// with the reason the old plugins still serve.
async fn reload_plugins(State(app): State<SharedApp>) -> Result<Json<Value>, ApiError> {
    let done = tokio::task::spawn_blocking(move || crate::policy::reload::reload(&app))
        .await
        .map_err(|_| ApiError::internal("the reload task failed"))?
        .map_err(|err| ApiError::bad_request(format!("{err:#}")).with_id("plugin_reload_failed"))?;
    Ok(Json(serde_json::json!({
        "factors": done.factors,
        "policies": done.policies,
    })))
}
