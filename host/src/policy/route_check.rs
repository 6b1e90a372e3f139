//! `/self-service/route-check`: may the request's session reach a route behind a reverse
//! proxy? For nginx `auth_request`, Traefik ForwardAuth and Envoy's HTTP ext_authz.
//!
//! The route comes from the proxy: `X-Original-Method` / `X-Original-URI` (nginx, set with
//! `proxy_set_header`), else `X-Forwarded-Method` / `X-Forwarded-Uri` (Traefik), else the
//! request itself with the `/self-service/route-check` prefix removed (Envoy appends the
//! original path to the authorization service's path). The client address and user agent are
//! the proxy's `X-Forwarded-For` (first entry) or `X-Real-IP`, and `User-Agent`. Trusting these
//! headers here gives nothing away: the answer only says what the caller's own session may do,
//! and a proxy makes its own sub-request with the real values.

use super::{Hook, RequestFacts, decide, enforce};
use crate::app::SharedApp;
use crate::error::ApiError;
use crate::http::request_facts;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

pub const PREFIX: &str = "/self-service/route-check";

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Method, path (no query) and the full original URL when the proxy says enough to rebuild it.
fn route(
    method: &Method,
    rest: Option<&str>,
    headers: &HeaderMap,
) -> (String, String, Option<String>) {
    let (method, uri) = match (
        header(headers, "x-original-method").or_else(|| header(headers, "x-forwarded-method")),
        header(headers, "x-original-uri").or_else(|| header(headers, "x-forwarded-uri")),
    ) {
        (m, Some(uri)) => (m.unwrap_or_else(|| method.to_string()), uri),
        (m, None) => (
            m.unwrap_or_else(|| method.to_string()),
            format!("/{}", rest.unwrap_or_default()),
        ),
    };
    let path = uri.split(['?', '#']).next().unwrap_or("/").to_string();
    let original = match (
        header(headers, "x-forwarded-proto"),
        header(headers, "x-forwarded-host"),
    ) {
        (Some(proto), Some(host)) => Some(format!("{proto}://{host}{uri}")),
        _ => None,
    };
    (method.to_uppercase(), path, original)
}

fn client_ip(headers: &HeaderMap) -> Option<String> {
    header(headers, "x-forwarded-for")
        .and_then(|list| list.split(',').next().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .or_else(|| header(headers, "x-real-ip"))
}

pub async fn check_root(
    State(app): State<SharedApp>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check(app, method, None, headers).await
}

pub async fn check_path(
    State(app): State<SharedApp>,
    method: Method,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check(app, method, Some(rest), headers).await
}

async fn check(
    app: SharedApp,
    method: Method,
    rest: Option<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let active = request_facts::require_session(&app, &headers).await?;
    let (method, path, original) = route(&method, rest.as_deref(), &headers);
    let facts = RequestFacts {
        method,
        path,
        ip: client_ip(&headers),
        user_agent: header(&headers, "user-agent"),
        headers: request_facts::configured_headers(&app, &headers),
        submitted_method: None,
    };
    match decide(&app, Hook::RouteCheck, &active, &facts).await? {
        Some(decision) => enforce(&app, &decision, &active, original.as_deref())?,
        // Without a route policy a route is as open as whoami.
        None => {
            let required = app.config.session.whoami.required_aal;
            crate::aal::require(&app, &active, required, original.as_deref()).await?;
        }
    }
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    for (name, value) in [
        ("x-latchkey-identity-id", active.identity.id.to_string()),
        ("x-latchkey-session-id", active.session.id.to_string()),
        ("x-latchkey-aal", active.session.aal.as_str().to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn routes_come_from_nginx_traefik_or_envoy() {
        let nginx = headers(&[
            ("x-original-method", "post"),
            ("x-original-uri", "/billing/x?y=1"),
        ]);
        assert_eq!(route(&Method::GET, None, &nginx).0, "POST");
        assert_eq!(route(&Method::GET, None, &nginx).1, "/billing/x");
        let traefik = headers(&[
            ("x-forwarded-method", "GET"),
            ("x-forwarded-uri", "/a"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example"),
        ]);
        let (m, p, original) = route(&Method::GET, None, &traefik);
        assert_eq!((m.as_str(), p.as_str()), ("GET", "/a"));
        assert_eq!(original.as_deref(), Some("https://app.example/a"));
        let envoy = route(&Method::DELETE, Some("billing/1"), &HeaderMap::new());
        assert_eq!(
            (envoy.0.as_str(), envoy.1.as_str()),
            ("DELETE", "/billing/1")
        );
    }

    #[test]
    fn the_client_is_the_first_forwarded_address() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7, 10.0.0.1")]);
        assert_eq!(client_ip(&h).as_deref(), Some("203.0.113.7"));
        assert_eq!(
            client_ip(&headers(&[("x-real-ip", "198.51.100.2")])).as_deref(),
            Some("198.51.100.2")
        );
    }
}
