//! The example scripts of policies/examples, run by the scripted policy component through the
//! real binary, and a script error reported at start-up with its position.

use crate::harness::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/examples")
        .join(name)
        .canonicalize()
        .unwrap()
}

fn config_for(work: &Workdir, script: &PathBuf) -> PathBuf {
    let entry = json!([{ "path": plugin("scripted_policy"), "config": { "script": script } }]);
    work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  policies: {}\n",
            serde_json::to_string(&entry).unwrap()
        ),
    )
}

fn server_with(work: &Workdir, script: &str) -> Server {
    let config = config_for(work, &example(script));
    Server::start_with(
        work,
        Options {
            config: Some(&config),
            ..Default::default()
        },
    )
}

/// An identity made through the admin API, optionally with TOTP and public metadata.
fn identity(server: &Server, email: &str, totp: bool, metadata_public: Value) -> String {
    let mut credentials = json!({ "password": { "config": { "password": "script password 1" } } });
    if totp {
        credentials["totp"] =
            json!({ "config": { "totp_url": format!("otpauth://totp/x?secret={TOTP_SECRET}") } });
    }
    let created = server.admin_post(
        "/admin/identities",
        &json!({
            "schema_id": "default",
            "traits": { "email": email },
            "metadata_public": metadata_public,
            "credentials": credentials,
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

fn login(server: &Server, email: &str) -> String {
    let resp = server.login(email, "script password 1");
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["session_token"].as_str().unwrap().to_string()
}

/// Steps an aal1 session up with the next TOTP code, as pyotp computes it.
fn step_up(server: &Server, token: &str) {
    let flow = server.get_with_token("/self-service/login/api?aal=aal2", token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    let done = send(
        ureq::post(&server.url(&format!(
            "/self-service/login?flow={}",
            flow.body["id"].as_str().unwrap()
        )))
        .set("X-Session-Token", token),
        Some(&json!({ "method": "totp", "totp_code": oracle_code(TOTP_SECRET, 0) })),
    );
    assert_eq!(done.status, 200, "{}", done.body);
}

fn route(server: &Server, token: &str, uri: &str, forwarded_for: Option<&str>) -> FullResp {
    let mut req = ureq::get(&server.url("/self-service/route-check"))
        .set("X-Session-Token", token)
        .set("X-Original-Method", "GET")
        .set("X-Original-URI", uri);
    if let Some(ip) = forwarded_for {
        req = req.set("X-Forwarded-For", ip);
    }
    send_full(req, None)
}

#[test]
fn admins_always_need_aal2() {
    let work = Workdir::new();
    let server = server_with(&work, "admins.cel");
    identity(
        &server,
        "admin@example.com",
        true,
        json!({ "roles": ["admin"] }),
    );
    identity(
        &server,
        "user@example.com",
        false,
        json!({ "roles": ["billing"] }),
    );

    let admin = login(&server, "admin@example.com");
    let me = server.get_with_token("/sessions/whoami", &admin);
    assert_kratos_error(&me, 403);
    assert_eq!(me.body["error"]["id"], "session_aal2_required");
    assert_eq!(
        me.body["error"]["reason"],
        "Administrators must sign in with a second factor."
    );
    assert_eq!(route(&server, &admin, "/anything", None).status, 403);
    step_up(&server, &admin);
    assert_eq!(
        server.get_with_token("/sessions/whoami", &admin).status,
        200
    );

    // The script speaks only for admins.
    let user = login(&server, "user@example.com");
    assert_eq!(route(&server, &user, "/anything", None).status, 200);
    assert_eq!(server.get_with_token("/sessions/whoami", &user).status, 200);
}

/// Verdicts are remembered for the second they were given in; a change to the identity or
/// the session within that second must still be seen by the very next request.
#[test]
fn a_remembered_verdict_never_outlives_a_change_to_the_identity_or_session() {
    let work = Workdir::new();
    let server = server_with(&work, "admins.cel");
    let id = identity(
        &server,
        "soon-admin@example.com",
        true,
        json!({ "roles": [] }),
    );
    let token = login(&server, "soon-admin@example.com");
    for _ in 0..3 {
        assert_eq!(route(&server, &token, "/anything", None).status, 200);
    }

    let promoted = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({
            "schema_id": "default",
            "traits": { "email": "soon-admin@example.com" },
            "metadata_public": { "roles": ["admin"] },
        }),
    );
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    let refused = route(&server, &token, "/anything", None);
    assert_eq!(refused.status, 403, "the promotion is seen at once");

    step_up(&server, &token);
    assert_eq!(
        route(&server, &token, "/anything", None).status,
        200,
        "the step-up is seen at once"
    );

    let demoted = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({
            "schema_id": "default",
            "traits": { "email": "soon-admin@example.com" },
            "metadata_public": { "roles": [] },
        }),
    );
    assert_eq!(demoted.status, 200, "{}", demoted.body);
    let other = login(&server, "soon-admin@example.com");
    assert_eq!(route(&server, &other, "/anything", None).status, 200);
    assert_eq!(route(&server, &token, "/anything", None).status, 200);
}

#[test]
fn billing_needs_aal2_and_a_recent_sign_in() {
    let work = Workdir::new();
    let server = server_with(&work, "billing.cel");
    identity(&server, "payer@example.com", true, Value::Null);
    let token = login(&server, "payer@example.com");

    assert_eq!(route(&server, &token, "/docs/billing", None).status, 200);
    let denied = route(&server, &token, "/billing/invoices?page=1", None);
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.body["error"]["id"], "session_aal2_required");
    assert_eq!(
        denied.body["error"]["reason"],
        "Billing needs a second factor."
    );
    step_up(&server, &token);
    // Freshly stepped up: within ten minutes of signing in.
    let allowed = route(&server, &token, "/billing/invoices", None);
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.header_values("x-latchkey-aal"), ["aal2"]);
}

#[test]
fn a_new_device_needs_a_fresh_second_factor() {
    let work = Workdir::new();
    let server = server_with(&work, "new-device.cel");
    identity(&server, "roamer@example.com", true, Value::Null);
    let token = login(&server, "roamer@example.com");
    step_up(&server, &token);

    // The session was made from 127.0.0.1 with this client's user agent.
    assert_eq!(route(&server, &token, "/x", Some("127.0.0.1")).status, 200);
    // From elsewhere: aal2 and fresh, so still fine right after stepping up…
    assert_eq!(
        route(&server, &token, "/x", Some("203.0.113.9")).status,
        200
    );
    // …but an aal1 session from a new address must step up.
    let other = login(&server, "roamer@example.com");
    let moved = route(&server, &other, "/x", Some("203.0.113.9"));
    assert_eq!(moved.status, 403, "{}", moved.body);
    assert_eq!(moved.body["error"]["id"], "session_aal2_required");
    assert!(
        moved.body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("new device")
    );
}

#[test]
fn an_aal2_session_of_two_different_methods_passes_the_distinct_factor_rule() {
    let work = Workdir::new();
    let server = server_with(&work, "distinct-factors.cel");
    identity(&server, "two@example.com", true, Value::Null);
    let token = login(&server, "two@example.com");
    step_up(&server, &token);
    let me = server.get_with_token("/sessions/whoami", &token);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["authenticator_assurance_level"], "aal2");
}

