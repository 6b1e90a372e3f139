//! The requests real Kratos UIs make — Ory's reference UI (kratos-selfservice-ui-node),
//! @ory/elements and apps on the JavaScript SDK — sent the way they send them: every parameter
//! the UI knows, empty or not. Kratos reads an empty parameter as an absent one.

use crate::harness::*;
use serde_json::{Value, json};

/// Where the UI of these tests lives. Nothing listens there: a test checks where the browser
/// is sent and reads the flow as the UI's server would, with the browser's cookies.
const UI: &str = "http://127.0.0.1:4455";

fn ui_options() -> Vec<(&'static str, String)> {
    vec![
        ("SELFSERVICE_FLOWS_LOGIN_UI_URL", format!("{UI}/login")),
        (
            "SELFSERVICE_FLOWS_REGISTRATION_UI_URL",
            format!("{UI}/registration"),
        ),
        (
            "SELFSERVICE_FLOWS_SETTINGS_UI_URL",
            format!("{UI}/settings"),
        ),
        (
            "SELFSERVICE_DEFAULT_BROWSER_RETURN_URL",
            format!("{UI}/welcome"),
        ),
        ("SELFSERVICE_ALLOWED_RETURN_URLS", format!("{UI}/")),
    ]
}

fn start(work: &Workdir, extra: Vec<(&'static str, String)>) -> Server {
    let mut env = ui_options();
    env.extend(extra);
    Server::start_with(
        work,
        Options {
            env,
            ..Default::default()
        },
    )
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A page load of an init URL: 303 to the flow's UI page, whose server then fetches the flow
/// with the browser's cookies. Returns the flow.
fn browser_init(browser: &Browser, path: &str, kind: &str) -> Value {
    let started = browser.visit(path);
    assert_eq!(started.status, 303, "{path}: {}", started.text());
    let to = started.location.unwrap();
    assert!(
        to.starts_with(&format!("{UI}/{kind}?flow=")),
        "{path}: {to}"
    );
    let id = query_param(&to, "flow").unwrap();
    let flow = browser.fetch(&format!("/self-service/{kind}/flows?id={id}"));
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["id"], id);
    flow.body
}

/// Signs the browser up as an SPA does, so it holds a session cookie.
fn sign_up(browser: &Browser, email: &str, password: &str) {
    let flow = browser.fetch("/self-service/registration/browser").body;
    let done = browser.post_json(
        &action_of(&flow),
        &json!({ "method": "password", "traits": { "email": email }, "password": password,
                 "csrf_token": csrf_of(&flow) }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
}

fn assert_fresh_login(flow: &Value, variant: &str) {
    assert_eq!(flow["type"], variant, "{flow}");
    assert_eq!(flow["refresh"], false, "{flow}");
    assert_eq!(flow["requested_aal"], "aal1", "{flow}");
    assert!(flow.get("return_to").is_none(), "{flow}");
    assert_eq!(flow["ui"]["method"], "POST");
}

#[test]
fn login_init_urls_with_every_parameter_empty_start_a_plain_login() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    // kratos-selfservice-ui-node's login route; then what the JavaScript SDK sends for
    // `createBrowserLoginFlow({ ... })` with every field an empty string.
    let reference_ui = "/self-service/login/browser?aal=&refresh=&return_to=&organization=&via=";
    // (Without `login_challenge=`: Kratos answers any login_challenge, even an empty one, with
    // 500 invalid_configuration when no OAuth2 provider is configured; see the spec sweep.)
    let sdk =
        "/self-service/login/browser?refresh=&aal=&return_to=&organization=&via=&identity_schema=";
    for url in [reference_ui, sdk] {
        let browser = Browser::new(&server);
        let flow = browser_init(&browser, url, "login");
        assert_fresh_login(&flow, "browser");
        assert!(
            flow["request_url"].as_str().unwrap().ends_with(url),
            "{}",
            flow["request_url"]
        );

        // An SPA calling the same URL gets the flow itself.
        let spa = browser.fetch(url);
        assert_eq!(spa.status, 200, "{}", spa.body);
        assert_fresh_login(&spa.body, "browser");
    }

    // `createNativeLoginFlow` with every field empty.
    let api = server.get(
        "/self-service/login/api?refresh=&aal=&return_session_token_exchange_code=&return_to=&organization=&via=&identity_schema=",
    );
    assert_eq!(api.status, 200, "{}", api.body);
    assert_fresh_login(&api.body, "api");
}

#[test]
fn registration_settings_and_whoami_take_empty_parameters() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let browser = Browser::new(&server);
    let flow = browser_init(
        &browser,
        "/self-service/registration/browser?return_to=&organization=",
        "registration",
    );
    assert_eq!(flow["type"], "browser");
    assert!(flow.get("return_to").is_none(), "{flow}");
    let api = server.get(
        "/self-service/registration/api?return_session_token_exchange_code=&return_to=&organization=&identity_schema=",
    );
    assert_eq!(api.status, 200, "{}", api.body);
    assert!(api.body.get("return_to").is_none(), "{}", api.body);

    sign_up(&browser, "empty@example.com", "empty params pass 1");
    let settings = browser_init(
        &browser,
        "/self-service/settings/browser?return_to=",
        "settings",
    );
    assert_eq!(settings["identity"]["traits"]["email"], "empty@example.com");
    assert!(settings.get("return_to").is_none(), "{settings}");
    let whoami = browser.fetch("/sessions/whoami?return_to=");
    assert_eq!(whoami.status, 200, "{}", whoami.body);

    let token = server.register("native@example.com", "empty params pass 2");
    let token = token.body["session_token"].as_str().unwrap().to_string();
    let native = server.get_with_token("/self-service/settings/api?return_to=", &token);
    assert_eq!(native.status, 200, "{}", native.body);
    assert_eq!(native.body["type"], "api");
}

#[test]
fn logout_with_an_empty_return_to_goes_to_the_default() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let browser = Browser::new(&server);
    sign_up(&browser, "leaving@example.com", "leaving pass 1");

    // `createBrowserLogoutFlow({ returnTo: "" })`.
    let logout = browser.fetch("/self-service/logout/browser?return_to=");
    assert_eq!(logout.status, 200, "{}", logout.body);
    let url = logout.body["logout_url"].as_str().unwrap();
    assert_eq!(query_param(url, "return_to"), None, "{url}");
    let token = logout.body["logout_token"].as_str().unwrap();

    // A logout URL without a token is refused as Kratos refuses it, in JSON.
    let tokenless = server.get("/self-service/logout?token=&return_to=");
    assert_kratos_error(&tokenless, 400);
    assert_eq!(
        tokenless.body["error"]["reason"],
        "Please include a token in the URL query."
    );

    // `updateLogoutFlow({ token, returnTo: "" })`, as a page load.
    let done = browser.visit(&format!("/self-service/logout?token={token}&return_to="));
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.location.as_deref(), Some(&*format!("{UI}/welcome")));
    assert_eq!(browser.fetch("/sessions/whoami").status, 401);
}

