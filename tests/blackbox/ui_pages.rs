//! The built-in pages over plain HTTP: where browsers are sent, the flow rules the pages keep,
//! the error page, the switch and the template directory. `browser_ui` drives the same pages
//! in Chromium.

use crate::browser_ui::ui_server;
use crate::harness::*;
use serde_json::{Value, json};
use std::process::Command;

/// The value of the hidden `csrf_token` input of a page.
fn page_csrf(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf_token" value=""#)?;
    let rest = &html[at + r#"name="csrf_token" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Signs up through the browser registration endpoint as an SPA would (the JSON flow), so the
/// browser holds a session cookie.
fn sign_up(browser: &Browser, email: &str, password: &str) {
    let flow = browser.fetch("/self-service/registration/browser").body;
    let done = browser.post_json(
        &action_of(&flow),
        &json!({ "method": "password", "traits": { "email": email }, "password": password,
                 "csrf_token": csrf_of(&flow) }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
}

/// Follows a browser from `/` to the sign-in page; returns the page and its flow id.
fn sign_in_page(browser: &Browser) -> (BrowserResp, String) {
    let root = browser.visit_page("/");
    assert_eq!(root.status, 303, "{}", root.text());
    let start = root.location.unwrap();
    assert_eq!(path_of(&start), "/self-service/login/browser");
    let started = browser.visit_page(&start);
    assert_eq!(started.status, 303, "{}", started.text());
    let page_url = started.location.unwrap();
    assert!(
        path_of(&page_url).starts_with("/ui/login?flow="),
        "{page_url}"
    );
    let flow = query_param(&page_url, "flow").unwrap();
    let page = browser.visit_page(&page_url);
    (page, flow)
}

#[test]
fn a_newcomer_at_the_root_reaches_a_sign_in_form_for_the_flow() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let browser = Browser::new(&server);
    let (page, flow_id) = sign_in_page(&browser);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();

    // The page is the flow the API shows: same action, same CSRF token.
    let flow = browser.fetch(&format!("/self-service/login/flows?id={flow_id}"));
    assert_eq!(flow.status, 200, "{}", flow.body);
    let action = flow.body["ui"]["action"].as_str().unwrap();
    assert!(
        html.contains(&format!(r#"action="{}""#, action.replace('&', "&amp;"))),
        "{html}"
    );
    assert_eq!(page_csrf(&html), Some(csrf_of(&flow.body)));
    assert!(html.contains(r#"method="POST""#));
    assert!(
        html.contains(r#"<label for="password-identifier">ID</label>"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="password-password">Password</label>"#));
    assert!(html.contains(r#"name="method" value="password""#));
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(r#"<meta name="viewport""#));
    assert!(
        !html.contains("<script"),
        "the pages need no JavaScript: {html}"
    );

    // Sign-in pages hold secrets: not cached, not framed.
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let css = browser.visit("/ui/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.text().contains(":focus-visible"));
}

#[test]
fn a_form_post_from_the_page_signs_up_and_lands_on_the_session_page() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let browser = Browser::new(&server);
    let started = browser.visit_page("/self-service/registration/browser");
    let page_url = started.location.unwrap();
    assert!(path_of(&page_url).starts_with("/ui/registration?flow="));
    let page = browser.visit_page(&page_url);
    let html = page.text();
    assert!(
        html.contains(r#"<label for="password-traits-email">E-Mail</label>"#),
        "{html}"
    );
    let flow = query_param(&page_url, "flow").unwrap();
    let done = browser.post_form(
        &format!("/self-service/registration?flow={flow}"),
        &[
            ("csrf_token", &page_csrf(&html).unwrap()),
            ("traits.email", "form@example.com"),
            ("password", "posted from a page 1"),
            ("method", "password"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.text());
    let home = done.location.unwrap();
    assert_eq!(
        path_of(&home),
        "/",
        "the default return URL is the session page"
    );
    let session = browser.visit_page(&home);
    assert_eq!(session.status, 200, "{}", session.text());
    let html = session.text();
    assert!(html.contains("form@example.com"), "{html}");
    assert!(html.contains(r#"data-aal="aal1""#), "{html}");
    assert!(html.contains(r#"data-method="password""#), "{html}");
    assert!(
        html.contains("/self-service/logout?token="),
        "a sign-out link"
    );

    // Signed in, `/` is the session page, and the sign-in start skips to it.
    let again = browser.visit_page("/self-service/login/browser");
    assert_eq!(again.status, 303);
    assert_eq!(path_of(&again.location.unwrap()), "/");
}

#[test]
fn a_rejected_submission_shows_its_messages_on_the_page() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let browser = Browser::new(&server);
    let (page, flow) = sign_in_page(&browser);
    let done = browser.post_form(
        &format!("/self-service/login?flow={flow}"),
        &[
            ("csrf_token", &page_csrf(&page.text()).unwrap()),
            ("identifier", "ghost@example.com"),
            ("password", "not a real password"),
            ("method", "password"),
        ],
    );
    assert_eq!(done.status, 303);
    let shown = browser.visit_page(&done.location.unwrap());
    let html = shown.text();
    assert!(
        html.contains("The provided credentials are invalid"),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-describedby="form-password-errors""#),
        "{html}"
    );
    assert!(html.contains(r#"id="form-password-errors""#));
    assert!(
        html.contains(r#"value="ghost@example.com""#),
        "typed input is kept"
    );
    assert!(
        !html.contains("not a real password"),
        "a password is never echoed"
    );
}

#[test]
fn flow_pages_keep_the_flow_fetch_rules() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let owner = Browser::new(&server);
    let (_, flow) = sign_in_page(&owner);

    // Another browser (no CSRF cookie of this flow) is not shown the flow or its token.
    let stranger = Browser::new(&server);
    let seen = stranger.visit_page(&format!("/ui/login?flow={flow}"));
    assert_eq!(seen.status, 403, "{}", seen.text());
    let html = seen.text();
    assert!(html.contains("security_csrf_violation"), "{html}");
    assert!(!html.contains("csrf_token"), "{html}");
    let api = stranger.fetch(&format!("/self-service/login/flows?id={flow}"));
    assert_eq!(api.status, 403, "the API refuses it alike");

    // Unknown and missing flows start a fresh one, passing on what the page was asked for.
    let unknown = owner.visit_page("/ui/login?flow=00000000-0000-4000-8000-000000000000");
    assert_eq!(unknown.status, 303);
    assert_eq!(
        path_of(&unknown.location.unwrap()),
        "/self-service/login/browser"
    );
    let missing = owner.visit_page("/ui/registration?return_to=http://127.0.0.1/elsewhere");
    assert_eq!(missing.status, 303);
    assert_eq!(
        path_of(&missing.location.unwrap()),
        "/self-service/registration/browser?return_to=http%3A%2F%2F127.0.0.1%2Felsewhere"
    );

    // An API flow cannot be posted from a page: the page starts a browser flow instead.
    let api_flow = server.get("/self-service/login/api");
    let id = api_flow.body["id"].as_str().unwrap();
    let shown = owner.visit_page(&format!("/ui/login?flow={id}"));
    assert_eq!(shown.status, 303);
    assert_eq!(
        path_of(&shown.location.unwrap()),
        "/self-service/login/browser"
    );

    // A settings page needs the session of its identity.
    let ada = Browser::new(&server);
    sign_up(&ada, "ada@example.com", "ada's password 1");
    let started = ada.visit_page("/self-service/settings/browser");
    let settings_url = started.location.unwrap();
    assert!(path_of(&settings_url).starts_with("/ui/settings?flow="));
    let mine = ada.visit_page(&settings_url);
    assert_eq!(mine.status, 200);
    assert!(mine.text().contains(r#"value="ada@example.com""#));
    assert!(mine.text().contains(r#"id="totp_secret_key""#));
    let bob = Browser::new(&server);
    sign_up(&bob, "bob@example.com", "bob's password 1");
    assert_eq!(
        bob.visit_page(&settings_url).status,
        403,
        "not bob's CSRF cookie"
    );
    // The same browser, now signed in as someone else: their own settings instead.
    let logout = ada.fetch("/self-service/logout/browser");
    assert_eq!(
        ada.visit(logout.body["logout_url"].as_str().unwrap())
            .status,
        303
    );
    sign_up(&ada, "carol@example.com", "carol's password 1");
    let theirs = ada.visit_page(&settings_url);
    assert_eq!(theirs.status, 303, "{}", theirs.text());
    assert_eq!(
        path_of(&theirs.location.unwrap()),
        "/self-service/settings/browser"
    );
}

#[test]
fn an_expired_flow_page_moves_on_to_a_fresh_flow() {
    let work = Workdir::new();
    let server = ui_server(
        &work,
        Options {
            env: vec![("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "1s".into())],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let (_, flow) = sign_in_page(&browser);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = browser.visit_page(&format!("/ui/login?flow={flow}"));
    assert_eq!(expired.status, 303, "{}", expired.text());
    let next = expired.location.unwrap();
    let fresh = query_param(&next, "flow").unwrap();
    assert_ne!(fresh, flow);
    assert!(path_of(&next).starts_with("/ui/login?flow="));
    assert_eq!(browser.visit_page(&next).status, 200);
}

#[test]
fn browser_errors_go_to_the_error_page_and_api_errors_stay_json() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let browser = Browser::new(&server);
    // A logout link followed without the session it belongs to: on to the error page, which
    // reads the stored error.
    let sent = browser.visit_page("/self-service/logout?token=forged");
    assert_eq!(sent.status, 303, "{}", sent.text());
    let error_page = sent.location.unwrap();
    assert!(
        path_of(&error_page).starts_with("/ui/error?id="),
        "{error_page}"
    );
    let page = browser.visit_page(&error_page);
    assert_eq!(page.status, 401);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    assert!(
        html.contains("No active session was found in this request."),
        "{html}"
    );
    assert!(html.contains("session_inactive"));
    assert!(html.contains(">Start again</a>"), "{html}");
    // The page shows what `GET /self-service/errors` serves for the same id.
    let id = query_param(&error_page, "id").unwrap();
    let stored = server.get(&format!("/self-service/errors?id={id}"));
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body["error"]["id"], "session_inactive");

    let spa = browser.fetch("/self-service/logout?token=forged");
    assert_eq!(spa.status, 401);
    assert_eq!(spa.body["error"]["id"], "session_inactive");
    // An API client (the SDKs ask for JSON) too.
    let api = send(
        ureq::get(&server.url("/self-service/logout?token=forged"))
            .set("Accept", "application/json"),
        None,
    );
    assert_kratos_error(&api, 401);

    // A JSON endpoint stays JSON even for a page load.
    let flows = browser.visit_page("/self-service/login/flows?id=nope");
    assert_eq!(flows.status, 404);
    assert_eq!(flows.body["error"]["code"], 404, "{}", flows.text());

    // A forbidden return_to on a page load ends on the error page too, naming the URL.
    let forbidden =
        browser.visit_page("/self-service/login/browser?return_to=https://evil.example/");
    assert_eq!(forbidden.status, 303);
    let shown = browser.visit_page(&forbidden.location.unwrap());
    assert_eq!(shown.status, 400);
    assert!(shown.text().contains("https://evil.example/"));
    assert!(shown.text().contains("<h1>"), "{}", shown.text());

    // An unknown or expired error id is Kratos' 404, as a page.
    let unknown = browser.visit_page("/ui/error?id=00000000-0000-4000-8000-000000000000");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("Unable to locate the resource"));
}

#[test]
fn the_session_page_offers_the_second_factor_when_it_is_due() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    let browser = Browser::new(&server);
    sign_up(&browser, "two@example.com", "two factor pass 1");
    // Link an authenticator app over the settings API of the same browser.
    let flow = browser.fetch("/self-service/settings/browser").body;
    let secret = flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["id"] == "totp_secret_key")
        .unwrap()["attributes"]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = browser.post_json(
        &action_of(&flow),
        &json!({ "method": "totp", "totp_code": oracle_code(&secret, 0),
                 "csrf_token": csrf_of(&flow) }),
    );
    assert_eq!(linked.status, 200, "{}", linked.body);

    // A new password-only sign-in: whoami wants aal2, and the page says how to get there.
    let later = Browser::new(&server);
    let login = later.fetch("/self-service/login/browser").body;
    let first = later.post_json(
        &action_of(&login),
        &json!({ "method": "password", "identifier": "two@example.com",
                 "password": "two factor pass 1", "csrf_token": csrf_of(&login) }),
    );
    assert_eq!(first.status, 422, "{}", first.body);
    let page = later.visit_page("/");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"data-aal="aal1""#), "{html}");
    assert!(html.contains("Confirm with your authenticator"), "{html}");
    assert!(
        html.contains("/self-service/login/browser?aal=aal2"),
        "{html}"
    );
    let step_up = later.visit_page("/self-service/login/browser?aal=aal2");
    let second = later.visit_page(&step_up.location.unwrap());
    let html = second.text();
    assert!(
        html.contains("<h1>Confirm with your authenticator</h1>"),
        "{html}"
    );
    assert!(html.contains(r#"<label for="totp-totp_code">Authentication code</label>"#));
    assert!(!html.contains(r#"name="password""#), "{html}");
}

#[test]
fn without_the_built_in_ui_browsers_get_the_flow_json_and_no_pages() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    let started = browser.visit_page("/self-service/login/browser");
    assert_eq!(started.status, 303);
    assert!(
        path_of(&started.location.unwrap()).starts_with("/self-service/login/flows?id="),
        "UI_ENABLED=false"
    );
    let root = browser.visit_page("/");
    assert_eq!(root.status, 404);
    assert_eq!(root.body["error"]["code"], 404);
    assert_eq!(browser.visit_page("/ui/login").status, 404);
    let error = browser.visit_page("/self-service/logout?token=forged");
    assert_eq!(error.body["error"]["id"], "session_inactive");
}

#[test]
fn a_configured_ui_url_replaces_the_page_of_its_flow_only() {
    let work = Workdir::new();
    let server = ui_server(
        &work,
        Options {
            env: vec![(
                "SELFSERVICE_FLOWS_LOGIN_UI_URL",
                "https://ui.example.com/login".into(),
            )],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let login = browser.visit_page("/self-service/login/browser");
    let to = login.location.unwrap();
    assert!(to.starts_with("https://ui.example.com/login?flow="), "{to}");
    let registration = browser.visit_page("/self-service/registration/browser");
    assert!(path_of(&registration.location.unwrap()).starts_with("/ui/registration?flow="));
}

#[test]
fn templates_in_the_override_dir_replace_the_embedded_ones() {
    let work = Workdir::new();
    std::fs::create_dir(work.path().join("pages")).unwrap();
    work.write(
        "pages/login.html",
        r#"{% extends "layout.html" %}{% block content %}<p id="custom">Welcome to Example, flow {{ flow.id }}</p>{% include "extra.html" %}{% endblock %}"#,
    );
    work.write("pages/extra.html", "<p>an extra file</p>");
    work.write("pages/style.css", "body { color: rebeccapurple }");
    let server = ui_server(
        &work,
        Options {
            env: vec![(
                "UI_TEMPLATES_DIR",
                work.path().join("pages").display().to_string(),
            )],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let (page, flow) = sign_in_page(&browser);
    let html = page.text();
    assert!(
        html.contains(&format!("Welcome to Example, flow {flow}")),
        "{html}"
    );
    assert!(html.contains("an extra file"));
    assert!(
        html.contains(r#"<html lang="en">"#),
        "the default layout stays"
    );
    assert_eq!(
        browser.visit("/ui/style.css").text(),
        "body { color: rebeccapurple }"
    );
}

#[test]
fn a_broken_template_stops_start_up_naming_the_file() {
    let work = Workdir::new();
    std::fs::create_dir(work.path().join("pages")).unwrap();
    work.write("pages/settings.html", "{% for %}");
    let out = Command::new(binary())
        .args(["serve", "--dev"])
        .current_dir(work.path())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .env("UI_TEMPLATES_DIR", work.path().join("pages"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("settings.html"), "{text}");
}

/// The page renders whatever nodes a flow has: the PIN example factor's fields appear in
/// settings without the UI knowing the method.
#[test]
fn a_new_factor_plugin_shows_up_on_the_pages_unchanged() {
    let work = Workdir::new();
    let entries = json!([
        { "path": plugin("password") },
        { "path": plugin("pin") },
    ]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors: {}\n",
            serde_json::to_string(&entries).unwrap()
        ),
    );
    let server = ui_server(
        &work,
        Options {
            config: Some(&config),
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    sign_up(&browser, "pin@example.com", "pin person pass 1");
    let flow: Value = browser.fetch("/self-service/settings/browser").body;
    let pin_inputs: Vec<String> = flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["group"] == "pin" && n["attributes"]["type"] != "submit")
        .filter_map(|n| n["attributes"]["name"].as_str().map(str::to_owned))
        .collect();
    assert!(!pin_inputs.is_empty(), "{flow}");
    let started = browser.visit_page("/self-service/settings/browser");
    let html = browser.visit_page(&started.location.unwrap()).text();
    assert!(html.contains(r#"data-group="pin""#), "{html}");
    for name in pin_inputs {
        assert!(
            html.contains(&format!(r#"<label for="pin-{name}">"#)),
            "{name}: {html}"
        );
    }
}
