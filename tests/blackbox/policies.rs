//! Policy components at whoami, settings and the reverse-proxy route check: their verdicts,
//! the combination rule, and failing closed. The fixture policy takes its verdicts from its
//! settings (policies/fixture).

use crate::harness::*;
use serde_json::{Value, json};
use std::process::Command;

/// Starts a server whose config lists these fixture policies, in order.
fn with_policies(work: &Workdir, policies: &[Value], extra_yaml: &str) -> Server {
    let entries: Vec<Value> = policies
        .iter()
        .map(|config| json!({ "path": plugin("policy_fixture"), "config": config }))
        .collect();
    let yaml = format!(
        "plugins:\n  policies: {}\n{extra_yaml}",
        serde_json::to_string(&entries).unwrap()
    );
    let config = work.write("kratos.yml", &yaml);
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
        .unwrap_or_else(|| panic!("no token: {}", resp.body))
        .to_string()
}

/// A route check as nginx `auth_request` makes it.
fn nginx_check(server: &Server, token: Option<&str>, method: &str, uri: &str) -> FullResp {
    let mut req = ureq::get(&server.url("/self-service/route-check"))
        .set("X-Original-Method", method)
        .set("X-Original-URI", uri)
        .set("X-Forwarded-Proto", "https")
        .set("X-Forwarded-Host", "app.example");
    if let Some(token) = token {
        req = req.set("X-Session-Token", token);
    }
    send_full(req, None)
}

fn header<'a>(resp: &'a FullResp, name: &str) -> Option<&'a str> {
    resp.header_values(name).first().copied()
}

#[test]
fn route_check_answers_401_200_and_403_with_the_policys_reason() {
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[json!({
            "name": "billing",
            "hooks": ["route-check"],
            "rules": [{"path_prefix": "/billing", "decision": "require-aal2",
                       "message": "Billing needs your second factor."}],
            "otherwise": "allow",
        })],
        "",
    );
    let anonymous = nginx_check(&server, None, "GET", "/billing/invoices");
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(anonymous.body["error"]["id"], "session_inactive");

    let reg = server.register("proxy@example.com", "proxy password 1");
    let token = token_of(&reg);
    let open = nginx_check(&server, Some(&token), "GET", "/public/page?x=1");
    assert_eq!(open.status, 200, "{}", open.body);
    assert_eq!(
        header(&open, "x-latchkey-identity-id"),
        reg.body["identity"]["id"].as_str()
    );
    assert_eq!(header(&open, "x-latchkey-aal"), Some("aal1"));
    assert!(header(&open, "x-latchkey-session-id").is_some());

    let billing = nginx_check(&server, Some(&token), "POST", "/billing/invoices?page=2");
    assert_eq!(billing.status, 403, "{}", billing.body);
    assert_eq!(billing.body["error"]["id"], "session_aal2_required");
    assert_eq!(
        billing.body["error"]["reason"],
        "Billing needs your second factor."
    );
    let to = billing.body["redirect_browser_to"].as_str().unwrap();
    let to = url::Url::parse(to).unwrap();
    assert_eq!(to.path(), "/self-service/login/browser");
    let query: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert!(query.contains(&("aal".into(), "aal2".into())), "{query:?}");
    assert!(
        query.contains(&(
            "return_to".into(),
            "https://app.example/billing/invoices?page=2".into()
        )),
        "{query:?}"
    );

    // Traefik's header names, and Envoy's path suffix, reach the same rule.
    let traefik = send_full(
        ureq::get(&server.url("/self-service/route-check"))
            .set("X-Session-Token", &token)
            .set("X-Forwarded-Method", "GET")
            .set("X-Forwarded-Uri", "/billing"),
        None,
    );
    assert_eq!(traefik.status, 403, "{}", traefik.body);
    let envoy = send_full(
        ureq::get(&server.url("/self-service/route-check/billing/x"))
            .set("X-Session-Token", &token),
        None,
    );
    assert_eq!(envoy.status, 403, "{}", envoy.body);
    let envoy_open = send_full(
        ureq::get(&server.url("/self-service/route-check/docs")).set("X-Session-Token", &token),
        None,
    );
    assert_eq!(envoy_open.status, 200, "{}", envoy_open.body);
}

