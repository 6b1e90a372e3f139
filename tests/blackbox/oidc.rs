//! Signing in and up with OpenID Connect, against a real OpenID provider: the npm package
//! `oidc-provider` on loopback (tests/peers/oidc-provider), whose own login and consent forms
//! a cookie-keeping browser fills in. Any login name signs in there; names that look like an
//! email address come with an `email` claim, others without one.

use crate::harness::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const CLIENT_ID: &str = "latchkey-tests";
const CLIENT_SECRET: &str = "a-client-secret-only-these-tests-use";
pub const PROVIDER: &str = "example";

/// The OpenID provider process; stopped when dropped.
struct OpenIdProvider {
    child: Child,
    issuer: String,
}

impl OpenIdProvider {
    fn start(redirect_uri: &str) -> OpenIdProvider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test OpenID provider is not installed: run `make test-deps` (or `npm ci` in {})",
            dir.display()
        );
        let client = json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
        });
        let mut child = Command::new("node")
            .arg("server.mjs")
            .arg(client.to_string())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting node (Node.js must be installed)");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Keep reading: a closed pipe would kill the provider at its next line of output.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = line.trim().to_string();
        assert!(
            issuer.starts_with("http://127.0.0.1:"),
            "provider said {line:?}"
        );
        OpenIdProvider { child, issuer }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Latchkey with the OIDC method, one provider, and the usual factors.
pub struct Setup {
    provider: OpenIdProvider,
    pub server: Server,
    _work: Workdir,
}

fn setup() -> Setup {
    setup_with("    registration: { enabled: true }")
}

/// The same, with the built-in pages on, for the browser tests.
pub fn setup_with_pages() -> Setup {
    setup_serving("    registration: { enabled: true }", true)
}

/// `flows` is the YAML under `selfservice.flows`, indented by four spaces.
fn setup_with(flows: &str) -> Setup {
    setup_serving(flows, false)
}

fn setup_serving(flows: &str, builtin_ui: bool) -> Setup {
    setup_mailing(flows, builtin_ui, None)
}

/// With `smtp_port`, the `code` method and a courier mailing to that port too.
fn setup_mailing(flows: &str, builtin_ui: bool, smtp_port: Option<u16>) -> Setup {
    let mailing = smtp_port
        .map(|smtp| {
            format!(
                "    - path: {}\n      courier: true\ncourier:\n  smtp:\n    connection_uri: \"smtp://127.0.0.1:{smtp}/?disable_starttls=true\"\n  worker:\n    pull_wait: 100ms\n",
                plugin("code").display()
            )
        })
        .unwrap_or_default();
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/self-service/methods/oidc/callback/{PROVIDER}");
    let provider = OpenIdProvider::start(&callback);
    let work = Workdir::new();
    let cfg = work.write(
        "kratos.yml",
        &format!(
            r#"
selfservice:
  flows:
{flows}
  methods:
    oidc:
      enabled: true
      config:
        providers:
          - id: {PROVIDER}
            provider: generic
            issuer_url: {issuer}
            client_id: {CLIENT_ID}
            client_secret: {CLIENT_SECRET}
            scope: [openid, email, profile]
            claims_mapping: {{ email: email }}
plugins:
  factors:
    - path: {password}
    - path: {totp}
    - path: {lookup}
    - path: {oidc}
      outbound_http:
        allow: ["{issuer}"]
        allow_private: true
{mailing}"#,
            issuer = provider.issuer,
            password = plugin("password").display(),
            totp = plugin("totp").display(),
            lookup = plugin("lookup_secret").display(),
            oidc = plugin("oidc").display(),
        ),
    );
    let server = Server::start_with(
        &work,
        Options {
            config: Some(&cfg),
            public_port: Some(port),
            builtin_ui,
            ..Default::default()
        },
    );
    Setup {
        provider,
        server,
        _work: work,
    }
}

fn html_attr(html: &str, after: &str, attr: &str) -> Option<String> {
    let rest = &html[html.find(after)?..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].replace("&amp;", "&"))
}

/// Follows the provider's redirects, answering each of its pages with `answer` (which returns
/// the provider's response to it), until the provider sends the browser back to Latchkey;
/// returns that callback URL.
fn at_provider(
    browser: &Browser,
    start: &str,
    server: &Server,
    answer: impl Fn(&str, &str) -> BrowserResp,
) -> String {
    let mut next = start.to_string();
    for _ in 0..12 {
        if next.starts_with(&server.public) {
            return next;
        }
        let page = browser.visit(&next);
        let location = match page.location {
            Some(location) => location,
            None => {
                let html = page.body.as_str().unwrap_or_default().to_string();
                assert_eq!(page.status, 200, "provider page {next}: {html}");
                answer(&next, &html)
                    .location
                    .expect("the provider redirects")
            }
        };
        next = absolute(&next, &location);
    }
    panic!("the provider never sent the browser back");
}

