//! Account recovery and address verification by code, through the real binary, with the codes
//! read out of the mail a real SMTP server (tests/peers/smtp) received.

use crate::harness::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct-horse-battery-staple-42";
const NEW_PASSWORD: &str = "a-brand-new-passphrase-1999";

/// A server with recovery and verification on, mailing through `peer`. `extra` follows the
/// `selfservice.flows.recovery` section: more keys of it (indented by six), or top-level keys.
fn server_with(work: &Workdir, peer: &SmtpPeer, extra: &str) -> Server {
    server_with_env(work, peer, extra, vec![])
}

fn server_with_env(
    work: &Workdir,
    peer: &SmtpPeer,
    extra: &str,
    env: Vec<(&str, String)>,
) -> Server {
    server_with_options(work, peer, extra, env, false)
}

fn server_with_options(
    work: &Workdir,
    peer: &SmtpPeer,
    extra: &str,
    env: Vec<(&str, String)>,
    builtin_ui: bool,
) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "courier:\n  smtp:\n    connection_uri: \"smtp://127.0.0.1:{}/?disable_starttls=true\"\n    from_address: accounts@example.org\n  worker:\n    pull_wait: 100ms\n\
selfservice:\n  methods:\n    password:\n      config:\n        haveibeenpwned_enabled: false\n  flows:\n    verification:\n      enabled: true\n    recovery:\n      enabled: true\n{extra}",
            peer.port
        ),
    );
    Server::start_with(
        work,
        Options {
            config: Some(&config),
            env,
            builtin_ui,
            ..Default::default()
        },
    )
}

/// The first six-digit number in a mail's text.
fn code_in(mail: &Mail) -> String {
    mail.text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {:?}", mail.text))
        .to_string()
}

