//! The HTTP edge: thin handlers that parse, call the flow engine, and shape Kratos responses.

mod admin;
mod callback;
mod health;
pub mod query;
mod selfservice;
mod sessions_api;

use crate::app::SharedApp;
use crate::error::ApiError;
use axum::Router;

pub fn public_router(app: SharedApp) -> Router {
    selfservice::routes()
        .merge(callback::routes())
        .merge(sessions_api::routes())
        .merge(health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
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
        .with_state(app)
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
