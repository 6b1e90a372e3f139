//! Limits on guessing: wrong TOTP and recovery codes lock the factor for a while (the right
//! answer too is refused until then, and the session stays short of aal2), and one login flow
//! takes only so many submissions. TOTP codes come from pyotp.

use crate::harness::*;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const TOTP_LOCKED: u64 = 9_010_001;
const CODES_LOCKED: u64 = 9_020_001;
/// Short enough to wait for, long enough that the refusals before it ends are seen.
const LOCK_SECONDS: i64 = 3;

/// A server whose second factors lock after three wrong answers, for a few seconds.
fn server(work: &Workdir) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "selfservice:\n  methods:\n    totp:\n      config: {{ max_attempts: 3, lock_seconds: {LOCK_SECONDS} }}\n    lookup_secret:\n      config: {{ max_attempts: 3, lock_seconds: {LOCK_SECONDS} }}\n"
        ),
    );
    Server::with_config(work, &config)
}

fn token_of(resp: &Resp) -> String {
    resp.body["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no session token: {}", resp.body))
        .to_string()
}

fn node<'a>(flow: &'a Value, name: &str) -> Option<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == name || n["attributes"]["id"] == name)
}

fn post(server: &Server, path: &str, token: &str, body: &Value) -> Resp {
    send(
        ureq::post(&server.url(path)).set("X-Session-Token", token),
        Some(body),
    )
}

fn settings(server: &Server, token: &str, flow: Option<&Value>, body: Value) -> Resp {
    let fetched;
    let flow = match flow {
        Some(flow) => flow,
        None => {
            fetched = server
                .get_with_token("/self-service/settings/api", token)
                .body;
            &fetched
        }
    };
    let path = format!(
        "/self-service/settings?flow={}",
        flow["id"].as_str().unwrap()
    );
    post(server, &path, token, &body)
}

/// Each step-up is a flow of its own: the count lives in the credential, not in the flow.
fn step_up(server: &Server, token: &str, body: Value) -> Resp {
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    let path = format!(
        "/self-service/login?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    post(server, &path, token, &body)
}

fn aal_status(server: &Server, token: &str) -> u16 {
    server.get_with_token("/sessions/whoami", token).status
}

/// The error message a rejected step-up shows, on the flow or on the node `on`.
fn refusal(resp: &Resp, on: Option<&str>) -> Value {
    assert_eq!(resp.status, 400, "{}", resp.body);
    let messages = match on {
        Some(name) => &node(&resp.body, name).unwrap()["messages"],
        None => &resp.body["ui"]["messages"],
    };
    messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "error")
        .unwrap_or_else(|| panic!("no error message: {}", resp.body))
        .clone()
}

/// Checks a lock message's retry time and waits until it has passed.
fn wait_out(locked: &Value) {
    let until = locked["context"]["locked_until_unix"].as_i64().unwrap();
    let now = unix_now();
    assert!(
        (now..=now + LOCK_SECONDS).contains(&until),
        "locked for the configured seconds: {locked}"
    );
    assert!(
        locked["context"]["locked_until"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{locked}"
    );
    std::thread::sleep(Duration::from_secs((until - now).max(0) as u64 + 1));
}

#[test]
fn wrong_totp_codes_lock_the_app_until_the_lock_ends() {
    let work = Workdir::new();
    let server = server(&work);
    let first = token_of(&server.register("totp-lock@example.com", "lock password 123"));
    let flow = server
        .get_with_token("/self-service/settings/api", &first)
        .body;
    let secret = node(&flow, "totp_secret_key").unwrap()["attributes"]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = settings(
        &server,
        &first,
        Some(&flow),
        json!({ "method": "totp", "totp_code": oracle_code(&secret, 0) }),
    );
    assert_eq!(linked.status, 200, "{}", linked.body);

    let token = token_of(&server.login("totp-lock@example.com", "lock password 123"));
    let wrong = |code: &str| {
        step_up(
            &server,
            &token,
            json!({ "method": "totp", "totp_code": code }),
        )
    };
    for left in [2, 1] {
        let message = refusal(&wrong("000000"), Some("totp_code"));
        assert_eq!(message["id"], 4000008, "{message}");
        assert_eq!(message["context"]["attempts_left"], left, "{message}");
    }
    let locked = refusal(&wrong("000000"), Some("totp_code"));
    assert_eq!(locked["id"], TOTP_LOCKED, "{locked}");

    // The right code is refused unchecked while locked, and the session stays aal1.
    let right = oracle_code(&secret, 30);
    let refused = refusal(&wrong(&right), Some("totp_code"));
    assert_eq!(refused["id"], TOTP_LOCKED, "{refused}");
    assert_eq!(aal_status(&server, &token), 403);

    wait_out(&locked);
    let ok = wrong(&right);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["session"]["authenticator_assurance_level"], "aal2");
    assert_eq!(aal_status(&server, &token), 200);
}

