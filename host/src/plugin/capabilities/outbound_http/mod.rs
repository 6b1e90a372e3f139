//! The `outbound-http` capability: one HTTP exchange on behalf of a plugin, within its grant.
//!
//! The order of the checks is the point: the URL's origin must be granted; its name is
//! resolved here, and every address it resolves to must be public (unless the grant allows
//! private ones); the connection then goes to exactly those checked addresses, so a second
//! DNS answer cannot point the request somewhere else. Redirects are handed back to the
//! plugin, never followed, so they cannot leave the grant either.
//!
//! Bodies and header values are never logged: they carry tokens and client secrets.

mod address;
mod cache;

use super::{Call, Capability, Importer, Setup};
use crate::config::{Config, Origin, OutboundHttp, PluginEntry, grant_is_optional};
use crate::plugin::bindings::latchkey::host::outbound_http::{self, Error, Request, Response};
use crate::plugin::call_state::CallState;
use address::non_public;
use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use url::{Host, Url};
use wasmtime::component::{HasSelf, Linker};

/// One call's view: which plugin asks, what its entry grants, and when the call ends.
pub(crate) struct State {
    plugin: Arc<str>,
    grant: Arc<OutboundHttp>,
    deadline: Option<Instant>,
}

impl Capability for State {
    const INTERFACE: &'static str = "outbound-http";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    /// The `outbound_http` section of the plugin's `plugins.factors` entry.
    type Grant = Arc<OutboundHttp>;

    fn grant(setup: &Setup) -> Arc<OutboundHttp> {
        Arc::new(setup.outbound_http.clone())
    }

    fn prepare(grant: &Arc<OutboundHttp>, call: &Call<'_>) -> State {
        State {
            plugin: call.plugin.clone(),
            grant: grant.clone(),
            deadline: call.deadline,
        }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        outbound_http::add_to_linker::<_, HasSelf<State>>(linker, state)
    }

    fn check_grant(
        config: &Config,
        path: &Path,
        method: &str,
        import: &str,
    ) -> anyhow::Result<Option<String>> {
        let grant = check_grant(config, path, method, import)?;
        Ok(Some(format!(
            "outbound:     imports outbound-http; {grant}"
        )))
    }
}

impl outbound_http::Host for State {
    fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, Error>> {
        Ok(send(&self.plugin, &self.grant, self.deadline, req))
    }
}

/// What `config` lets the factor in `path` reach over HTTP: the `plugins.factors` entries that
/// load this file and the origins each grants. An entry that loads it and grants nothing is an
/// error: every request the plugin makes would be refused. A file no entry loads is only
/// described, since the check cannot know the grant it will be given.
fn check_grant(config: &Config, path: &Path, method: &str, import: &str) -> anyhow::Result<String> {
    let wanted = path.canonicalize().ok();
    let entries: Vec<(usize, &PluginEntry)> = config
        .plugins
        .factors
        .iter()
        .enumerate()
        .filter(|(_, entry)| wanted.is_some() && entry.path.canonicalize().ok() == wanted)
        .collect();
    if entries.is_empty() {
        return Ok(
            "no plugins.factors entry loads this file, so every request would be refused".into(),
        );
    }
    let mut grants = Vec::new();
    for (index, entry) in entries {
        let key = config.plugins.factor_key(index);
        let grant = &config.factor_grant(entry, method);
        if grant.allow.is_empty() && grant_is_optional(method) {
            grants.push(format!(
                "{key} grants no origin, which method `{method}` does without"
            ));
            continue;
        }
        if grant.allow.is_empty() {
            anyhow::bail!(
                "the component imports `{import}`, but {key}, which loads it, grants no origin: every request it makes would be refused with `not-allowed`. Add the origins it needs to that entry, e.g. `outbound_http: {{ allow: [\"https://accounts.example.com\"] }}` (see docs/configuration.md)"
            );
        }
        let origins: Vec<String> = grant.allow.iter().map(ToString::to_string).collect();
        grants.push(format!(
            "{key} grants {} ({})",
            origins.join(", "),
            if grant.allow_private {
                "private addresses allowed"
            } else {
                "private addresses refused"
            }
        ));
    }
    Ok(grants.join("; "))
}

