//! `serve.admin.api_keys`: which requests may use the admin API.

use crate::config::Secret;
use crate::error::ApiError;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// Whether the request may use the admin API: always when no keys are configured, otherwise
/// only with `Authorization: Bearer <key>` naming one of them. Keys are compared as SHA-256
/// digests in constant time, and every key is compared, so neither the time taken nor the
/// length of a guess tells anything about the configured keys.
pub fn is_authorized(keys: &[Secret], headers: &HeaderMap) -> bool {
    if keys.is_empty() {
        return true;
    }
    let Some(presented) = bearer(headers) else {
        return false;
    };
    let presented = Sha256::digest(presented.as_bytes());
    let mut matched = Choice::from(0);
    for key in keys {
        let expected = Sha256::digest(key.expose().as_bytes());
        matched |= expected.as_slice().ct_eq(presented.as_slice());
    }
    matched.into()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// 401 in Kratos' error format, for a request without a valid API key.
pub fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "The request could not be authorized",
    )
    .with_id("unauthorized")
    .with_reason(
        "The admin API requires a valid API key in the `Authorization: Bearer <key>` header.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", authorization.parse().unwrap());
        h
    }

    #[test]
    fn no_keys_means_open() {
        assert!(is_authorized(&[], &HeaderMap::new()));
        assert!(is_authorized(&[], &headers("Bearer anything")));
    }

    #[test]
    fn any_configured_key_is_accepted() {
        let keys = [
            Secret::new("first-admin-key-0123"),
            Secret::new("second-admin-key-0123"),
        ];
        assert!(is_authorized(
            &keys,
            &headers("Bearer first-admin-key-0123")
        ));
        assert!(is_authorized(
            &keys,
            &headers("bearer second-admin-key-0123")
        ));
        assert!(is_authorized(
            &keys,
            &headers("Bearer  second-admin-key-0123 ")
        ));
    }

    #[test]
    fn wrong_missing_or_malformed_keys_are_refused() {
        let keys = [Secret::new("first-admin-key-0123")];
        assert!(!is_authorized(&keys, &HeaderMap::new()));
        assert!(!is_authorized(
            &keys,
            &headers("Bearer first-admin-key-012")
        ));
        assert!(!is_authorized(
            &keys,
            &headers("Bearer first-admin-key-01234")
        ));
        assert!(!is_authorized(
            &keys,
            &headers("Basic first-admin-key-0123")
        ));
        assert!(!is_authorized(&keys, &headers("first-admin-key-0123")));
        assert!(!is_authorized(&keys, &headers("Bearer ")));
    }

    #[test]
    fn the_error_is_a_kratos_401() {
        let body = unauthorized().body();
        assert_eq!(body["error"]["code"], 401);
        assert_eq!(body["error"]["status"], "Unauthorized");
        assert_eq!(body["error"]["id"], "unauthorized");
    }
}
