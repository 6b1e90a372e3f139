//! Browser and SPA variants of the flows: cookies, CSRF, redirects, settings and logout.

use crate::harness::*;
use serde_json::json;

#[test]
fn browser_registration_sets_a_secure_session_cookie_and_redirects() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    let done = register_in_browser(&browser, "page@example.com", "browser password 1");
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location.is_some());
    let cookie = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ory_kratos_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // `--dev` (the harness' default) leaves out Secure for plain-HTTP localhost.
    assert!(!cookie.contains("Secure"), "{cookie}");

    let me = browser.fetch("/sessions/whoami");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["traits"]["email"], "page@example.com");
    let device = &me.body["devices"][0];
    assert_eq!(device["ip_address"], "127.0.0.1");
    // As Kratos without a geo-locating proxy in front: a string, empty.
    assert_eq!(device["location"], "");
    assert!(
        device["user_agent"]
            .as_str()
            .is_some_and(|ua| !ua.is_empty()),
        "{device}"
    );
}

#[test]
fn the_session_cookie_is_secure_outside_dev_mode() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            no_dev: true,
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let done = register_in_browser(&browser, "secure@example.com", "browser password 1");
    let cookie = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ory_kratos_session="))
        .expect("a session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[test]
fn spa_login_gets_json_and_a_cookie_but_no_token() {
    let work = Workdir::new();
    let server = Server::start(&work);
    assert_eq!(
        server.register("spa@example.com", "spa password 12").status,
        200
    );
    let browser = Browser::new(&server);
    let flow = browser.fetch("/self-service/login/browser");
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["type"], "browser");
    let done = browser.post_json(
        &action_of(&flow.body),
        &json!({ "method": "password", "identifier": "spa@example.com",
                 "password": "spa password 12", "csrf_token": csrf_of(&flow.body) }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body["session"]["id"].is_string());
    assert!(
        done.body.get("session_token").is_none(),
        "SPAs get a cookie, not a token"
    );
    assert_eq!(browser.fetch("/sessions/whoami").status, 200);

    // A second login flow for a signed-in SPA: session_already_available.
    let again = browser.fetch("/self-service/login/browser");
    assert_eq!(again.status, 400);
    assert_eq!(again.body["error"]["id"], "session_already_available");
}

#[test]
fn csrf_missing_or_wrong_is_403_and_the_flow_still_works() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    let flow = browser.start_flow("registration");
    let action = action_of(&flow);
    for token in ["", "forged-token"] {
        let resp = browser.post_form(
            &action,
            &[
                ("csrf_token", token),
                ("method", "password"),
                ("traits.email", "x@example.com"),
                ("password", "long password 1"),
            ],
        );
        assert_eq!(resp.status, 403, "{}", resp.body);
        assert_eq!(resp.body["error"]["id"], "security_csrf_violation");
    }
    // Another browser (no CSRF cookie) with the right token is refused too.
    let other = Browser::new(&server);
    let resp = other.post_form(
        &action,
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("traits.email", "x@example.com"),
            ("password", "long password 1"),
        ],
    );
    assert_eq!(resp.status, 403);
    // The flow itself is unharmed.
    let ok = browser.post_form(
        &action,
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("traits.email", "x@example.com"),
            ("password", "long password 1"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[test]
fn api_flows_refuse_requests_with_cookies_or_origin() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let flow = server.get("/self-service/login/api");
    let url = server.url(&format!(
        "/self-service/login?flow={}",
        flow.body["id"].as_str().unwrap()
    ));
    let body =
        json!({ "method": "password", "identifier": "a@example.com", "password": "whatever12" });
    for (header, value) in [
        ("Cookie", "ory_kratos_session=abc"),
        ("Origin", "https://evil.example.com"),
    ] {
        let resp = send(ureq::post(&url).set(header, value), Some(&body));
        assert_kratos_error(&resp, 400);
        assert!(
            resp.body["error"]["reason"]
                .as_str()
                .unwrap()
                .contains(header)
        );
    }
}

#[test]
fn return_to_must_be_allowed() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![(
                "SELFSERVICE_ALLOWED_RETURN_URLS",
                "https://app.example.com/".into(),
            )],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let bad = browser.fetch("/self-service/login/browser?return_to=https://evil.example.com/phish");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        bad.body["error"]["id"],
        "self_service_flow_return_to_forbidden"
    );

    let good = browser
        .fetch("/self-service/registration/browser?return_to=https://app.example.com/welcome");
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(good.body["return_to"], "https://app.example.com/welcome");
    let done = browser.post_form(
        &action_of(&good.body),
        &[
            ("csrf_token", &csrf_of(&good.body)),
            ("method", "password"),
            ("traits.email", "rt@example.com"),
            ("password", "return to me 1"),
        ],
    );
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location.as_deref(),
        Some("https://app.example.com/welcome")
    );
}

