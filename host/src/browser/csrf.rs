//! CSRF protection for browser flows, by double submit: the token lives in an HttpOnly cookie
//! and in the flow's `csrf_token` node; a submission must carry both, and they must match.

use super::cookies;
use crate::error::ApiError;
use axum::http::HeaderMap;
use rand::distr::{Alphanumeric, SampleString};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "latchkey_csrf_token";

pub fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

/// The browser's current CSRF token, if its cookie carries one we signed.
pub fn from_cookie(headers: &HeaderMap, signer: &cookies::CookieSigner) -> Option<String> {
    cookies::read(headers, COOKIE).and_then(|v| signer.verify("csrf", &v))
}

/// True when the submitted token, the flow's token and the cookie's token are all the same.
pub fn matches(
    submitted: Option<&str>,
    flow_token: Option<&str>,
    cookie_token: Option<&str>,
) -> bool {
    match (submitted, flow_token, cookie_token) {
        (Some(s), Some(f), Some(c)) if !f.is_empty() => {
            bool::from(s.as_bytes().ct_eq(f.as_bytes()))
                & bool::from(c.as_bytes().ct_eq(f.as_bytes()))
        }
        _ => false,
    }
}

/// 403 `security_csrf_violation`, Kratos' answer when the tokens do not match.
pub fn violation() -> ApiError {
    ApiError::forbidden("the request was rejected to protect you from Cross-Site-Request-Forgery")
        .with_id("security_csrf_violation")
        .with_reason("Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.")
}
