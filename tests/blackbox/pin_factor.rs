//! The example PIN factor (`plugins/examples/pin`), added by config to the default factors: set in settings, asked for at `aal=aal2`, locked after too many wrong PINs,
//! changed and removed again.

use crate::harness::*;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn server(work: &Workdir) -> Server {
    server_with(work, "{}")
}

/// A server whose PIN method has these settings (`selfservice.methods.pin.config`). The PIN
/// is added to the default factors by its bare file name, found in `LATCHKEY_PLUGIN_DIR` (the
/// config file's directory has no `pin.wasm`), as docs/plugins.md shows.
fn server_with(work: &Workdir, pin_settings: &str) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  extra_factors:\n    - path: pin.wasm\nselfservice:\n  methods:\n    pin:\n      enabled: true\n      config: {pin_settings}\n",
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
    assert_eq!(message_ids(&bad.body), [1_532_500_102]);

    let set = settings(&server, &first, json!({ "method": "pin", "pin": "024680" }));
    assert_eq!(set.status, 200, "{}", set.body);
    assert!(node(&set.body, "pin_remove").is_some(), "{}", set.body);
    let label = &node(&set.body, "pin").unwrap()["meta"]["label"];
    assert_eq!(label["text"], "New PIN", "{}", set.body);
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
    assert_eq!(field["messages"][0]["id"], WRONG, "{}", wrong.body);
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
    assert!(
        node(&removed.body, "pin_remove").is_none(),
        "{}",
        removed.body
    );
    assert!(node(&removed.body, "pin").is_some(), "{}", removed.body);
    let third = token_of(&server.login("pin@example.com", "pin password 123"));
    let me = aal(&server, &third);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");
}

/// Registers, sets `pin` from the registration's session (which becomes aal2), and signs in
/// again with the password: the new session's token, which needs the PIN to reach aal2, and
/// the first one, which can change settings.
fn with_pin(server: &Server, email: &str, pin: &str) -> (String, String) {
    let first = token_of(&server.register(email, "pin password 123"));
    let set = settings(server, &first, json!({ "method": "pin", "pin": pin }));
    assert_eq!(set.status, 200, "{}", set.body);
    let second = token_of(&server.login(email, "pin password 123"));
    (second, first)
}

/// The message on the `pin` node of a rejected step-up: its id and context.
fn pin_message(resp: &Resp) -> (u64, Value) {
    assert_eq!(resp.status, 400, "{}", resp.body);
    let message = &node(&resp.body, "pin").unwrap()["messages"][0];
    (message["id"].as_u64().unwrap(), message["context"].clone())
}

/// The PIN's own message ids are `MessageIds::of("pin")` of the SDK: 1532500000 and up.
const WRONG: u64 = 1_532_500_103;
const LOCKED: u64 = 1_532_500_104;

#[test]
fn wrong_pins_lock_the_pin_until_a_new_one_is_set() {
    let work = Workdir::new();
    let server = server_with(&work, "{ max_attempts: 3, lock_seconds: 3600 }");
    let (token, settings_token) = with_pin(&server, "lock@example.com", "1357");

    // Every step-up is a new flow: the count lives in the credential, not in the flow.
    for left in [2, 1] {
        let (id, context) = pin_message(&step_up(&server, &token, "0000"));
        assert_eq!((id, &context["attempts_left"]), (WRONG, &json!(left)));
    }
    let before = unix_now();
    let (id, context) = pin_message(&step_up(&server, &token, "0000"));
    assert_eq!(id, LOCKED);
    let until = context["locked_until_unix"].as_i64().unwrap();
    assert!(
        (before + 3600..=unix_now() + 3600).contains(&until),
        "locked for the configured hour: {context}"
    );

    // The right PIN is refused while locked, and the session stays short of aal2.
    let (id, _) = pin_message(&step_up(&server, &token, "1357"));
    assert_eq!(id, LOCKED);
    assert_eq!(aal(&server, &token).status, 403);

    // A new PIN, set from the session that is aal2 already, lifts the lock.
    let renewed = settings(
        &server,
        &settings_token,
        json!({ "method": "pin", "pin": "8642" }),
    );
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let (id, _) = pin_message(&step_up(&server, &token, "1357"));
    assert_eq!(id, WRONG, "the old PIN is gone, and the count started over");
    let ok = step_up(&server, &token, "8642");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["session"]["authenticator_assurance_level"], "aal2");
}