/// Waits for the `n`-th mail (1-based) to `to` whose subject says `about` ("recover",
/// "verify": signing up mails a verification code too).
fn nth_mail_to(peer: &SmtpPeer, to: &str, about: &str, n: usize) -> Mail {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails: Vec<Mail> = peer
            .mails()
            .into_iter()
            .filter(|m| m.to.contains(to) && m.subject.contains(about))
            .collect();
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        assert!(Instant::now() < deadline, "no mail {n} to {to}: {mails:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn registered(server: &Server, email: &str) -> String {
    let resp = server.register(email, PASSWORD);
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["identity"]["id"].as_str().unwrap().to_string()
}

fn submit(server: &Server, flow: &Value, body: Value) -> Resp {
    server.post_json(
        &format!(
            "/self-service/recovery?flow={}",
            flow["id"].as_str().unwrap()
        ),
        &body,
    )
}

fn node_names(flow: &Value) -> Vec<String> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["attributes"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn api_recovery_by_code_signs_in_and_the_new_password_replaces_the_old() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(
        &work,
        &peer,
        "feature_flags:\n  use_continue_with_transitions: true\n",
    );
    registered(&server, "ada@example.com");

    let flow = server.get("/self-service/recovery/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["state"], "choose_method");
    assert_eq!(node_names(&flow.body), ["csrf_token", "email", "method"]);

    let sent = submit(
        &server,
        &flow.body,
        json!({"method": "code", "email": "Ada@Example.com"}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body["state"], "sent_email");
    assert_eq!(sent.body["active"], "code");
    assert_eq!(message_ids(&sent.body), [1060003]);
    let mail = nth_mail_to(&peer, "ada@example.com", "recover", 1);
    assert!(mail.subject.contains("recover"), "{mail:?}");
    assert!(mail.from.contains("accounts@example.org"), "{mail:?}");
    let code = code_in(&mail);

    let done = submit(&server, &flow.body, json!({"method": "code", "code": code}));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["state"], "passed_challenge");
    let continue_with = done.body["continue_with"].as_array().unwrap();
    assert_eq!(continue_with[0]["action"], "set_ory_session_token");
    assert_eq!(continue_with[1]["action"], "show_settings_ui");
    let token = continue_with[0]["ory_session_token"].as_str().unwrap();
    let settings_id = continue_with[1]["flow"]["id"].as_str().unwrap();

    let whoami = server.get_with_token("/sessions/whoami", token);
    assert_eq!(whoami.status, 200, "{}", whoami.body);
    assert_eq!(
        whoami.body["authentication_methods"][0]["method"],
        "code_recovery"
    );

    // The recovery session is privileged: it changes the password without signing in again.
    let settings = send(
        ureq::get(&server.url(&format!("/self-service/settings/flows?id={settings_id}")))
            .set("X-Session-Token", token),
        None,
    );
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert!(
        message_ids(&settings.body).contains(&1060001),
        "{}",
        settings.body
    );
    let changed = send(
        ureq::post(&server.url(&format!("/self-service/settings?flow={settings_id}")))
            .set("X-Session-Token", token),
        Some(&json!({"method": "password", "password": NEW_PASSWORD})),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["state"], "success");

    assert_eq!(server.login("ada@example.com", NEW_PASSWORD).status, 200);
    assert_eq!(server.login("ada@example.com", PASSWORD).status, 400);
    // The address that received the code is verified now, as in Kratos.
    let identity = server.admin_get(&format!(
        "/admin/identities/{}",
        whoami.body["identity"]["id"].as_str().unwrap()
    ));
    assert_eq!(identity.body["verifiable_addresses"][0]["verified"], true);
}

#[test]
fn a_code_works_once_in_its_own_flow_and_wrong_codes_spend_the_flow() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    registered(&server, "bo@example.com");

    let first = server.get("/self-service/recovery/api").body;
    let second = server.get("/self-service/recovery/api").body;
    submit(
        &server,
        &first,
        json!({"method": "code", "email": "bo@example.com"}),
    );
    submit(
        &server,
        &second,
        json!({"method": "code", "email": "bo@example.com"}),
    );
    let code_of_first = code_in(&nth_mail_to(&peer, "bo@example.com", "recover", 1));
    let code_of_second = code_in(&nth_mail_to(&peer, "bo@example.com", "recover", 2));
    assert_ne!(code_of_first, code_of_second);

    // A code from another flow does not pass.
    let foreign = submit(
        &server,
        &second,
        json!({"method": "code", "code": code_of_first}),
    );
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert_eq!(message_ids(&foreign.body), [4060006]);

    // A recovery code is no link: following one in a URL signs nobody in.
    let as_link = server.get(&format!(
        "/self-service/recovery?flow={}&code={code_of_second}",
        second["id"].as_str().unwrap()
    ));
    assert_kratos_error(&as_link, 400);

    // Without the feature flag a JSON client is sent to the settings UI, as Kratos does.
    let passed = submit(
        &server,
        &second,
        json!({"method": "code", "code": code_of_second}),
    );
    assert_kratos_error(&passed, 422);
    assert_eq!(
        passed.body["error"]["id"],
        "browser_location_change_required"
    );
    assert!(
        passed.body["redirect_browser_to"]
            .as_str()
            .unwrap()
            .contains("/self-service/settings/flows?id="),
        "{}",
        passed.body
    );
    let again = submit(
        &server,
        &second,
        json!({"method": "code", "code": code_of_second}),
    );
    assert_kratos_error(&again, 400);
    assert_eq!(again.body["error"]["id"], "self_service_flow_completed");

    // Five wrong codes (Kratos' max_submissions) spend the first flow: even its right code
    // is refused after them, and the client is pointed to a new flow.
    for _ in 0..5 {
        let wrong = submit(&server, &first, json!({"method": "code", "code": "000000"}));
        assert_eq!(wrong.status, 400, "{}", wrong.body);
    }
    let spent = submit(
        &server,
        &first,
        json!({"method": "code", "code": code_of_first}),
    );
    assert_kratos_error(&spent, 410);
    let fresh = spent.body["use_flow_id"]
        .as_str()
        .or(spent.body["error"]["details"]["use_flow_id"].as_str())
        .map(str::to_owned);
    assert!(fresh.is_some(), "{}", spent.body);
}

#[test]
fn an_expired_code_is_refused() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with_env(
        &work,
        &peer,
        "",
        vec![(
            "SELFSERVICE_METHODS_CODE_CONFIG",
            r#"{"lifespan": "1s"}"#.to_string(),
        )],
    );
    registered(&server, "cy@example.com");
    let flow = server.get("/self-service/recovery/api").body;
    submit(
        &server,
        &flow,
        json!({"method": "code", "email": "cy@example.com"}),
    );
    let code = code_in(&nth_mail_to(&peer, "cy@example.com", "recover", 1));
    std::thread::sleep(Duration::from_millis(2100));
    let late = submit(&server, &flow, json!({"method": "code", "code": code}));
    assert_eq!(late.status, 400, "{}", late.body);
    assert_eq!(message_ids(&late.body), [4060006]);
}