#[test]
fn fetching_or_submitting_without_a_flow_id_is_a_kratos_error() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    // Settings ask for the session before the flow: without one, Kratos' 401.
    assert_kratos_error(&server.get("/self-service/settings/flows?id="), 401);
    let body = json!({ "method": "profile" });
    assert_kratos_error(
        &server.post_json("/self-service/settings?flow=", &body),
        401,
    );
    for kind in ["login", "registration"] {
        let fetched = server.get(&format!("/self-service/{kind}/flows?id="));
        assert_kratos_error(&fetched, 404);
        let submitted = server.post_json(
            &format!("/self-service/{kind}?flow="),
            &json!({ "method": "password" }),
        );
        assert_kratos_error(&submitted, 400);
        assert_eq!(
            submitted.body["error"]["reason"],
            "The flow query parameter is missing or malformed."
        );
    }
}

#[test]
fn refresh_and_aal_are_parsed_as_kratos_parses_them() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    // No session: nothing to refresh, so the flag is dropped.
    let anonymous = server.get("/self-service/login/api?refresh=true");
    assert_eq!(anonymous.status, 200, "{}", anonymous.body);
    assert_eq!(anonymous.body["refresh"], false);

    let token = server.register("refresh@example.com", "refresh params pass 1");
    let token = token.body["session_token"].as_str().unwrap().to_string();
    // Go's spellings of true refresh; anything else (garbage included) is false, which with a
    // session means "signed in already".
    for yes in ["true", "True", "1", "t"] {
        let flow = server.get_with_token(&format!("/self-service/login/api?refresh={yes}"), &token);
        assert_eq!(flow.status, 200, "refresh={yes}: {}", flow.body);
        assert_eq!(flow.body["refresh"], true);
    }
    for no in ["", "false", "yes", "on"] {
        let flow = server.get_with_token(&format!("/self-service/login/api?refresh={no}"), &token);
        assert_kratos_error(&flow, 400);
        assert_eq!(flow.body["error"]["id"], "session_already_available");
    }

    let upper = server.get("/self-service/login/api?aal=AAL1");
    assert_eq!(upper.status, 200, "{}", upper.body);
    assert_eq!(upper.body["requested_aal"], "aal1");
    let unknown = server.get("/self-service/login/api?aal=aal3");
    assert_kratos_error(&unknown, 400);
    assert_eq!(
        unknown.body["error"]["reason"],
        "Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got aal3"
    );
    // Registration has no `aal`: Kratos ignores it there.
    assert_eq!(
        server.get("/self-service/registration/api?aal=aal3").status,
        200
    );

    // Latchkey is no OAuth2 login provider: a login challenge gets Kratos' answer for an
    // unconfigured `oauth2_provider.url`.
    let challenge = server.get("/self-service/login/api?login_challenge=abc");
    assert_kratos_error(&challenge, 500);
    assert_eq!(challenge.body["error"]["id"], "invalid_configuration");
}

