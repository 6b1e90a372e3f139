//! Why the engine could not serve a request, before anyone decides how the client hears of it.
//!
//! The engine (flows, sessions, the admin operations) returns [`DomainError`]; the HTTP edge
//! turns it into Kratos' error format in one place, `impl From<DomainError> for ApiError` in
//! [`crate::error`], as a handler's `?` does on its own. Storage and plugin failures travel
//! typed up to there, so a caller that can recover from one (a taken identifier, a lost race
//! on a credential's version) matches it where it happens and lets the others pass.

use crate::error::ApiError;
use crate::plugin::PluginFailure;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The store failed, or refused in a way the caller did not handle.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// A plugin trapped, ran out of time or fuel, or answered what its interface forbids.
    #[error(transparent)]
    Plugin(#[from] PluginFailure),

    /// The flow expired; `fresh` was started in its place for the client to continue with.
    #[error("the self-service flow expired")]
    FlowExpired {
        fresh: Uuid,
        expired_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },

    /// A refusal the engine already phrases as Kratos does (an invalid submission, a missing
    /// session, a forbidden step); it passes the edge unchanged.
    #[error("{0}")]
    Refused(ApiError),
}

impl From<ApiError> for DomainError {
    fn from(err: ApiError) -> DomainError {
        DomainError::Refused(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_storage_failure_is_a_500_that_names_no_detail() {
        let err = ApiError::from(DomainError::from(StoreError::DuplicateIdentifier {
            method: "password".into(),
            identifier: "secret@example.com".into(),
        }));
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.reason, "the storage backend failed");
        assert!(!err.body().to_string().contains("secret@example.com"));
    }

    #[test]
    fn an_expired_flow_names_the_fresh_one() {
        let (fresh, expired_at) = (Uuid::new_v4(), Utc::now());
        let now = expired_at + chrono::Duration::minutes(3);
        let err = ApiError::from(DomainError::FlowExpired {
            fresh,
            expired_at,
            now,
        });
        let body = err.body();
        assert_eq!(err.status, StatusCode::GONE);
        assert_eq!(body["error"]["id"], "self_service_flow_expired");
        assert_eq!(body["use_flow_id"], fresh.to_string());
    }

    #[test]
    fn a_refusal_passes_unchanged() {
        let refusal = ApiError::session_inactive().with_extra("redirect_browser_to", "/login");
        let body = refusal.body();
        let err = ApiError::from(DomainError::from(refusal));
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.body(), body);
    }
}
