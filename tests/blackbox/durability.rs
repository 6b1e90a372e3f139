//! What a response confirmed survives a crash; compiled plugins survive a restart.

use crate::harness::*;

#[test]
fn a_session_confirmed_before_kill_9_is_still_valid_after_restart() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("durable@example.com", "survives a crash");
    assert_eq!(reg.status, 200);
    let token = reg.body["session_token"].as_str().unwrap().to_string();
    server.kill();

    let server = Server::start(&work);
    let me = server.get_with_token("/sessions/whoami", &token);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.body["identity"]["traits"]["email"],
        "durable@example.com"
    );
    let login = server.login("durable@example.com", "survives a crash");
    assert_eq!(login.status, 200);
}

#[test]
fn a_restart_reuses_the_compiled_plugin() {
    let work = Workdir::new();
    let first = Server::start(&work);
    assert!(first.log().contains("compiled=true"), "{}", first.log());
    first.kill();
    let second = Server::start(&work);
    let log = second.log();
    assert!(log.contains("loaded factor plugin"), "{log}");
    assert!(log.contains("compiled=false"), "{log}");
    assert!(!log.contains("compiled=true"), "{log}");
}

#[test]
fn replacing_the_plugin_file_swaps_the_factor_on_restart() {
    let work = Workdir::new();
    let slot = work.path().join("factor.wasm");
    let cfg = work.write(
        "kratos.yml",
        &format!("plugins:\n  factors:\n    - path: {}\n", slot.display()),
    );
    std::fs::copy(plugin("password"), &slot).unwrap();
    let server = Server::with_config(&work, &cfg);
    let groups = |s: &Server| -> Vec<String> {
        s.get("/self-service/login/api").body["ui"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["group"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(groups(&server).contains(&"password".to_string()));
    server.kill();

    std::fs::copy(plugin("hostile"), &slot).unwrap();
    let server = Server::with_config(&work, &cfg);
    let now = groups(&server);
    assert!(now.contains(&"hostile".to_string()), "{now:?}");
    assert!(!now.contains(&"password".to_string()), "{now:?}");
}
