//! `return_to` must point somewhere the operator allowed, or an attacker could bounce users
//! to a look-alike site right after they signed in.

use url::Url;

/// Allowed when it shares scheme, host and port with an allowed URL (or the public base URL)
/// and its path starts with that URL's path.
pub fn is_allowed(candidate: &str, allowed: &[String], public_base: &Url) -> bool {
    let Ok(url) = Url::parse(candidate) else {
        return false;
    };
    let base = std::iter::once(public_base.clone());
    let listed = allowed.iter().filter_map(|a| Url::parse(a).ok());
    base.chain(listed).any(|a| {
        a.scheme() == url.scheme()
            && a.host_str() == url.host_str()
            && a.port_or_known_default() == url.port_or_known_default()
            && url.path().starts_with(a.path().trim_end_matches('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_and_paths() {
        let base = Url::parse("http://127.0.0.1:4433/").unwrap();
        let allowed = vec!["https://app.example.com/dashboard".to_string()];
        assert!(is_allowed(
            "https://app.example.com/dashboard/x",
            &allowed,
            &base
        ));
        assert!(is_allowed(
            "http://127.0.0.1:4433/anything",
            &allowed,
            &base
        ));
        assert!(!is_allowed(
            "https://app.example.com/other",
            &allowed,
            &base
        ));
        assert!(!is_allowed(
            "https://evil.example.com/dashboard",
            &allowed,
            &base
        ));
        assert!(!is_allowed(
            "https://app.example.com.evil.com/dashboard",
            &allowed,
            &base
        ));
        assert!(!is_allowed("javascript:alert(1)", &allowed, &base));
    }
}
