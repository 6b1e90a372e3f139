//! Sending a page: the template rendered with the context every page shares, and the headers
//! that keep a sign-in page out of caches and frames.

use super::{PageState, Pages, link};
use crate::app::App;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Value;

/// Pages show CSRF tokens and secrets (a TOTP key, recovery codes): never stored, never framed.
fn page_headers(resp: &mut Response, app: &App) {
    let origin = app.public_base.origin().ascii_serialization();
    let csp = format!(
        "default-src 'self' {origin}; img-src 'self' {origin} data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The context every template gets, merged under the page's own.
fn base_context(app: &App) -> Value {
    minijinja::context! {
        lang => "en",
        site_name => "Latchkey",
        links => minijinja::context! {
            home => link(app, "/"),
            stylesheet => link(app, "/ui/style.css"),
        },
    }
}

/// Renders `template` with `context` (whose `links` add to the shared ones).
pub fn render(
    pages: &Pages,
    app: &App,
    status: StatusCode,
    template: &str,
    context: Value,
) -> Response {
    let base = base_context(app);
    let links = minijinja::context! {
        ..context.get_attr("links").unwrap_or_default(),
        ..base.get_attr("links").unwrap_or_default()
    };
    let full = minijinja::context! { links => links, ..minijinja::context! { ..context, ..base } };
    match pages.templates.render(template, full) {
        Ok(body) => {
            let mut resp = (status, body).into_response();
            page_headers(&mut resp, app);
            resp
        }
        Err(err) => {
            tracing::error!(template, error = %format!("{err:#}"), "rendering a page failed");
            let mut resp = (
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"en\"><title>Error</title><p>This page could not be shown. The server log says why.</p></html>",
            )
                .into_response();
            page_headers(&mut resp, app);
            resp
        }
    }
}

pub async fn stylesheet(State(state): State<PageState>) -> Response {
    match state
        .pages
        .templates
        .render("style.css", minijinja::context! {})
    {
        Ok(css) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            css,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "rendering style.css failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A serialisable value as a template sees it.
pub fn to_value<T: serde::Serialize>(value: T) -> Value {
    minijinja::value::Serde(value).into()
}
