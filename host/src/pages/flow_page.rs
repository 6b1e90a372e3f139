//! `/ui/login`, `/ui/registration`, `/ui/settings`, `/ui/recovery` and
//! `/ui/verification?flow=<id>`: a flow read through the same
//! rules as `GET /self-service/<kind>/flows`, shown as HTML forms. A missing, unknown or
//! expired flow sends the browser on to a fresh one.

use super::html::{render, to_value};
use super::session_page::{SessionSummary, summary};
use super::view::ui_view;
use super::{PageState, link};
use crate::app::App;
use crate::browser::client::see_other;
use crate::browser::{flow_access, logout};
use crate::error::ApiError;
use crate::http::query::QueryParams;
use crate::http::request_facts;
use crate::model::{Aal, Flow, FlowKind, FlowVariant};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

pub async fn login(s: State<PageState>, h: HeaderMap, q: QueryParams) -> Response {
    show(s, h, q, FlowKind::Login).await
}

pub async fn registration(s: State<PageState>, h: HeaderMap, q: QueryParams) -> Response {
    show(s, h, q, FlowKind::Registration).await
}

pub async fn settings(s: State<PageState>, h: HeaderMap, q: QueryParams) -> Response {
    show(s, h, q, FlowKind::Settings).await
}

pub async fn recovery(s: State<PageState>, h: HeaderMap, q: QueryParams) -> Response {
    show(s, h, q, FlowKind::Recovery).await
}

pub async fn verification(s: State<PageState>, h: HeaderMap, q: QueryParams) -> Response {
    show(s, h, q, FlowKind::Verification).await
}

/// `/self-service/<kind>/browser`, passing on what the page was asked for.
fn start_url(app: &App, kind: FlowKind, return_to: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&link(
        app,
        &format!("/self-service/{}/browser", kind.as_str()),
    ))
    .expect("the public base URL is absolute");
    let pairs = extra
        .iter()
        .copied()
        .chain(return_to.map(|rt| ("return_to", rt)));
    for (k, v) in pairs {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

fn page_path(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Login => crate::config::LOGIN_PATH,
        FlowKind::Registration => crate::config::REGISTRATION_PATH,
        FlowKind::Settings => crate::config::SETTINGS_PATH,
        FlowKind::Recovery => crate::config::RECOVERY_PATH,
        FlowKind::Verification => crate::config::VERIFICATION_PATH,
    }
}

async fn show(
    State(state): State<PageState>,
    headers: HeaderMap,
    q: QueryParams,
    kind: FlowKind,
) -> Response {
    let app = &state.app;
    let passed: Vec<(&str, &str)> = ["aal", "refresh"]
        .into_iter()
        .filter_map(|name| q.get(name).map(|value| (name, value)))
        .collect();
    let fresh = start_url(app, kind, q.get("return_to"), &passed);
    let Some(id) = q.get("flow") else {
        return see_other(&fresh);
    };
    let flow = match flow_access::readable(app, &headers, id, kind).await {
        // An API flow cannot be submitted from a page (it refuses cookies): start a page's own.
        Ok(flow) if flow.variant == FlowVariant::Api => return see_other(&fresh),
        Ok(flow) => flow,
        Err(err) => return unreadable(&state, err, kind, &fresh),
    };
    match page(&state, &headers, &flow).await {
        Ok(resp) => resp,
        Err(err) => super::error_page::render_error(&state, &err),
    }
}

/// Why a flow cannot be shown decides where the browser goes: a fresh flow for an unknown,
/// expired or foreign one; the error page where starting over would loop (a browser that does
/// not keep the CSRF cookie) or cannot help.
fn unreadable(state: &PageState, err: ApiError, kind: FlowKind, fresh: &str) -> Response {
    if let Some(next) = err.extra.get("use_flow_id").and_then(Value::as_str) {
        let mut url = url::Url::parse(&link(&state.app, page_path(kind)))
            .expect("the public base URL is absolute");
        url.query_pairs_mut().append_pair("flow", next);
        return see_other(url.as_str());
    }
    match err.id {
        Some("security_csrf_violation") => super::error_page::render_error(state, &err),
        Some("session_inactive" | "security_identity_mismatch") => see_other(fresh),
        _ if err.status == StatusCode::NOT_FOUND => see_other(fresh),
        _ => super::error_page::render_error(state, &err),
    }
}

fn title(flow: &Flow) -> &'static str {
    match (flow.kind, flow.requested_aal, flow.refresh) {
        (FlowKind::Login, Aal::Aal2, _) => "Confirm with your authenticator",
        (FlowKind::Login, Aal::Aal1, true) => "Confirm it's you",
        (FlowKind::Login, Aal::Aal1, false) => "Sign in",
        (FlowKind::Registration, _, _) => "Create an account",
        (FlowKind::Settings, _, _) => "Account settings",
        (FlowKind::Recovery, _, _) => "Recover your account",
        (FlowKind::Verification, _, _) => "Verify your email address",
    }
}

async fn page(state: &PageState, headers: &HeaderMap, flow: &Flow) -> Result<Response, ApiError> {
    let app = &state.app;
    let active = request_facts::current_session(app, headers).await?;
    let session: Option<SessionSummary> = active.as_ref().map(summary);
    let json = crate::http::flow_json::flow_json(app, flow).await?;
    let return_to = flow.return_to.as_deref();
    let first_factor =
        flow.kind != FlowKind::Login || (flow.requested_aal == Aal::Aal1 && !flow.refresh);
    let registration = (first_factor
        && flow.kind == FlowKind::Login
        && app.config.selfservice.flows.registration.enabled)
        .then(|| start_url(app, FlowKind::Registration, return_to, &[]));
    let recovery = (first_factor
        && flow.kind == FlowKind::Login
        && app.config.selfservice.flows.recovery.enabled)
        .then(|| start_url(app, FlowKind::Recovery, return_to, &[]));
    let links = minijinja::context! {
        login => start_url(app, FlowKind::Login, return_to, &[]),
        registration => registration,
        recovery => recovery,
        settings => link(app, "/self-service/settings/browser"),
        logout => active.as_ref().map(|a| logout::url(app, a.session.id, None)),
    };
    let template = format!("{}.html", flow.kind.as_str());
    let context = minijinja::context! {
        page => flow.kind.as_str(),
        title => title(flow),
        ui => to_value(ui_view(&flow.ui)),
        flow => to_value(&json),
        session => session.map(to_value),
        links => links,
    };
    Ok(render(
        &state.pages,
        app,
        StatusCode::OK,
        &template,
        context,
    ))
}
