//! The admin API's domain logic: identities, their credentials and sessions, bulk import and
//! the API-key check. The handlers in `crate::http::admin` only parse requests and shape
//! responses; the `identities import` command goes through the same functions.

pub mod auth;
pub mod courier;
pub mod credentials;
pub mod identities;
pub mod import;
pub mod pagination;
pub mod recovery;
pub mod sessions;

use crate::error::ApiError;
use axum::http::StatusCode;
use uuid::Uuid;

/// Kratos' answer when a write would break a uniqueness rule.
pub fn conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "The resource could not be created due to a conflict",
    )
    .with_reason("This identity conflicts with another identity that already exists.")
}

pub fn identity_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Unable to locate the identity `{id}`."))
}

pub fn session_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Unable to locate the session `{id}`."))
}
