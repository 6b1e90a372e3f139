//! Errors a browser runs into on a page load go to the error UI, as in Kratos: the error is
//! stored under a random id until `selfservice.flows.error.lifespan` has passed, and the
//! browser is sent to `selfservice.flows.error.ui_url?id=<id>`, whose server reads it back
//! with `GET /self-service/errors?id=`. API clients and single-page apps get the JSON error
//! itself, and so does every browser when no error UI is configured.

use super::client::{Mode, see_other};
use crate::app::App;
use crate::error::ApiError;
use crate::store::{Store, StoredError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The answer to `err` for a client in `mode`: a browser goes where the error says
/// (`redirect_browser_to`: a login that resolves it), else to the error UI; the others get
/// Kratos' JSON.
pub async fn respond(app: &App, err: ApiError, mode: Mode) -> Response {
    if mode != Mode::Browser {
        return err.into_response();
    }
    if let Some(to) = err.extra.get("redirect_browser_to").and_then(Value::as_str) {
        return see_other(to);
    }
    let Some(ui_url) = app.config.selfservice.flows.error.ui_url.clone() else {
        return err.into_response();
    };
    match store(app, &err).await {
        Ok(id) => {
            if err.status.is_server_error() {
                tracing::error!(status = err.status.as_u16(), reason = %err.reason, error_id = %id, "request failed; the browser was sent to the error UI");
            }
            let mut url = ui_url;
            url.query_pairs_mut().append_pair("id", &id.to_string());
            see_other(url.as_str())
        }
        // Kratos' fallback when even storing fails: the error itself.
        Err(_) => err.into_response(),
    }
}

/// Stores the error object — never the top-level extras, which name flows and URLs the UI has
/// no use for once the browser is on the error page.
async fn store(app: &App, err: &ApiError) -> Result<Uuid, ApiError> {
    let now = app.now();
    let lifespan = chrono::Duration::from_std(app.config.selfservice.flows.error.lifespan)
        .unwrap_or_else(|_| chrono::Duration::hours(1));
    let stored = StoredError {
        id: Uuid::new_v4(),
        error: err.body()["error"].clone(),
        created_at: now,
        expires_at: now + lifespan,
    };
    let id = stored.id;
    app.store.insert_error(&stored).await?;
    Ok(id)
}

/// Kratos' answer for an error id it does not have (or no longer has).
fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Unable to locate the resource")
}

/// Kratos' `flowError` for `id`: `{id, error, created_at, updated_at}`, or 404 when the id is
/// unknown, malformed or expired. `stub:500` is Kratos' stub for building an error UI.
pub async fn read(store: &dyn Store, now: DateTime<Utc>, id: &str) -> Result<Value, ApiError> {
    if id == "stub:500" {
        let stub = ApiError::internal("This is a stub error.");
        return Ok(json!({
            "id": Uuid::new_v4(),
            "error": stub.body()["error"],
            "created_at": "0001-01-01T00:00:00Z",
            "updated_at": "0001-01-01T00:00:00Z",
        }));
    }
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    let stored = store
        .get_error(uuid)
        .await?
        .filter(|e| e.expires_at > now)
        .ok_or_else(not_found)?;
    Ok(json!({
        "id": stored.id,
        "error": stored.error,
        "created_at": stored.created_at,
        "updated_at": stored.created_at,
    }))
}