#[test]
fn an_unknown_address_gets_the_same_answer_and_no_code() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    registered(&server, "known@example.com");

    let answer = |email: &str| {
        let flow = server.get("/self-service/recovery/api").body;
        let resp = submit(&server, &flow, json!({"method": "code", "email": email}));
        (
            resp.status,
            resp.body["state"].clone(),
            message_ids(&resp.body),
            node_names(&resp.body),
        )
    };
    let known = answer("known@example.com");
    let unknown = answer("nobody@example.com");
    assert_eq!(known.0, 200);
    assert_eq!(known, unknown);
    nth_mail_to(&peer, "known@example.com", "recover", 1);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        peer.mails().iter().all(|m| !m.to.contains("nobody@")),
        "{:?}",
        peer.mails()
    );
}

#[test]
fn unknown_recipients_are_told_when_the_flow_says_so() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "      notify_unknown_recipients: true\n");
    let flow = server.get("/self-service/recovery/api").body;
    let resp = submit(
        &server,
        &flow,
        json!({"method": "code", "email": "stranger@example.com"}),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let mail = nth_mail_to(&peer, "stranger@example.com", "Account access", 1);
    assert_eq!(mail.subject, "Account access attempted");
    assert!(code_free(&mail), "{mail:?}");
}

/// Whether a mail carries no six-digit code.
fn code_free(mail: &Mail) -> bool {
    !mail
        .text
        .split(|c: char| !c.is_ascii_digit())
        .any(|w| w.len() == 6)
}

#[test]
fn browser_recovery_ends_on_the_settings_flow_with_a_session_cookie() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    registered(&server, "di@example.com");

    let browser = Browser::new(&server);
    let flow = browser.start_flow("recovery");
    let csrf = csrf_of(&flow);
    let sent = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf),
            ("method", "code"),
            ("email", "di@example.com"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let code = code_in(&nth_mail_to(&peer, "di@example.com", "recover", 1));
    let shown = browser.fetch(sent.location.as_deref().unwrap());
    assert_eq!(shown.body["state"], "sent_email");

    // Without the CSRF token the code is refused.
    let forged = browser.post_form(&action_of(&flow), &[("method", "code"), ("code", &code)]);
    assert_ne!(forged.status, 303, "{}", forged.body);

    let passed = browser.post_form(
        &action_of(&flow),
        &[("csrf_token", &csrf), ("method", "code"), ("code", &code)],
    );
    assert_eq!(passed.status, 303, "{}", passed.body);
    let to_settings = passed.location.unwrap();
    assert!(
        to_settings.contains("/self-service/settings/flows?id="),
        "{to_settings}"
    );
    assert!(browser.cookie("ory_kratos_session").is_some());
    let settings = browser.fetch(&to_settings);
    assert_eq!(settings.status, 200, "{}", settings.body);
    let changed = browser.post_form(
        &action_of(&settings.body),
        &[
            ("csrf_token", &csrf_of(&settings.body)),
            ("method", "password"),
            ("password", NEW_PASSWORD),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(server.login("di@example.com", NEW_PASSWORD).status, 200);
}

#[test]
fn verification_by_code_marks_the_address_verified() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    let id = registered(&server, "ed@example.com");
    let before = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(before.body["verifiable_addresses"][0]["verified"], false);

    let flow = server.get("/self-service/verification/api").body;
    let path = format!(
        "/self-service/verification?flow={}",
        flow["id"].as_str().unwrap()
    );
    let sent = server.post_json(&path, &json!({"method": "code", "email": "ed@example.com"}));
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(message_ids(&sent.body), [1080003]);
    let mail = nth_mail_to(&peer, "ed@example.com", "verify", 2);
    let code = code_in(&mail);
    // The mail's link carries the flow and the code.
    assert!(
        mail.text.contains(&format!("{path}&code={code}")),
        "{}",
        mail.text
    );
    let done = server.post_json(&path, &json!({"method": "code", "code": code}));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["state"], "passed_challenge");
    assert_eq!(message_ids(&done.body), [1080002]);
    let after = server.admin_get(&format!("/admin/identities/{id}"));
    let address = &after.body["verifiable_addresses"][0];
    assert_eq!(address["verified"], true);
    assert_eq!(address["status"], "completed");
}

