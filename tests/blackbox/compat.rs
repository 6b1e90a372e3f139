//! A component built against the first released factor package keeps loading and working.

use crate::harness::*;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/factor-0.1.0/hostile.wasm")
        .canonicalize()
        .unwrap()
}

#[test]
fn a_factor_built_against_0_1_0_is_checked_loaded_and_called() {
    let work = Workdir::new();
    let out = Command::new(binary())
        .args(["plugin", "check", fixture().to_str().unwrap()])
        .current_dir(work.path())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("latchkey:factor@0.1.0 (this host supports 0.1.x: yes)"),
        "{text}"
    );

    let entries = json!([
        { "path": plugin("password") },
        { "path": fixture(), "config": { "id": "legacy", "mode": "trap" } },
    ]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors: {}\n",
            serde_json::to_string(&entries).unwrap()
        ),
    );
    let server = Server::with_config(&work, &config);
    assert!(server.log().contains("legacy"), "{}", server.log());
    // Its nodes are in the login form, and a submission reaches it (and traps, as told).
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    let groups: Vec<&str> = flow.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["group"].as_str())
        .collect();
    assert!(groups.contains(&"hostile"), "{groups:?}");
    let submitted = server.post_json(
        &format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        ),
        &json!({ "method": "legacy" }),
    );
    assert_kratos_error(&submitted, 500);
    assert!(
        submitted.body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("legacy"),
        "{}",
        submitted.body
    );
    // The password factor next to it is unaffected.
    assert_eq!(
        server
            .register("compat@example.com", "compat password 1")
            .status,
        200
    );
}

#[test]
fn a_0_1_0_rejection_reaches_the_flow_with_its_messages() {
    let work = Workdir::new();
    let entries = json!([
        { "path": plugin("password") },
        { "path": fixture(), "config": { "id": "legacy_fetch", "mode": "fetch" } },
    ]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors: {}\n",
            serde_json::to_string(&entries).unwrap()
        ),
    );
    let server = Server::with_config(&work, &config);
    assert!(
        server.log().contains("latchkey:factor@0.1.0"),
        "the log names the version it was built against: {}",
        server.log()
    );
    // In `fetch` mode the fixture rejects with one message saying what outbound HTTP answered:
    // nothing is granted, so `not-allowed`.
    let flow = server.get("/self-service/login/api");
    let rejected = server.post_json(
        &format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        ),
        &json!({ "method": "legacy_fetch", "url": "https://example.com/" }),
    );
    assert_eq!(rejected.status, 400, "{}", rejected.body);
    let message = &rejected.body["ui"]["messages"][0];
    assert_eq!(message["id"], 9_000_001, "{}", rejected.body);
    assert_eq!(
        message["text"], "error not-allowed https://example.com",
        "{}",
        rejected.body
    );
}