#[test]
fn wrong_recovery_codes_lock_them_until_the_lock_ends() {
    let work = Workdir::new();
    let server = server(&work);
    let first = token_of(&server.register("codes-lock@example.com", "lock password 123"));
    let shown = settings(
        &server,
        &first,
        None,
        json!({ "method": "lookup_secret", "lookup_secret_regenerate": true }),
    );
    assert_eq!(shown.status, 200, "{}", shown.body);
    let code = node(&shown.body, "lookup_secret_codes").unwrap()["attributes"]["text"]["context"]
        ["secrets"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let confirmed = settings(
        &server,
        &first,
        Some(&shown.body),
        json!({ "method": "lookup_secret", "lookup_secret_confirm": true }),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);

    let token = token_of(&server.login("codes-lock@example.com", "lock password 123"));
    let submit = |code: &str| {
        step_up(
            &server,
            &token,
            json!({ "method": "lookup_secret", "lookup_secret": code }),
        )
    };
    for _ in 0..2 {
        assert_eq!(refusal(&submit("not-a-code"), None)["id"], 4000016);
    }
    let locked = refusal(&submit("not-a-code"), None);
    assert_eq!(locked["id"], CODES_LOCKED, "{locked}");

    let refused = refusal(&submit(&code), None);
    assert_eq!(refused["id"], CODES_LOCKED, "{refused}");
    assert_eq!(aal_status(&server, &token), 403);

    wait_out(&locked);
    let ok = submit(&code);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(aal_status(&server, &token), 200);
}

#[test]
fn a_login_flow_takes_max_submissions_then_names_a_new_one() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![("SELFSERVICE_FLOWS_LOGIN_MAX_SUBMISSIONS", "3".into())],
            ..Default::default()
        },
    );
    assert_eq!(
        server
            .register("flow-limit@example.com", "limit password 1")
            .status,
        200
    );
    let flow = server.get("/self-service/login/api").body;
    let path = format!("/self-service/login?flow={}", flow["id"].as_str().unwrap());
    let attempt = |password: &str| {
        server.post_json(
            &path,
            &json!({ "method": "password", "identifier": "flow-limit@example.com", "password": password }),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong password 1").status, 400);
    }
    // The fourth is refused before any password is checked, the right one too.
    let refused = attempt("limit password 1");
    assert_kratos_error(&refused, 410);
    assert_eq!(
        refused.body["error"]["id"], "self_service_flow_submissions_exceeded",
        "{}",
        refused.body
    );
    let fresh = refused.body["use_flow_id"].as_str().unwrap();
    assert_ne!(fresh, flow["id"].as_str().unwrap());

    // The new flow says why, and signs in.
    let shown = server.get(&format!("/self-service/login/flows?id={fresh}"));
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(message_ids(&shown.body), [4000001], "{}", shown.body);
    let ok = server.post_json(
        &format!("/self-service/login?flow={fresh}"),
        &json!({ "method": "password", "identifier": "flow-limit@example.com", "password": "limit password 1" }),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(server.log().contains("submitted too often"));
}

#[test]
fn a_browser_past_max_submissions_goes_on_to_a_new_flow() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![("SELFSERVICE_FLOWS_LOGIN_MAX_SUBMISSIONS", "1".into())],
            ..Default::default()
        },
    );
    let browser = Browser::new(&server);
    let flow = browser.start_flow("login");
    let csrf = csrf_of(&flow);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("method", "password"),
        ("identifier", "nobody@example.com"),
        ("password", "wrong password 1"),
    ];
    let old = flow["id"].as_str().unwrap();
    let first = browser.post_form(&action_of(&flow), &fields);
    assert_eq!(first.status, 303, "{}", first.text());
    assert!(
        first.location.as_deref().unwrap().contains(old),
        "shown again"
    );
    let second = browser.post_form(&action_of(&flow), &fields);
    assert_eq!(second.status, 303, "{}", second.text());
    let location = second.location.unwrap();
    assert!(
        location.contains("/self-service/login/flows?id=") && !location.contains(old),
        "sent on to a new flow: {location}"
    );
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
