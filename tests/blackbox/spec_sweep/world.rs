//! The one server every probe talks to, and the state probes need: identities, sessions
//! (by token and by cookie) and flows of each kind, made through the API as a client would.

use super::request::{Answer, Listener, Request};
use crate::harness::{Options, Server, Workdir};
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub const ADMIN_KEY: &str = "sweep-admin-key-0123456789abcdef";
pub const PASSWORD: &str = "Sweep-horse-battery-7731";
pub const CSRF_COOKIE: &str = "latchkey_csrf_token";
pub const SESSION_COOKIE: &str = "ory_kratos_session";
/// A TOTP credential as an administrator imports it (the secret is RFC 6238's test key).
pub const TOTP_URL: &str =
    "otpauth://totp/Sweep:sweep?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sweep";

pub struct World {
    pub server: Server,
    _work: Workdir,
    counter: AtomicU32,
    api_user: OnceLock<User>,
    browser_user: OnceLock<User>,
}

/// A signed-in identity: `token` for API clients, `cookie` (session and CSRF cookies, ready
/// for a `Cookie` header) for browsers.
#[derive(Clone, Debug)]
pub struct User {
    pub identity_id: String,
    pub email: String,
    pub session_id: String,
    pub token: Option<String>,
    pub cookie: Option<String>,
}

/// A browser flow and the `Cookie` header of the browser that started it.
pub struct BrowserFlow {
    pub flow: Value,
    pub cookie: String,
}

impl BrowserFlow {
    pub fn id(&self) -> String {
        self.flow["id"].as_str().unwrap().to_string()
    }

    pub fn csrf(&self) -> String {
        crate::harness::csrf_of(&self.flow)
    }
}