/// Signs in at the provider as `login` and consents.
fn through_provider(browser: &Browser, start: &str, login: &str, server: &Server) -> String {
    at_provider(browser, start, server, |_, html| {
        let action = html_attr(html, "<form", "action").expect("a form on the provider's page");
        if html.contains(r#"name="prompt" value="login""#) {
            browser.post_form(
                &action,
                &[("prompt", "login"), ("login", login), ("password", "any")],
            )
        } else if html.contains(r#"name="prompt" value="consent""#) {
            browser.post_form(&action, &[("prompt", "consent")])
        } else {
            panic!("unexpected provider page: {html}");
        }
    })
}

/// Follows the abort link on the provider's login page: the user cancels.
fn cancel_at_provider(browser: &Browser, start: &str, server: &Server) -> String {
    at_provider(browser, start, server, |url, html| {
        let i = html
            .find("/abort")
            .expect("an abort link on the provider's page");
        let from = html[..i].rfind('"').unwrap() + 1;
        let to = i + html[i..].find('"').unwrap();
        browser.visit(&absolute(url, &html[from..to].replace("&amp;", "&")))
    })
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// Presses "Sign in/up with example" on a fresh browser flow; returns the provider URL.
fn press_provider(browser: &Browser, kind: &str) -> String {
    let flow = browser.start_flow(kind);
    let buttons: Vec<&Value> = flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["group"] == "oidc" && n["attributes"]["name"] == "provider")
        .collect();
    assert_eq!(buttons.len(), 1, "one provider button: {}", flow["ui"]);
    assert_eq!(buttons[0]["attributes"]["value"], PROVIDER);
    // A plain HTML form: the pressed button names the provider, nothing names the method.
    let pressed = browser.post_form(
        &action_of(&flow),
        &[("csrf_token", &csrf_of(&flow)), ("provider", PROVIDER)],
    );
    assert_eq!(pressed.status, 303, "{}", pressed.body);
    let to = pressed.location.unwrap();
    if !to.starts_with("http://127.0.0.1") || to.contains("/self-service/") {
        panic!("not sent to the provider: {}", flow_at(browser, &to)["ui"]);
    }
    assert!(to.contains("code_challenge_method=S256"), "{to}");
    to
}

fn sign_in_with_provider(setup: &Setup, browser: &Browser, kind: &str, login: &str) -> BrowserResp {
    let to = press_provider(browser, kind);
    let back = through_provider(browser, &to, login, &setup.server);
    browser.visit(&back)
}

fn whoami(browser: &Browser) -> BrowserResp {
    browser.fetch("/sessions/whoami")
}

fn identity_count(server: &Server) -> usize {
    server
        .admin_get("/admin/identities")
        .body
        .as_array()
        .unwrap()
        .len()
}

fn session_cookie_set(resp: &BrowserResp) -> bool {
    resp.set_cookies
        .iter()
        .any(|c| c.starts_with("ory_kratos_session=") && !c.contains("Max-Age=0"))
}

/// The flow a browser was sent to show a problem: its id from the redirect.
fn flow_at(browser: &Browser, location: &str) -> Value {
    let url = url::Url::parse(&absolute(&browser.base, location)).unwrap();
    let id = url
        .query_pairs()
        .find(|(k, _)| k == "flow" || k == "id")
        .map(|(_, v)| v.to_string())
        .expect("a flow id in the redirect");
    let kind = ["login", "registration", "settings"]
        .into_iter()
        .find(|k| url.path().contains(k))
        .expect("a flow kind in the redirect");
    let flow = browser.fetch(&format!("/self-service/{kind}/flows?id={id}"));
    assert_eq!(flow.status, 200, "{}", flow.body);
    flow.body
}

#[test]
fn a_sign_up_through_the_provider_gets_a_verification_mail() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let setup = setup_mailing(
        "    registration: { enabled: true }\n    verification: { enabled: true }",
        false,
        Some(peer.port),
    );
    let browser = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &browser, "registration", "vera@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    let mails = peer.wait_for_mails(1, std::time::Duration::from_secs(15));
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].to.contains("vera@example.org"), "{mails:?}");
    assert!(mails[0].subject.contains("verify"), "{mails:?}");
}

