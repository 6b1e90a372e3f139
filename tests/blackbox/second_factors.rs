//! TOTP and recovery codes end to end: enrolment in settings, AAL2 demands, step-up logins
//! through the API and the browser, replay and reuse refusals, and unlinking. Codes come from
//! pyotp, an implementation independent of the plugin's.

use crate::harness::*;
use serde_json::{Value, json};

fn node<'a>(flow: &'a Value, name: &str) -> Option<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == name || n["attributes"]["id"] == name)
}

pub(crate) fn token_of(resp: &Resp) -> String {
    resp.body["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no session token: {}", resp.body))
        .to_string()
}

fn with_token(server: &Server, path: &str, token: &str, body: &Value) -> Resp {
    send(
        ureq::post(&server.url(path)).set("X-Session-Token", token),
        Some(body),
    )
}

fn settings_flow(server: &Server, token: &str) -> Value {
    let flow = server.get_with_token("/self-service/settings/api", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    flow.body
}

fn submit_settings(server: &Server, token: &str, flow: &Value, body: Value) -> Resp {
    let path = format!(
        "/self-service/settings?flow={}",
        flow["id"].as_str().unwrap()
    );
    with_token(server, &path, token, &body)
}

/// Starts an `aal=aal2` API login for the session behind `token` and submits `body` to it.
pub(crate) fn step_up(server: &Server, token: &str, body: Value) -> Resp {
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["requested_aal"], "aal2");
    let path = format!(
        "/self-service/login?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    with_token(server, &path, token, &body)
}

pub(crate) fn whoami(server: &Server, token: &str) -> Resp {
    server.get_with_token("/sessions/whoami", token)
}

fn methods_of(session: &Value) -> Vec<String> {
    session["authentication_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap().to_string())
        .collect()
}

/// Links an authenticator app in the settings flow with the current code and returns the
/// secret it was given.
pub(crate) fn enrol_totp(server: &Server, token: &str) -> String {
    let flow = settings_flow(server, token);
    let secret = node(&flow, "totp_secret_key").expect("a totp_secret_key node")["attributes"]
        ["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let done = submit_settings(
        server,
        token,
        &flow,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 0) }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    secret
}

#[test]
fn enrolling_totp_upgrades_the_session_and_later_sessions_must_step_up() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let token = token_of(&server.register("otp@example.com", "otp password 12"));

    let flow = settings_flow(&server, &token);
    let qr = node(&flow, "totp_qr").expect("a totp_qr node");
    assert_eq!(qr["type"], "img");
    assert!(
        qr["attributes"]["src"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let secret = node(&flow, "totp_secret_key").unwrap()["attributes"]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(secret.len(), 32, "a 160-bit base32 secret: {secret}");

    // A wrong code is refused on the field, which is cleared, and the same secret stays.
    let wrong = submit_settings(
        &server,
        &token,
        &flow,
        json!({ "method": "totp", "totp_code": "000000" }),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    let field = node(&wrong.body, "totp_code").unwrap();
    assert_eq!(field["messages"][0]["id"], 4000008, "{}", wrong.body);
    assert!(
        field["attributes"]["value"]
            .as_str()
            .unwrap_or("")
            .is_empty()
    );
    assert_eq!(
        node(&wrong.body, "totp_secret_key").unwrap()["attributes"]["text"]["text"],
        secret.as_str()
    );
    assert_eq!(
        whoami(&server, &token).body["authenticator_assurance_level"],
        "aal1"
    );

    let linked = submit_settings(
        &server,
        &token,
        &flow,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 0) }),
    );
    assert_eq!(linked.status, 200, "{}", linked.body);
    assert!(
        node(&linked.body, "totp_unlink").is_some(),
        "{}",
        linked.body
    );
    let session = whoami(&server, &token).body;
    assert_eq!(session["authenticator_assurance_level"], "aal2");
    assert_eq!(methods_of(&session), ["password", "totp"]);

    // A new password-only session is aal1 while the identity could do aal2.
    let second = token_of(&server.login("otp@example.com", "otp password 12"));
    let denied = whoami(&server, &second);
    assert_kratos_error(&denied, 403);
    assert_eq!(denied.body["error"]["id"], "session_aal2_required");
    let to = denied.body["redirect_browser_to"].as_str().unwrap();
    assert!(to.contains("/self-service/login/browser?aal=aal2"), "{to}");
    let with_return =
        server.get_with_token("/sessions/whoami?return_to=http://127.0.0.1/back", &second);
    assert!(
        with_return.body["redirect_browser_to"]
            .as_str()
            .unwrap()
            .contains("return_to="),
        "{}",
        with_return.body
    );
    let settings = server.get_with_token("/self-service/settings/api", &second);
    assert_eq!(settings.status, 403, "{}", settings.body);
    assert_eq!(settings.body["error"]["id"], "session_aal2_required");

    // Stepping up keeps the session and its token. The code is for the next time step: the
    // one that linked the app has been used.
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", &second);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(message_ids(&flow.body), vec![1010004]);
    assert!(node(&flow.body, "totp_code").is_some());
    assert!(node(&flow.body, "password").is_none());
    let upgraded = step_up(
        &server,
        &second,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 30) }),
    );
    assert_eq!(upgraded.status, 200, "{}", upgraded.body);
    assert_eq!(
        upgraded.body["session_token"],
        second.as_str(),
        "same token"
    );
    let after = whoami(&server, &second);
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.body["id"], upgraded.body["session"]["id"]);
    assert_eq!(after.body["authenticator_assurance_level"], "aal2");
    assert_eq!(methods_of(&after.body), ["password", "totp"]);
}