/// Request headers the host owns: they frame the message or the connection, and a plugin
/// that set them could make one request look like two.
const HOST_OWNED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "proxy-connection",
];

const USER_AGENT: &str = concat!("latchkey/", env!("CARGO_PKG_VERSION"));

/// Sends `req` for the plugin `plugin` under `grant`. `call_deadline` is when the plugin's
/// own call runs out of time: the exchange never outlives it.
fn send(
    plugin: &str,
    grant: &OutboundHttp,
    call_deadline: Option<Instant>,
    req: Request,
) -> Result<Response, Error> {
    let started = Instant::now();
    let method = req.method.clone();
    let origin = Url::parse(&req.url)
        .ok()
        .and_then(|url| Origin::of(&url))
        .map(|origin| origin.to_string())
        .unwrap_or_default();
    let result = exchange(plugin, grant, deadline(grant, call_deadline, started), req);
    let ms = started.elapsed().as_millis() as u64;
    match &result {
        Ok(resp) => tracing::debug!(
            plugin,
            method,
            origin,
            status = resp.status,
            ms,
            "outbound request"
        ),
        Err(err) => tracing::debug!(
            plugin,
            method,
            origin,
            error = describe(err),
            ms,
            "outbound request failed"
        ),
    }
    result
}

/// The configured timeout, cut short by the plugin call's own deadline.
fn deadline(grant: &OutboundHttp, call_deadline: Option<Instant>, now: Instant) -> Instant {
    let own = now + grant.timeout;
    call_deadline.map_or(own, |call| own.min(call))
}

fn exchange(
    plugin: &str,
    grant: &OutboundHttp,
    deadline: Instant,
    req: Request,
) -> Result<Response, Error> {
    let url = parse_url(&req.url)?;
    check_method(&req.method)?;
    let headers = check_headers(req.headers)?;
    let origin = Origin::of(&url).ok_or_else(|| invalid("the URL has no host"))?;
    if !grant.allows(&url) {
        return Err(Error::NotAllowed(origin.to_string()));
    }
    let cache_key = cache::key(plugin, &req.method, url.as_str(), &headers, &req.body);
    if let Some(hit) = cache_key.as_ref().and_then(cache::lookup) {
        return Ok(hit);
    }

    let host = url.host().ok_or_else(|| invalid("the URL has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| invalid("the URL has no port"))?;
    let addrs = resolve(host, port, deadline)?;
    if !grant.allow_private {
        for addr in &addrs {
            if let Some(reason) = non_public(addr.ip()) {
                tracing::debug!(
                    %origin,
                    address = %addr.ip(),
                    reason,
                    "outbound request refused: the origin resolves to a non-public address and allow_private is off"
                );
                return Err(Error::NotAllowed(origin.to_string()));
            }
        }
    }

    let remaining = time_left(deadline)?;
    let checked = addrs.clone();
    let agent = ureq::AgentBuilder::new()
        // The only addresses this agent can connect to are the ones checked above.
        .resolver(move |_: &str| Ok(checked.clone()))
        .redirects(0)
        .try_proxy_from_env(false)
        .max_idle_connections(0)
        .user_agent(USER_AGENT)
        .timeout(remaining)
        .build();
    let mut request = agent.request_url(&req.method, &url);
    for (name, value) in &headers {
        request = request.set(name, value);
    }
    let sent = if req.body.is_empty() {
        request.call()
    } else {
        request.send_bytes(&req.body)
    };
    let resp = match sent {
        Ok(resp) => resp,
        // 4xx and 5xx are answers too; the plugin decides what they mean.
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(ureq::Error::Transport(transport)) => {
            return Err(transport_error(&transport, deadline));
        }
    };

    let status = resp.status();
    let mut response_headers = Vec::new();
    for name in resp.headers_names() {
        for value in resp.all(&name) {
            response_headers.push((name.clone(), value.to_owned()));
        }
    }
    let cap = grant.max_response_bytes.bytes();
    let mut body = Vec::new();
    // One byte past the cap tells "exactly the cap" from "more than the cap" without reading
    // the rest.
    resp.into_reader()
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|err| io_error(&err, deadline))?;
    if body.len() as u64 > cap {
        return Err(Error::TooLarge);
    }
    let response = Response {
        status,
        headers: response_headers,
        body,
    };
    if let Some(key) = cache_key {
        cache::store(key, &response);
    }
    Ok(response)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(message.into())
}

fn parse_url(text: &str) -> Result<Url, Error> {
    let url = Url::parse(text).map_err(|e| invalid(format!("invalid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "unsupported URL scheme `{}`: only http and https",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials in the URL are not supported; send an Authorization header",
        ));
    }
    Ok(url)
}

/// RFC 9110 `tchar`: what a method or a header name may be made of.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_method(method: &str) -> Result<(), Error> {
    if is_token(method) {
        Ok(())
    } else {
        Err(invalid(format!("invalid method {method:?}")))
    }
}