/// Posts the flow's form as the UI's HTML form does, with the browser's cookies.
fn post_form(browser: &Browser, flow: &Value, fields: &[(&str, &str)]) -> BrowserResp {
    let csrf = csrf_of(flow);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(&action_of(flow), &all)
}

/// Links an authenticator app to the browser's identity over the settings flow; returns its
/// secret.
fn enrol_totp(browser: &Browser) -> String {
    let flow = browser.fetch("/self-service/settings/browser").body;
    let secret = flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["id"] == "totp_secret_key")
        .expect("a TOTP secret to link")["attributes"]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = browser.post_json(
        &action_of(&flow),
        &json!({ "method": "totp", "totp_code": oracle_code(&secret, 0),
                 "csrf_token": csrf_of(&flow) }),
    );
    assert_eq!(linked.status, 200, "{}", linked.body);
    secret
}

#[test]
fn a_relative_return_to_lands_back_on_the_page_after_login() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let setup = Browser::new(&server);
    sign_up(&setup, "back@example.com", "back to the page 1");

    let browser = Browser::new(&server);
    let flow = browser_init(
        &browser,
        "/self-service/login/browser?aal=&refresh=&return_to=/sessions?tab=devices&organization=&via=",
        "login",
    );
    // The flow keeps the return_to as given, as Kratos' does.
    assert_eq!(flow["return_to"], "/sessions?tab=devices");
    let done = post_form(
        &browser,
        &flow,
        &[
            ("method", "password"),
            ("identifier", "back@example.com"),
            ("password", "back to the page 1"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.text());
    // Made absolute against the default return URL's origin, not Latchkey's.
    assert_eq!(
        done.location.as_deref(),
        Some(&*format!("{UI}/sessions?tab=devices"))
    );
    assert_eq!(browser.fetch("/sessions/whoami").status, 200);
}

#[test]
fn a_relative_return_to_survives_the_second_factor() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let setup = Browser::new(&server);
    sign_up(&setup, "stepped@example.com", "step up and back 1");
    let secret = enrol_totp(&setup);

    // The password alone gives an aal1 session, which whoami refuses: the UI then sends the
    // browser to the second factor, coming back to the protected page.
    let browser = Browser::new(&server);
    let login = browser.fetch("/self-service/login/browser").body;
    let first = browser.post_json(
        &action_of(&login),
        &json!({ "method": "password", "identifier": "stepped@example.com",
                 "password": "step up and back 1", "csrf_token": csrf_of(&login) }),
    );
    assert_eq!(first.status, 422, "{}", first.body);
    let refused = browser.fetch("/sessions/whoami");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"]["id"], "session_aal2_required");

    let flow = browser_init(
        &browser,
        "/self-service/login/browser?aal=aal2&refresh=&return_to=/sessions&organization=&via=",
        "login",
    );
    assert_eq!(flow["requested_aal"], "aal2");
    assert_eq!(flow["return_to"], "/sessions");
    // The enrolment spent this period's code.
    let code = oracle_code(&secret, 30);
    let done = post_form(&browser, &flow, &[("method", "totp"), ("totp_code", &code)]);
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.location.as_deref(), Some(&*format!("{UI}/sessions")));
    let whoami = browser.fetch("/sessions/whoami");
    assert_eq!(whoami.status, 200, "{}", whoami.body);
    assert_eq!(whoami.body["authenticator_assurance_level"], "aal2");

    // Signing in from scratch with a return_to: the password sends the browser on to the
    // second factor, which carries the return_to, and then back to the page.
    let other = Browser::new(&server);
    sign_up(&other, "fresh@example.com", "step up and back 2");
    let secret = enrol_totp(&other);
    let fresh = Browser::new(&server);
    let flow = browser_init(
        &fresh,
        "/self-service/login/browser?return_to=/sessions",
        "login",
    );
    let first = post_form(
        &fresh,
        &flow,
        &[
            ("method", "password"),
            ("identifier", "fresh@example.com"),
            ("password", "step up and back 2"),
        ],
    );
    assert_eq!(first.status, 303, "{}", first.text());
    let step_up = first.location.unwrap();
    assert_eq!(query_param(&step_up, "aal").as_deref(), Some("aal2"));
    assert_eq!(
        query_param(&step_up, "return_to").as_deref(),
        Some("/sessions")
    );
    let flow = browser_init(&fresh, &step_up, "login");
    let code = oracle_code(&secret, 30);
    let done = post_form(&fresh, &flow, &[("method", "totp"), ("totp_code", &code)]);
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.location.as_deref(), Some(&*format!("{UI}/sessions")));
}

