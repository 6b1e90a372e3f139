//! `session.rotate_on_aal_change`: a step-up or a refresh hands out a new session token (and
//! cookie) and the one from before the privilege change stops working; off, the token stays,
//! as Kratos clients expect.

use crate::harness::*;
use crate::second_factors::{enrol_totp, step_up, token_of, whoami};
use serde_json::json;

fn rotating_server(work: &Workdir) -> Server {
    Server::start_with(
        work,
        Options {
            env: vec![("SESSION_ROTATE_ON_AAL_CHANGE", "true".into())],
            ..Default::default()
        },
    )
}

#[test]
fn a_step_up_replaces_the_token_and_revokes_the_old_one() {
    let work = Workdir::new();
    let server = rotating_server(&work);
    let first = token_of(&server.register("rotate@example.com", "rotate password 1"));
    let secret = enrol_totp(&server, &first);
    let login = server.login("rotate@example.com", "rotate password 1");
    let old = token_of(&login);
    let session_id = login.body["session"]["id"].clone();

    let up = step_up(
        &server,
        &old,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 30) }),
    );
    assert_eq!(up.status, 200, "{}", up.body);
    let new = token_of(&up);
    assert_ne!(new, old, "a step-up hands out a new token");
    assert_eq!(
        up.body["continue_with"][0]["ory_session_token"], new,
        "the client is told to use it"
    );

    let stale = whoami(&server, &old);
    assert_kratos_error(&stale, 401);
    let current = whoami(&server, &new);
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.body["id"], session_id, "the same session, renewed");
    assert_eq!(current.body["authenticator_assurance_level"], "aal2");
}

#[test]
fn a_browser_refresh_replaces_the_cookie() {
    let work = Workdir::new();
    let server = rotating_server(&work);
    let browser = Browser::new(&server);
    register_in_browser(&browser, "fresh@example.com", "fresh password 1");
    let cookie_name = "ory_kratos_session";
    let before = browser.cookie(cookie_name).expect("a session cookie");

    let flow = browser
        .fetch("/self-service/login/browser?refresh=true")
        .body;
    assert_eq!(flow["refresh"], true, "{flow}");
    let done = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "fresh@example.com"),
            ("password", "fresh password 1"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.text());
    let after = browser.cookie(cookie_name).expect("a session cookie");
    assert_ne!(after, before, "the refresh set a new cookie");

    let with_old = send(
        ureq::get(&server.url("/sessions/whoami"))
            .set("Cookie", &format!("{cookie_name}={before}")),
        None,
    );
    assert_kratos_error(&with_old, 401);
    assert_eq!(browser.fetch("/sessions/whoami").status, 200);
}

#[test]
fn without_the_option_a_step_up_keeps_the_token() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let first = token_of(&server.register("keeps@example.com", "keeps password 1"));
    let secret = enrol_totp(&server, &first);
    let old = token_of(&server.login("keeps@example.com", "keeps password 1"));
    let up = step_up(
        &server,
        &old,
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 30) }),
    );
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(token_of(&up), old);
    assert_eq!(
        whoami(&server, &old).body["authenticator_assurance_level"],
        "aal2"
    );
}
