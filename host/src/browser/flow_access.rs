//! Who may read a flow: the rules of `GET /self-service/<kind>/flows`, shared by every page
//! that shows a flow, so the built-in UI reveals no more than the API does.

use super::csrf;
use crate::app::App;
use crate::error::ApiError;
use crate::flows;
use crate::http::request_facts;
use crate::model::{Flow, FlowKind, FlowVariant};
use axum::http::HeaderMap;

/// Loads flow `id` for the request: unknown → 404, expired → 410 with a fresh flow's id, a
/// browser flow without the browser's CSRF cookie → 403, and a settings flow only for the
/// session of its identity. A flow id alone reveals nothing.
pub async fn readable(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    kind: FlowKind,
) -> Result<Flow, ApiError> {
    let flow = flows::load(app, id, kind).await?;
    if flow.variant == FlowVariant::Browser {
        let cookie = csrf::from_cookie(headers, &app.cookies);
        if !csrf::matches(
            cookie.as_deref(),
            flow.csrf_token.as_deref(),
            cookie.as_deref(),
        ) {
            return Err(csrf::violation());
        }
    }
    if kind == FlowKind::Settings {
        let active = request_facts::require_session(app, headers).await?;
        if flow.identity_id != Some(active.identity.id) {
            return Err(
                ApiError::forbidden("This settings flow belongs to another identity.")
                    .with_id("security_identity_mismatch"),
            );
        }
    }
    Ok(flow)
}
