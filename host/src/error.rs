//! Errors in Kratos' wire format, mapped to HTTP in this one place, and where the engine's
//! [`DomainError`] becomes one of them.

use crate::domain_error::DomainError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A Kratos `errorGeneric`: `{"error": {id, code, status, reason, message, details}}` plus the
/// top-level fields Kratos adds for some errors (`redirect_browser_to`, `use_flow_id`).
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorData>);

#[derive(Debug, Clone)]
pub struct ErrorData {
    pub status: StatusCode,
    pub id: Option<&'static str>,
    pub reason: String,
    pub message: String,
    pub details: Option<Value>,
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header (a 429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorData {
            status,
            id: None,
            reason: String::new(),
            message: message.into(),
            details: None,
            extra: Map::new(),
            retry_after: None,
        }))
    }

    pub fn with_id(mut self, id: &'static str) -> Self {
        self.id = Some(id);
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_extra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn bad_request(reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "The request was malformed or contained invalid parameters",
        )
        .with_reason(reason)
    }

    pub fn not_found(reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found",
        )
        .with_reason(reason)
    }

    pub fn forbidden(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "The requested action was forbidden")
            .with_reason(reason)
    }

    /// A failure on our side. The reason is safe to show: it names what failed (a plugin and
    /// why), never a secret.
    pub fn internal(reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal server error occurred, please contact the system administrator",
        )
        .with_reason(reason)
    }

    /// 409: what was read changed before it could be written; submitting again will do.
    pub fn conflict(reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "Unable to insert or update resource because a resource with that value exists already",
        )
        .with_reason(reason)
    }

    pub fn session_inactive() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "request does not have a valid authentication session",
        )
        .with_id("session_inactive")
        .with_reason("No active session was found in this request.")
    }

    /// Kratos' `ErrIdentityDisabled`: a 401 without an id.
    pub fn identity_disabled() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "identity is disabled")
            .with_reason("This account was disabled.")
    }

    pub fn session_already_available() -> ApiError {
        ApiError::bad_request("A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?")
            .with_id("session_already_available")
    }

    pub fn session_aal1_required(login_url: String) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Session does not fulfill the requested Authenticator Assurance Level",
        )
        .with_id("session_aal1_required")
        .with_reason("You can not request a higher AAL (AAL2/AAL3) without an active session.")
        .with_extra("redirect_browser_to", login_url)
    }

    pub fn browser_location_change_required(to: String) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "browser location change required",
        )
        .with_id("browser_location_change_required")
        .with_reason("In order to complete this flow please redirect the browser to the URL given in redirect_browser_to.")
        .with_extra("redirect_browser_to", to)
    }

    pub fn flow_expired(
        use_flow_id: uuid::Uuid,
        expired_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiError {
        let ago = (now - expired_at).num_seconds().max(0) as f64 / 60.0;
        ApiError::new(StatusCode::GONE, "self-service flow expired")
            .with_id("self_service_flow_expired")
            .with_reason(format!(
                "The self-service flow expired {ago:.2} minutes ago, initialize a new one."
            ))
            .with_extra("use_flow_id", use_flow_id.to_string())
            .with_extra("expired_at", expired_at.to_rfc3339())
            .with_extra(
                "since",
                (now - expired_at).num_nanoseconds().unwrap_or(i64::MAX),
            )
    }

    /// 410 for a login flow that took `selfservice.flows.login.max_submissions` already: the
    /// client continues in the flow `use_flow_id` names, started in its place. Kratos UIs
    /// start over on a 410, as they do for an expired flow.
    pub fn too_many_submissions(use_flow_id: uuid::Uuid, limit: u32) -> ApiError {
        ApiError::new(StatusCode::GONE, "self-service flow submitted too often")
            .with_id("self_service_flow_submissions_exceeded")
            .with_reason(format!(
                "This flow was submitted {limit} times, the most one flow takes; continue in a new one."
            ))
            .with_extra("use_flow_id", use_flow_id.to_string())
    }

    /// An error the HTTP framework answered on its own — an extractor's rejection, a body
    /// over the size limit — as Kratos words it: the same status, herodot's message for it,
    /// and the framework's text as the reason.
    pub fn from_framework(status: StatusCode, text: &str) -> ApiError {
        let message = match status {
            StatusCode::BAD_REQUEST => "The request was malformed or contained invalid parameters",
            StatusCode::UNAUTHORIZED => "The request could not be authorized",
            StatusCode::FORBIDDEN => "The requested action was forbidden",
            StatusCode::NOT_FOUND => "The requested resource could not be found",
            StatusCode::METHOD_NOT_ALLOWED => {
                "The requested method is not allowed for this resource"
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "The request is using an unknown content type",
            s if s.is_server_error() => {
                "An internal server error occurred, please contact the system administrator"
            }
            s => s.canonical_reason().unwrap_or("The request failed"),
        };
        ApiError::new(status, message).with_reason(text.trim())
    }

    pub fn body(&self) -> Value {
        let mut error = Map::new();
        if let Some(id) = self.id {
            error.insert("id".into(), json!(id));
        }
        error.insert("code".into(), json!(self.status.as_u16()));
        error.insert(
            "status".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        if !self.reason.is_empty() {
            error.insert("reason".into(), json!(self.reason));
        }
        error.insert("message".into(), json!(self.message));
        if let Some(details) = &self.details {
            error.insert("details".into(), details.clone());
        }
        let mut body = Map::new();
        body.insert("error".into(), Value::Object(error));
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        Value::Object(body)
    }
}

/// Boxed so that `Result<_, ApiError>` stays small on the happy path.
impl std::ops::Deref for ApiError {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.message,
            self.reason
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), reason = %self.reason, "request failed");
        }
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        resp
    }
}

/// The engine's errors in Kratos' terms: the one place they are mapped.
impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> ApiError {
        match err {
            DomainError::Store(err) => {
                // The details stay in the log: they name tables and ids the client has no
                // business knowing.
                tracing::error!(%err, "storage error");
                ApiError::internal("the storage backend failed")
            }
            // The reason is safe to show: it names the plugin and what it did wrong.
            DomainError::Plugin(failure) => {
                let reason = failure.client_reason();
                if reason != failure.to_string() {
                    tracing::error!(error = %failure, "plugin call failed");
                }
                ApiError::internal(reason)
            }
            DomainError::FlowExpired {
                fresh,
                expired_at,
                now,
            } => ApiError::flow_expired(fresh, expired_at, now),
            DomainError::Refused(err) => err,
        }
    }
}

/// A storage failure at the edge takes the same way.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        DomainError::from(err).into()
    }
}

impl IntoResponse for DomainError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
