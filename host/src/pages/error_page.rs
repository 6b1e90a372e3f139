//! Errors as pages. `/ui/error?id=` is the default `selfservice.flows.error.ui_url`: it reads the
//! stored error exactly as `GET /self-service/errors?id=` serves it and shows its message,
//! reason and id with the error's own status; an unknown or expired id is Kratos' 404. The
//! other pages show the errors they run into themselves (a flow this browser may not read)
//! the same way, in place.

use super::PageState;
use super::html::{render, to_value};
use crate::browser::error_flow;
use crate::error::ApiError;
use crate::http::query::QueryParams;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
struct ErrorView {
    code: u16,
    id: Option<String>,
    message: String,
    reason: String,
}

#[derive(Serialize)]
struct NextStep {
    url: String,
    label: &'static str,
}

/// `/ui/error?id=<error id>`, where browsers are sent when something went wrong.
pub async fn show(State(state): State<PageState>, q: QueryParams) -> Response {
    let id = q.get("error").or_else(|| q.get("id")).unwrap_or_default();
    match error_flow::read(state.app.store.as_ref(), state.app.now(), id).await {
        Ok(flow_error) => {
            let error = &flow_error["error"];
            let status = error["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            render_body(&state, status, error, None)
        }
        Err(err) => render_error(&state, &err),
    }
}

/// The error page for an error the pages themselves ran into.
pub fn render_error(state: &PageState, err: &ApiError) -> Response {
    if err.status.is_server_error() {
        tracing::error!(status = err.status.as_u16(), reason = %err.reason, "page failed");
    }
    let body = err.body();
    let next = body.get("redirect_browser_to").and_then(Value::as_str);
    render_body(state, err.status, &body["error"], next)
}

/// `error` is Kratos' error object; `next` where the error says the browser should go.
fn render_body(
    state: &PageState,
    status: StatusCode,
    error: &Value,
    next: Option<&str>,
) -> Response {
    let text = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let id = error.get("id").and_then(Value::as_str).map(str::to_owned);
    let next = next.map(|url| NextStep {
        url: url.to_string(),
        label: match id.as_deref() {
            Some("session_aal2_required") => "Confirm with your authenticator",
            Some("session_refresh_required") => "Sign in again",
            Some("session_aal1_required") => "Sign in",
            _ => "Continue",
        },
    });
    let view = ErrorView {
        code: status.as_u16(),
        id,
        message: text("message"),
        reason: text("reason"),
    };
    let context = minijinja::context! {
        page => "error",
        title => "Something went wrong",
        error => to_value(view),
        next => next.map(to_value),
    };
    render(&state.pages, &state.app, status, "error.html", context)
}