#[test]
fn a_route_check_without_policies_follows_whoami() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let token = token_of(&server.register("plain@example.com", "plain password 1"));
    assert_eq!(
        nginx_check(&server, Some(&token), "GET", "/anything").status,
        200
    );
    assert_eq!(
        nginx_check(&server, Some("bogus"), "GET", "/anything").status,
        401
    );
}

#[test]
fn verdicts_combine_deny_first_then_the_strictest_requirements() {
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[
            json!({"name": "fresh", "hooks": ["route-check"],
                   "rules": [{"path_prefix": "/admin", "decision": "reauth:1",
                              "message": "Confirm it is you."}]}),
            json!({"name": "closed", "hooks": ["route-check"],
                   "rules": [{"path_prefix": "/admin/danger", "decision": "deny:maintenance",
                              "message": "The danger zone is closed."}]}),
            json!({"name": "strong", "hooks": ["route-check"],
                   "rules": [{"path_prefix": "/admin/keys", "decision": "require-aal2"}]}),
        ],
        "",
    );
    let token = token_of(&server.register("combo@example.com", "combo password 1"));

    // A deny wins whatever else was asked, and carries its policy's message.
    let danger = nginx_check(&server, Some(&token), "GET", "/admin/danger");
    assert_eq!(danger.status, 403, "{}", danger.body);
    assert_eq!(danger.body["error"]["id"], "policy_denied");
    assert_eq!(danger.body["error"]["reason"], "The danger zone is closed.");
    assert_eq!(danger.body["error"]["details"]["policy"], "closed");
    assert_eq!(danger.body["error"]["details"]["reason"], "maintenance");

    // A fresh session satisfies the 1-second window; once it is older, it does not.
    assert_eq!(
        nginx_check(&server, Some(&token), "GET", "/admin").status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let stale = nginx_check(&server, Some(&token), "GET", "/admin");
    assert_eq!(stale.status, 403, "{}", stale.body);
    assert_eq!(stale.body["error"]["id"], "session_refresh_required");
    assert_eq!(stale.body["error"]["reason"], "Confirm it is you.");
    assert!(
        stale.body["redirect_browser_to"]
            .as_str()
            .unwrap()
            .contains("refresh=true")
    );

    // Two requirements at once: the redirect asks for both.
    let keys = nginx_check(&server, Some(&token), "GET", "/admin/keys");
    assert_eq!(keys.status, 403, "{}", keys.body);
    assert_eq!(keys.body["error"]["id"], "session_aal2_required");
    let to = keys.body["redirect_browser_to"].as_str().unwrap();
    assert!(
        to.contains("aal=aal2") && to.contains("refresh=true"),
        "{to}"
    );
    assert_eq!(
        keys.body["error"]["details"]["policies"],
        json!(["fresh", "strong"])
    );
}

#[test]
fn whoami_and_settings_ask_their_policies() {
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[
            json!({"name": "step-up-for-settings", "hooks": ["settings"],
                   "otherwise": "require-aal2", "rules": []}),
            json!({"name": "whoami-gate", "hooks": ["whoami"],
                   "rules": [], "otherwise": "deny:suspended"}),
        ],
        "",
    );
    let token = token_of(&server.register("hooks@example.com", "hooks password 1"));
    let me = server.get_with_token("/sessions/whoami", &token);
    assert_kratos_error(&me, 403);
    assert_eq!(me.body["error"]["id"], "policy_denied");
    assert_eq!(me.body["error"]["reason"], "suspended");

    let settings = server.get_with_token("/self-service/settings/api", &token);
    assert_kratos_error(&settings, 403);
    assert_eq!(settings.body["error"]["id"], "session_aal2_required");
}