#[test]
fn an_allowed_path_admits_only_what_lies_under_it() {
    let work = Workdir::new();
    let server = start(
        &work,
        vec![("SELFSERVICE_ALLOWED_RETURN_URLS", format!("{UI}/dashboard"))],
    );
    let browser = Browser::new(&server);
    for allowed in [
        format!("{UI}/dashboard"),
        format!("{UI}/dashboard/settings"),
        "/dashboard/settings".to_string(),
    ] {
        let flow = browser.fetch(&format!("/self-service/login/browser?return_to={allowed}"));
        assert_eq!(flow.status, 200, "{allowed}: {}", flow.body);
        assert_eq!(flow.body["return_to"], allowed.as_str());
    }
    for (refused, named) in [
        (format!("{UI}/dashboardevil"), format!("{UI}/dashboardevil")),
        ("/dashboardevil".to_string(), format!("{UI}/dashboardevil")),
        (
            "//evil.example/dashboard".to_string(),
            "http://evil.example/dashboard".to_string(),
        ),
        ("dashboard".to_string(), format!("{UI}/dashboard")),
    ] {
        let flow = browser.fetch(&format!(
            "/self-service/registration/browser?return_to={}",
            url::form_urlencoded::byte_serialize(refused.as_bytes()).collect::<String>()
        ));
        assert_kratos_error(
            &Resp {
                status: flow.status,
                body: flow.body.clone(),
            },
            400,
        );
        assert_eq!(
            flow.body["error"]["id"], "self_service_flow_return_to_forbidden",
            "{refused}"
        );
        assert_eq!(
            flow.body["error"]["reason"],
            format!("Requested return_to URL \"{named}\" is not allowed."),
        );
    }
}

#[test]
fn logout_and_settings_resolve_and_pass_on_a_relative_return_to() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let browser = Browser::new(&server);

    // Settings without a session: on to the login, keeping the return_to.
    let settings = browser.visit("/self-service/settings/browser?return_to=/account");
    assert_eq!(settings.status, 303);
    let login = settings.location.unwrap();
    assert!(login.contains("/self-service/login/browser?"), "{login}");
    assert_eq!(
        query_param(&login, "return_to").as_deref(),
        Some("/account")
    );

    sign_up(&browser, "bye@example.com", "logging out now 1");
    let logout = browser.fetch("/self-service/logout/browser?return_to=/bye");
    assert_eq!(logout.status, 200, "{}", logout.body);
    let url = logout.body["logout_url"].as_str().unwrap();
    assert_eq!(
        query_param(url, "return_to").as_deref(),
        Some(&*format!("{UI}/bye"))
    );
    let done = browser.visit(url);
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some(&*format!("{UI}/bye")));
}

/// The id in an error UI address `{UI}/error?id=<id>`.
fn error_id(location: Option<&str>) -> String {
    let to = location.expect("a redirect");
    assert!(to.starts_with(&format!("{UI}/error?id=")), "{to}");
    query_param(to, "id").unwrap()
}