impl World {
    /// The id of a message queued in the server's database, written beside the server as a
    /// second process would: one message of a known id, whatever the flows probed so far sent.
    pub fn courier_message(&self) -> String {
        let dsn = self._work.dsn().to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let store = latchkey::store::open(&dsn).unwrap();
            let config = latchkey::config::load(&[], &|_| None).unwrap().config;
            let clock: std::sync::Arc<dyn latchkey::clock::Clock> =
                std::sync::Arc::new(latchkey::clock::SystemClock);
            let courier = latchkey::courier::Courier::new(&config.courier, clock).unwrap();
            courier
                .enqueue(
                    store.as_ref(),
                    vec![latchkey::courier::Outgoing {
                        channel: "email".into(),
                        recipient: self.email(),
                        template: latchkey::courier::TemplateType::VerificationCodeValid,
                        data: serde_json::json!({ "VerificationCode": "123456" }),
                        identity_id: None,
                    }],
                    None,
                )
                .await
                .unwrap();
            let listed = store
                .list_messages(&Default::default(), 1, None)
                .await
                .unwrap();
            listed[0].id.to_string()
        })
    }

    pub fn start() -> World {
        let work = Workdir::new();
        let server = Server::start_with(
            &work,
            Options {
                env: vec![
                    ("SERVE_ADMIN_API_KEYS", format!(r#"["{ADMIN_KEY}"]"#)),
                    // Hashing is not what the sweep is about: the cheapest argon2 keeps
                    // hundreds of sign-ins fast.
                    ("HASHERS_ARGON2_MEMORY", "64KiB".to_string()),
                    ("HASHERS_ARGON2_ITERATIONS", "1".to_string()),
                    // Browsers' errors are stored for an error UI, which getFlowError serves.
                    (
                        "SELFSERVICE_FLOWS_ERROR_UI_URL",
                        "http://127.0.0.1:4455/error".to_string(),
                    ),
                    // No courier is listening: the messages these flows send stay queued.
                    ("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true".to_string()),
                    ("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true".to_string()),
                ],
                ..Default::default()
            },
        );
        World {
            server,
            _work: work,
            counter: AtomicU32::new(0),
            api_user: OnceLock::new(),
            browser_user: OnceLock::new(),
        }
    }

    pub fn send(&self, req: &Request) -> Answer {
        req.send(&self.server.public, &self.server.admin)
    }

    pub fn email(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("sweep-{n}@example.com")
    }

    fn expect_ok(&self, req: &Request, status: u16) -> Answer {
        let answer = self.send(req);
        assert_eq!(
            answer.status,
            status,
            "setting up with {}: {}",
            req.describe(),
            answer.text
        );
        answer
    }

    /// The id of an error stored for a browser: a page load of a logout link without the
    /// session it belongs to, which Kratos sends on to the error UI.
    pub fn stored_error(&self) -> String {
        let req = Request::new(Listener::Public, "GET", "/self-service/logout")
            .query("token", "forged")
            .header("Accept", "text/html");
        let answer = self.expect_ok(&req, 303);
        let base = url::Url::parse(&self.server.public).unwrap();
        let to = base
            .join(answer.location.as_deref().expect("a redirect"))
            .unwrap();
        to.query_pairs()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.into_owned())
            .expect("the error UI is given the error's id")
    }

    /// An API flow of `kind` (`login`, `registration`, `settings`).
    pub fn api_flow(&self, kind: &str, token: Option<&str>) -> Value {
        let mut req = Request::new(Listener::Public, "GET", format!("/self-service/{kind}/api"));
        if let Some(token) = token {
            req = req.header("X-Session-Token", token);
        }
        self.expect_ok(&req, 200).json.unwrap()
    }

    /// A browser flow started as an SPA starts it; `cookie` is the browser's cookies so far.
    pub fn browser_flow(&self, kind: &str, cookie: Option<&str>) -> BrowserFlow {
        let mut req = Request::new(
            Listener::Public,
            "GET",
            format!("/self-service/{kind}/browser"),
        )
        .header("Accept", "application/json");
        if let Some(cookie) = cookie {
            req = req.header("Cookie", cookie);
        }
        let answer = self.expect_ok(&req, 200);
        let csrf = answer
            .cookie(CSRF_COOKIE)
            .or_else(|| {
                cookie.and_then(|c| {
                    c.split("; ")
                        .find(|p| p.starts_with(CSRF_COOKIE))
                        .map(str::to_owned)
                })
            })
            .expect("a browser flow comes with its CSRF cookie");
        let cookie = match cookie {
            Some(c) if c.contains(CSRF_COOKIE) => c.to_string(),
            Some(c) => format!("{c}; {csrf}"),
            None => csrf,
        };
        BrowserFlow {
            flow: answer.json.unwrap(),
            cookie,
        }
    }

    pub fn registration_body(&self, email: &str) -> Value {
        json!({ "method": "password", "traits": { "email": email }, "password": PASSWORD })
    }

    /// A new identity signed up through an API flow, with its session token.
    pub fn new_api_user(&self) -> User {
        let email = self.email();
        let flow = self.api_flow("registration", None);
        let answer = self.expect_ok(
            &Request::new(Listener::Public, "POST", "/self-service/registration")
                .query("flow", flow["id"].as_str().unwrap())
                .json(self.registration_body(&email)),
            200,
        );
        let body = answer.json.unwrap();
        User {
            identity_id: body["identity"]["id"].as_str().unwrap().to_string(),
            email,
            session_id: body["session"]["id"].as_str().unwrap().to_string(),
            token: Some(body["session_token"].as_str().unwrap().to_string()),
            cookie: None,
        }
    }

    /// Another API session of `user`'s identity.
    pub fn api_login(&self, user: &User) -> User {
        let flow = self.api_flow("login", None);
        let answer = self.expect_ok(
            &Request::new(Listener::Public, "POST", "/self-service/login")
                .query("flow", flow["id"].as_str().unwrap())
                .json(
                    json!({ "method": "password", "identifier": user.email, "password": PASSWORD }),
                ),
            200,
        );
        let body = answer.json.unwrap();
        User {
            session_id: body["session"]["id"].as_str().unwrap().to_string(),
            token: Some(body["session_token"].as_str().unwrap().to_string()),
            cookie: None,
            ..user.clone()
        }
    }

    /// A new identity signed up in a browser (as an SPA), with its cookies.
    pub fn new_browser_user(&self) -> User {
        let email = self.email();
        let flow = self.browser_flow("registration", None);
        let mut body = self.registration_body(&email);
        body["csrf_token"] = json!(flow.csrf());
        let answer = self.expect_ok(
            &Request::new(Listener::Public, "POST", "/self-service/registration")
                .query("flow", flow.id())
                .header("Accept", "application/json")
                .header("Cookie", &flow.cookie)
                .json(body),
            200,
        );
        let session = answer
            .cookie(SESSION_COOKIE)
            .expect("a browser sign-up sets the session cookie");
        let body = answer.json.unwrap();
        User {
            identity_id: body["identity"]["id"].as_str().unwrap().to_string(),
            email,
            session_id: body["session"]["id"].as_str().unwrap().to_string(),
            token: None,
            cookie: Some(format!("{}; {session}", flow.cookie)),
        }
    }

    /// An identity and session shared by probes that only read.
    pub fn api_user(&self) -> &User {
        self.api_user.get_or_init(|| self.new_api_user())
    }

    pub fn browser_user(&self) -> &User {
        self.browser_user.get_or_init(|| self.new_browser_user())
    }

    /// An identity made over the admin API (its id and email): a password, and a TOTP
    /// credential when asked.
    pub fn admin_identity(&self, with_totp: bool) -> (String, String) {
        let email = self.email();
        let mut credentials = json!({ "password": { "config": { "password": PASSWORD } } });
        if with_totp {
            credentials["totp"] = json!({ "config": { "totp_url": TOTP_URL } });
        }
        let answer = self.expect_ok(
            &Request::new(Listener::Admin, "POST", "/admin/identities")
                .header("Authorization", format!("Bearer {ADMIN_KEY}"))
                .json(json!({
                    "schema_id": "default",
                    "traits": { "email": email },
                    "credentials": credentials,
                })),
            201,
        );
        let id = answer.json.unwrap()["id"].as_str().unwrap().to_string();
        (id, email)
    }
}
