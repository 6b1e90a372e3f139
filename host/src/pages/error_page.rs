//! Errors a browser runs into, shown as a page. Without `selfservice.flows.error.ui_url` a
//! page load that ends in a Kratos error (a CSRF failure, a spent logout link, a forbidden
//! `return_to`) gets that error as readable text, with the same status, instead of JSON.
//! API clients and SPAs (`Accept: application/json`) keep getting JSON.

use super::PageState;
use super::html::{render, to_value};
use crate::error::ApiError;
use axum::body::{Body, HttpBody, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

/// Kratos error bodies are small; anything larger is passed on untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

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

/// A page load by a browser, not an API client or an SPA's fetch.
fn is_page_load(req: &Request) -> bool {
    if !matches!(*req.method(), Method::GET | Method::POST) {
        return false;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/html") && !accept.contains("application/json")
}

/// The endpoints a browser navigates to; JSON endpoints (`/api`, `/flows`, whoami, the
/// logout-URL endpoint) answer in JSON to whoever calls them.
fn is_page_path(path: &str) -> bool {
    let self_service = path.starts_with("/self-service/")
        && !path.ends_with("/api")
        && !path.ends_with("/flows")
        && path != "/self-service/logout/browser";
    self_service || path == "/" || path.starts_with("/ui/")
}

pub async fn in_place(State(state): State<PageState>, req: Request, next: Next) -> Response {
    let wanted = state.app.config.selfservice.flows.error.ui_url.is_none()
        && is_page_load(&req)
        && is_page_path(req.uri().path());
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = resp
        .body()
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_ERROR_BODY as u64);
    if !wanted || !(status.is_client_error() || status.is_server_error()) || !is_json || !small {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(body) if body.get("error").is_some_and(Value::is_object) => {
            render_body(&state, status, &body)
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// The error page for an error the pages themselves ran into.
pub fn render_error(state: &PageState, err: &ApiError) -> Response {
    if err.status.is_server_error() {
        tracing::error!(status = err.status.as_u16(), reason = %err.reason, "page failed");
    }
    render_body(state, err.status, &err.body())
}

fn render_body(state: &PageState, status: StatusCode, body: &Value) -> Response {
    let error = &body["error"];
    let text = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let id = error.get("id").and_then(Value::as_str).map(str::to_owned);
    let next = body
        .get("redirect_browser_to")
        .and_then(Value::as_str)
        .map(|url| NextStep {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_navigations_to_self_service_pages_get_the_page() {
        assert!(is_page_path("/self-service/login"));
        assert!(is_page_path("/self-service/logout"));
        assert!(is_page_path("/self-service/registration/browser"));
        assert!(is_page_path("/ui/login"));
        assert!(!is_page_path("/self-service/login/api"));
        assert!(!is_page_path("/self-service/login/flows"));
        assert!(!is_page_path("/self-service/logout/browser"));
        assert!(!is_page_path("/sessions/whoami"));
        assert!(!is_page_path("/admin/identities"));
    }
}
