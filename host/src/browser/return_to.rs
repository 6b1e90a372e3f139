//! `return_to` must point somewhere the operator allowed, or an attacker could bounce users
//! to a look-alike site right after they signed in.
//!
//! Kratos' rules (`SecureRedirectTo`): a relative `return_to` takes the scheme and host of the
//! applicable default return URL and keeps its own path, query and fragment; the result must
//! share scheme, host and port with an entry of `selfservice.allowed_return_urls` (or, here,
//! the public base URL) and lie under its path. A flow keeps the `return_to` as it was given
//! and resolves it again when it sends the browser there.

use crate::app::App;
use crate::error::ApiError;
use url::Url;

/// `raw` made absolute against `default` and checked against the allow-list: the URL to send
/// the browser to, or 400 `self_service_flow_return_to_forbidden`.
pub fn secure(app: &App, raw: &str, default: &Url) -> Result<Url, ApiError> {
    let url = absolute(raw, default)?;
    if is_allowed(
        &url,
        &app.config.selfservice.allowed_return_urls,
        &app.public_base,
    ) {
        Ok(url)
    } else {
        Err(forbidden(&url))
    }
}

fn forbidden(url: &Url) -> ApiError {
    ApiError::bad_request(format!("Requested return_to URL \"{url}\" is not allowed."))
        .with_id("self_service_flow_return_to_forbidden")
}

/// Kratos fills in only the scheme and host of a relative `return_to`: `/sessions` against
/// `https://app.example/welcome` is `https://app.example/sessions`. A path relative to the
/// default's path (`sessions`, `../x`) is refused, as Kratos' path check refuses it.
fn absolute(raw: &str, default: &Url) -> Result<Url, ApiError> {
    let relative = match Url::parse(raw) {
        Ok(url) => return Ok(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => raw,
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "Unable to parse the return_to query parameter as an URL: {e}"
            )));
        }
    };
    let mut origin = default.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    let url = origin.join(relative).map_err(|e| {
        ApiError::bad_request(format!(
            "Unable to parse the return_to query parameter as an URL: {e}"
        ))
    })?;
    // The url crate drops leading spaces and control characters before resolving; so does
    // this check.
    let start = relative.trim_start_matches(|c: char| c.is_ascii_control() || c == ' ');
    if start.starts_with(['/', '?', '#']) {
        Ok(url)
    } else {
        Err(forbidden(&url))
    }
}

/// Allowed when it shares scheme, host and port with an allowed URL (or the public base URL)
/// and its path lies under that URL's path.
pub fn is_allowed(url: &Url, allowed: &[String], public_base: &Url) -> bool {
    let base = std::iter::once(public_base.clone());
    let listed = allowed.iter().filter_map(|a| Url::parse(a).ok());
    base.chain(listed).any(|a| {
        a.scheme() == url.scheme()
            && a.host_str() == url.host_str()
            && a.port_or_known_default() == url.port_or_known_default()
            && under(a.path(), url.path())
    })
}

/// Kratos compares paths as plain prefixes, so an allowed `/dashboard` would admit
/// `/dashboardevil`; here the prefix must end where a path segment does.
fn under(allowed: &str, path: &str) -> bool {
    let allowed = if allowed.is_empty() { "/" } else { allowed };
    match path.strip_prefix(allowed) {
        Some(rest) => allowed.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(candidate: &str) -> bool {
        let base = Url::parse("http://127.0.0.1:4433/").unwrap();
        let default = Url::parse("https://app.example.com/welcome?x=1").unwrap();
        let list = vec![
            "https://app.example.com/dashboard".to_string(),
            "https://app.example.com/sessions/".to_string(),
            "not a url".to_string(),
        ];
        absolute(candidate, &default).is_ok_and(|url| is_allowed(&url, &list, &base))
    }

    #[test]
    fn only_listed_origins_and_paths() {
        assert!(allowed("https://app.example.com/dashboard"));
        assert!(allowed("https://app.example.com/dashboard/x?y=1"));
        assert!(allowed("https://APP.example.com:443/dashboard"));
        assert!(allowed("http://127.0.0.1:4433/anything"));
        assert!(!allowed("https://app.example.com/other"));
        assert!(!allowed("http://app.example.com/dashboard"));
        assert!(!allowed("https://app.example.com:8443/dashboard"));
        assert!(!allowed("https://evil.example.com/dashboard"));
        assert!(!allowed("https://app.example.com.evil.com/dashboard"));
        assert!(!allowed("javascript:alert(1)"));
    }

    #[test]
    fn a_path_prefix_ends_at_a_segment() {
        assert!(!allowed("https://app.example.com/dashboardevil"));
        assert!(!allowed("https://app.example.com/dashboard/../admin"));
        assert!(allowed("https://app.example.com/sessions/1"));
        assert!(!allowed("https://app.example.com/sessions"));
    }

    #[test]
    fn relative_return_to_takes_the_default_origin_and_keeps_its_path() {
        let default = Url::parse("https://app.example.com/welcome?x=1").unwrap();
        let url = absolute("/dashboard/a?b=c#d", &default).unwrap();
        assert_eq!(url.as_str(), "https://app.example.com/dashboard/a?b=c#d");
        assert!(allowed("/dashboard"));
        assert!(allowed("/sessions/mine"));
        assert!(!allowed("/dashboardevil"));
        assert!(!allowed("/admin"));
        // Paths relative to the default's path are refused, as in Kratos.
        assert!(absolute("dashboard", &default).is_err());
        assert!(absolute("../dashboard", &default).is_err());
    }

    #[test]
    fn scheme_relative_and_backslash_tricks_are_checked_where_they_lead() {
        let default = Url::parse("https://app.example.com/").unwrap();
        assert_eq!(
            absolute("//evil.example/dashboard", &default)
                .unwrap()
                .host_str(),
            Some("evil.example")
        );
        assert!(!allowed("//evil.example/dashboard"));
        assert!(!allowed("/\\evil.example/dashboard"));
        assert!(!allowed(" //evil.example/dashboard"));
    }
}