#[test]
fn step_up_keeps_the_session_id_and_resets_authenticated_at() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let first = token_of(&server.register("keep@example.com", "keep password 1"));
    let secret = enrol_totp(&server, &first);
    let login = server.login("keep@example.com", "keep password 1");
    let token = token_of(&login);
    let before = &login.body["session"];
    assert_eq!(before["authenticator_assurance_level"], "aal1", "{before}");
    std::thread::sleep(std::time::Duration::from_millis(20));

    let up = step_up(
        &server,
        &token,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 30) }),
    );
    assert_eq!(up.status, 200, "{}", up.body);
    let after = whoami(&server, &token).body;
    assert_eq!(after["id"], before["id"]);
    assert!(after["authenticated_at"].as_str() > before["authenticated_at"].as_str());
    assert_eq!(methods_of(&after), ["password", "totp"]);
    let totp = &after["authentication_methods"][1];
    assert_eq!(totp["aal"], "aal2");
    assert!(totp["completed_at"].is_string());
}

#[test]
fn a_replayed_totp_code_is_refused() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let first = token_of(&server.register("replay@example.com", "replay password 1"));
    let secret = enrol_totp(&server, &first);
    let code = oracle_code(&secret, 30);

    let a = token_of(&server.login("replay@example.com", "replay password 1"));
    let used = step_up(&server, &a, json!({ "method": "totp", "totp_code": code }));
    assert_eq!(used.status, 200, "{}", used.body);

    let b = token_of(&server.login("replay@example.com", "replay password 1"));
    let replayed = step_up(&server, &b, json!({ "method": "totp", "totp_code": code }));
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    let field = node(&replayed.body, "totp_code").unwrap();
    assert_eq!(field["messages"][0]["id"], 4000008, "{}", replayed.body);
    assert!(
        field["attributes"]["value"]
            .as_str()
            .unwrap_or("")
            .is_empty()
    );
    // An older code than the last one used is no better.
    let older = step_up(
        &server,
        &b,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 0) }),
    );
    assert_eq!(older.status, 400, "{}", older.body);
    assert_eq!(whoami(&server, &b).status, 403, "still aal1");
}

