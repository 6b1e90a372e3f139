//! `plugins.factors[].outbound_http`: which origins a factor plugin may reach over HTTP.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::{Host, Url};

use super::units::{ByteSize, deserialize_duration};

/// A plugin's outbound HTTP grant. The default grants nothing: every request is refused.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OutboundHttp {
    /// The origins the plugin may send requests to.
    pub allow: Vec<Origin>,
    /// Whether an allowed origin may resolve to a loopback, private or otherwise non-public
    /// address. Off by default: a grant for a public name must not become a way into the
    /// host's own network.
    pub allow_private: bool,
    /// Deadline of one whole exchange: DNS, connect, TLS, request and response body.
    #[serde(deserialize_with = "deserialize_duration")]
    pub timeout: Duration,
    /// The largest response body handed to the plugin.
    pub max_response_bytes: ByteSize,
}

impl Default for OutboundHttp {
    fn default() -> Self {
        OutboundHttp {
            allow: Vec::new(),
            allow_private: false,
            timeout: Duration::from_secs(10),
            max_response_bytes: ByteSize::from_bytes(1 << 20),
        }
    }
}

impl OutboundHttp {
    /// Whether `url`'s origin is in the allow-list.
    pub fn allows(&self, url: &Url) -> bool {
        self.allow.iter().any(|origin| origin.matches(url))
    }
}

/// A scheme, host and port: `https://accounts.example.com` (port 443) or
/// `http://127.0.0.1:9000`. Default ports are filled in, host names are lower-cased.
#[derive(Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: Host<String>,
    port: u16,
}

impl Origin {
    pub fn parse(text: &str) -> Result<Origin, String> {
        let invalid = |why: &str| {
            format!(
                "invalid origin {text:?}: {why} (expected a scheme, a host and an optional port, such as \"https://accounts.example.com\" or \"http://127.0.0.1:9000\")"
            )
        };
        let url = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http and https are supported"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("an origin has no user name or password"));
        }
        // `Url` turns "https://a.example" into "https://a.example/": a lone slash is no path.
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "an origin has no path, query or fragment; list the origin alone",
            ));
        }
        Origin::of(&url).ok_or_else(|| invalid("it has no host"))
    }

    /// The origin of an http or https URL.
    pub fn of(url: &Url) -> Option<Origin> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        Some(Origin {
            scheme: url.scheme().to_owned(),
            host: url.host()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }

    pub fn matches(&self, url: &Url) -> bool {
        Origin::of(url).is_some_and(|other| other == *self)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // As browsers serialise origins: the port only when it is not the scheme's default.
        // Host's Display puts brackets around IPv6 addresses.
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default_port {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Origin({self})")
    }
}

impl FromStr for Origin {
    type Err = String;

    fn from_str(text: &str) -> Result<Origin, String> {
        Origin::parse(text)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Origin::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn origins_normalise_default_ports_and_case() {
        let cases = [
            (
                "https://accounts.example.com",
                "https://accounts.example.com",
            ),
            (
                "https://Accounts.Example.COM/",
                "https://accounts.example.com",
            ),
            (
                "https://accounts.example.com:443",
                "https://accounts.example.com",
            ),
            (
                "https://accounts.example.com:80",
                "https://accounts.example.com:80",
            ),
            (
                "http://accounts.example.com:80",
                "http://accounts.example.com",
            ),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            ("http://[::1]:9000", "http://[::1]:9000"),
            ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
        ];
        for (text, shown) in cases {
            assert_eq!(Origin::parse(text).unwrap().to_string(), shown, "{text}");
        }
        assert_eq!(
            Origin::parse("https://a.example").unwrap(),
            Origin::parse("https://a.example:443/").unwrap()
        );
    }

    #[test]
    fn origins_with_more_than_an_origin_are_refused() {
        for (text, why) in [
            ("https://a.example/oauth", "no path"),
            ("https://a.example/?x=1", "no path, query"),
            ("https://a.example/#top", "no path, query or fragment"),
            ("https://user:pw@a.example", "no user name"),
            ("ftp://a.example", "only http and https"),
            ("a.example", "relative URL"),
            ("", "relative URL"),
            ("file:///etc/passwd", "only http and https"),
        ] {
            let err = Origin::parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn urls_match_on_scheme_host_and_port_exactly() {
        let grant = OutboundHttp {
            allow: vec![
                Origin::parse("https://accounts.example.com").unwrap(),
                Origin::parse("http://127.0.0.1:9000").unwrap(),
            ],
            ..OutboundHttp::default()
        };
        for allowed in [
            "https://accounts.example.com/.well-known/openid-configuration",
            "https://ACCOUNTS.example.com:443/token?x=1",
            "http://127.0.0.1:9000/",
            "http://127.0.0.1:9000/path",
        ] {
            assert!(grant.allows(&url(allowed)), "{allowed}");
        }
        for refused in [
            "http://accounts.example.com/",
            "https://accounts.example.com:8443/",
            "https://evil.accounts.example.com/",
            "https://accounts.example.com.evil.example/",
            "https://127.0.0.1:9000/",
            "http://127.0.0.1:9001/",
            "http://localhost:9000/",
            "http://[::1]:9000/",
            "ftp://accounts.example.com/",
        ] {
            assert!(!grant.allows(&url(refused)), "{refused}");
        }
        assert!(!OutboundHttp::default().allows(&url("https://accounts.example.com/")));
    }

    #[test]
    fn defaults_grant_nothing() {
        let grant = OutboundHttp::default();
        assert!(grant.allow.is_empty());
        assert!(!grant.allow_private);
        assert_eq!(grant.timeout, Duration::from_secs(10));
        assert_eq!(grant.max_response_bytes.bytes(), 1 << 20);
    }
}
