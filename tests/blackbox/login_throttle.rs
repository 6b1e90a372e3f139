//! The login throttle through the real binary: wrong passwords make later attempts on the same
//! account, or from the same address, wait (429 with `Retry-After`, before any password is
//! checked), the victim's own browser still gets in, counts survive a restart, and
//! `X-Forwarded-For` counts only from a trusted proxy.

use crate::harness::*;
use serde_json::{Value, json};

/// Three free failures per account and per address (whichever the test is about), then a
/// half-minute wait: long enough that no test outruns it.
fn throttled(work: &Workdir, per: &str, extra: &[(&'static str, &str)]) -> Server {
    let other = if per == "IDENTIFIER" {
        "ADDRESS"
    } else {
        "IDENTIFIER"
    };
    let mut env = vec![
        (key(per, "AFTER_FAILURES"), "3".to_string()),
        (key(per, "FIRST_DELAY"), "30s".to_string()),
        (key(per, "MAX_DELAY"), "1m".to_string()),
        (key(other, "AFTER_FAILURES"), "1000".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    Server::start_with(
        work,
        Options {
            env,
            ..Default::default()
        },
    )
}

fn key(per: &str, setting: &str) -> &'static str {
    format!("SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_{per}_{setting}").leak()
}

/// An API login, with the response's headers; `forwarded_for` as a proxy would add it.
fn login(
    server: &Server,
    identifier: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> FullResp {
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    let path = format!(
        "/self-service/login?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    let mut req = ureq::post(&server.url(&path));
    if let Some(hops) = forwarded_for {
        req = req.set("X-Forwarded-For", hops);
    }
    send_full(
        req,
        Some(&json!({ "method": "password", "identifier": identifier, "password": password })),
    )
}

fn assert_wrong_password(resp: &FullResp) {
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(message_ids(&resp.body), vec![4000006], "{}", resp.body);
}

/// A 429 in Kratos' error format whose `Retry-After` matches the body and is within `max`.
fn assert_must_wait(resp: &FullResp, max: u64) -> u64 {
    assert_eq!(resp.status, 429, "{}", resp.body);
    let error: &Value = &resp.body["error"];
    assert_eq!(error["code"], 429);
    assert_eq!(error["id"], "too_many_requests");
    assert!(
        error["reason"].as_str().unwrap().contains("Try again in"),
        "{error}"
    );
    let header: u64 = resp.header_values("retry-after")[0].parse().unwrap();
    assert!((1..=max).contains(&header), "Retry-After: {header}");
    assert_eq!(error["details"]["retry_after_seconds"], header);
    header
}

#[test]
fn guessing_one_account_makes_it_wait_but_not_the_victims_browser() {
    let work = Workdir::new();
    let server = throttled(&work, "IDENTIFIER", &[]);
    let victim = Browser::new(&server);
    let registered = register_in_browser(&victim, "victim@example.com", "victim password 1");
    assert_eq!(registered.status, 303);
    assert!(victim.cookie("latchkey_known_device").is_some());

    for _ in 0..3 {
        assert_wrong_password(&login(&server, "victim@example.com", "guess", None));
    }
    // Now even the right password waits: it is not checked at all.
    let blocked = login(&server, "victim@example.com", "victim password 1", None);
    assert_must_wait(&blocked, 30);
    // Another account from the same client is not affected.
    server.register("bystander@example.com", "bystander password 1");
    assert_eq!(
        login(
            &server,
            "bystander@example.com",
            "bystander password 1",
            None
        )
        .status,
        200
    );

    // The victim's own browser signed in before: signed out and back in, it gets through, and
    // its success starts the account's count over.
    let logout = victim.fetch("/self-service/logout/browser");
    assert_eq!(
        victim
            .visit(logout.body["logout_url"].as_str().unwrap())
            .status,
        303
    );
    assert!(victim.cookie("latchkey_known_device").is_some());
    let flow = victim.start_flow("login");
    let signed_in = victim.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "victim@example.com"),
            ("password", "victim password 1"),
        ],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    let after = login(&server, "victim@example.com", "victim password 1", None);
    assert_eq!(after.status, 200, "{}", after.body);
}

#[test]
fn counts_survive_a_restart_and_cover_unknown_accounts() {
    let work = Workdir::new();
    let server = throttled(&work, "IDENTIFIER", &[]);
    for _ in 0..3 {
        assert_wrong_password(&login(&server, "nobody@example.com", "guess", None));
    }
    assert_must_wait(&login(&server, "nobody@example.com", "guess", None), 30);
    server.kill();
    let again = throttled(&work, "IDENTIFIER", &[]);
    assert_must_wait(&login(&again, "nobody@example.com", "guess", None), 30);
}

#[test]
fn one_address_trying_many_accounts_waits() {
    let work = Workdir::new();
    let server = throttled(&work, "ADDRESS", &[]);
    for n in 0..3 {
        assert_wrong_password(&login(&server, &format!("u{n}@example.com"), "guess", None));
    }
    // Without a trusted proxy, X-Forwarded-For is the client's own claim and changes nothing.
    let spoofed = login(&server, "u9@example.com", "guess", Some("203.0.113.50"));
    assert_must_wait(&spoofed, 30);
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let work = Workdir::new();
    let proxies = [("SERVE_PUBLIC_TRUSTED_PROXIES", "127.0.0.1/32")];
    let server = throttled(&work, "ADDRESS", &proxies);
    for n in 0..3 {
        let resp = login(
            &server,
            &format!("p{n}@example.com"),
            "guess",
            Some("203.0.113.5"),
        );
        assert_wrong_password(&resp);
    }
    assert_must_wait(
        &login(&server, "p9@example.com", "guess", Some("203.0.113.5")),
        30,
    );
    // A hop the client wrote further left does not get it out: the proxy's hop counts.
    let forged = login(
        &server,
        "p9@example.com",
        "guess",
        Some("198.51.100.1, 203.0.113.5"),
    );
    assert_must_wait(&forged, 30);
    // Another client behind the same proxy is not held up.
    assert_wrong_password(&login(
        &server,
        "p9@example.com",
        "guess",
        Some("203.0.113.6"),
    ));
}