#[test]
fn login_initialisation_with_an_aal2_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let token = token_of(&server.register("aal2@example.com", "aal2 password 1"));
    enrol_totp(&server, &token);
    assert_eq!(
        whoami(&server, &token).body["authenticator_assurance_level"],
        "aal2"
    );

    for q in ["", "?aal=aal2"] {
        let resp = server.get_with_token(&format!("/self-service/login/api{q}"), &token);
        assert_kratos_error(&resp, 400);
        assert_eq!(resp.body["error"]["id"], "session_already_available", "{q}");
    }
    let refresh = server.get_with_token("/self-service/login/api?refresh=true", &token);
    assert_eq!(refresh.status, 200, "{}", refresh.body);
    assert_eq!(refresh.body["refresh"], true);
    assert_eq!(refresh.body["requested_aal"], "aal1");
    assert!(node(&refresh.body, "password").is_some());

    let both = server.get_with_token("/self-service/login/api?refresh=true&aal=aal2", &token);
    assert_eq!(both.status, 200, "{}", both.body);
    assert_eq!(both.body["refresh"], true);
    assert_eq!(both.body["requested_aal"], "aal2");
    assert!(node(&both.body, "totp_code").is_some());
    assert!(node(&both.body, "password").is_none());
    assert_kratos_error(
        &server.get_with_token("/self-service/login/api?aal=aal9", &token),
        400,
    );
}

#[test]
fn browser_login_of_a_totp_identity_is_sent_to_the_second_factor() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    assert_eq!(
        register_in_browser(&browser, "web@example.com", "web password 12").status,
        303
    );

    // Enrol in the browser: the form carries the CSRF token.
    let flow = browser.start_flow("settings");
    let secret = node(&flow, "totp_secret_key").unwrap()["attributes"]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "totp"),
            ("totp_code", &oracle_code(&secret, 0)),
        ],
    );
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(
        browser.fetch("/sessions/whoami").body["authenticator_assurance_level"],
        "aal2"
    );
    let logout = browser.fetch("/self-service/logout/browser");
    assert_eq!(
        browser
            .visit(logout.body["logout_url"].as_str().unwrap())
            .status,
        303
    );

    // Password first: the browser is sent on to the second factor, not to the app.
    let flow = browser.start_flow("login");
    let first = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "web@example.com"),
            ("password", "web password 12"),
        ],
    );
    assert_eq!(first.status, 303, "{}", first.body);
    let next = first.location.unwrap();
    assert!(
        next.contains("/self-service/login/browser?aal=aal2"),
        "{next}"
    );
    assert_eq!(browser.fetch("/sessions/whoami").status, 403);

    let started = browser.visit(&next);
    assert_eq!(started.status, 303, "{}", started.body);
    let flow = browser.fetch(started.location.as_deref().unwrap()).body;
    assert_eq!(flow["requested_aal"], "aal2", "{flow}");
    let second = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "totp"),
            ("totp_code", &oracle_code(&secret, 30)),
        ],
    );
    assert_eq!(second.status, 303, "{}", second.body);
    assert!(!second.location.unwrap().contains("aal=aal2"));
    let session = browser.fetch("/sessions/whoami").body;
    assert_eq!(
        session["authenticator_assurance_level"], "aal2",
        "{session}"
    );
    assert_eq!(methods_of(&session), ["password", "totp"]);

    // An SPA gets the same instruction as JSON.
    let spa = Browser::new(&server);
    let flow = spa.fetch("/self-service/login/browser");
    let resp = spa.post_json(
        &action_of(&flow.body),
        &json!({
            "csrf_token": csrf_of(&flow.body),
            "method": "password",
            "identifier": "web@example.com",
            "password": "web password 12",
        }),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert_eq!(resp.body["error"]["id"], "browser_location_change_required");
    assert!(
        resp.body["redirect_browser_to"]
            .as_str()
            .unwrap()
            .contains("/self-service/login/browser?aal=aal2")
    );
}

