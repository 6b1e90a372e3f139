use crate::app::{SharedApp, Storage};
use crate::error::ApiError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<SharedApp> {
    Router::new()
        .route("/health/alive", get(alive))
        .route("/health/ready", get(ready))
        .route("/version", get(version))
}

async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready means the database answers, not just that the process runs.
async fn ready(State(Storage(store)): State<Storage>) -> Result<Json<Value>, ApiError> {
    store.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn version() -> Json<Value> {
    Json(json!({ "version": env!("CARGO_PKG_VERSION") }))
}
