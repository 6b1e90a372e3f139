//! Login initialisation as Kratos does it, refresh re-authentication, and AAL rules.

use crate::harness::*;
use serde_json::{Value, json};

fn node_names(flow: &Value) -> Vec<String> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            n["attributes"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn login_initialisation_without_a_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let plain = server.get("/self-service/login/api");
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body["refresh"], false);
    // Without a session there is nothing to refresh: Kratos drops the flag.
    let refresh = server.get("/self-service/login/api?refresh=true");
    assert_eq!(refresh.status, 200);
    assert_eq!(refresh.body["refresh"], false);
    for q in ["aal=aal2", "aal=aal2&refresh=true"] {
        let resp = server.get(&format!("/self-service/login/api?{q}"));
        assert_kratos_error(&resp, 401);
        assert_eq!(resp.body["error"]["id"], "session_aal1_required", "{q}");
        assert!(
            resp.body["redirect_browser_to"]
                .as_str()
                .unwrap()
                .contains("/self-service/login/browser")
        );
    }
    assert_kratos_error(&server.get("/self-service/login/api?aal=aal3"), 400);
    // Browsers get the same answers from the browser endpoint.
    let browser = Browser::new(&server);
    assert_eq!(
        browser.fetch("/self-service/login/browser?aal=aal2").status,
        401
    );
}

#[test]
fn login_initialisation_with_an_aal1_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("init@example.com", "init password 1");
    let token = reg.body["session_token"].as_str().unwrap().to_string();

    let plain = server.get_with_token("/self-service/login/api", &token);
    assert_eq!(plain.body["error"]["id"], "session_already_available");

    let refresh = server.get_with_token("/self-service/login/api?refresh=true", &token);
    assert_eq!(refresh.status, 200, "{}", refresh.body);
    assert_eq!(refresh.body["refresh"], true);
    assert_eq!(message_ids(&refresh.body), vec![1010003]);
    let ident = refresh.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "identifier")
        .expect("identifier node")
        .clone();
    assert_eq!(
        ident["attributes"]["value"], "init@example.com",
        "identifier prefilled"
    );

    for q in ["aal=aal2", "aal=aal2&refresh=true"] {
        let up = server.get_with_token(&format!("/self-service/login/api?{q}"), &token);
        assert_eq!(up.status, 200, "{q}: {}", up.body);
        assert_eq!(up.body["requested_aal"], "aal2");
        assert_eq!(message_ids(&up.body), vec![1010004]);
        let names = node_names(&up.body);
        assert!(
            !names.contains(&"password".to_string()),
            "only second-factor nodes: {names:?}"
        );
        // A first factor cannot be submitted into an aal2 flow.
        let resp = send(
            ureq::post(&server.url(&format!(
                "/self-service/login?flow={}",
                up.body["id"].as_str().unwrap()
            )))
            .set("X-Session-Token", &token),
            Some(
                &json!({ "method": "password", "identifier": "init@example.com", "password": "init password 1" }),
            ),
        );
        assert_kratos_error(&resp, 400);
    }
}

#[test]
fn refresh_resets_authenticated_at_on_the_same_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("fresh@example.com", "fresh password 1");
    let token = reg.body["session_token"].as_str().unwrap().to_string();
    let before = server.get_with_token("/sessions/whoami", &token).body;
    std::thread::sleep(std::time::Duration::from_millis(20));

    let flow = server.get_with_token("/self-service/login/api?refresh=true", &token);
    let done = send(
        ureq::post(&server.url(&format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", &token),
        Some(
            &json!({ "method": "password", "identifier": "fresh@example.com", "password": "fresh password 1" }),
        ),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["session"]["id"], before["id"], "same session");
    assert_eq!(done.body["session_token"], token, "same token");
    let after = server.get_with_token("/sessions/whoami", &token).body;
    assert!(after["authenticated_at"].as_str() > before["authenticated_at"].as_str());
    assert_eq!(after["authentication_methods"].as_array().unwrap().len(), 2);
    assert_eq!(
        after["authenticator_assurance_level"], "aal1",
        "two first factors stay aal1"
    );

    // Refreshing as somebody else yields a session of their own.
    assert_eq!(
        server
            .register("other@example.com", "other password 1")
            .status,
        200
    );
    let flow = server.get_with_token("/self-service/login/api?refresh=true", &token);
    let other = send(
        ureq::post(&server.url(&format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", &token),
        Some(
            &json!({ "method": "password", "identifier": "other@example.com", "password": "other password 1" }),
        ),
    );
    assert_eq!(other.status, 200, "{}", other.body);
    assert_ne!(other.body["session"]["id"], before["id"]);
    assert_eq!(
        server.get_with_token("/sessions/whoami", &token).body["identity"]["traits"]["email"],
        "fresh@example.com"
    );
}