/// Validates the plugin's headers and joins repeated names into one comma-separated value.
fn check_headers(headers: Vec<(String, String)>) -> Result<Vec<(String, String)>, Error> {
    let mut checked: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if !is_token(&name) {
            return Err(invalid(format!("invalid header name {name:?}")));
        }
        // The value is not quoted back: it may be a credential.
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(invalid(format!(
                "the value of header `{name}` contains a control character"
            )));
        }
        let lower = name.to_ascii_lowercase();
        if HOST_OWNED_HEADERS.contains(&lower.as_str()) {
            return Err(invalid(format!(
                "header `{name}` is set by the host, not the plugin"
            )));
        }
        match checked
            .iter_mut()
            .find(|(seen, _)| seen.eq_ignore_ascii_case(&name))
        {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value.trim());
            }
            None => checked.push((name, value.trim().to_owned())),
        }
    }
    Ok(checked)
}

fn time_left(deadline: Instant) -> Result<Duration, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::Timeout)
    } else {
        Ok(left)
    }
}

/// The addresses `host` stands for. Names are resolved on a helper thread so that a slow
/// resolver counts against the deadline like everything else.
fn resolve(host: Host<&str>, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    let name = match host {
        Host::Ipv4(ip) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
        Host::Ipv6(ip) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
        Host::Domain(name) => name.to_owned(),
    };
    let remaining = time_left(deadline)?;
    let (tx, rx) = mpsc::channel();
    let lookup = name.clone();
    std::thread::Builder::new()
        .name("latchkey-dns".into())
        .spawn(move || {
            let answer = (lookup.as_str(), port)
                .to_socket_addrs()
                .map(|addrs| addrs.collect::<Vec<_>>());
            // The caller may have given up; then nobody listens.
            let _ = tx.send(answer);
        })
        .map_err(|e| Error::Transport(format!("cannot start a DNS lookup: {e}")))?;
    match rx.recv_timeout(remaining) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Error::Transport(format!("`{name}` has no address"))),
        Ok(Err(e)) => Err(Error::Transport(format!("cannot resolve `{name}`: {e}"))),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Timeout),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Transport(format!(
            "the DNS lookup of `{name}` failed"
        ))),
    }
}

/// A connection, TLS or protocol failure, or the deadline. The URL is left out of the message:
/// its query may hold a secret, and the plugin knows which URL it asked for.
fn transport_error(transport: &ureq::Transport, deadline: Instant) -> Error {
    let mut source = std::error::Error::source(transport);
    let mut causes = Vec::new();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && is_timeout(io)
        {
            return Error::Timeout;
        }
        causes.push(err.to_string());
        source = err.source();
    }
    if Instant::now() >= deadline {
        return Error::Timeout;
    }
    let mut message = transport.kind().to_string();
    if let Some(detail) = transport.message() {
        message.push_str(": ");
        message.push_str(detail);
    }
    for cause in causes {
        message.push_str(": ");
        message.push_str(&cause);
    }
    Error::Transport(message)
}

fn io_error(err: &std::io::Error, deadline: Instant) -> Error {
    if is_timeout(err) || Instant::now() >= deadline {
        Error::Timeout
    } else {
        Error::Transport(format!("reading the response: {err}"))
    }
}

