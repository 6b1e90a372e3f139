//! Responses their origin marks reusable (`Cache-Control: max-age`), kept per plugin. An OIDC
//! plugin asks for the provider's discovery document and signing keys on every sign-in;
//! providers say how long those stay valid, and every instance of a plugin starts empty, so
//! the host remembers them.
//!
//! Only plain GETs are kept: no body, no `Authorization` or `Cookie` header, a 200 answer
//! without `no-store`/`no-cache`. Entries live at most an hour, and the grant is checked
//! before every lookup, so a narrowed grant takes effect at once.

use crate::plugin::bindings::latchkey::host::outbound_http::Response;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 256;
const LONGEST: Duration = Duration::from_secs(3600);

struct Entry {
    response: Response,
    expires: Instant,
}

type Key = (String, String);

static ENTRIES: LazyLock<Mutex<HashMap<Key, Entry>>> = LazyLock::new(Default::default);

/// The key a request is cached under, if it may be answered from the cache at all.
pub(super) fn key(
    plugin: &str,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<Key> {
    let credentialed = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie")
    });
    (method == "GET" && body.is_empty() && !credentialed)
        .then(|| (plugin.to_string(), url.to_string()))
}

pub(super) fn lookup(key: &Key) -> Option<Response> {
    let mut entries = ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
    match entries.get(key) {
        Some(entry) if entry.expires > Instant::now() => Some(entry.response.clone()),
        Some(_) => {
            entries.remove(key);
            None
        }
        None => None,
    }
}

pub(super) fn store(key: Key, response: &Response) {
    let Some(ttl) = freshness(response) else {
        return;
    };
    let now = Instant::now();
    let mut entries = ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
    if entries.len() >= MAX_ENTRIES {
        entries.retain(|_, e| e.expires > now);
        if entries.len() >= MAX_ENTRIES {
            return;
        }
    }
    entries.insert(
        key,
        Entry {
            response: response.clone(),
            expires: now + ttl,
        },
    );
}

/// How long the origin lets this response be reused: `max-age` less `Age`, capped.
fn freshness(response: &Response) -> Option<Duration> {
    if response.status != 200 {
        return None;
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let mut max_age = None;
    for directive in header("cache-control")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
    {
        match directive.split_once('=') {
            _ if directive == "no-store" || directive == "no-cache" => return None,
            Some(("max-age", secs)) => max_age = secs.trim_matches('"').parse::<u64>().ok(),
            _ => {}
        }
    }
    let age = header("age")
        .first()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let secs = max_age?.checked_sub(age).filter(|s| *s > 0)?;
    Some(Duration::from_secs(secs).min(LONGEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: b"{}".to_vec(),
        }
    }

    #[test]
    fn freshness_follows_cache_control() {
        let fresh = |h: &[(&str, &str)]| freshness(&answer(200, h));
        assert_eq!(
            fresh(&[("Cache-Control", "public, max-age=600")]),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            fresh(&[("cache-control", "max-age=600"), ("Age", "100")]),
            Some(Duration::from_secs(500))
        );
        assert_eq!(fresh(&[("Cache-Control", "max-age=86400")]), Some(LONGEST));
        assert_eq!(fresh(&[("Cache-Control", "max-age=600, no-store")]), None);
        assert_eq!(fresh(&[("Cache-Control", "no-cache")]), None);
        assert_eq!(
            fresh(&[("Cache-Control", "max-age=10"), ("Age", "10")]),
            None
        );
        assert_eq!(fresh(&[]), None);
        assert_eq!(
            freshness(&answer(404, &[("Cache-Control", "max-age=600")])),
            None
        );
    }

    #[test]
    fn only_plain_gets_are_cached() {
        let none: &[(String, String)] = &[];
        assert!(key("p", "GET", "https://a/", none, b"").is_some());
        assert!(key("p", "POST", "https://a/", none, b"").is_none());
        assert!(key("p", "GET", "https://a/", none, b"x").is_none());
        let auth = [("Authorization".to_string(), "Basic x".to_string())];
        assert!(key("p", "GET", "https://a/", &auth, b"").is_none());
    }
}