#[test]
fn sign_up_then_sign_in_with_the_provider() {
    let setup = setup();
    let browser = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &browser, "registration", "alice@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(session_cookie_set(&done), "{:?}", done.set_cookies);

    let me = whoami(&browser);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["traits"]["email"], "alice@example.org");
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");
    let methods = me.body["authentication_methods"].as_array().unwrap();
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0]["method"], "oidc");
    assert_eq!(methods[0]["aal"], "aal1");
    assert_eq!(methods[0]["provider"], PROVIDER);
    let id = me.body["identity"]["id"].as_str().unwrap().to_string();
    let full = setup
        .server
        .admin_get(&format!("/admin/identities/{id}?include_credential=oidc"));
    assert_eq!(
        full.body["credentials"]["oidc"]["identifiers"],
        json!([format!("{PROVIDER}:alice@example.org")]),
        "{}",
        full.body
    );

    // A new browser signs in through the login flow and gets the same identity.
    let again = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &again, "login", "alice@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    let me = whoami(&again);
    assert_eq!(me.body["identity"]["id"], id.as_str());
    assert_eq!(identity_count(&setup.server), 1);
}

#[test]
fn a_single_page_app_gets_the_provider_url_as_json() {
    let setup = setup();
    let browser = Browser::new(&setup.server);
    let flow = browser.start_flow("login");
    let resp = browser.post_json(
        &action_of(&flow),
        &json!({ "csrf_token": csrf_of(&flow), "method": "oidc", "provider": PROVIDER }),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert_eq!(resp.body["error"]["id"], "browser_location_change_required");
    let to = resp.body["redirect_browser_to"].as_str().unwrap();
    assert!(to.starts_with(&setup.provider.issuer), "{to}");

    // API flows cannot come back from a browser, and say so.
    let api = setup.server.get("/self-service/login/api");
    let action = format!(
        "/self-service/login?flow={}",
        api.body["id"].as_str().unwrap()
    );
    let resp = setup
        .server
        .post_json(&action, &json!({ "method": "oidc", "provider": PROVIDER }));
    assert_kratos_error(&resp, 400);
}

#[test]
fn missing_traits_are_asked_for_before_the_identity_is_created() {
    let setup = setup();
    let browser = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &browser, "login", "no-email-subject");
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(!session_cookie_set(&done));
    let location = done.location.unwrap();
    assert!(location.contains("registration"), "{location}");
    let flow = flow_at(&browser, &location);
    assert!(message_ids(&flow).contains(&1040009), "{}", flow["ui"]);
    let email = flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "traits.email")
        .unwrap();
    assert!(!email["messages"].as_array().unwrap().is_empty(), "{email}");
    assert_eq!(identity_count(&setup.server), 0);

    // Filling in the email finishes the sign-up with the provider's subject.
    let resp = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "oidc"),
            ("traits.email", "dana@example.org"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let me = whoami(&browser);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["traits"]["email"], "dana@example.org");
    assert_eq!(me.body["authentication_methods"][0]["provider"], PROVIDER);
    let id = me.body["identity"]["id"].as_str().unwrap();
    let full = setup
        .server
        .admin_get(&format!("/admin/identities/{id}?include_credential=oidc"));
    assert_eq!(
        full.body["credentials"]["oidc"]["identifiers"],
        json!([format!("{PROVIDER}:no-email-subject")])
    );
}

#[test]
fn an_email_that_has_a_password_account_is_not_merged() {
    let setup = setup();
    let first = Browser::new(&setup.server);
    let reg = register_in_browser(&first, "bob@example.org", "correct horse battery staple");
    assert_eq!(reg.status, 303, "{}", reg.body);

    let browser = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &browser, "login", "bob@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(!session_cookie_set(&done));
    let flow = flow_at(&browser, &done.location.unwrap());
    assert!(message_ids(&flow).contains(&4000027), "{}", flow["ui"]);
    assert_eq!(whoami(&browser).status, 401);
    assert_eq!(identity_count(&setup.server), 1);
}

/// Opens a settings flow and submits `fields` to it as a form.
fn settings_submit(browser: &Browser, fields: &[(&str, &str)]) -> (Value, BrowserResp) {
    let flow = browser.start_flow("settings");
    let csrf = csrf_of(&flow);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let resp = browser.post_form(&action_of(&flow), &all);
    (flow, resp)
}