#[test]
fn an_administrator_hands_out_a_recovery_code() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    let id = registered(&server, "fay@example.com");

    // Kratos decodes this body without its schema: no `identity_id` is the nil UUID, which
    // names no identity.
    let missing = server.admin_post("/admin/recovery/code", &json!({}));
    assert_kratos_error(&missing, 404);
    let malformed = server.admin_post("/admin/recovery/code", &json!({"identity_id": "nope"}));
    assert_kratos_error(&malformed, 400);
    let unknown = server.admin_post(
        "/admin/recovery/code",
        &json!({"identity_id": uuid::Uuid::new_v4()}),
    );
    assert_kratos_error(&unknown, 404);

    let issued = server.admin_post(
        "/admin/recovery/code",
        &json!({"identity_id": id, "expires_in": "10m"}),
    );
    assert_eq!(issued.status, 201, "{}", issued.body);
    let code = issued.body["recovery_code"].as_str().unwrap();
    let link = issued.body["recovery_link"].as_str().unwrap();
    assert!(issued.body["expires_at"].is_string());

    let browser = Browser::new(&server);
    let opened = browser.visit(link);
    assert_eq!(opened.status, 303, "{}", opened.body);
    let flow = browser.fetch(opened.location.as_deref().unwrap());
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["state"], "sent_email");
    let passed = browser.post_form(
        &action_of(&flow.body),
        &[
            ("csrf_token", &csrf_of(&flow.body)),
            ("method", "code"),
            ("code", code),
        ],
    );
    assert_eq!(passed.status, 303, "{}", passed.body);
    assert!(
        passed
            .location
            .unwrap()
            .contains("/self-service/settings/flows?id=")
    );
    let recovery_mails = peer
        .mails()
        .into_iter()
        .filter(|m| m.subject.contains("recover"))
        .count();
    assert_eq!(recovery_mails, 0, "nothing is mailed: {:?}", peer.mails());
}

#[test]
fn disabled_flows_answer_as_kratos() {
    let work = Workdir::new();
    let server = Server::start(&work);
    for kind in ["recovery", "verification"] {
        let resp = server.get(&format!("/self-service/{kind}/api"));
        assert_kratos_error(&resp, 400);
        assert_eq!(resp.body["error"]["id"], "self_service_flow_disabled");
    }
}

#[test]
fn a_method_without_a_courier_grant_cannot_send() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(
        &work,
        &peer,
        &format!(
            "plugins:\n  factors:\n    - path: {}\n    - path: {}\n",
            plugin("password").display(),
            plugin("code").display()
        ),
    );
    registered(&server, "gil@example.com");
    let flow = server.get("/self-service/recovery/api").body;
    let refused = submit(
        &server,
        &flow,
        json!({"method": "code", "email": "gil@example.com"}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.to_string().contains("courier grant"),
        "{}",
        refused.body
    );
}

