//! Expired data is deleted: by the server every `database.cleanup.interval`, and by hand with
//! `latchkey cleanup sql`, which deletes one batch per table as `kratos cleanup sql` does.

use crate::harness::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A login flow's state as a client sees it: 200 while it lives, 410 once it expired (with a
/// fresh flow to continue with), 404 once it is gone.
fn login_flow_status(server: &Server, id: &str) -> u16 {
    server
        .get(&format!("/self-service/login/flows?id={id}"))
        .status
}

fn api_login_flow(server: &Server) -> String {
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    flow.body["id"].as_str().unwrap().to_string()
}

/// Polls `done` for up to 20 s: the sweep runs every second, so far less is needed.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_server_deletes_expired_flows_and_sessions_by_itself() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![
                ("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "1s".into()),
                ("SESSION_LIFESPAN", "2s".into()),
                ("DATABASE_CLEANUP_INTERVAL", "1s".into()),
                ("DATABASE_CLEANUP_SLEEP_TABLES", "0s".into()),
            ],
            ..Default::default()
        },
    );
    let registered = server.register("sweep@example.com", "swept away 12345");
    assert_eq!(registered.status, 200, "{}", registered.body);
    let session_id = registered.body["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let flow = api_login_flow(&server);
    assert_eq!(login_flow_status(&server, &flow), 200);
    assert_eq!(
        server
            .admin_get(&format!("/admin/sessions/{session_id}"))
            .status,
        200
    );

    eventually("the expired flow's deletion", || {
        login_flow_status(&server, &flow) == 404
    });
    eventually("the expired session's deletion", || {
        server
            .admin_get(&format!("/admin/sessions/{session_id}"))
            .status
            == 404
    });
    // The identity stays; only what expired went.
    let identities = server.admin_get("/admin/identities");
    assert_eq!(identities.body.as_array().unwrap().len(), 1);
}

#[test]
fn cleanup_sql_deletes_a_batch_per_table_or_everything_with_all() {
    let work = Workdir::new();
    let dsn = work.dsn().to_string();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![
                ("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "1s".into()),
                ("DATABASE_CLEANUP_INTERVAL", "0s".into()),
            ],
            ..Default::default()
        },
    );
    let flows: Vec<String> = (0..5).map(|_| api_login_flow(&server)).collect();
    std::thread::sleep(Duration::from_millis(1500));

    let cleanup = |args: &[&str]| {
        let out = Command::new(binary())
            .args(["cleanup", "sql", "-e"])
            .args(args)
            .current_dir(work.path())
            .env("DSN", &dsn)
            .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
            .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let gone = || {
        flows
            .iter()
            .filter(|id| login_flow_status(&server, id) == 404)
            .count()
    };

    // Kept: nothing is older than a day past its expiry.
    let out = cleanup(&["--keep-last", "24h", "--sleep", "0s"]);
    assert!(out.contains("0 flows"), "{out}");
    assert_eq!(gone(), 0);

    // One batch of two, as `kratos cleanup sql -b 2`.
    let out = cleanup(&["-b", "2", "--sleep", "0s"]);
    assert!(out.contains("2 flows"), "{out}");
    assert_eq!(gone(), 2);

    // Fetching the others made fresh flows (which expire too); `--all` leaves none expired.
    std::thread::sleep(Duration::from_millis(1500));
    let out = cleanup(&["-b", "2", "--sleep", "0s", "--all"]);
    assert!(!out.contains(" 0 flows"), "{out}");
    assert_eq!(gone(), 5);
}
