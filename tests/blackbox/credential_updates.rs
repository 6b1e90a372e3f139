//! A rejection that updates its credential (`latchkey:factor@0.2.0`), through the hostile
//! fixture's `count` mode: a first factor that counts every attempt in the credential of the
//! identifier it looked up, and in settings in the identity's own. The PIN example covers the
//! second-factor login (`pin_factor.rs`).

use crate::harness::*;
use serde_json::{Value, json};

const PASSWORD: &str = "counting password 1";

fn server(work: &Workdir) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors:\n    - path: {}\n    - path: {}\n      config: {{ id: counter, mode: count }}\n",
            plugin("password").display(),
            plugin("hostile").display(),
        ),
    );
    // The login throttle would answer the sixth wrong attempt itself; these tests are about
    // what reaches the plugin.
    let no_throttle = (
        "SELFSERVICE_FLOWS_LOGIN_THROTTLE_ENABLED",
        "false".to_string(),
    );
    Server::start_with(
        work,
        Options {
            config: Some(&config),
            env: vec![no_throttle],
            ..Default::default()
        },
    )
}

/// An identity with a password and a `counter` credential for `identifier`; its id.
fn counted_identity(server: &Server, email: &str, identifier: &str) -> String {
    let created = server.admin_post(
        "/admin/identities",
        &json!({
            "traits": { "email": email },
            "credentials": {
                "password": { "config": { "password": PASSWORD } },
                "counter": { "config": { "identifier": identifier } },
            },
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

fn stored_count(server: &Server, id: &str) -> Value {
    let resp = server.admin_get(&format!(
        "/admin/identities/{id}?include_credential=counter"
    ));
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["credentials"]["counter"]["config"]["failed"].clone()
}

/// A login with the counter method; the flow-level message it answers with.
fn attempt(server: &Server, identifier: &str) -> String {
    let flow = server.get("/self-service/login/api");
    let resp = server.post_json(
        &format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        ),
        &json!({ "method": "counter", "identifier": identifier }),
    );
    assert_eq!(resp.status, 400, "{}", resp.body);
    resp.body["ui"]["messages"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {}", resp.body))
        .to_string()
}

#[test]
fn rejected_first_factor_attempts_are_counted_in_the_credential() {
    let work = Workdir::new();
    let server = server(&work);
    let id = counted_identity(&server, "count@example.com", "counted-1");
    assert_eq!(stored_count(&server, &id), "0");

    // Each attempt sees the count the one before stored, across flows.
    for n in 1..=3 {
        assert_eq!(attempt(&server, "counted-1"), format!("failed {n}"));
    }
    assert_eq!(stored_count(&server, &id), "3");

    // In settings the same credential counts on.
    let token = server.login("count@example.com", PASSWORD).body["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let flow = server.get_with_token("/self-service/settings/api", &token);
    let resp = send(
        ureq::post(&server.url(&format!(
            "/self-service/settings?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", &token),
        Some(&json!({ "method": "counter" })),
    );
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(resp.body["ui"]["messages"][0]["text"], "failed 4");
    assert_eq!(stored_count(&server, &id), "4");
}

#[test]
fn an_update_for_an_unknown_identifier_is_dropped_without_a_trace() {
    let work = Workdir::new();
    let server = server(&work);
    let id = counted_identity(&server, "known@example.com", "known-1");

    // Nobody has `nobody-1`: the plugin still asks to store a count, the host stores nothing
    // and answers exactly as it does for a known identifier.
    assert_eq!(attempt(&server, "nobody-1"), "failed 1");
    assert_eq!(attempt(&server, "nobody-1"), "failed 1");
    let everyone = server.admin_get("/admin/identities?credentials_identifier=nobody-1");
    assert_eq!(everyone.status, 200, "{}", everyone.body);
    assert_eq!(everyone.body, json!([]), "no identity got the identifier");
    assert_eq!(
        stored_count(&server, &id),
        "0",
        "nor did anyone else's count move"
    );
}

#[test]
fn parallel_attempts_on_one_credential_are_each_counted() {
    let work = Workdir::new();
    let server = server(&work);
    let id = counted_identity(&server, "race@example.com", "raced-1");

    let mut seen: Vec<String> = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| attempt(&server, "raced-1")))
            .collect();
        attempts.into_iter().map(|a| a.join().unwrap()).collect()
    });
    seen.sort_by_key(|m| m[7..].parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=8).map(|n| format!("failed {n}")).collect();
    assert_eq!(seen, expected, "every attempt saw the one before it");
    assert_eq!(stored_count(&server, &id), "8");
}
