//! Starting and stopping a real server, and a small HTTP client that never hides a status.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_latchkey"))
}

/// Where `make plugins` puts the components (it exports `LATCHKEY_PLUGIN_DIR`).
pub fn plugin_dir() -> PathBuf {
    let dir = std::env::var_os("LATCHKEY_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
    assert!(
        dir.join("password.wasm").exists(),
        "{} has no password.wasm: run `make plugins` (or `make test`) first",
        dir.display()
    );
    dir.canonicalize().unwrap()
}

pub fn plugin(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}

/// The Python with the test peers installed: `make test` prepares a virtual environment under
/// `target/` from tests/requirements.txt and names it in `LATCHKEY_TEST_PYTHON`.
pub fn python() -> std::process::Command {
    let python = std::env::var_os("LATCHKEY_TEST_PYTHON").unwrap_or_else(|| "python3".into());
    std::process::Command::new(python)
}

/// A loopback port no other server of this test run has been given.
///
/// Asking the kernel for port 0 and closing the socket races: the kernel hands the same
/// ephemeral port to the next socket that asks, an outgoing connection or a peer binding port
/// 0, before the server that was meant to have it binds it. Ports below the kernel's ephemeral
/// range are only ever taken by an explicit bind, so each one handed out here is picked from
/// that range in turn (from a start that differs per process, for test binaries running side
/// by side), and skipped when something already listens on it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 10_000;
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let span = ephemeral_start.saturating_sub(FIRST).max(1_000);
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % span,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A server's working directory: its database, compile cache and config live here, so a
/// test can stop the server and start another on the same data.
pub struct Workdir {
    pub dir: tempfile::TempDir,
    dsn: String,
}

impl Workdir {
    pub fn new() -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        let dsn = crate::database::fresh(dir.path());
        Workdir { dir, dsn }
    }

    /// A directory whose database is on the run's PostgreSQL whatever the run uses, for tests
    /// of several servers sharing one database.
    pub fn on_postgres() -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        let dsn = crate::database::fresh_postgres();
        Workdir { dir, dsn }
    }

    /// The DSN of this directory's database: its SQLite file, or its own database on the run's
    /// PostgreSQL (see `database`).
    pub fn dsn(&self) -> &str {
        &self.dsn
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

pub struct Server {
    child: Child,
    pub public: String,
    pub admin: String,
    log: Arc<Mutex<String>>,
}

#[derive(Default)]
pub struct Options<'a> {
    pub config: Option<&'a Path>,
    pub env: Vec<(&'a str, String)>,
    /// Start without `--dev` (cookies get `Secure`).
    pub no_dev: bool,
    /// Listen publicly on this port (for peers that must know the URL before start-up, such
    /// as an OpenID provider's registered redirect URI); a free one otherwise.
    pub public_port: Option<u16>,
    /// Serve the built-in pages. Off by default here, so that a browser flow redirects to the
    /// flow's JSON as it does without a UI, which is what most tests read.
    pub builtin_ui: bool,
}

impl Server {
    pub fn start(work: &Workdir) -> Server {
        Server::start_with(work, Options::default())
    }

    /// A server reading `config` (a file in `work`), otherwise as [`Server::start`].
    pub fn with_config(work: &Workdir, config: &Path) -> Server {
        Server::start_with(
            work,
            Options {
                config: Some(config),
                ..Default::default()
            },
        )
    }

    pub fn start_with(work: &Workdir, opts: Options) -> Server {
        let (public_port, admin_port) = (opts.public_port.unwrap_or_else(free_port), free_port());
        let mut cmd = Command::new(binary());
        cmd.arg("serve");
        if !opts.no_dev {
            cmd.arg("--dev");
        }
        if let Some(config) = opts.config {
            cmd.arg("-c").arg(config);
        }
        cmd.current_dir(work.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
            .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
            .env("DSN", work.dsn())
            .env("SERVE_PUBLIC_PORT", public_port.to_string())
            .env("SERVE_ADMIN_PORT", admin_port.to_string())
            .env("LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !opts.builtin_ui {
            cmd.env("UI_ENABLED", "false");
        }
        if opts.config.is_none() {
            // Hermetic: the breached-password check would ask api.pwnedpasswords.com. The
            // offline list still applies; tests/blackbox/password_policy.rs covers the rest
            // against a range server on loopback.
            cmd.env(
                "SELFSERVICE_METHODS_PASSWORD_CONFIG",
                r#"{"haveibeenpwned_enabled": false}"#,
            );
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("starting latchkey");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let server = Server {
            child,
            public: format!("http://127.0.0.1:{public_port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
            log,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(resp) = ureq::get(&format!("{}/health/ready", self.public))
                .timeout(Duration::from_millis(500))
                .call()
                && resp.status() == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("latchkey did not become ready; its log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process without letting it clean up, like a crash or `kill -9`.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn get(&self, path: &str) -> Resp {
        send(ureq::get(&self.url(path)), None)
    }

    pub fn get_with_token(&self, path: &str, token: &str) -> Resp {
        send(
            ureq::get(&self.url(path)).set("X-Session-Token", token),
            None,
        )
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        send(ureq::post(&self.url(path)), Some(body))
    }

    /// Starts an API registration flow and submits email + password.
    pub fn register(&self, email: &str, password: &str) -> Resp {
        let flow = self.get("/self-service/registration/api");
        assert_eq!(flow.status, 200, "{}", flow.body);
        self.post_json(
            &format!(
                "/self-service/registration?flow={}",
                flow.body["id"].as_str().unwrap()
            ),
            &json!({ "method": "password", "traits": { "email": email }, "password": password }),
        )
    }

    pub fn login(&self, identifier: &str, password: &str) -> Resp {
        let flow = self.get("/self-service/login/api");
        assert_eq!(flow.status, 200, "{}", flow.body);
        self.post_json(
            &format!(
                "/self-service/login?flow={}",
                flow.body["id"].as_str().unwrap()
            ),
            &json!({ "method": "password", "identifier": identifier, "password": password }),
        )
    }
}

/// The admin listener. Without a key the request carries no `Authorization` header.
impl Server {
    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{path}", self.admin)
    }

    /// Any method on the admin listener, with `Authorization: Bearer <key>` when `key` is
    /// given, keeping the response headers (`Link`, `Location`…).
    pub fn admin_send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> FullResp {
        let mut req = ureq::request(method, &self.admin_url(path));
        if let Some(key) = key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        send_full(req, body)
    }

    pub fn admin_get(&self, path: &str) -> Resp {
        self.admin_send("GET", path, None, None).into()
    }

    pub fn admin_post(&self, path: &str, body: &Value) -> Resp {
        self.admin_send("POST", path, None, Some(body)).into()
    }

    pub fn admin_put(&self, path: &str, body: &Value) -> Resp {
        self.admin_send("PUT", path, None, Some(body)).into()
    }

    pub fn admin_patch(&self, path: &str, body: &Value) -> Resp {
        self.admin_send("PATCH", path, None, Some(body)).into()
    }

    pub fn admin_delete(&self, path: &str) -> Resp {
        self.admin_send("DELETE", path, None, None).into()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
}

pub fn send(req: ureq::Request, body: Option<&Value>) -> Resp {
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp { status, body }
}

/// A response with its headers.
pub struct FullResp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl FullResp {
    /// Every value of the header `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl From<FullResp> for Resp {
    fn from(full: FullResp) -> Resp {
        Resp {
            status: full.status,
            body: full.body,
        }
    }
}

pub fn send_full(req: ureq::Request, body: Option<&Value>) -> FullResp {
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let mut headers = Vec::new();
    let mut names = resp.headers_names();
    names.iter_mut().for_each(|n| n.make_ascii_lowercase());
    names.sort();
    names.dedup();
    for name in names {
        for value in resp.all(&name) {
            headers.push((name.clone(), value.to_string()));
        }
    }
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    FullResp {
        status,
        body,
        headers,
    }
}

/// The Kratos error envelope: `error.code` equals the HTTP status and `error.message` is set.
pub fn assert_kratos_error(resp: &Resp, status: u16) {
    assert_eq!(
        resp.status, status,
        "unexpected status, body: {}",
        resp.body
    );
    assert_eq!(resp.body["error"]["code"], status, "body: {}", resp.body);
    assert!(
        resp.body["error"]["message"].is_string(),
        "body: {}",
        resp.body
    );
}

/// Every message id shown anywhere in a flow's UI.
pub fn message_ids(flow: &Value) -> Vec<u64> {
    let mut ids: Vec<u64> = flow["ui"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_u64())
        .collect();
    for node in flow["ui"]["nodes"].as_array().into_iter().flatten() {
        ids.extend(
            node["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["id"].as_u64()),
        );
    }
    ids
}

/// A browser: keeps cookies, does not follow redirects (tests look at each 303).
pub struct Browser {
    agent: ureq::Agent,
    pub base: String,
}

pub struct BrowserResp {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: Value,
    /// Every response header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl BrowserResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (a page, or JSON re-serialised).
    pub fn text(&self) -> String {
        match &self.body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl Browser {
    pub fn new(server: &Server) -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: server.public.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn finish(result: Result<ureq::Response, ureq::Error>) -> BrowserResp {
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = resp.status();
        let location = resp.header("location").map(str::to_owned);
        let set_cookies = resp
            .all("set-cookie")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut names = resp.headers_names();
        names.iter_mut().for_each(|n| n.make_ascii_lowercase());
        names.sort();
        names.dedup();
        let mut headers = Vec::new();
        for name in names {
            for value in resp.all(&name) {
                headers.push((name.clone(), value.to_string()));
            }
        }
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        BrowserResp {
            status,
            location,
            set_cookies,
            body,
            headers,
        }
    }

    /// A page load (no JSON accept header).
    pub fn visit(&self, path: &str) -> BrowserResp {
        Self::finish(self.agent.get(&self.url(path)).call())
    }

    /// A page load as a browser makes it, asking for HTML.
    pub fn visit_page(&self, path: &str) -> BrowserResp {
        Self::finish(
            self.agent
                .get(&self.url(path))
                .set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
                .call(),
        )
    }

    /// An SPA's fetch: `Accept: application/json`.
    pub fn fetch(&self, path: &str) -> BrowserResp {
        Self::finish(
            self.agent
                .get(&self.url(path))
                .set("Accept", "application/json")
                .call(),
        )
    }

    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> BrowserResp {
        Self::finish(self.agent.post(&self.url(path)).send_form(fields))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> BrowserResp {
        Self::finish(
            self.agent
                .post(&self.url(path))
                .set("Accept", "application/json")
                .send_json(body.clone()),
        )
    }

    /// A cookie's value from this browser's jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = url_of(&self.base);
        self.agent
            .cookie_store()
            .get(url.host_str()?, "/", name)
            .map(|c| c.value().to_string())
    }

    /// Starts a browser flow the way a page does and reads it back as its UI would.
    pub fn start_flow(&self, kind: &str) -> Value {
        let started = self.visit(&format!("/self-service/{kind}/browser"));
        assert_eq!(started.status, 303, "{}", started.body);
        let ui = started.location.expect("a redirect to the UI");
        let flow = self.fetch(&ui);
        assert_eq!(flow.status, 200, "{}", flow.body);
        flow.body
    }
}

fn url_of(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// The `csrf_token` node's value.
pub fn csrf_of(flow: &Value) -> String {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "csrf_token")
        .and_then(|n| n["attributes"]["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

pub fn action_of(flow: &Value) -> String {
    flow["ui"]["action"].as_str().unwrap().to_string()
}

/// Registers email + password through the browser registration form.
pub fn register_in_browser(browser: &Browser, email: &str, password: &str) -> BrowserResp {
    let flow = browser.start_flow("registration");
    let csrf = csrf_of(&flow);
    assert!(!csrf.is_empty(), "browser flows carry a CSRF token");
    browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf),
            ("method", "password"),
            ("traits.email", email),
            ("password", password),
        ],
    )
}

/// The TOTP code pyotp computes for `secret` at now + `offset_secs`.
pub fn oracle_code(secret: &str, offset_secs: i64) -> String {
    let out = python()
        .args([
            "-c",
            "import pyotp, sys, time; print(pyotp.TOTP(sys.argv[1]).at(time.time() + int(sys.argv[2])))",
            secret,
            &offset_secs.to_string(),
        ])
        .output()
        .expect("python3 must be installed (`make test` prepares it)");
    assert!(
        out.status.success(),
        "pyotp failed (pip install -r tests/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The SMTP peer (tests/peers/smtp): a real SMTP server on loopback that keeps every mail it
/// receives. Stopped when dropped.
pub struct SmtpPeer {
    child: Option<std::process::Child>,
    pub port: u16,
    mails: PathBuf,
    args: Vec<String>,
}

/// One mail the peer received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub headers: Value,
    pub tls: bool,
    pub authenticated: bool,
}

impl SmtpPeer {
    /// `tls` is `plain`, `starttls` or `implicit`; `auth` is `user:password` when the peer
    /// refuses mail from clients that did not log in.
    pub fn start(work: &Workdir, tls: &str, auth: Option<&str>) -> SmtpPeer {
        let mut args = vec!["--tls".to_string(), tls.to_string()];
        if let Some(auth) = auth {
            args.extend(["--auth".to_string(), auth.to_string()]);
        }
        let mut peer = SmtpPeer {
            child: None,
            port: 0,
            mails: work.path().join(format!("mails-{}.jsonl", free_port())),
            args,
        };
        peer.spawn(None);
        peer
    }

    fn spawn(&mut self, port: Option<u16>) {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/smtp/server.py");
        let mut command = python();
        command.arg(script).arg(&self.mails).args(&self.args);
        if let Some(port) = port {
            command.args(["--port", &port.to_string()]);
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting the SMTP peer (Python with aiosmtpd: make test-deps)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        self.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP peer said {line:?}"));
        self.child = Some(child);
    }

    /// Stops the peer: connections to its port are refused until [`SmtpPeer::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the peer again on the port it had, keeping the mails received so far.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(Some(self.port));
    }

    /// The file the peer writes each mail it receives to, one JSON object a line, for a
    /// client in another process to read.
    pub fn mail_file(&self) -> &std::path::Path {
        &self.mails
    }

    /// Every mail received so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        std::fs::read_to_string(&self.mails)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).expect("a JSON line");
                let text = |key: &str| v[key].as_str().unwrap_or_default().to_string();
                Mail {
                    to: text("to"),
                    from: text("from"),
                    subject: text("subject"),
                    text: text("text").replace("\r\n", "\n"),
                    html: v["html"].as_str().map(str::to_owned),
                    headers: v["headers"].clone(),
                    tls: v["tls"] == true,
                    authenticated: v["authenticated"] == true,
                }
            })
            .collect()
    }

    /// Waits up to `timeout` for at least `count` mails, and returns them all.
    pub fn wait_for_mails(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let mails = self.mails();
            if mails.len() >= count || Instant::now() >= deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.stop();
    }
}