/// What the error UI's server reads: Kratos' `flowError`, nothing more.
fn flow_error(server: &Server, id: &str) -> Value {
    let read = server.get(&format!("/self-service/errors?id={id}"));
    assert_eq!(read.status, 200, "{}", read.body);
    let mut keys: Vec<&str> = read
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["created_at", "error", "id", "updated_at"],
        "{}",
        read.body
    );
    assert_eq!(read.body["id"], id);
    read.body
}

fn with_error_ui(work: &Workdir, extra: Vec<(&'static str, String)>) -> Server {
    let mut env = vec![("SELFSERVICE_FLOWS_ERROR_UI_URL", format!("{UI}/error"))];
    env.extend(extra);
    start(work, env)
}

#[test]
fn browser_errors_go_to_the_error_ui_and_the_ui_reads_them_as_kratos_serves_them() {
    let work = Workdir::new();
    let server = with_error_ui(&work, vec![]);
    let browser = Browser::new(&server);

    // A forbidden return_to on a page load.
    let refused = browser.visit("/self-service/login/browser?aal=&refresh=&return_to=https://evil.example/&organization=&via=");
    assert_eq!(refused.status, 303, "{}", refused.text());
    let id = error_id(refused.location.as_deref());
    let read = flow_error(&server, &id);
    let error = &read["error"];
    assert_eq!(error["id"], "self_service_flow_return_to_forbidden");
    assert_eq!(error["code"], 400);
    assert_eq!(error["status"], "Bad Request");
    assert_eq!(
        error["reason"],
        "Requested return_to URL \"https://evil.example/\" is not allowed."
    );
    assert!(error["message"].is_string());
    assert!(read["created_at"].is_string() && read["updated_at"].is_string());
    // The UI may read it again (a reload of the error page).
    assert_eq!(flow_error(&server, &id)["error"], *error);

    // An SPA and an API client get the JSON error itself.
    let spa = browser.fetch("/self-service/login/browser?return_to=https://evil.example/");
    assert_eq!(spa.status, 400);
    assert_eq!(spa.location, None);
    assert_eq!(
        spa.body["error"]["id"],
        "self_service_flow_return_to_forbidden"
    );
    let api = server.get("/self-service/registration/api?return_to=https://evil.example/");
    assert_kratos_error(&api, 400);

    // Every page a browser loads ends there when it fails: another init, a submission, a
    // callback, a logout link and the logout-URL endpoint.
    let cases = [
        (
            browser.visit(
                "/self-service/registration/browser?return_to=https://evil.example/&organization=",
            ),
            "self_service_flow_return_to_forbidden",
        ),
        (
            browser.visit("/self-service/methods/oidc/callback/google?code=x&state=y"),
            "",
        ),
        (
            browser.visit("/self-service/logout?token=forged&return_to="),
            "session_inactive",
        ),
        (
            browser.visit("/self-service/logout/browser?return_to="),
            "session_inactive",
        ),
        (
            browser.post_form("/self-service/login?flow=", &[("method", "password")]),
            "",
        ),
    ];
    for (resp, expected) in cases {
        assert_eq!(resp.status, 303, "{}", resp.text());
        let read = flow_error(&server, &error_id(resp.location.as_deref()));
        assert!(read["error"]["code"].as_u64().unwrap() >= 400, "{read}");
        if !expected.is_empty() {
            assert_eq!(read["error"]["id"], expected, "{read}");
        }
    }

    // A form post whose CSRF token does not match.
    let flow = browser.fetch("/self-service/login/browser").body;
    let forged = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", "not-the-token"),
            ("method", "password"),
            ("identifier", "a@example.com"),
            ("password", "whatever it is 1"),
        ],
    );
    assert_eq!(forged.status, 303, "{}", forged.text());
    let read = flow_error(&server, &error_id(forged.location.as_deref()));
    assert_eq!(read["error"]["id"], "security_csrf_violation");
    assert_eq!(read["error"]["code"], 403);
}

