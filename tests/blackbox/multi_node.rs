//! Two servers on one PostgreSQL database, as behind a load balancer: whatever one node does,
//! the other sees, and what one process keeps in memory does not make them disagree.

use crate::harness::*;
use serde_json::{Value, json};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// How long a node may still serve what another node revoked (docs/deployment.md).
const STALE_BOUND: Duration = Duration::from_secs(1);

struct Nodes {
    a: Server,
    b: Server,
    _work: Workdir,
}

/// Two nodes sharing the database, the secrets and the config, with the PIN factor.
fn nodes() -> Nodes {
    let work = Workdir::on_postgres();
    let config = work.write(
        "kratos.yml",
        "secrets:\n  default: [\"a-secret-both-nodes-share-0123456789\"]\n\
         plugins:\n  extra_factors:\n    - path: pin.wasm\n\
         selfservice:\n  methods:\n    pin:\n      enabled: true\n      config: { max_attempts: 5, lock_seconds: 3600 }\n",
    );
    let start = || {
        Server::start_with(
            &work,
            Options {
                config: Some(&config),
                ..Default::default()
            },
        )
    };
    let (a, b) = (start(), start());
    Nodes { a, b, _work: work }
}

fn token_of(resp: &Resp) -> String {
    resp.body["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no session token: {}", resp.body))
        .to_string()
}

/// Submits to `to` the API flow of `kind` that `from` started, with `query` (such as
/// `?aal=aal2`) on the start URL.
fn submit_elsewhere(
    from: &Server,
    to: &Server,
    kind_query: &str,
    token: Option<&str>,
    body: &Value,
) -> Resp {
    let (kind, query) = kind_query.split_at(kind_query.find('?').unwrap_or(kind_query.len()));
    let start = format!("/self-service/{kind}/api{query}");
    let flow = match token {
        Some(token) => from.get_with_token(&start, token),
        None => from.get(&start),
    };
    assert_eq!(flow.status, 200, "{}", flow.body);
    let url = to.url(&format!(
        "/self-service/{kind}?flow={}",
        flow.body["id"].as_str().unwrap()
    ));
    let request = ureq::post(&url);
    let request = match token {
        Some(token) => request.set("X-Session-Token", token),
        None => request,
    };
    send(request, Some(body))
}

#[test]
fn flows_sessions_and_browser_cookies_work_on_either_node() {
    let Nodes { a, b, .. } = nodes();
    let registered = submit_elsewhere(
        &a,
        &b,
        "registration",
        None,
        &json!({ "method": "password", "traits": { "email": "both@example.com" }, "password": "two nodes one db" }),
    );
    assert_eq!(registered.status, 200, "{}", registered.body);
    let login = submit_elsewhere(
        &b,
        &a,
        "login",
        None,
        &json!({ "method": "password", "identifier": "both@example.com", "password": "two nodes one db" }),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let token = token_of(&login);
    for node in [&a, &b] {
        let me = node.get_with_token("/sessions/whoami", &token);
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["identity"]["traits"]["email"], "both@example.com");
    }

    // A browser whose flow, CSRF cookie and session cookie were made by A, talking to B.
    let browser = Browser::new(&a);
    let flow = browser.start_flow("login");
    let action = action_of(&flow).replace(&a.public, &b.public);
    let signed_in = browser.post_form(
        &action,
        &[
            ("csrf_token", &csrf_of(&flow)),
            ("method", "password"),
            ("identifier", "both@example.com"),
            ("password", "two nodes one db"),
        ],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let me = browser.fetch(&b.url("/sessions/whoami"));
    assert_eq!(me.status, 200, "{}", me.body);
    let me = browser.fetch(&a.url("/sessions/whoami"));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["traits"]["email"], "both@example.com");
}

