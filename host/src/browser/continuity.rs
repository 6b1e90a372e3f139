//! The continuity cookie: a browser sent to a third party (an OpenID provider) carries the id
//! of the flow it left, signed, so that its return is matched to that flow and to nothing a
//! link from someone else could name.

use super::cookies::{self, CookieSpec};
use crate::app::App;
use axum::http::HeaderMap;
use uuid::Uuid;

const COOKIE: &str = "latchkey_continuity";
const PURPOSE: &str = "continuity";

fn spec(app: &App, max_age: Option<i64>) -> CookieSpec<'_> {
    CookieSpec {
        name: COOKIE,
        // Only callbacks read it.
        path: "/self-service/methods/",
        domain: app.config.session.cookie.domain.as_deref(),
        // Lax: the provider sends the browser back with a top-level GET, which carries it.
        same_site: "Lax",
        secure: !app.config.dev,
        max_age,
    }
}

pub fn set(app: &App, flow_id: Uuid, lifetime_secs: i64) -> String {
    let value = app.cookies.sign(PURPOSE, &flow_id.to_string());
    spec(app, Some(lifetime_secs)).set(&value)
}

pub fn clear(app: &App) -> String {
    spec(app, None).clear()
}

/// The flow this browser left for a third party, if it carries a cookie we signed.
pub fn flow_id(app: &App, headers: &HeaderMap) -> Option<Uuid> {
    cookies::read(headers, COOKIE)
        .and_then(|v| app.cookies.verify(PURPOSE, &v))
        .and_then(|id| Uuid::parse_str(&id).ok())
}
