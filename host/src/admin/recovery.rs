//! `POST /admin/recovery/code` and `/admin/recovery/link`: an administrator recovers an
//! identity by handing over a code (with the link that opens the flow) or a link, as Kratos'
//! `createRecoveryCodeForIdentity` and `createRecoveryLinkForIdentity` do. Nothing is sent:
//! the secret goes to the administrator, who passes it on.

use super::identity_not_found;
use crate::app::App;
use crate::error::ApiError;
use crate::flows::challenge;
use crate::model::{FlowKind, FlowVariant, IdentityState};
use serde_json::{Value, json};
use uuid::Uuid;

/// Kratos' `strategy.EndpointDisabledMessage`.
const ENDPOINT_DISABLED: &str = "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.";

/// Kratos' answer for the endpoint of a recovery method that is off (strategy/handler.go
/// IsDisabled), given before the request is read.
pub fn ensure_method(app: &App, method: &str) -> Result<(), ApiError> {
    let enabled = app
        .factors
        .get(method)
        .is_some_and(|f| f.joins(FlowKind::Recovery));
    if enabled {
        Ok(())
    } else {
        Err(ApiError::not_found(ENDPOINT_DISABLED))
    }
}

/// Kratos' default for `expires_in`: `selfservice.methods.code.config.lifespan`, else 1h.
fn default_lifespan(app: &App, method: &str) -> chrono::Duration {
    app.config
        .selfservice
        .methods
        .get(method)
        .and_then(|m| m.config.get("lifespan"))
        .and_then(Value::as_str)
        .and_then(|text| crate::config::parse_duration(text).ok())
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| chrono::Duration::hours(1))
}

struct Request {
    identity_id: Uuid,
    expires_in: Option<chrono::Duration>,
    variant: FlowVariant,
}

fn parse(body: &Value) -> Result<Request, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    // Kratos decodes the body without its schema: a missing `identity_id` is the nil UUID,
    // which names no identity.
    let identity_id = match body.get("identity_id") {
        None | Some(Value::Null) => Uuid::nil(),
        Some(Value::String(id)) => Uuid::parse_str(id)
            .map_err(|_| ApiError::bad_request(format!("`{id}` is not a valid UUID")))?,
        Some(_) => return Err(ApiError::bad_request("`identity_id` must be a string")),
    };
    // strategy_recovery_admin.go: `flow_type` defaults to browser.
    let variant = match body.get("flow_type") {
        None | Some(Value::Null) => FlowVariant::Browser,
        Some(Value::String(t)) if t == "browser" => FlowVariant::Browser,
        Some(Value::String(t)) if t == "api" => FlowVariant::Api,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Value from \"flow_type\" is not valid: {other}"
            )));
        }
    };
    let expires_in = match body.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() => None,
        Some(Value::String(text)) => {
            let span = crate::config::parse_duration(text)
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .filter(|d| *d > chrono::Duration::zero())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "`expires_in` {text:?} is no duration such as \"15m\" or \"1h\""
                    ))
                })?;
            Some(span)
        }
        Some(_) => return Err(ApiError::bad_request("`expires_in` must be a string")),
    };
    Ok(Request {
        identity_id,
        expires_in,
        variant,
    })
}

/// Issues a challenge of `method` for the identity the body names; its flow and secret.
async fn issue(
    app: &App,
    body: &Value,
    method: &str,
) -> Result<(crate::model::Flow, String), ApiError> {
    challenge::ensure_enabled(app, FlowKind::Recovery)?;
    let request = parse(body)?;
    let identity = app
        .store
        .get_identity(request.identity_id)
        .await?
        .ok_or_else(|| identity_not_found(request.identity_id))?;
    if identity.state != IdentityState::Active {
        return Err(ApiError::bad_request(
            "The identity is inactive and cannot be recovered.",
        ));
    }
    let expires_at = app.now()
        + request
            .expires_in
            .unwrap_or_else(|| default_lifespan(app, method));
    Ok(challenge::issue_for_identity(app, &identity, method, request.variant, expires_at).await?)
}

/// `POST /admin/recovery/code`: 201 with `recovery_code`, `recovery_link` (the flow, where the
/// code is typed) and `expires_at`.
pub async fn code(app: &App, body: &Value) -> Result<Value, ApiError> {
    let (flow, code) = issue(app, body, "code").await?;
    Ok(json!({
        "recovery_link": app.public_url(&format!("/self-service/recovery?flow={}", flow.id)),
        "recovery_code": code,
        "expires_at": flow.expires_at,
    }))
}

/// `POST /admin/recovery/link`: 200 with `recovery_link` (the flow and its token) and
/// `expires_at`.
pub async fn link(app: &App, body: &Value) -> Result<Value, ApiError> {
    // Kratos' link strategy answers an unknown identity with a 400, not the code strategy's
    // 404 (strategy/link/strategy_recovery.go createRecoveryLinkForIdentity).
    let (flow, link) = issue(app, body, "link").await.map_err(|err| {
        if err.status == axum::http::StatusCode::NOT_FOUND {
            ApiError::bad_request("The requested identity id does not exist.")
        } else {
            err
        }
    })?;
    Ok(json!({
        "recovery_link": link,
        "expires_at": flow.expires_at,
    }))
}
