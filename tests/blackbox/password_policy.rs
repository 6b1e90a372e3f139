//! Kratos' password policy through the real binary: length, similarity to the identifier, the
//! offline list of common passwords, and the breached-password lookup against a stand-in for
//! Have I Been Pwned's range API on loopback (tests/peers/pwned-passwords).

use crate::harness::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Stdio};

/// The range API stand-in; stopped when dropped.
struct RangeApi {
    child: Child,
    origin: String,
    log: PathBuf,
}

impl RangeApi {
    /// Knows each password of `breached` with its count.
    fn start(work: &Workdir, breached: &[(&str, u64)]) -> RangeApi {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/peers/pwned-passwords/server.py");
        let log = work.path().join("range-requests.log");
        let mut child = python()
            .arg(script)
            .arg(&log)
            .args(breached.iter().map(|(pw, count)| format!("{pw}:{count}")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the range API stand-in (Python 3)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let origin = line.trim().to_string();
        assert!(origin.starts_with("http://127.0.0.1:"), "it said {line:?}");
        RangeApi { child, origin, log }
    }

    /// The paths asked for, in order.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for RangeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server whose password method has `policy` (YAML under `config:`, indented by eight
/// spaces) and may reach private addresses, as a range API on loopback is.
fn server_with(work: &Workdir, policy: &str) -> Server {
    let cfg = work.write(
        "kratos.yml",
        &format!(
            "selfservice:\n  methods:\n    password:\n      config:\n{policy}\nplugins:\n  factors:\n    - path: {}\n      outbound_http:\n        allow_private: true\n",
            plugin("password").display()
        ),
    );
    Server::with_config(work, &cfg)
}

/// The one message on the password node of a refused registration.
fn refusal(resp: &Resp) -> Value {
    assert_eq!(resp.status, 400, "{}", resp.body);
    let node = resp.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "password")
        .expect("a password node");
    let messages = node["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{}", resp.body);
    messages[0].clone()
}

/// The SHA-1 of `text`, upper-case hex, as the range API spells it.
fn sha1_hex(text: &str) -> String {
    let out = python()
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest().upper())",
            text,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn password_policy_by_default_refuses_common_short_and_similar_passwords() {
    let work = Workdir::new();
    let server = Server::start(&work);

    for common in ["12345678", "password", "Password", "iloveyou"] {
        let m = refusal(&server.register("ann@example.com", common));
        assert_eq!(m["id"], 4000034, "{common}: {m}");
        assert_eq!(
            m["text"],
            "The password has been found in data breaches and must no longer be used."
        );
    }

    let short = refusal(&server.register("ann@example.com", "x7#kq"));
    assert_eq!(short["id"], 4000032);
    assert_eq!(
        short["text"],
        "The password must be at least 8 characters long, but got 5."
    );
    assert_eq!(
        short["context"],
        json!({ "min_length": 8, "actual_length": 5 })
    );

    for similar in ["ann@example.com", "Ann@Example.com!", "ann@example.org"] {
        let m = refusal(&server.register("ann@example.com", similar));
        assert_eq!(m["id"], 4000031, "{similar}: {m}");
        assert_eq!(
            m["text"],
            "The password can not be used because it is too similar to the identifier."
        );
    }

    let accepted = server.register("ann@example.com", "tawny owls at dusk");
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

#[test]
fn password_policy_keys_change_the_checks() {
    let work = Workdir::new();
    let server = server_with(
        &work,
        "        min_password_length: 12\n        identifier_similarity_check_enabled: false\n        haveibeenpwned_enabled: false",
    );
    let short = refusal(&server.register("bo@example.com", "eleven char"));
    assert_eq!(
        short["context"],
        json!({ "min_length": 12, "actual_length": 11 })
    );
    // Without the similarity check a password may look like the address...
    let similar = server.register("bo@example.com", "bo@example.com!!");
    assert_eq!(similar.status, 200, "{}", similar.body);
    // ...but the offline list is consulted all the same.
    let common = refusal(&server.register("cy@example.com", "1qaz2wsx3edc"));
    assert_eq!(common["id"], 4000034);
}

#[test]
fn breached_passwords_are_refused_by_the_range_api_which_sees_only_a_prefix() {
    let work = Workdir::new();
    let breached = "tawny owls at dusk";
    let range = RangeApi::start(&work, &[(breached, 3), ("a second leaked one", 1)]);
    let server = server_with(
        &work,
        &format!("        haveibeenpwned_host: {}", range.origin),
    );

    let m = refusal(&server.register("dee@example.com", breached));
    assert_eq!(m["id"], 4000034);
    assert_eq!(m["context"], json!({ "breaches": 3 }));

    let clean = "quiet herons wading";
    let accepted = server.register("dee@example.com", clean);
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // One request per new password, each naming five hex digits of its SHA-1 and nothing else.
    let expected: Vec<String> = [breached, clean]
        .iter()
        .map(|pw| format!("/range/{}", &sha1_hex(pw)[..5]))
        .collect();
    assert_eq!(range.requests(), expected);

    // The same password is welcome when max_breaches allows its count.
    let work = Workdir::new();
    let range = RangeApi::start(&work, &[(breached, 3)]);
    let lenient = server_with(
        &work,
        &format!(
            "        haveibeenpwned_host: {}\n        max_breaches: 3",
            range.origin
        ),
    );
    assert_eq!(lenient.register("eve@example.com", breached).status, 200);
}

#[test]
fn password_checks_that_cannot_reach_the_range_api_follow_ignore_network_errors() {
    // A port nothing listens on: the connection is refused.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let host = format!("        haveibeenpwned_host: http://127.0.0.1:{closed}");

    let work = Workdir::new();
    let server = server_with(&work, &host);
    let accepted = server.register("fay@example.com", "quiet herons wading");
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        server.log().contains("breached-password lookup failed"),
        "{}",
        server.log()
    );

    let work = Workdir::new();
    let strict = server_with(
        &work,
        &format!("{host}\n        ignore_network_errors: false"),
    );
    let m = refusal(&strict.register("fay@example.com", "quiet herons wading"));
    assert_eq!(m["id"], 4000005, "{m}");
    // The offline list needs no network.
    let common = refusal(&strict.register("fay@example.com", "12345678"));
    assert_eq!(common["id"], 4000034);
}

#[test]
fn password_settings_apply_the_same_policy() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("gil@example.com", "tawny owls at dusk");
    let token = reg.body["session_token"].as_str().unwrap().to_string();
    let flow = server.get_with_token("/self-service/settings/api", &token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    let action = format!(
        "/self-service/settings?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    let change = |password: &str| {
        send(
            ureq::post(&server.url(&action)).set("X-Session-Token", &token),
            Some(&json!({ "method": "password", "password": password })),
        )
    };
    assert_eq!(refusal(&change("qwerty123"))["id"], 4000034);
    assert_eq!(refusal(&change("gil@example.co"))["id"], 4000031);
    let ok = change("pale moths circling");
    assert_eq!(ok.status, 200, "{}", ok.body);
}
