//! Who is asking: a native app (API flows), a browser loading a page, or a single-page app
//! calling the browser endpoints with `Accept: application/json`.

use super::cookies::CookieSpec;
use crate::app::App;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Api,
    Browser,
    Spa,
}

/// Kratos' rule: a browser endpoint called with `Accept: application/json` answers like an
/// API (JSON, no redirects).
pub fn browser_mode(headers: &HeaderMap) -> Mode {
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if json { Mode::Spa } else { Mode::Browser }
}

pub fn session_cookie(app: &App) -> CookieSpec<'_> {
    let c = &app.config.session.cookie;
    CookieSpec {
        name: &c.name,
        path: &c.path,
        domain: c.domain.as_deref(),
        same_site: match c.same_site {
            crate::config::SameSite::Strict => "Strict",
            crate::config::SameSite::Lax => "Lax",
            crate::config::SameSite::None => "None",
        },
        secure: !app.config.dev,
        max_age: c
            .persistent
            .then_some(app.config.session.lifespan.as_secs() as i64),
    }
}

/// Marks a browser an identity signed in with, so that the login throttle lets it through
/// while someone else is guessing at that identity's password (see `flows::throttle`).
pub fn known_device_cookie(app: &App) -> CookieSpec<'_> {
    CookieSpec {
        name: "latchkey_known_device",
        path: "/",
        domain: app.config.session.cookie.domain.as_deref(),
        same_site: "Lax",
        secure: !app.config.dev,
        max_age: Some(365 * 24 * 3600),
    }
}

pub fn csrf_cookie(app: &App) -> CookieSpec<'_> {
    CookieSpec {
        name: super::csrf::COOKIE,
        path: "/",
        domain: app.config.session.cookie.domain.as_deref(),
        same_site: "Lax",
        secure: !app.config.dev,
        max_age: Some(365 * 24 * 3600),
    }
}

/// A 303 to `location`, as Kratos answers browsers.
pub fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

pub fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}
