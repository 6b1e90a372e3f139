//! Session tokens: random, shown once, stored only as a SHA-256 hash.
//!
//! Lookups go by hash through the database index. Because an attacker cannot choose the bytes
//! of the hash they probe, index timing reveals nothing useful about stored tokens.

use axum::http::HeaderMap;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "ory_st_";

pub fn generate() -> String {
    format!(
        "{PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    )
}

pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token from `X-Session-Token` or `Authorization: Bearer`, as Kratos reads it.
pub fn from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("x-session-token").and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v.to_string());
        }
    }
    let auth = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_string())
}
