//! The HTTP edge: thin handlers that parse, call the flow engine, and shape Kratos responses.

mod admin;
mod body;
mod callback;
mod challenge_flows;
mod errors;
pub mod flow_json;
mod health;
pub mod query;
pub mod request_facts;
mod selfservice;
mod sessions_api;

use crate::app::SharedApp;
use crate::error::ApiError;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub fn public_router(app: SharedApp) -> Router {
    selfservice::routes()
        .merge(challenge_flows::routes())
        .merge(callback::routes())
        .merge(errors::routes())
        .merge(sessions_api::routes())
        .merge(health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(kratos_errors))
        .with_state(app)
}

pub fn admin_router(app: SharedApp) -> Router {
    admin::routes()
        .merge(health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            admin::require_api_key,
        ))
        .layer(axum::middleware::from_fn(kratos_errors))
        .with_state(app)
}

/// Kratos error bodies are small; a larger one is no framework rejection.
const MAX_REJECTION_BODY: usize = 64 * 1024;

/// Every error answer is Kratos' JSON. The handlers' own errors already are ([`ApiError`]);
/// what the framework answers by itself — an extractor's rejection, a body over the limit —
/// comes as text and leaves here as `errorGeneric` with the same status. HTML (the built-in
/// pages) is left alone.
pub async fn kratos_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error
        || content_type.starts_with("application/json")
        || content_type.starts_with("text/html")
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_BODY)
        .await
        .unwrap_or_default();
    let mut mapped =
        ApiError::from_framework(status, &String::from_utf8_lossy(&text)).into_response();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &parts.headers {
        mapped.headers_mut().append(name, value.clone());
    }
    mapped
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for `{}`", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "The requested method is not allowed for this resource",
    )
    .with_reason(format!("`{method}` is not allowed on `{}`", uri.path()))
}

/// The TCP peer's address, when the listener records it.
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