/// Generates recovery codes in settings and confirms them; returns the codes shown.
fn set_up_recovery_codes(server: &Server, token: &str) -> Vec<String> {
    let flow = settings_flow(server, token);
    assert!(node(&flow, "lookup_secret_regenerate").is_some(), "{flow}");
    let shown = submit_settings(
        server,
        token,
        &flow,
        json!({ "method": "lookup_secret", "lookup_secret_regenerate": true }),
    );
    assert_eq!(shown.status, 200, "{}", shown.body);
    let codes: Vec<String> = node(&shown.body, "lookup_secret_codes")
        .unwrap_or_else(|| panic!("codes shown: {}", shown.body))["attributes"]["text"]["context"]
        ["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 12, "{codes:?}");
    assert!(node(&shown.body, "lookup_secret_confirm").is_some());
    let confirmed = submit_settings(
        server,
        token,
        &shown.body,
        json!({ "method": "lookup_secret", "lookup_secret_confirm": true }),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    codes
}

#[test]
fn each_recovery_code_works_once() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let first = token_of(&server.register("codes@example.com", "codes password 1"));
    let codes = set_up_recovery_codes(&server, &first);
    // Stored hashed: no code appears in the admin view of the credential.
    let id = whoami(&server, &first).body["identity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = server.admin_get(&format!(
        "/admin/identities/{id}?include_credential=lookup_secret"
    ));
    assert_eq!(admin.status, 200, "{}", admin.body);
    let stored = admin.body["credentials"]["lookup_secret"].to_string();
    assert!(stored.len() > 20, "{stored}");
    for code in &codes {
        assert!(
            !stored.contains(code.as_str()),
            "code {code} stored in clear"
        );
    }

    let a = token_of(&server.login("codes@example.com", "codes password 1"));
    assert_eq!(
        whoami(&server, &a).status,
        403,
        "recovery codes make aal2 available"
    );
    let used = step_up(
        &server,
        &a,
        json!({ "method": "lookup_secret", "lookup_secret": codes[0] }),
    );
    assert_eq!(used.status, 200, "{}", used.body);
    let session = whoami(&server, &a).body;
    assert_eq!(session["authenticator_assurance_level"], "aal2");
    assert_eq!(methods_of(&session), ["password", "lookup_secret"]);

    let b = token_of(&server.login("codes@example.com", "codes password 1"));
    let again = step_up(
        &server,
        &b,
        json!({ "method": "lookup_secret", "lookup_secret": codes[0] }),
    );
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(message_ids(&again.body), vec![4000012], "{}", again.body);
    let bogus = step_up(
        &server,
        &b,
        json!({ "method": "lookup_secret", "lookup_secret": "not-a-code" }),
    );
    assert_eq!(bogus.status, 400, "{}", bogus.body);
    assert_eq!(message_ids(&bogus.body), vec![4000016], "{}", bogus.body);
    assert_eq!(whoami(&server, &b).status, 403);
    let other = step_up(
        &server,
        &b,
        json!({ "method": "lookup_secret", "lookup_secret": codes[1] }),
    );
    assert_eq!(other.status, 200, "{}", other.body);
}

#[test]
fn unlinking_totp_drops_the_identity_back_to_aal1() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let token = token_of(&server.register("unlink@example.com", "unlink password 1"));
    enrol_totp(&server, &token);
    let aal1 = token_of(&server.login("unlink@example.com", "unlink password 1"));
    assert_eq!(whoami(&server, &aal1).status, 403);

    let flow = settings_flow(&server, &token);
    let unlinked = submit_settings(
        &server,
        &token,
        &flow,
        json!({ "method": "totp", "totp_unlink": true }),
    );
    assert_eq!(unlinked.status, 200, "{}", unlinked.body);
    assert!(
        node(&unlinked.body, "totp_qr").is_some(),
        "enrolment offered again"
    );

    let after = whoami(&server, &aal1);
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.body["authenticator_assurance_level"], "aal1");
    let fresh = token_of(&server.login("unlink@example.com", "unlink password 1"));
    assert_eq!(whoami(&server, &fresh).status, 200);
    // With nothing to step up with, a second factor cannot be asked for.
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", &fresh);
    assert!(node(&flow.body, "totp_code").is_none(), "{}", flow.body);
}

#[test]
fn required_aal_aal1_lets_aal1_sessions_through() {
    let work = Workdir::new();
    let config = work.write(
        "kratos.yml",
        "session:\n  whoami:\n    required_aal: aal1\nselfservice:\n  flows:\n    settings:\n      required_aal: aal1\n",
    );
    let server = Server::with_config(&work, &config);
    let token = token_of(&server.register("lax@example.com", "lax password 12"));
    enrol_totp(&server, &token);
    let aal1 = token_of(&server.login("lax@example.com", "lax password 12"));
    let me = whoami(&server, &aal1);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");
    assert_eq!(
        server
            .get_with_token("/self-service/settings/api", &aal1)
            .status,
        200
    );
}
