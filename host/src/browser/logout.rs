//! Browser logout links: `/self-service/logout?token=`, where the token is the session id
//! signed with the cookie secret, so it cannot be forged and only ends that one session.

use crate::app::App;
use uuid::Uuid;

const PURPOSE: &str = "logout";

pub fn token(app: &App, session_id: Uuid) -> String {
    app.cookies.sign(PURPOSE, &session_id.to_string())
}

/// The logout URL for a session, coming back to `return_to` (checked by the caller).
pub fn url(app: &App, session_id: Uuid, return_to: Option<&str>) -> String {
    let mut url =
        url::Url::parse(&app.public_url("/self-service/logout")).expect("absolute base URL");
    url.query_pairs_mut()
        .append_pair("token", &token(app, session_id));
    if let Some(rt) = return_to {
        url.query_pairs_mut().append_pair("return_to", rt);
    }
    url.to_string()
}

/// The session a logout token names, if we signed it.
pub fn session_of(app: &App, token: &str) -> Option<Uuid> {
    app.cookies
        .verify(PURPOSE, token)
        .and_then(|id| Uuid::parse_str(&id).ok())
}
