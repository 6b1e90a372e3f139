//! `GET /self-service/errors?id=`: an error a browser was sent to the error UI about, as
//! Kratos' `flowError`, for that UI to show.

use super::query::QueryParams;
use crate::app::{SharedApp, Storage, Time};
use crate::browser::error_flow;
use crate::error::ApiError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn routes() -> Router<SharedApp> {
    Router::new().route("/self-service/errors", get(fetch))
}

/// Kratos reads the id from `error` first, then `id`; a missing one is an unknown one.
async fn fetch(
    State(Storage(store)): State<Storage>,
    State(Time(clock)): State<Time>,
    q: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let id = q.get("error").or_else(|| q.get("id")).unwrap_or_default();
    Ok(Json(
        error_flow::read(store.as_ref(), clock.now(), id).await?,
    ))
}
