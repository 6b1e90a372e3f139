//! The outbound-http capability end to end: the hostile fixture's `fetch` mode sends a GET on
//! a plugin's behalf to a small HTTP server on loopback, and reports what came back.

use crate::harness::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The response cap granted to the `open` plugin.
const CAP: usize = 64 * 1024;
const GREETING: &str = "hello from the upstream server";

/// A one-thread-per-connection HTTP/1.1 server with a fixed route per path.
struct Upstream {
    port: u16,
    /// How often `/target` (where `/redirect` points), `/cacheable` and `/ok` were asked for.
    hits: Arc<Hits>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let all_hits = Arc::new(Hits::default());
        let hits = all_hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let hits = hits.clone();
                std::thread::spawn(move || serve(stream, port, &hits));
            }
        });
        Upstream {
            port,
            hits: all_hits,
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

#[derive(Default)]
struct Hits {
    target: AtomicUsize,
    cacheable: AtomicUsize,
    ok: AtomicUsize,
}

fn serve(mut stream: TcpStream, port: u16, hits: &Hits) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    let (status, extra, body) = match path.as_str() {
        "/ok" => {
            hits.ok.fetch_add(1, Ordering::SeqCst);
            ("200 OK", String::new(), GREETING.as_bytes().to_vec())
        }
        "/cacheable" => {
            hits.cacheable.fetch_add(1, Ordering::SeqCst);
            (
                "200 OK",
                "Cache-Control: public, max-age=300\r\n".to_string(),
                GREETING.as_bytes().to_vec(),
            )
        }
        "/redirect" => (
            "302 Found",
            format!("Location: http://127.0.0.1:{port}/target\r\n"),
            Vec::new(),
        ),
        "/target" => {
            hits.target.fetch_add(1, Ordering::SeqCst);
            ("200 OK", String::new(), b"followed".to_vec())
        }
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            ("200 OK", String::new(), b"too late".to_vec())
        }
        "/exactly-cap" => ("200 OK", String::new(), vec![b'x'; CAP]),
        "/over-cap" => ("200 OK", String::new(), vec![b'x'; CAP + 1]),
        _ => ("404 Not Found", String::new(), Vec::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// Three fetchers over one upstream: `closed` holds no grant, `public` a grant without
/// `allow_private`, `open` a grant that may reach loopback.
fn start(work: &Workdir, upstream: &Upstream) -> Server {
    let hostile = plugin("hostile");
    let origin = upstream.origin();
    let cfg = work.write(
        "kratos.yml",
        &format!(
            r#"
plugins:
  call_timeout: 5s
  factors:
    - path: {hostile}
      config: {{ id: closed, mode: fetch }}
    - path: {hostile}
      config: {{ id: public, mode: fetch }}
      outbound_http:
        allow: ["{origin}"]
    - path: {hostile}
      config: {{ id: open, mode: fetch }}
      outbound_http:
        allow: ["{origin}"]
        allow_private: true
        timeout: 500ms
        max_response_bytes: {CAP}
"#,
            hostile = hostile.display(),
        ),
    );
    Server::start_with(
        work,
        Options {
            config: Some(&cfg),
            env: vec![("LOG_LEVEL", "debug".into())],
            ..Default::default()
        },
    )
}

/// What the fixture `method` reports after fetching `url`.
fn fetch(server: &Server, method: &str, url: &str) -> String {
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    let resp = server.post_json(
        &format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        ),
        &json!({ "method": method, "url": url }),
    );
    assert_eq!(resp.status, 400, "{}", resp.body);
    resp.body["ui"]["messages"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {}", resp.body))
        .to_string()
}

#[test]
fn outbound_http_is_granted_per_plugin_and_checked() {
    let upstream = Upstream::start();
    let work = Workdir::new();
    let server = start(&work, &upstream);
    let origin = upstream.origin();

    // No grant: refused, naming the origin.
    assert_eq!(
        fetch(&server, "closed", &upstream.url("/ok")),
        format!("error not-allowed {origin}")
    );
    // Granted, but the origin is loopback and allow_private is off.
    assert_eq!(
        fetch(&server, "public", &upstream.url("/ok")),
        format!("error not-allowed {origin}")
    );
    // Another origin than the granted one (another port) is refused before any connection.
    let elsewhere = format!("http://127.0.0.1:{}/ok", upstream.port.wrapping_add(1));
    assert!(
        fetch(&server, "open", &elsewhere).starts_with("error not-allowed"),
        "{elsewhere}"
    );
    // Granted with allow_private: the body arrives.
    assert_eq!(
        fetch(&server, "open", &upstream.url("/ok")),
        format!(
            "status 200 location - bytes {} body {GREETING}",
            GREETING.len()
        )
    );
    // A 4xx is an answer, not an error.
    assert!(fetch(&server, "open", &upstream.url("/missing")).starts_with("status 404 "));
    assert!(
        fetch(&server, "open", "gopher://127.0.0.1/").starts_with("error invalid-request"),
        "only http and https"
    );

    let log = server.log();
    assert!(log.contains("outbound request"), "{log}");
    assert!(
        !log.contains(GREETING),
        "response bodies stay out of the log: {log}"
    );
}

#[test]
fn redirects_come_back_unfollowed() {
    let upstream = Upstream::start();
    let work = Workdir::new();
    let server = start(&work, &upstream);
    assert_eq!(
        fetch(&server, "open", &upstream.url("/redirect")),
        format!(
            "status 302 location http://127.0.0.1:{}/target bytes 0 body ",
            upstream.port
        )
    );
    assert_eq!(upstream.hits.target.load(Ordering::SeqCst), 0);
}

#[test]
fn slow_and_oversized_responses_are_cut_off() {
    let upstream = Upstream::start();
    let work = Workdir::new();
    let server = start(&work, &upstream);

    assert_eq!(
        fetch(&server, "open", &upstream.url("/slow")),
        "error timeout"
    );
    assert_eq!(
        fetch(&server, "open", &upstream.url("/over-cap")),
        "error too-large"
    );
    assert!(
        fetch(&server, "open", &upstream.url("/exactly-cap"))
            .starts_with(&format!("status 200 location - bytes {CAP} ")),
        "a body of exactly the cap is delivered"
    );
    // The host is fine afterwards.
    assert_eq!(server.get("/health/alive").status, 200);
}

#[test]
fn plugin_check_reports_the_outbound_grant() {
    let work = Workdir::new();
    let hostile = plugin("hostile");
    let check = |config: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(binary());
        cmd.args(["plugin", "check", hostile.to_str().unwrap()]);
        if let Some(config) = config {
            cmd.arg("-c").arg(config);
        }
        let out = cmd
            .current_dir(work.path())
            .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
            .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        text
    };

    let out = check(None);
    assert!(
        out.contains("outbound:     imports outbound-http; no plugins.factors entry"),
        "{out}"
    );

    let cfg = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors:\n    - path: {}\n      outbound_http:\n        allow: [\"https://accounts.example.com:443\"]\n",
            hostile.display()
        ),
    );
    let out = check(Some(&cfg));
    assert!(
        out.contains(
            "plugins.factors[0] grants https://accounts.example.com (private addresses refused)"
        ),
        "{out}"
    );
}

#[test]
fn responses_marked_cacheable_are_reused_within_the_grant() {
    let upstream = Upstream::start();
    let work = Workdir::new();
    let server = start(&work, &upstream);
    let cacheable = upstream.url("/cacheable");
    for _ in 0..3 {
        assert!(fetch(&server, "open", &cacheable).starts_with("status 200"));
    }
    assert_eq!(upstream.hits.cacheable.load(Ordering::SeqCst), 1);
    // Without Cache-Control every request goes out.
    for _ in 0..2 {
        assert!(fetch(&server, "open", &upstream.url("/ok")).starts_with("status 200"));
    }
    assert_eq!(upstream.hits.ok.load(Ordering::SeqCst), 2);
    // Another plugin does not read the first one's cache, and its grant still applies.
    assert_eq!(
        fetch(&server, "public", &cacheable),
        format!("error not-allowed {}", upstream.origin())
    );
}