fn is_timeout(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// An error as the log shows it.
fn describe(err: &Error) -> String {
    match err {
        Error::NotAllowed(origin) => format!("not-allowed ({origin})"),
        Error::Timeout => "timeout".into(),
        Error::TooLarge => "too-large".into(),
        Error::Transport(message) => format!("transport ({message})"),
        Error::InvalidRequest(message) => format!("invalid-request ({message})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    fn grant(allow: &[&str], allow_private: bool) -> OutboundHttp {
        OutboundHttp {
            allow: allow.iter().map(|o| Origin::parse(o).unwrap()).collect(),
            allow_private,
            ..OutboundHttp::default()
        }
    }

    fn send_to(grant: &OutboundHttp, req: Request) -> Result<Response, Error> {
        send("test", grant, None, req)
    }

    #[test]
    fn without_a_grant_every_origin_is_refused_by_name() {
        let err = send_to(
            &OutboundHttp::default(),
            request(
                "GET",
                "https://accounts.example.com:443/x?token=secret",
                &[],
            ),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::NotAllowed(o) if o == "https://accounts.example.com"),
            "{}",
            describe(&err)
        );
    }

    #[test]
    fn private_addresses_need_allow_private() {
        let grant = grant(&["http://127.0.0.1:9", "http://[::1]:9"], false);
        for url in ["http://127.0.0.1:9/", "http://[::1]:9/"] {
            let err = send_to(&grant, request("GET", url, &[])).unwrap_err();
            assert!(
                matches!(err, Error::NotAllowed(_)),
                "{url}: {}",
                describe(&err)
            );
        }
    }

    #[test]
    fn malformed_requests_are_invalid() {
        let grant = grant(&["https://accounts.example.com"], false);
        for (method, url, headers) in [
            ("GET", "not a url", vec![]),
            ("GET", "ftp://accounts.example.com/", vec![]),
            ("GET", "https://user:pw@accounts.example.com/", vec![]),
            ("GE T", "https://accounts.example.com/", vec![]),
            ("", "https://accounts.example.com/", vec![]),
            (
                "GET",
                "https://accounts.example.com/",
                vec![("bad name", "x")],
            ),
            (
                "GET",
                "https://accounts.example.com/",
                vec![("X-A", "a\r\nX-B: b")],
            ),
            (
                "GET",
                "https://accounts.example.com/",
                vec![("Host", "other.example")],
            ),
            (
                "POST",
                "https://accounts.example.com/",
                vec![("Content-Length", "0")],
            ),
            (
                "POST",
                "https://accounts.example.com/",
                vec![("Transfer-Encoding", "chunked")],
            ),
        ] {
            let err = send_to(&grant, request(method, url, &headers)).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest(_)),
                "{method} {url} {headers:?}: {}",
                describe(&err)
            );
        }
    }

    #[test]
    fn header_values_are_not_quoted_in_errors() {
        let grant = grant(&["https://accounts.example.com"], false);
        let req = request(
            "GET",
            "https://accounts.example.com/",
            &[("Authorization", "Bearer top-secret\n")],
        );
        let Err(Error::InvalidRequest(message)) = send_to(&grant, req) else {
            panic!("expected invalid-request");
        };
        assert!(!message.contains("top-secret"), "{message}");
    }

    #[test]
    fn repeated_headers_are_joined() {
        let headers = check_headers(vec![
            ("Accept".into(), "text/plain".into()),
            ("X-Trace".into(), "1".into()),
            ("accept".into(), " application/json ".into()),
        ])
        .unwrap();
        assert_eq!(
            headers,
            [
                (
                    "Accept".to_string(),
                    "text/plain, application/json".to_string()
                ),
                ("X-Trace".to_string(), "1".to_string()),
            ]
        );
    }

    #[test]
    fn the_call_deadline_caps_the_timeout() {
        let now = Instant::now();
        let grant = OutboundHttp::default();
        assert_eq!(deadline(&grant, None, now), now + Duration::from_secs(10));
        let soon = now + Duration::from_millis(300);
        assert_eq!(deadline(&grant, Some(soon), now), soon);
        // A call already out of time does not start an exchange.
        let grant = self::grant(&["http://127.0.0.1:9"], true);
        let err = send(
            "test",
            &grant,
            Some(now),
            request("GET", "http://127.0.0.1:9/", &[]),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Timeout), "{}", describe(&err));
    }
}
