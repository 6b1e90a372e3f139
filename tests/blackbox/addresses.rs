//! Verifiable and recovery addresses: made from the traits the identity schema marks
//! (`ory.sh/kratos.verification.via`, `…recovery.via`; the default schema marks `email`),
//! shown wherever Kratos shows an identity, and kept in step with the traits.

use crate::harness::*;
use serde_json::{Value, json};

const PASSWORD: &str = "address password 1";

fn addresses(identity: &Value) -> (Vec<(String, bool, String)>, Vec<String>) {
    let verifiable = identity["verifiable_addresses"]
        .as_array()
        .unwrap_or_else(|| panic!("no verifiable_addresses in {identity}"))
        .iter()
        .map(|a| {
            assert_eq!(a["via"], "email", "{a}");
            assert!(a["id"].is_string() && a["created_at"].is_string(), "{a}");
            (
                a["value"].as_str().unwrap().to_string(),
                a["verified"].as_bool().unwrap(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let recovery = identity["recovery_addresses"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery_addresses in {identity}"))
        .iter()
        .map(|a| a["value"].as_str().unwrap().to_string())
        .collect();
    (verifiable, recovery)
}

fn pending(value: &str) -> (String, bool, String) {
    (value.to_string(), false, "pending".to_string())
}

#[test]
fn sign_up_gives_the_marked_email_as_an_unverified_address_in_lower_case() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let done = server.register("Mixed.Case@Example.com", PASSWORD);
    assert_eq!(done.status, 200, "{}", done.body);
    let expected = (
        vec![pending("mixed.case@example.com")],
        vec!["mixed.case@example.com".to_string()],
    );
    assert_eq!(addresses(&done.body["identity"]), expected);
    let token = done.body["session_token"].as_str().unwrap();
    let me = server.get_with_token("/sessions/whoami", token);
    assert_eq!(addresses(&me.body["identity"]), expected);
    let id = done.body["identity"]["id"].as_str().unwrap();
    let admin = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(addresses(&admin.body), expected);
    // The same address keeps its id from one read to the next.
    assert_eq!(
        admin.body["verifiable_addresses"][0]["id"],
        me.body["identity"]["verifiable_addresses"][0]["id"]
    );
}

#[test]
fn a_changed_email_in_settings_replaces_the_address_unverified() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let done = server.register("before@example.com", PASSWORD);
    let token = done.body["session_token"].as_str().unwrap();
    let flow = server.get_with_token("/self-service/settings/api", token);
    let saved = send(
        ureq::post(&server.url(&format!(
            "/self-service/settings?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", token),
        Some(&json!({ "method": "profile", "traits": { "email": "after@example.com" } })),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    let me = server.get_with_token("/sessions/whoami", token);
    assert_eq!(
        addresses(&me.body["identity"]),
        (
            vec![pending("after@example.com")],
            vec!["after@example.com".to_string()]
        )
    );
}

#[test]
fn an_import_keeps_a_verified_address_verified_until_the_email_changes() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let created = server.admin_post(
        "/admin/identities",
        &json!({
            "schema_id": "default",
            "traits": { "email": "imported@example.com" },
            "verifiable_addresses": [
                { "value": "Imported@example.com", "via": "email", "verified": true, "status": "completed" },
                { "value": "not-a-trait@example.com", "via": "email", "verified": true },
            ],
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let verified = (
        vec![(
            "imported@example.com".to_string(),
            true,
            "completed".to_string(),
        )],
        vec!["imported@example.com".to_string()],
    );
    // Only addresses of the traits exist; the import says which of them are verified.
    assert_eq!(addresses(&created.body), verified);
    assert!(created.body["verifiable_addresses"][0]["verified_at"].is_string());

    let put = |email: &str| {
        let resp = server.admin_put(
            &format!("/admin/identities/{id}"),
            &json!({ "schema_id": "default", "traits": { "email": email } }),
        );
        assert_eq!(resp.status, 200, "{}", resp.body);
        resp.body
    };
    assert_eq!(addresses(&put("imported@example.com")), verified);
    assert_eq!(
        addresses(&put("moved@example.com")),
        (
            vec![pending("moved@example.com")],
            vec!["moved@example.com".to_string()]
        )
    );
}

#[test]
fn a_malformed_imported_address_is_refused_naming_it() {
    let work = Workdir::new();
    let server = Server::start(&work);
    for (address, names) in [
        (json!({ "via": "email" }), "verifiable_addresses[0].value"),
        (
            json!({ "value": "a@example.com", "verified": "yes" }),
            "verifiable_addresses[0].verified",
        ),
        (
            json!({ "value": "a@example.com", "status": "done" }),
            "verifiable_addresses[0].status",
        ),
    ] {
        let resp = server.admin_post(
            "/admin/identities",
            &json!({
                "schema_id": "default",
                "traits": { "email": "a@example.com" },
                "verifiable_addresses": [address],
            }),
        );
        assert_kratos_error(&resp, 400);
        let reason = resp.body["error"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(names), "{reason}");
    }
    assert_eq!(
        server.admin_get("/admin/identities").body,
        json!([]),
        "nothing was stored"
    );
}
