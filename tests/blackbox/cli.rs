//! The command line: config errors, `migrate sql` and `plugin check`.

use crate::harness::*;
use std::process::Command;

fn latchkey(work: &Workdir, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary())
        .args(args)
        .current_dir(work.path())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn an_invalid_config_value_fails_start_up_naming_the_key() {
    let work = Workdir::new();
    let cfg = work.write("kratos.yml", "serve:\n  public:\n    port: not-a-port\n");
    let (ok, out) = latchkey(&work, &["serve", "-c", cfg.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("serve.public.port"), "{out}");
}

#[test]
fn unknown_config_keys_are_warned_about_once() {
    let work = Workdir::new();
    let cfg = work.write(
        "kratos.yml",
        "courier:\n  smtp:\n    connection_uri: smtps://user:pw@mail.example.com\n",
    );
    let server = Server::start_with(
        &work,
        Options {
            config: Some(&cfg),
            ..Default::default()
        },
    );
    let log = server.log();
    assert_eq!(
        log.matches("courier.smtp.connection_uri").count(),
        1,
        "{log}"
    );
    assert!(
        !log.contains("user:pw"),
        "no config values in the log: {log}"
    );
}

#[test]
fn migrate_sql_applies_then_reports_up_to_date() {
    let work = Workdir::new();
    let dsn = format!("sqlite://{}/m.db?mode=rwc", work.path().display());
    let (ok, out) = latchkey(&work, &["migrate", "sql", &dsn, "--yes"]);
    assert!(ok, "{out}");
    assert!(out.contains("Applied migration 1"), "{out}");
    let (ok, out) = latchkey(&work, &["migrate", "sql", &dsn, "--yes"]);
    assert!(ok, "{out}");
    assert!(out.contains("up to date"), "{out}");
}

#[test]
fn plugin_check_describes_a_good_plugin() {
    let work = Workdir::new();
    let wasm = plugin("password");
    let (ok, out) = latchkey(&work, &["plugin", "check", wasm.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("method:       password"), "{out}");
    assert!(
        out.contains("latchkey:factor@0.2.0 (this host supports 0.2.x: yes)"),
        "{out}"
    );
    assert!(out.contains("first factor, grants aal1"), "{out}");
}

#[test]
fn plugin_check_explains_what_is_wrong() {
    let work = Workdir::new();
    let text = work.write("notes.wasm", "hello");
    let (ok, out) = latchkey(&work, &["plugin", "check", text.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("not a WebAssembly file"), "{out}");

    // The smallest core module: a header and nothing else.
    let core = work.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let (ok, out) = latchkey(&work, &["plugin", "check", core.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains("core WebAssembly module, not a component"),
        "{out}"
    );
}