#[test]
fn stored_errors_carry_no_tokens_cookies_or_passwords() {
    let work = Workdir::new();
    let server = with_error_ui(&work, vec![]);
    let browser = Browser::new(&server);
    sign_up(&browser, "secret@example.com", "my secret password 1");
    let csrf_cookie = browser.cookie("latchkey_csrf_token").unwrap();
    let session_cookie = browser.cookie("ory_kratos_session").unwrap();

    // A stranger posts another browser's sign-in form, password and all, with its real CSRF
    // token but without its cookie.
    let owner = Browser::new(&server);
    let flow = owner.fetch("/self-service/login/browser").body;
    let csrf = csrf_of(&flow);
    let owner_csrf_cookie = owner.cookie("latchkey_csrf_token").unwrap();
    let stranger = Browser::new(&server);
    let refused = stranger.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf),
            ("method", "password"),
            ("identifier", "secret@example.com"),
            ("password", "my secret password 1"),
        ],
    );
    assert_eq!(refused.status, 303, "{}", refused.text());
    // A valid logout link with a return_to that is not allowed.
    let logout = browser.fetch("/self-service/logout/browser").body;
    let token = logout["logout_token"].as_str().unwrap().to_string();
    let logout_refused = browser.visit(&format!(
        "/self-service/logout?token={token}&return_to=https://evil.example/"
    ));
    assert_eq!(logout_refused.status, 303, "{}", logout_refused.text());
    assert_eq!(
        browser.fetch("/sessions/whoami").status,
        200,
        "a refused logout leaves the session alone"
    );

    for resp in [refused, logout_refused] {
        let text = flow_error(&server, &error_id(resp.location.as_deref())).to_string();
        for secret in [
            csrf.as_str(),
            csrf_cookie.as_str(),
            owner_csrf_cookie.as_str(),
            session_cookie.as_str(),
            token.as_str(),
            "my secret password",
        ] {
            assert!(!text.contains(secret), "{text} contains a secret");
        }
    }
}

#[test]
fn unknown_malformed_and_expired_error_ids_are_kratos_404() {
    let work = Workdir::new();
    let server = with_error_ui(
        &work,
        vec![("SELFSERVICE_FLOWS_ERROR_LIFESPAN", "1s".into())],
    );
    let not_found = json!({ "error": {
        "code": 404, "status": "Not Found", "message": "Unable to locate the resource" } });
    for id in ["00000000-0000-4000-8000-000000000000", "", "garbage"] {
        let read = server.get(&format!("/self-service/errors?id={id}"));
        assert_eq!(read.status, 404, "{id}");
        assert_eq!(read.body, not_found, "{id}");
    }

    let browser = Browser::new(&server);
    let refused = browser.visit("/self-service/logout?token=forged");
    let id = error_id(refused.location.as_deref());
    assert_eq!(flow_error(&server, &id)["error"]["code"], 401);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = server.get(&format!("/self-service/errors?id={id}"));
    assert_eq!(expired.status, 404);
    assert_eq!(expired.body, not_found);

    // Kratos' stub for building an error UI.
    let stub = server.get("/self-service/errors?id=stub:500");
    assert_eq!(stub.status, 200, "{}", stub.body);
    assert_eq!(stub.body["error"]["code"], 500);
    assert_eq!(stub.body["error"]["reason"], "This is a stub error.");
}

#[test]
fn without_an_error_ui_browsers_get_the_json_error() {
    let work = Workdir::new();
    let server = start(&work, vec![]);
    let browser = Browser::new(&server);
    let refused = browser.visit("/self-service/login/browser?return_to=https://evil.example/");
    assert_eq!(refused.status, 400);
    assert_eq!(refused.location, None);
    assert_eq!(
        refused.body["error"]["id"],
        "self_service_flow_return_to_forbidden"
    );
}

#[test]
fn a_browser_without_a_session_is_sent_to_sign_in_not_to_an_error() {
    let work = Workdir::new();
    let server = with_error_ui(&work, vec![]);
    let browser = Browser::new(&server);
    sign_up(&browser, "gone@example.com", "gone soon pass 1");
    let flow = browser.fetch("/self-service/settings/browser").body;
    let logout = browser.fetch("/self-service/logout/browser").body;
    assert_eq!(
        browser.visit(logout["logout_url"].as_str().unwrap()).status,
        303
    );
    let posted = post_form(
        &browser,
        &flow,
        &[("method", "profile"), ("traits.email", "gone@example.com")],
    );
    assert_eq!(posted.status, 303, "{}", posted.text());
    assert_eq!(posted.location.as_deref(), Some(&*format!("{UI}/login")));
}
