//! Account recovery and address verification by link (Kratos' `link` method), through the
//! real binary, with the links read out of the mail a real SMTP server (tests/peers/smtp)
//! received.

use crate::harness::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct-horse-battery-staple-42";
const NEW_PASSWORD: &str = "a-brand-new-passphrase-1999";

/// The link method switched on for recovery and verification, as a Kratos deployment does.
const LINK_ON: &str = "selfservice:\n  methods:\n    password:\n      config:\n        haveibeenpwned_enabled: false\n    link:\n      enabled: true\n  flows:\n    verification:\n      enabled: true\n      use: link\n    recovery:\n      enabled: true\n      use: link\n";

fn courier(peer: &SmtpPeer) -> String {
    format!(
        "courier:\n  smtp:\n    connection_uri: \"smtp://127.0.0.1:{}/?disable_starttls=true\"\n    from_address: accounts@example.org\n  worker:\n    pull_wait: 100ms\n",
        peer.port
    )
}

/// A server mailing through `peer` with `selfservice` as given and `extra` top-level keys.
pub(crate) fn server_with(
    work: &Workdir,
    peer: &SmtpPeer,
    selfservice: &str,
    extra: &str,
    builtin_ui: bool,
) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!("{}{selfservice}{extra}", courier(peer)),
    );
    Server::start_with(
        work,
        Options {
            config: Some(&config),
            builtin_ui,
            ..Default::default()
        },
    )
}

fn link_server(work: &Workdir, peer: &SmtpPeer, extra: &str) -> Server {
    server_with(work, peer, LINK_ON, extra, false)
}

/// The first link with a token in a mail's text.
pub(crate) fn link_in(mail: &Mail) -> String {
    mail.text
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains("token="))
        .unwrap_or_else(|| panic!("no link in {:?}", mail.text))
        .to_string()
}

fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_string()
}