#[test]
fn a_rejected_browser_submission_goes_back_to_the_form_with_messages() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    let flow = browser.start_flow("login");
    let resp = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "ghost@example.com"),
            ("password", "nope nope nope"),
        ],
    );
    assert_eq!(resp.status, 303);
    let shown = browser.fetch(resp.location.as_deref().unwrap());
    assert_eq!(message_ids(&shown.body), vec![4000006], "{}", shown.body);
}

#[test]
fn an_expired_browser_flow_redirects_to_a_fresh_one() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "1s".into())],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let flow = browser.start_flow("login");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let resp = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "a@example.com"),
            ("password", "whatever12"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let location = resp.location.unwrap();
    assert!(
        !location.contains(flow["id"].as_str().unwrap()),
        "{location}"
    );
    assert_eq!(browser.fetch(&location).status, 200);
}

#[test]
fn settings_change_profile_and_password_then_log_in_with_them() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("old@example.com", "old password 1");
    let token = reg.body["session_token"].as_str().unwrap().to_string();

    let without = server.get("/self-service/settings/api");
    assert_kratos_error(&without, 401);
    assert_eq!(without.body["error"]["id"], "session_inactive");

    let flow = server.get_with_token("/self-service/settings/api", &token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["state"], "show_form");
    let email = flow.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "traits.email")
        .unwrap()
        .clone();
    assert_eq!(email["group"], "profile");
    assert_eq!(email["attributes"]["value"], "old@example.com");
    let action = format!(
        "/self-service/settings?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    let post = |body: serde_json::Value| {
        send(
            ureq::post(&server.url(&action)).set("X-Session-Token", &token),
            Some(&body),
        )
    };

    let bad = post(json!({ "method": "profile", "traits": { "email": "not-an-email" } }));
    assert_eq!(bad.status, 400, "{}", bad.body);

    let profile = post(json!({ "method": "profile", "traits": { "email": "new@example.com" } }));
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["state"], "success");
    assert_eq!(profile.body["ui"]["messages"][0]["id"], 1050001);

    let password = post(json!({ "method": "password", "password": "new password 2" }));
    assert_eq!(password.status, 200, "{}", password.body);
    assert_eq!(password.body["ui"]["messages"][0]["id"], 1050001);

    assert_eq!(
        server.login("old@example.com", "old password 1").status,
        400
    );
    assert_eq!(
        server.login("new@example.com", "old password 1").status,
        400
    );
    assert_eq!(
        server.login("new@example.com", "new password 2").status,
        200
    );
}

