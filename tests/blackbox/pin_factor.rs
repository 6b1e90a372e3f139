//! The example PIN factor (`plugins/examples/pin`), loaded from config next to the default
//! factors: set in settings, asked for at `aal=aal2`, removed again.

use crate::harness::*;
use serde_json::{Value, json};

fn server(work: &Workdir) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors:\n    - path: {}\n    - path: {}\n    - path: {}\n    - path: {}\n",
            plugin("password").display(),
            plugin("totp").display(),
            plugin("lookup_secret").display(),
            plugin("pin").display(),
        ),
    );
    Server::start_with(
        work,
        Options {
            config: Some(&config),
            ..Default::default()
        },
    )
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
        .find(|n| n["attributes"]["name"] == name)
}

fn settings(server: &Server, token: &str, body: Value) -> Resp {
    let flow = server.get_with_token("/self-service/settings/api", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    let path = format!(
        "/self-service/settings?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    send(
        ureq::post(&server.url(&path)).set("X-Session-Token", token),
        Some(&body),
    )
}

fn step_up(server: &Server, token: &str, pin: &str) -> Resp {
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert!(node(&flow.body, "pin").is_some(), "{}", flow.body);
    let path = format!(
        "/self-service/login?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    send(
        ureq::post(&server.url(&path)).set("X-Session-Token", token),
        Some(&json!({ "method": "pin", "pin": pin })),
    )
}

fn aal(server: &Server, token: &str) -> Resp {
    server.get_with_token("/sessions/whoami", token)
}

#[test]
fn a_pin_is_a_second_factor_until_it_is_removed() {
    let work = Workdir::new();
    let server = server(&work);
    let first = token_of(&server.register("pin@example.com", "pin password 123"));

    let bad = settings(&server, &first, json!({ "method": "pin", "pin": "12ab" }));
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(message_ids(&bad.body), [9_000_102]);

    let set = settings(&server, &first, json!({ "method": "pin", "pin": "024680" }));
    assert_eq!(set.status, 200, "{}", set.body);
    assert!(node(&set.body, "pin_remove").is_some(), "{}", set.body);
    let me = aal(&server, &first);
    assert_eq!(
        me.body["authenticator_assurance_level"], "aal2",
        "{}",
        me.body
    );

    let second = token_of(&server.login("pin@example.com", "pin password 123"));
    let denied = aal(&server, &second);
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.body["error"]["id"], "session_aal2_required");

    let wrong = step_up(&server, &second, "135791");
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    let field = node(&wrong.body, "pin").unwrap();
    assert_eq!(field["messages"][0]["id"], 9_000_103, "{}", wrong.body);
    assert!(
        field["attributes"].get("value").is_none(),
        "a PIN is never echoed"
    );

    let ok = step_up(&server, &second, "024680");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["session"]["authenticator_assurance_level"], "aal2");
    let me = aal(&server, &second);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.body["id"], ok.body["session"]["id"],
        "same session, same token"
    );
    let methods: Vec<&str> = me.body["authentication_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["password", "pin"]);

    let removed = settings(
        &server,
        &second,
        json!({ "method": "pin", "pin_remove": "true" }),
    );
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(node(&removed.body, "pin").is_some(), "{}", removed.body);
    let third = token_of(&server.login("pin@example.com", "pin password 123"));
    let me = aal(&server, &third);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");
}