/// Waits for the `n`-th mail (1-based) to `to` whose subject says `about` ("Recover",
/// "verify"): a sign-up mails a verification link of its own.
pub(crate) fn nth_mail_to(peer: &SmtpPeer, to: &str, about: &str, n: usize) -> Mail {
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

pub(crate) fn registered(server: &Server, email: &str) -> String {
    let resp = server.register(email, PASSWORD);
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["identity"]["id"].as_str().unwrap().to_string()
}

fn submit(server: &Server, kind: &str, flow: &Value, body: Value) -> Resp {
    server.post_json(
        &format!("/self-service/{kind}?flow={}", flow["id"].as_str().unwrap()),
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

/// Changes the password in the settings flow a browser was sent to, and checks it took.
fn change_password(server: &Server, browser: &Browser, settings_url: &str, email: &str) {
    let settings = browser.fetch(settings_url);
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert!(
        message_ids(&settings.body).contains(&1060001),
        "{}",
        settings.body
    );
    let changed = browser.post_form(
        &action_of(&settings.body),
        &[
            ("csrf_token", &csrf_of(&settings.body)),
            ("method", "password"),
            ("password", NEW_PASSWORD),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(server.login(email, NEW_PASSWORD).status, 200);
    assert_eq!(server.login(email, PASSWORD).status, 400);
}

#[test]
fn api_recovery_by_link_signs_in_once() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(
        &work,
        &peer,
        "feature_flags:\n  use_continue_with_transitions: true\n",
    );
    registered(&server, "ada@example.com");

    let flow = server.get("/self-service/recovery/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(node_names(&flow.body), ["csrf_token", "email", "method"]);
    let email = &flow.body["ui"]["nodes"][1];
    assert_eq!(email["group"], "link");
    assert_eq!(email["attributes"]["type"], "email");
    assert_eq!(email["attributes"]["required"], true);
    assert_eq!(email["meta"]["label"]["id"], 1070007);
    let method = &flow.body["ui"]["nodes"][2];
    assert_eq!(method["attributes"]["value"], "link");
    assert_eq!(method["meta"]["label"]["id"], 1070005);

    let sent = submit(
        &server,
        "recovery",
        &flow.body,
        json!({"method": "link", "email": "Ada@Example.com"}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body["state"], "sent_email");
    assert_eq!(sent.body["active"], "link");
    assert_eq!(message_ids(&sent.body), [1060002]);
    // Kratos shows the same form again.
    assert_eq!(node_names(&sent.body), ["csrf_token", "email", "method"]);

    let mail = nth_mail_to(&peer, "ada@example.com", "Recover", 1);
    let link = link_in(&mail);
    let flow_id = flow.body["id"].as_str().unwrap();
    assert!(
        link.starts_with(&server.url(&format!("/self-service/recovery?flow={flow_id}&token="))),
        "{link}"
    );
    let token = token_of(&link);
    assert_eq!(token.len(), 64, "{link}");
    assert!(mail.text.contains("60 minutes"), "{}", mail.text);

    let done = submit(
        &server,
        "recovery",
        &flow.body,
        json!({"method": "link", "token": token}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["state"], "passed_challenge");
    let continue_with = done.body["continue_with"].as_array().unwrap();
    assert_eq!(continue_with[0]["action"], "set_ory_session_token");
    assert_eq!(continue_with[1]["action"], "show_settings_ui");
    let session = continue_with[0]["ory_session_token"].as_str().unwrap();
    let whoami = server.get_with_token("/sessions/whoami", session);
    assert_eq!(whoami.status, 200, "{}", whoami.body);
    assert_eq!(
        whoami.body["authentication_methods"][0]["method"],
        "link_recovery"
    );

    // The link works once: its flow is spent.
    let again = submit(
        &server,
        "recovery",
        &flow.body,
        json!({"method": "link", "token": token}),
    );
    assert_kratos_error(&again, 400);
    assert_eq!(again.body["error"]["id"], "self_service_flow_completed");
}

#[test]
fn a_wrong_token_or_one_from_another_flow_is_refused() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(&work, &peer, "");
    registered(&server, "bo@example.com");

    let first = server.get("/self-service/recovery/api").body;
    let second = server.get("/self-service/recovery/api").body;
    for flow in [&first, &second] {
        let sent = submit(
            &server,
            "recovery",
            flow,
            json!({"method": "link", "email": "bo@example.com"}),
        );
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let token_of_first = token_of(&link_in(&nth_mail_to(
        &peer,
        "bo@example.com",
        "Recover",
        1,
    )));
    let token_of_second = token_of(&link_in(&nth_mail_to(
        &peer,
        "bo@example.com",
        "Recover",
        2,
    )));
    assert_ne!(token_of_first, token_of_second);

    let foreign = submit(
        &server,
        "recovery",
        &second,
        json!({"method": "link", "token": token_of_first}),
    );
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert_eq!(message_ids(&foreign.body), [4060004]);
    let wrong = submit(
        &server,
        "recovery",
        &second,
        json!({"method": "link", "token": "0".repeat(64)}),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(message_ids(&wrong.body), [4060004]);

    // Refusals do not spend the right link, which still passes.
    let passed = submit(
        &server,
        "recovery",
        &second,
        json!({"method": "link", "token": token_of_second}),
    );
    assert_kratos_error(&passed, 422);
    assert_eq!(
        passed.body["error"]["id"],
        "browser_location_change_required"
    );
    let twice = submit(
        &server,
        "recovery",
        &second,
        json!({"method": "link", "token": token_of_second}),
    );
    assert_kratos_error(&twice, 400);
    assert_eq!(twice.body["error"]["id"], "self_service_flow_completed");

    // Hammering a flow spends it as for codes (max_submissions, 5): then even its own link is
    // refused, and the client is pointed to a new flow.
    for _ in 0..5 {
        let wrong = submit(
            &server,
            "recovery",
            &first,
            json!({"method": "link", "token": "0".repeat(64)}),
        );
        assert_eq!(wrong.status, 400, "{}", wrong.body);
    }
    let spent = submit(
        &server,
        "recovery",
        &first,
        json!({"method": "link", "token": token_of_first}),
    );
    assert_kratos_error(&spent, 410);
}

#[test]
fn browser_recovery_by_link_ends_on_the_settings_ui_with_a_session() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(&work, &peer, "");
    registered(&server, "di@example.com");

    let browser = Browser::new(&server);
    let flow = browser.start_flow("recovery");
    let sent = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "link"),
            ("email", "di@example.com"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let shown = browser.fetch(sent.location.as_deref().unwrap());
    assert_eq!(shown.body["state"], "sent_email");
    assert_eq!(message_ids(&shown.body), [1060002]);

    // A wrong token in the link shows the flow again with Kratos' message.
    let link = link_in(&nth_mail_to(&peer, "di@example.com", "Recover", 1));
    let wrong = browser.visit(&format!(
        "{}{}",
        link.split_once("token=").unwrap().0,
        "token=nope"
    ));
    assert_eq!(wrong.status, 303, "{}", wrong.body);
    let refused = browser.fetch(wrong.location.as_deref().unwrap());
    assert_eq!(message_ids(&refused.body), [4060004]);

    let followed = browser.visit(&link);
    assert_eq!(followed.status, 303, "{}", followed.body);
    let to_settings = followed.location.unwrap();
    assert!(
        to_settings.contains("/self-service/settings/flows?id="),
        "{to_settings}"
    );
    assert!(browser.cookie("ory_kratos_session").is_some());
    change_password(&server, &browser, &to_settings, "di@example.com");

    // Followed again, in another browser, the link opens nothing.
    let other = Browser::new(&server);
    let again = other.visit(&link);
    assert!(
        again
            .location
            .as_deref()
            .is_none_or(|to| !to.contains("/settings")),
        "{:?}",
        again.location
    );
    assert!(other.cookie("ory_kratos_session").is_none());
}

#[test]
fn a_link_opened_in_another_browser_recovers_there() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(&work, &peer, "");
    registered(&server, "eve@example.com");

    let laptop = Browser::new(&server);
    let flow = laptop.start_flow("recovery");
    let sent = laptop.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "link"),
            ("email", "eve@example.com"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let link = link_in(&nth_mail_to(&peer, "eve@example.com", "Recover", 1));

    // The phone never saw the flow: it gets the session and a settings flow of its own.
    let phone = Browser::new(&server);
    let followed = phone.visit(&link);
    assert_eq!(followed.status, 303, "{}", followed.body);
    assert!(phone.cookie("ory_kratos_session").is_some());
    assert!(laptop.cookie("ory_kratos_session").is_none());
    change_password(
        &server,
        &phone,
        followed.location.as_deref().unwrap(),
        "eve@example.com",
    );
}

#[test]
fn verification_by_link_shows_the_passed_flow() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(&work, &peer, "");
    let id = registered(&server, "fay@example.com");
    let before = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(before.body["verifiable_addresses"][0]["verified"], false);

    let browser = Browser::new(&server);
    let flow = browser.start_flow("verification");
    assert_eq!(node_names(&flow), ["csrf_token", "email", "method"]);
    let sent = browser.post_form(
        &action_of(&flow),
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "link"),
            ("email", "fay@example.com"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let shown = browser.fetch(sent.location.as_deref().unwrap());
    assert_eq!(message_ids(&shown.body), [1080001]);
    // The first is the one sign-up sent.
    let mail = nth_mail_to(&peer, "fay@example.com", "verify", 2);
    let link = link_in(&mail);
    assert!(link.contains("/self-service/verification?flow="), "{link}");

    let followed = browser.visit(&link);
    assert_eq!(followed.status, 303, "{}", followed.body);
    let to_ui = followed.location.unwrap();
    assert!(
        to_ui.contains("/self-service/verification/flows?id="),
        "{to_ui}"
    );
    let done = browser.fetch(&to_ui);
    assert_eq!(done.body["state"], "passed_challenge");
    assert_eq!(message_ids(&done.body), [1080002]);
    assert_eq!(done.body["ui"]["nodes"][0]["group"], "link");
    let after = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(after.body["verifiable_addresses"][0]["verified"], true);

    // An API flow takes the token as a submission too, and refuses a wrong one.
    let api = server.get("/self-service/verification/api").body;
    submit(
        &server,
        "verification",
        &api,
        json!({"method": "link", "email": "fay@example.com"}),
    );
    let token = token_of(&link_in(&nth_mail_to(
        &peer,
        "fay@example.com",
        "verify",
        3,
    )));
    let wrong = submit(
        &server,
        "verification",
        &api,
        json!({"method": "link", "token": "x"}),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(message_ids(&wrong.body), [4070001]);
    let passed = submit(
        &server,
        "verification",
        &api,
        json!({"method": "link", "token": token}),
    );
    assert_eq!(passed.status, 200, "{}", passed.body);
    assert_eq!(passed.body["state"], "passed_challenge");
}

#[test]
fn an_administrator_hands_out_a_recovery_link() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = link_server(&work, &peer, "");
    let id = registered(&server, "gil@example.com");

    // Kratos' link strategy answers an unknown identity with a 400.
    let unknown = server.admin_post(
        "/admin/recovery/link",
        &json!({"identity_id": uuid::Uuid::new_v4()}),
    );
    assert_kratos_error(&unknown, 400);

    let issued = server.admin_post(
        "/admin/recovery/link",
        &json!({"identity_id": id, "expires_in": "10m"}),
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let link = issued.body["recovery_link"].as_str().unwrap();
    assert!(
        link.starts_with(&server.url("/self-service/recovery?flow=")) && link.contains("&token="),
        "{link}"
    );
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(issued.body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires_at.signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::minutes(9) && left <= chrono::Duration::minutes(10),
        "{left}"
    );

    let browser = Browser::new(&server);
    let followed = browser.visit(link);
    assert_eq!(followed.status, 303, "{}", followed.body);
    let to_settings = followed.location.unwrap();
    assert!(
        to_settings.contains("/self-service/settings/flows?id="),
        "{to_settings}"
    );
    change_password(&server, &browser, &to_settings, "gil@example.com");
    assert!(
        peer.mails().iter().all(|m| !m.subject.contains("Recover")),
        "nothing is mailed: {:?}",
        peer.mails()
    );

    // Used once, the link is spent.
    let again = Browser::new(&server).fetch(link);
    assert_kratos_error(
        &Resp {
            status: again.status,
            body: again.body,
        },
        400,
    );
}

#[test]
fn without_the_link_method_no_link_is_issued() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    // Recovery on, by code: the link method stays off, as in Kratos' defaults.
    let server = server_with(
        &work,
        &peer,
        "selfservice:\n  flows:\n    recovery:\n      enabled: true\n",
        "",
        false,
    );
    let id = registered(&server, "hal@example.com");
    // As Kratos answers the endpoint of a method that is off.
    let refused = server.admin_post("/admin/recovery/link", &json!({"identity_id": id}));
    assert_kratos_error(&refused, 404);
    let reason = refused.body["error"].to_string();
    assert!(
        reason.contains("disabled by system administrator"),
        "{reason}"
    );
    let code = server.admin_post("/admin/recovery/code", &json!({"identity_id": id}));
    assert_eq!(code.status, 201, "{}", code.body);
}

#[test]
fn in_chromium_the_mailed_link_lands_on_the_settings_page() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let server = server_with(&work, &peer, LINK_ON, "", true);
    registered(&server, "ivy@example.com");
    crate::browser_ui::run_scenario(
        &server,
        "recovery_link",
        &[
            ("LATCHKEY_RECOVERY_EMAIL", "ivy@example.com".to_string()),
            ("LATCHKEY_MAIL_FILE", peer.mail_file().display().to_string()),
        ],
    );
}