#[test]
fn a_password_change_outside_the_privileged_window_needs_a_refresh() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![(
                "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE",
                "1s".into(),
            )],
            ..Default::default()
        },
    );
    let reg = server.register("stale@example.com", "stale password 1");
    let token = reg.body["session_token"].as_str().unwrap().to_string();
    let flow = server.get_with_token("/self-service/settings/api", &token);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let resp = send(
        ureq::post(&server.url(&format!(
            "/self-service/settings?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", &token),
        Some(&json!({ "method": "password", "password": "another password 2" })),
    );
    assert_kratos_error(&resp, 403);
    assert_eq!(resp.body["error"]["id"], "session_refresh_required");
    let to = resp.body["redirect_browser_to"].as_str().unwrap();
    assert!(
        to.contains("/self-service/login/browser?refresh=true&return_to="),
        "{to}"
    );
    // Profile changes need no refresh.
    let profile = send(
        ureq::post(&server.url(&format!(
            "/self-service/settings?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", &token),
        Some(&json!({ "method": "profile", "traits": { "email": "stale@example.com" } })),
    );
    assert_eq!(profile.status, 200, "{}", profile.body);
}

#[test]
fn browser_settings_and_logout() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let browser = Browser::new(&server);
    assert_eq!(
        register_in_browser(&browser, "b@example.com", "browser pass 12").status,
        303
    );

    let flow = browser.start_flow("settings");
    let saved = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "profile"),
            ("traits.email", "b2@example.com"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = browser.fetch(saved.location.as_deref().unwrap());
    assert_eq!(shown.body["state"], "success", "{}", shown.body);

    let logout = browser.fetch("/self-service/logout/browser");
    assert_eq!(logout.status, 200, "{}", logout.body);
    let url = logout.body["logout_url"].as_str().unwrap().to_string();
    let forged = browser.visit(&url.replace("token=", "token=x"));
    assert_eq!(forged.status, 403);
    let out = browser.visit(&url);
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("ory_kratos_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(browser.fetch("/sessions/whoami").status, 401);
    // Without a session there is nothing to log out of.
    assert_eq!(browser.fetch("/self-service/logout/browser").status, 401);
}

#[test]
fn sessions_can_be_listed_and_revoked() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let first = server.register("many@example.com", "many sessions 1");
    let t1 = first.body["session_token"].as_str().unwrap().to_string();
    let t2 = server.login("many@example.com", "many sessions 1").body["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let t3 = server.login("many@example.com", "many sessions 1").body["session_token"]
        .as_str()
        .unwrap()
        .to_string();

    let others = server.get_with_token("/sessions", &t1);
    assert_eq!(others.status, 200);
    assert_eq!(others.body.as_array().unwrap().len(), 2);

    let id2 = server.get_with_token("/sessions/whoami", &t2).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let del = send(
        ureq::delete(&server.url(&format!("/sessions/{id2}"))).set("X-Session-Token", &t1),
        None,
    );
    assert_eq!(del.status, 204);
    assert_eq!(server.get_with_token("/sessions/whoami", &t2).status, 401);

    let rest = send(
        ureq::delete(&server.url("/sessions")).set("X-Session-Token", &t1),
        None,
    );
    assert_eq!(rest.body["count"], 1);
    assert_eq!(server.get_with_token("/sessions/whoami", &t3).status, 401);
    assert_eq!(server.get_with_token("/sessions/whoami", &t1).status, 200);
}

#[test]
fn cookie_secrets_rotate() {
    let work = Workdir::new();
    let old = "an-old-cookie-secret-0001";
    let new = "a-new-cookie-secret-00002";
    let with_secrets = |secrets: &str| Options {
        env: vec![("SECRETS_COOKIE", secrets.to_string())],
        ..Default::default()
    };
    let server = Server::start_with(&work, with_secrets(old));
    let browser = Browser::new(&server);
    assert_eq!(
        register_in_browser(&browser, "rot@example.com", "rotate me 1234").status,
        303
    );
    let cookie = browser_cookie(&browser, &server);
    server.kill();

    let server = Server::start_with(&work, with_secrets(&format!("{new},{old}")));
    assert_eq!(
        whoami_with_cookie(&server, &cookie),
        200,
        "old signatures still verify"
    );
    server.kill();
    let server = Server::start_with(&work, with_secrets(new));
    assert_eq!(
        whoami_with_cookie(&server, &cookie),
        401,
        "retired secrets no longer verify"
    );
}

fn browser_cookie(browser: &Browser, _server: &Server) -> String {
    assert_eq!(browser.fetch("/sessions/whoami").status, 200);
    browser
        .cookie("ory_kratos_session")
        .expect("session cookie in the jar")
}

fn whoami_with_cookie(server: &Server, cookie: &str) -> u16 {
    send(
        ureq::get(&server.url("/sessions/whoami"))
            .set("Cookie", &format!("ory_kratos_session={cookie}")),
        None,
    )
    .status
}

#[test]
fn identity_schemas_are_served() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let list = server.get("/schemas");
    assert_eq!(list.body[0]["id"], "default");
    let reg = server.register("schema@example.com", "schema pass 12");
    let url = reg.body["identity"]["schema_url"].as_str().unwrap();
    let schema = send(ureq::get(url), None);
    assert_eq!(schema.status, 200);
    assert!(schema.body["properties"]["traits"].is_object());
    assert_kratos_error(&server.get("/schemas/nope"), 404);
}