#[test]
fn sign_up_mails_a_verification_code_and_a_verified_address_unlocks_login() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(
        &work,
        &peer,
        "    login:\n      after:\n        hooks:\n          - hook: require_verified_address\n",
    );
    let signed_up = server.register("hal@example.com", PASSWORD);
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    let continue_with = signed_up.body["continue_with"].as_array().unwrap();
    let verify = continue_with
        .iter()
        .find(|c| c["action"] == "show_verification_ui")
        .unwrap_or_else(|| panic!("{}", signed_up.body));
    assert_eq!(verify["flow"]["verifiable_address"], "hal@example.com");
    let flow_id = verify["flow"]["id"].as_str().unwrap();

    // Not verified yet: the login is refused with Kratos' message.
    let refused = server.login("hal@example.com", PASSWORD);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(message_ids(&refused.body), [4000010]);

    let code = code_in(&nth_mail_to(&peer, "hal@example.com", "verify", 1));
    let path = format!("/self-service/verification?flow={flow_id}");
    let done = server.post_json(&path, &json!({"method": "code", "code": code}));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["state"], "passed_challenge");
    assert_eq!(server.login("hal@example.com", PASSWORD).status, 200);
}

#[test]
fn the_show_verification_ui_hook_sends_a_browser_to_verify_after_sign_up() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(
        &work,
        &peer,
        "    registration:\n      after:\n        password:\n          hooks:\n            - hook: session\n            - hook: show_verification_ui\n",
    );
    let browser = Browser::new(&server);
    let signed_up = register_in_browser(&browser, "ivy@example.com", PASSWORD);
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let to = signed_up.location.unwrap();
    assert!(to.contains("/self-service/verification/flows?id="), "{to}");
    let flow = browser.fetch(&to);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(flow.body["state"], "sent_email");
    nth_mail_to(&peer, "ivy@example.com", "verify", 1);
}

#[test]
fn the_session_page_asks_to_verify_until_the_address_is_verified() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with_options(&work, &peer, "", vec![], true);
    let browser = Browser::new(&server);
    // The built-in page shows the flow; its JSON is at the flow's API address.
    let started = browser.visit("/self-service/registration/browser");
    let page = started.location.unwrap();
    let id = page.split("flow=").nth(1).unwrap();
    let flow = browser
        .fetch(&format!("/self-service/registration/flows?id={id}"))
        .body;
    let signed_up = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("traits.email", "jo@example.com"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let home = browser.visit_page("/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("verify-notice"), "{}", home.text());
    assert!(home.text().contains("jo@example.com"));

    let mail = nth_mail_to(&peer, "jo@example.com", "verify", 1);
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/self-service/verification?flow="))
        .unwrap()
        .to_string();
    let followed = browser.visit(&link);
    assert_eq!(followed.status, 303, "{}", followed.body);
    let home = browser.visit_page("/");
    assert!(!home.text().contains("verify-notice"), "{}", home.text());
}

#[test]
fn a_single_page_app_recovers_with_a_cookie_and_is_sent_to_settings() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, "");
    registered(&server, "kai@example.com");
    let spa = Browser::new(&server);
    let flow = spa.fetch("/self-service/recovery/browser");
    assert_eq!(flow.status, 200, "{}", flow.body);
    let csrf = csrf_of(&flow.body);
    let sent = spa.post_json(
        &action_of(&flow.body),
        &json!({"csrf_token": csrf, "method": "code", "email": "kai@example.com"}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body["state"], "sent_email");
    let code = code_in(&nth_mail_to(&peer, "kai@example.com", "recover", 1));
    let passed = spa.post_json(
        &action_of(&flow.body),
        &json!({"csrf_token": csrf, "method": "code", "code": code}),
    );
    // Without use_continue_with_transitions an SPA is told to send the browser on, as Kratos
    // tells it; the session cookie is set already.
    assert_eq!(passed.status, 422, "{}", passed.body);
    assert_eq!(
        passed.body["error"]["id"],
        "browser_location_change_required"
    );
    assert!(spa.cookie("ory_kratos_session").is_some());
    let whoami = spa.fetch("/sessions/whoami");
    assert_eq!(whoami.status, 200, "{}", whoami.body);
}