#[test]
fn a_policy_that_traps_or_hangs_fails_the_request_closed() {
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[json!({"name": "broken", "hooks": ["route-check"],
                   "rules": [{"path_prefix": "/trap", "decision": "trap"},
                             {"path_prefix": "/loop", "decision": "loop"}],
                   "otherwise": "allow"})],
        "  call_timeout: 200ms\n",
    );
    let token = token_of(&server.register("closed@example.com", "closed password 1"));
    for path in ["/trap", "/loop"] {
        let resp = nginx_check(&server, Some(&token), "GET", path);
        assert_eq!(resp.status, 500, "{path}: {}", resp.body);
        assert!(
            resp.body["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("broken"),
            "{}",
            resp.body
        );
        // The failure was that request's alone.
        assert_eq!(
            nginx_check(&server, Some(&token), "GET", "/fine").status,
            200
        );
    }
}

#[test]
fn looping_decisions_in_flight_do_not_hold_up_other_requests() {
    use std::time::{Duration, Instant};
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[json!({"name": "looping", "hooks": ["route-check"],
                   "rules": [{"path_prefix": "/loop", "decision": "loop"}],
                   "otherwise": "allow"})],
        "  call_timeout: 3s\n",
    );
    let token = token_of(&server.register("stall@example.com", "stall password 1"));
    // A decision that answered leaves a warm instance, so the first loop starts inline.
    assert_eq!(
        nginx_check(&server, Some(&token), "GET", "/fine").status,
        200
    );
    std::thread::scope(|scope| {
        let loops: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| nginx_check(&server, Some(&token), "GET", "/loop")))
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // Well under the policy's 3 s deadline, generous for a loaded machine.
        let bound = Duration::from_millis(1500);
        let started = Instant::now();
        assert_eq!(server.get("/health/alive").status, 200);
        assert_eq!(
            server.get_with_token("/sessions/whoami", &token).status,
            200
        );
        assert_eq!(
            nginx_check(&server, Some(&token), "GET", "/fine").status,
            200
        );
        let took = started.elapsed();
        assert!(
            took < bound,
            "plain requests took {took:?} behind looping decisions"
        );
        for handle in loops {
            let resp = handle.join().unwrap();
            assert_eq!(resp.status, 500, "{}", resp.body);
            assert!(
                resp.body["error"]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("looping"),
                "{}",
                resp.body
            );
        }
    });
}

#[test]
fn a_policy_that_refuses_its_settings_stops_start_up_naming_it() {
    let work = Workdir::new();
    let entry = json!([{ "path": plugin("policy_fixture"),
                         "config": {"hooks": ["no-such-hook"]} }]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  policies: {}\n",
            serde_json::to_string(&entry).unwrap()
        ),
    );
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
    assert!(text.contains("policy_fixture"), "{text}");
    assert!(text.contains("unknown hook no-such-hook"), "{text}");
}

#[test]
fn login_completion_can_demand_the_second_factor_or_refuse_the_login() {
    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[json!({"name": "gate", "hooks": ["login-completion"],
                 "rules": [], "otherwise": "require-aal2"})],
        "",
    );
    // Registration is not a login: it completes as usual.
    let browser = Browser::new(&server);
    assert_eq!(
        register_in_browser(&browser, "gate@example.com", "gate password 12").status,
        303
    );
    let fresh = Browser::new(&server);
    let flow = fresh.start_flow("login");
    let done = fresh.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "gate@example.com"),
            ("password", "gate password 12"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let next = done.location.unwrap();
    assert!(
        next.contains("/self-service/login/browser?aal=aal2"),
        "{next}"
    );

    let work = Workdir::new();
    let server = with_policies(
        &work,
        &[json!({"name": "closed", "hooks": ["login-completion"],
                 "rules": [], "otherwise": "deny:logins are paused"})],
        "",
    );
    assert_eq!(
        server
            .register("paused@example.com", "paused password 1")
            .status,
        200
    );
    let refused = server.login("paused@example.com", "paused password 1");
    assert_kratos_error(&refused, 403);
    assert_eq!(refused.body["error"]["id"], "policy_denied");
    assert_eq!(refused.body["error"]["reason"], "logins are paused");
    let sessions = server.admin_get("/admin/sessions");
    let active: Vec<&Value> = sessions
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["active"] == true)
        .collect();
    assert_eq!(
        active.len(),
        1,
        "only the registration's session: {}",
        sessions.body
    );
}