/// Polls `node` until `token` is refused and returns how long after `since` that was.
fn refused_after(node: &Server, token: &str, since: Instant) -> Duration {
    loop {
        let asked = Instant::now();
        let me = node.get_with_token("/sessions/whoami", token);
        if me.status == 401 {
            return asked - since;
        }
        assert_eq!(me.status, 200, "{}", me.body);
        assert!(
            since.elapsed() < STALE_BOUND * 5,
            "still served after {:?}",
            since.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_session_revoked_or_an_identity_deleted_on_one_node_is_refused_on_the_other() {
    let Nodes { a, b, .. } = nodes();
    let token = token_of(&a.register("revoke@example.com", "two nodes one db"));
    // B reads the session now, so it is in B's cache when A revokes it.
    assert_eq!(b.get_with_token("/sessions/whoami", &token).status, 200);
    assert_eq!(b.get_with_token("/sessions/whoami", &token).status, 200);
    let logout = send(
        ureq::delete(&a.url("/self-service/logout/api")),
        Some(&json!({ "session_token": token })),
    );
    assert_eq!(logout.status, 204, "{}", logout.body);
    let delay = refused_after(&b, &token, Instant::now());
    assert!(
        delay <= STALE_BOUND,
        "B served a revoked session for {delay:?}"
    );

    let registered = b.register("deleted@example.com", "two nodes one db");
    let (token, id) = (
        token_of(&registered),
        registered.body["identity"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    assert_eq!(a.get_with_token("/sessions/whoami", &token).status, 200);
    let deleted = b.admin_delete(&format!("/admin/identities/{id}"));
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let delay = refused_after(&a, &token, Instant::now());
    assert!(
        delay <= STALE_BOUND,
        "A served a deleted identity's session for {delay:?}"
    );
}

fn node<'a>(flow: &'a Value, name: &str) -> Option<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == name)
}

/// The PIN's own message ids are `MessageIds::of("pin")` of the SDK.
const WRONG: u64 = 1_532_500_103;
const LOCKED: u64 = 1_532_500_104;

#[test]
fn wrong_pins_guessed_in_parallel_on_both_nodes_lock_as_on_one() {
    let Nodes { a, b, .. } = nodes();
    let first = token_of(&a.register("pin@example.com", "two nodes one db"));
    let set = submit_elsewhere(
        &a,
        &a,
        "settings",
        Some(&first),
        &json!({ "method": "pin", "pin": "1357" }),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let token = token_of(&b.login("pin@example.com", "two nodes one db"));

    let answers: Vec<(u64, Value)> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..8)
            .map(|i| {
                let (node, other, token) = if i % 2 == 0 {
                    (&a, &b, &token)
                } else {
                    (&b, &a, &token)
                };
                scope.spawn(move || {
                    let resp = submit_elsewhere(
                        node,
                        other,
                        "login?aal=aal2",
                        Some(token),
                        &json!({ "method": "pin", "pin": format!("00{i:02}") }),
                    );
                    assert_eq!(resp.status, 400, "{}", resp.body);
                    let message = &node_of(&resp.body)["messages"][0];
                    (message["id"].as_u64().unwrap(), message["context"].clone())
                })
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
        "every guess counted once, on whichever node: {answers:?}"
    );
    let locked = answers.iter().filter(|(id, _)| *id == LOCKED).count();
    assert_eq!(
        locked, 4,
        "the fifth locked the PIN on both nodes: {answers:?}"
    );
}

fn node_of(flow: &Value) -> &Value {
    node(flow, "pin").unwrap_or_else(|| panic!("no pin node: {flow}"))
}

#[test]
fn one_identifier_registered_on_both_nodes_at_once_makes_one_identity() {
    let Nodes { a, b, .. } = nodes();
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let flows: Vec<String> = [&a, &b]
            .iter()
            .map(|node| {
                let flow = node.get("/self-service/registration/api");
                flow.body["id"].as_str().unwrap().to_string()
            })
            .collect();
        let barrier = Barrier::new(2);
        let answers: Vec<Resp> = std::thread::scope(|scope| {
            let tasks: Vec<_> = [(&a, &flows[0]), (&b, &flows[1])]
                .into_iter()
                .map(|(node, flow)| {
                    let (barrier, email) = (&barrier, &email);
                    scope.spawn(move || {
                        barrier.wait();
                        node.post_json(
                            &format!("/self-service/registration?flow={flow}"),
                            &json!({ "method": "password", "traits": { "email": email }, "password": "two nodes one db" }),
                        )
                    })
                })
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 400],
            "{:?}",
            answers.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        let refused = answers.iter().find(|r| r.status == 400).unwrap();
        assert_eq!(message_ids(&refused.body), [4000007], "{}", refused.body);
        let found = a.admin_get(&format!("/admin/identities?credentials_identifier={email}"));
        assert_eq!(found.body.as_array().unwrap().len(), 1, "{}", found.body);
    }
}

#[test]
fn a_sqlite_deployment_moved_onto_postgres_keeps_its_accounts_and_sessions() {
    let work = Workdir::on_postgres();
    let sqlite = format!("sqlite://{}/old.db?mode=rwc", work.path().display());
    let old = Server::start_with(
        &work,
        Options {
            env: vec![("DSN", sqlite.clone())],
            ..Default::default()
        },
    );
    let token = token_of(&old.register("moved@example.com", "from one box to three"));
    let id = old.get_with_token("/sessions/whoami", &token).body["identity"]["id"].clone();
    old.kill();

    let copy = |what: &str| {
        let out = std::process::Command::new(binary())
            .args(["migrate", "copy", &sqlite, work.dsn()])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{what}: {text}");
        text
    };
    let first = copy("first copy");
    assert!(
        first.contains("Copied 1 identities and 1 sessions (0 already there)"),
        "{first}"
    );
    let again = copy("second copy");
    assert!(
        again.contains("Copied 0 identities and 0 sessions (2 already there)"),
        "{again}"
    );

    let new = Server::start(&work);
    let me = new.get_with_token("/sessions/whoami", &token);
    assert_eq!(me.status, 200, "the session survived the move: {}", me.body);
    assert_eq!(me.body["identity"]["id"], id);
    let login = new.login("moved@example.com", "from one box to three");
    assert_eq!(
        login.status, 200,
        "the password survived the move: {}",
        login.body
    );
}

#[test]
fn a_node_with_other_plugins_than_the_others_says_so() {
    let work = Workdir::on_postgres();
    let with_pin = work.write(
        "pin.yml",
        "plugins:\n  extra_factors:\n    - path: pin.wasm\nselfservice:\n  methods:\n    pin:\n      enabled: true\n",
    );
    let a = Server::start_with(
        &work,
        Options {
            config: Some(&with_pin),
            ..Default::default()
        },
    );
    let b = Server::start(&work);
    let warning = "another node serving this database runs a different set of plugins";
    let deadline = Instant::now() + Duration::from_secs(30);
    while !b.log().contains(warning) {
        assert!(
            Instant::now() < deadline,
            "no warning in B's log: {}",
            b.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = b.log();
    let line = log.lines().find(|l| l.contains(warning)).unwrap();
    assert!(
        line.contains("pin@"),
        "it names the other node's plugins: {line}"
    );
    assert!(!a.log().contains("ERROR"), "{}", a.log());
}