#[test]
fn a_script_error_stops_start_up_with_file_line_and_column() {
    let work = Workdir::new();
    let script = work.write(
        "broken.cel",
        "rule broken\n  hooks whoami\n  when session.aal ==\n  then allow\n",
    );
    let config = config_for(&work, &script);
    let out = Command::new(binary())
        .args(["serve", "--dev", "-c", config.to_str().unwrap()])
        .current_dir(work.path())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    let place = format!("{}:", script.display());
    assert!(text.contains(&place), "{text}");
    // The position after the file name is line:column.
    let after = &text[text.find(&place).unwrap() + place.len()..];
    let mut parts = after.split(':');
    let line: u32 = parts.next().unwrap().trim().parse().expect(&text);
    let column: u32 = parts.next().unwrap().trim().parse().expect(&text);
    assert!(line >= 3 && column >= 1, "{text}");
}

fn rule_for(prefix: &str) -> String {
    format!(
        "rule guard\n  hooks route-check\n  when request.path.startsWith(\"{prefix}\")\n  then require_aal(\"aal2\")\n"
    )
}

fn reload(server: &Server) -> Resp {
    server.admin_post("/admin/plugins/reload", &json!({}))
}

#[test]
fn policies_reload_on_request_and_on_sighup_and_a_broken_file_keeps_the_old_set() {
    let work = Workdir::new();
    let script = work.write("guard.cel", &rule_for("/billing"));
    let config = config_for(&work, &script);
    let server = Server::with_config(&work, &config);
    let token = server
        .register("reload@example.com", "reload password 1")
        .body["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(route(&server, &token, "/billing", None).status, 403);
    assert_eq!(route(&server, &token, "/reports", None).status, 200);

    std::fs::write(&script, rule_for("/reports")).unwrap();
    let done = reload(&server);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["policies"],
        json!(["scripted:guard"]),
        "{}",
        done.body
    );
    assert_eq!(route(&server, &token, "/billing", None).status, 200);
    assert_eq!(route(&server, &token, "/reports", None).status, 403);

    // A broken script is reported with its position and changes nothing.
    std::fs::write(
        &script,
        "rule guard\n  hooks route-check\n  when request.path ==\n  then allow\n",
    )
    .unwrap();
    let failed = reload(&server);
    assert_kratos_error(&failed, 400);
    let reason = failed.body["error"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{}:", script.display())),
        "{reason}"
    );
    assert_eq!(
        route(&server, &token, "/reports", None).status,
        403,
        "old set serving"
    );

    // SIGHUP does the same.
    std::fs::write(&script, rule_for("/billing")).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while route(&server, &token, "/billing", None).status != 403 {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(route(&server, &token, "/reports", None).status, 200);
}

#[test]
fn swapping_a_factor_file_and_reloading_changes_the_factor_without_a_restart() {
    let work = Workdir::new();
    let swappable = work.path().join("extra.wasm");
    std::fs::copy(plugin("hostile"), &swappable).unwrap();
    let entries = json!([
        { "path": plugin("password") },
        { "path": swappable, "config": { "id": "extra" } },
    ]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  factors: {}\n",
            serde_json::to_string(&entries).unwrap()
        ),
    );
    let server = Server::with_config(&work, &config);
    let token = server.register("swap@example.com", "swap password 12").body["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let has_totp = |server: &Server| {
        let flow = server.get_with_token("/self-service/settings/api", &token);
        assert_eq!(flow.status, 200, "{}", flow.body);
        flow.body["ui"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["group"] == "totp")
    };
    assert!(!has_totp(&server));

    // The file is replaced by another factor: after a reload it serves, no restart.
    std::fs::copy(plugin("totp"), &swappable).unwrap();
    let done = reload(&server);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["factors"],
        json!(["password", "totp"]),
        "{}",
        done.body
    );
    assert!(has_totp(&server));

    // A broken file is refused and the factors that were serving stay.
    std::fs::write(&swappable, b"not a component").unwrap();
    let failed = reload(&server);
    assert_kratos_error(&failed, 400);
    assert_eq!(failed.body["error"]["id"], "plugin_reload_failed");
    assert!(has_totp(&server));
    assert_eq!(
        server.login("swap@example.com", "swap password 12").status,
        200
    );
}
