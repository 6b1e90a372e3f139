//! The built-in pages in a real headless Chromium: each test starts the server and runs one
//! scenario of `tests/browser/` (playwright-core driving Debian's `/usr/bin/chromium`).
//!
//! A scenario that needs more of the server (another plugin, a provider to talk to) starts it
//! with its own [`Options`] and hands the scenario what it needs through the environment:
//! `run_scenario(&server, "name", &[("VAR", value)])`.

use crate::harness::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A scenario that has not finished by then has hung.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(180);

fn browser_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/browser")
        .canonicalize()
        .unwrap()
}

/// A server with the built-in pages on, as `latchkey serve` runs by default.
pub fn ui_server(work: &Workdir, opts: Options) -> Server {
    Server::start_with(
        work,
        Options {
            builtin_ui: true,
            ..opts
        },
    )
}

/// Runs `tests/browser/scenarios/<name>.mjs` against `server`; panics with the scenario's
/// output (and the server's log) when it fails. `LATCHKEY_SCREENSHOT_DIR`, when set for the
/// test run, makes the scenarios save their screenshots there.
pub fn run_scenario(server: &Server, name: &str, env: &[(&str, String)]) {
    let dir = browser_tests_dir();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "{} has no node_modules: run `npm ci` there (make test does)",
        dir.display()
    );
    let mut cmd = Command::new("node");
    cmd.arg("run.mjs")
        .arg(name)
        .current_dir(&dir)
        .env("LATCHKEY_PUBLIC_URL", &server.public)
        .env("LATCHKEY_ADMIN_URL", &server.admin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("node must be installed to run the browser tests");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > SCENARIO_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        Some(s) if s.success() => eprint!("{out}{err}"),
        Some(s) => panic!(
            "browser scenario `{name}` failed ({s}):\n{out}{err}\n--- server log ---\n{}",
            server.log()
        ),
        None => {
            panic!("browser scenario `{name}` did not finish in {SCENARIO_DEADLINE:?}:\n{out}{err}")
        }
    }
}

#[test]
fn sign_up_enrol_totp_sign_out_and_sign_in_with_both_factors() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    run_scenario(&server, "sign_up_enrol_totp_and_step_up", &[]);
}

#[test]
fn messages_are_shown_by_and_bound_to_their_fields() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    run_scenario(&server, "wrong_password", &[]);
}

#[test]
fn every_page_is_labelled_keyboard_reachable_and_fits_a_phone() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    run_scenario(&server, "accessibility", &[]);
}

#[test]
fn errors_go_to_the_error_page_and_unknown_flows_start_afresh() {
    let work = Workdir::new();
    let server = ui_server(&work, Options::default());
    run_scenario(&server, "error_page", &[]);
}

#[test]
fn sign_up_and_in_through_an_openid_provider() {
    let setup = crate::oidc::setup_with_pages();
    run_scenario(
        &setup.server,
        "oidc_sign_in",
        &[("LATCHKEY_OIDC_PROVIDER", crate::oidc::PROVIDER.to_string())],
    );
}