#[test]
fn a_correct_pin_resets_the_count_and_a_lock_ends_by_itself() {
    let work = Workdir::new();
    let server = server_with(&work, "{ max_attempts: 2, lock_seconds: 1 }");
    let (token, _) = with_pin(&server, "expire@example.com", "1357");

    let (id, context) = pin_message(&step_up(&server, &token, "0000"));
    assert_eq!((id, &context["attempts_left"]), (WRONG, &json!(1)));
    assert_eq!(step_up(&server, &token, "1357").status, 200);

    // One wrong PIN after the correct one leaves one attempt, as at the start (without the
    // reset it would be the second in a row, and lock).
    let again = token_of(&server.login("expire@example.com", "pin password 123"));
    let (id, context) = pin_message(&step_up(&server, &again, "0000"));
    assert_eq!((id, &context["attempts_left"]), (WRONG, &json!(1)));
    let (id, context) = pin_message(&step_up(&server, &again, "0000"));
    assert_eq!(id, LOCKED);

    // The lock ends at the time it announced; the server and this test share a clock.
    let until = context["locked_until_unix"].as_i64().unwrap();
    let wait = (until - unix_now()).max(0) as u64 + 1;
    std::thread::sleep(Duration::from_secs(wait));
    let ok = step_up(&server, &again, "1357");
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[test]
fn parallel_guesses_are_all_counted() {
    let work = Workdir::new();
    let server = server_with(&work, "{ max_attempts: 5, lock_seconds: 3600 }");
    let (token, _) = with_pin(&server, "race@example.com", "1357");

    let answers: Vec<(u64, Value)> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..8)
            .map(|i| {
                let (server, token) = (&server, &token);
                scope.spawn(move || pin_message(&step_up(server, token, &format!("00{i:02}"))))
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let mut left: Vec<i64> = answers
        .iter()
        .filter(|(id, _)| *id == WRONG)
        .map(|(_, context)| context["attempts_left"].as_i64().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [1, 2, 3, 4],
        "the first four guesses, counted one by one"
    );
    let locked = answers.iter().filter(|(id, _)| *id == LOCKED).count();
    assert_eq!(
        locked, 4,
        "the fifth locked the PIN, and the rest met the lock"
    );
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_plugins_log_fields_are_fields_of_the_json_log_line() {
    let work = Workdir::new();
    let config = work.write(
        "kratos.yml",
        &format!(
            "log:\n  format: json\nplugins:\n  factors:\n    - path: {}\n    - path: {}\n",
            plugin("password").display(),
            plugin("pin").display(),
        ),
    );
    let server = Server::with_config(&work, &config);
    let registered = server.register("fields@example.com", "pin password 123");
    let token = token_of(&registered);
    let identity = registered.body["identity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let set = settings(&server, &token, json!({ "method": "pin", "pin": "024680" }));
    assert_eq!(set.status, 200, "{}", set.body);
    let second = token_of(&server.login("fields@example.com", "pin password 123"));
    assert_eq!(step_up(&server, &second, "135791").status, 400);

    let log = server.log();
    let wrong_pin = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|event| event["fields"]["message"] == "wrong PIN")
        .unwrap_or_else(|| panic!("no `wrong PIN` event in: {log}"));
    let fields = &wrong_pin["fields"];
    assert_eq!(fields["plugin"], "pin (pin.wasm)", "{wrong_pin}");
    assert_eq!(
        fields["plugin_fields"],
        json!({ "identity_id": identity }),
        "{wrong_pin}"
    );
}