fn oidc_identifiers(server: &Server, id: &str) -> Value {
    let full = server.admin_get(&format!("/admin/identities/{id}?include_credential=oidc"));
    full.body["credentials"]
        .get("oidc")
        .map(|c| c["identifiers"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn an_oidc_identity_adds_a_password_and_signs_in_either_way() {
    let setup = setup();
    let browser = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &browser, "registration", "carol@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    let id = whoami(&browser).body["identity"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The last way to sign in cannot be unlinked.
    let (flow, resp) = settings_submit(&browser, &[("unlink", PROVIDER)]);
    let nodes = flow["ui"]["nodes"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["attributes"]["name"] == "unlink" && n["attributes"]["value"] == PROVIDER),
        "{}",
        flow["ui"]
    );
    assert_eq!(resp.status, 303);
    let shown = flow_at(&browser, &resp.location.unwrap());
    assert!(message_ids(&shown).contains(&4000001), "{}", shown["ui"]);
    assert_eq!(
        oidc_identifiers(&setup.server, &id),
        json!([format!("{PROVIDER}:carol@example.org")])
    );

    // Setting a password adds a second way in.
    let (_, resp) = settings_submit(
        &browser,
        &[
            ("method", "password"),
            ("password", "a new long passphrase 42"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let shown = flow_at(&browser, &resp.location.unwrap());
    assert_eq!(shown["state"], "success", "{}", shown["ui"]);

    let by_password = setup
        .server
        .login("carol@example.org", "a new long passphrase 42");
    assert_eq!(by_password.status, 200, "{}", by_password.body);
    assert_eq!(by_password.body["session"]["identity"]["id"], id.as_str());
    assert_eq!(
        by_password.body["session"]["authenticator_assurance_level"],
        "aal1"
    );

    // Both first factors in one session are still aal1.
    let again = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &again, "login", "carol@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    let refresh = again.visit("/self-service/login/browser?refresh=true");
    let flow = again.fetch(&refresh.location.unwrap()).body;
    let resp = again.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "carol@example.org"),
            ("password", "a new long passphrase 42"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let me = whoami(&again);
    let methods: Vec<&str> = me.body["authentication_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["oidc", "password"]);
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");

    // With a password set, the provider can be unlinked, and linked again.
    let (_, resp) = settings_submit(&browser, &[("unlink", PROVIDER)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(oidc_identifiers(&setup.server, &id), Value::Null);
    let (_, resp) = settings_submit(&browser, &[("link", PROVIDER)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    let back = through_provider(
        &browser,
        &resp.location.unwrap(),
        "carol@example.org",
        &setup.server,
    );
    let linked = browser.visit(&back);
    assert_eq!(linked.status, 303, "{}", linked.body);
    let shown = flow_at(&browser, &linked.location.unwrap());
    assert_eq!(shown["state"], "success", "{}", shown["ui"]);
    assert_eq!(
        oidc_identifiers(&setup.server, &id),
        json!([format!("{PROVIDER}:carol@example.org")])
    );
}

#[test]
fn a_subject_linked_elsewhere_cannot_be_linked_again() {
    let setup = setup();
    let owner = Browser::new(&setup.server);
    let done = sign_in_with_provider(&setup, &owner, "registration", "erin@example.org");
    assert_eq!(done.status, 303, "{}", done.body);

    let other = Browser::new(&setup.server);
    let reg = register_in_browser(&other, "frank@example.org", "correct horse battery staple");
    assert_eq!(reg.status, 303, "{}", reg.body);
    let (_, resp) = settings_submit(&other, &[("link", PROVIDER)]);
    let back = through_provider(
        &other,
        &resp.location.unwrap(),
        "erin@example.org",
        &setup.server,
    );
    let refused = other.visit(&back);
    assert_eq!(refused.status, 303, "{}", refused.body);
    let shown = flow_at(&other, &refused.location.unwrap());
    assert!(message_ids(&shown).contains(&4000027), "{}", shown["ui"]);
    let me = whoami(&other).body;
    let frank = me["identity"]["id"].as_str().unwrap();
    assert_eq!(oidc_identifiers(&setup.server, frank), Value::Null);
}

#[test]
fn a_cancelled_consent_shows_the_providers_error_and_starts_no_session() {
    let setup = setup();
    let browser = Browser::new(&setup.server);
    let to = press_provider(&browser, "login");
    let back = cancel_at_provider(&browser, &to, &setup.server);
    assert!(back.contains("error=access_denied"), "{back}");
    let resp = browser.visit(&back);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert!(!session_cookie_set(&resp));
    let flow = flow_at(&browser, &resp.location.unwrap());
    let text = flow["ui"]["messages"].to_string();
    assert!(text.contains("error"), "{}", flow["ui"]);
    assert_eq!(whoami(&browser).status, 401);
    assert_eq!(identity_count(&setup.server), 0);
}

#[test]
fn replayed_forged_and_foreign_callbacks_start_no_session() {
    let setup = setup();

    // A forged state: the provider's answer with the state changed.
    let browser = Browser::new(&setup.server);
    let to = press_provider(&browser, "registration");
    let back = through_provider(&browser, &to, "gina@example.org", &setup.server);
    let mut forged = url::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.to_string()
            };
            (k.to_string(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let resp = browser.visit(forged.as_str());
    assert!(resp.status == 303 || resp.status == 400, "{}", resp.body);
    assert!(!session_cookie_set(&resp));
    // The state was spent: the genuine answer arriving after it is refused too.
    let resp = browser.visit(&back);
    assert!(!session_cookie_set(&resp), "{}", resp.body);
    assert_ne!(resp.status, 500);
    assert_eq!(identity_count(&setup.server), 0);

    // A genuine sign-up, then the same callback replayed.
    let browser = Browser::new(&setup.server);
    let to = press_provider(&browser, "registration");
    let back = through_provider(&browser, &to, "gina@example.org", &setup.server);
    let done = browser.visit(&back);
    assert!(session_cookie_set(&done), "{}", done.body);
    let replay = browser.visit(&back);
    assert!(!session_cookie_set(&replay), "{}", replay.body);
    assert_ne!(replay.status, 500);

    // Someone else's callback URL, opened in a browser that did not start the flow.
    let victim = Browser::new(&setup.server);
    let attacker = Browser::new(&setup.server);
    let to = press_provider(&attacker, "login");
    let back = through_provider(&attacker, &to, "gina@example.org", &setup.server);
    let resp = victim.visit(&back);
    assert_kratos_error_body(&resp, 400);
    assert!(!session_cookie_set(&resp));
    assert_eq!(whoami(&victim).status, 401);
    assert_eq!(identity_count(&setup.server), 1);
}

fn assert_kratos_error_body(resp: &BrowserResp, status: u16) {
    assert_eq!(resp.status, status, "{}", resp.body);
    assert_eq!(resp.body["error"]["code"], status, "{}", resp.body);
    assert!(resp.body["error"]["message"].is_string(), "{}", resp.body);
}

#[test]
fn an_expired_flow_sends_the_browser_to_a_fresh_one() {
    let setup = setup_with("    login: { lifespan: 2s }");

    // The flow expires while the user is at the provider: the browser goes on to a new flow.
    let browser = Browser::new(&setup.server);
    let to = press_provider(&browser, "login");
    let back = through_provider(&browser, &to, "hana@example.org", &setup.server);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let resp = browser.visit(&back);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert!(!session_cookie_set(&resp));
    let fresh = flow_at(&browser, &resp.location.unwrap());
    assert!(fresh["expires_at"].is_string());
    assert_eq!(identity_count(&setup.server), 0);
}

#[test]
fn an_unreachable_provider_ends_in_a_message() {
    let mut setup = setup();
    // The provider goes away between the redirect and the return.
    let browser = Browser::new(&setup.server);
    let to = press_provider(&browser, "login");
    let back = through_provider(&browser, &to, "hana@example.org", &setup.server);
    setup.provider.stop();
    let resp = browser.visit(&back);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert!(!session_cookie_set(&resp));
    let flow = flow_at(&browser, &resp.location.unwrap());
    assert!(
        flow["ui"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        flow["ui"]
    );
    assert_eq!(identity_count(&setup.server), 0);
}

#[test]
fn with_sign_up_disabled_an_unknown_subject_is_told_so() {
    let setup = setup_with("    registration: { enabled: false }");
    let browser = Browser::new(&setup.server);
    let refused = browser.visit("/self-service/registration/browser");
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["error"]["id"], "self_service_flow_disabled");

    let done = sign_in_with_provider(&setup, &browser, "login", "ivan@example.org");
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(!session_cookie_set(&done));
    let flow = flow_at(&browser, &done.location.unwrap());
    assert!(message_ids(&flow).contains(&4000001), "{}", flow["ui"]);
    assert_eq!(identity_count(&setup.server), 0);
}
