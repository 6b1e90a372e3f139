//! The HTTP edge: thin handlers that parse, call the flow engine, and shape Kratos responses.

mod health;
mod public;

use crate::app::SharedApp;
use crate::error::ApiError;
use axum::Router;

pub fn public_router(app: SharedApp) -> Router {
    public::routes()
        .merge(health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

pub fn admin_router(app: SharedApp) -> Router {
    health::routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
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