/// Status and error id of the answers a Kratos client sees for an aal1 session of an identity
/// with TOTP, and for an identity without.
fn aal_answers(server: &Server) -> Vec<(u16, String)> {
    let created = server.admin_post(
        "/admin/identities",
        &json!({
            "schema_id": "default",
            "traits": { "email": "both@example.com" },
            "credentials": {
                "password": { "config": { "password": "both password 12" } },
                "totp": { "config": { "totp_url": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP" } },
            },
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let with_totp = token_of(&server.login("both@example.com", "both password 12"));
    let without = token_of(&server.register("one@example.com", "one password 123"));
    let id = |r: &Resp| r.body["error"]["id"].as_str().unwrap_or("").to_string();
    let mut answers = Vec::new();
    for token in [&with_totp, &without] {
        for path in ["/sessions/whoami", "/self-service/settings/api"] {
            let r = server.get_with_token(path, token);
            answers.push((r.status, id(&r)));
        }
        let r: Resp = nginx_check(server, Some(token), "GET", "/x").into();
        answers.push((r.status, id(&r)));
    }
    answers
}

#[test]
fn the_default_policy_component_gives_kratos_answers_like_the_built_in_rules() {
    for switches in [
        "",
        "session:\n  whoami:\n    required_aal: aal1\n",
        "selfservice:\n  flows:\n    settings:\n      required_aal: aal1\n",
    ] {
        let work = Workdir::new();
        let built_in = {
            let config = work.write("kratos.yml", switches);
            Server::with_config(&work, &config)
        };
        let expected = aal_answers(&built_in);
        drop(built_in);

        let work = Workdir::new();
        let entry = json!([{ "path": plugin("default_policy") }]);
        let config = work.write(
            "kratos.yml",
            &format!(
                "{switches}plugins:\n  policies: {}\n",
                serde_json::to_string(&entry).unwrap()
            ),
        );
        let with_policy = Server::with_config(&work, &config);
        assert!(
            with_policy.log().contains("kratos-default"),
            "{}",
            with_policy.log()
        );
        assert_eq!(aal_answers(&with_policy), expected, "config: {switches:?}");
        assert!(
            expected.contains(&(403, "session_aal2_required".into())) || !switches.is_empty(),
            "{expected:?}"
        );
    }
}

/// What a settings submission of `body` answers for a session older than the privileged window.
fn stale_settings_answers(server: &Server) -> Vec<(u16, String)> {
    let token = token_of(&server.register("stale@example.com", "stale password 1"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut answers = Vec::new();
    for body in [
        json!({ "method": "password", "password": "a brand new password 2" }),
        json!({ "method": "profile", "traits": { "email": "stale2@example.com" } }),
    ] {
        let flow = server.get_with_token("/self-service/settings/api", &token);
        assert_eq!(flow.status, 200, "{}", flow.body);
        let resp = send(
            ureq::post(&server.url(&format!(
                "/self-service/settings?flow={}",
                flow.body["id"].as_str().unwrap()
            )))
            .set("X-Session-Token", &token),
            Some(&body),
        );
        let id = resp.body["error"]["id"].as_str().unwrap_or("").to_string();
        answers.push((resp.status, id));
    }
    answers
}

#[test]
fn the_default_policy_applies_the_privileged_window_to_credential_changes_only() {
    let window = "selfservice:\n  flows:\n    settings:\n      privileged_session_max_age: 1s\n";
    let work = Workdir::new();
    let config = work.write("kratos.yml", window);
    let built_in = Server::with_config(&work, &config);
    let expected = stale_settings_answers(&built_in);
    assert_eq!(
        expected,
        vec![
            (403, "session_refresh_required".into()),
            (200, String::new())
        ]
    );
    drop(built_in);

    let work = Workdir::new();
    let entry = json!([{ "path": plugin("default_policy") }]);
    let config = work.write(
        "kratos.yml",
        &format!(
            "{window}plugins:\n  policies: {}\n",
            serde_json::to_string(&entry).unwrap()
        ),
    );
    let with_policy = Server::with_config(&work, &config);
    assert_eq!(stale_settings_answers(&with_policy), expected);
}
