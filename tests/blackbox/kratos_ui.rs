//! An existing Kratos front end, unchanged: a server-rendered UI that calls Latchkey exactly as
//! Ory's reference UI (kratos-selfservice-ui-node) does, with the official SDK `@ory/client`
//! (tests/peers/kratos-ui), driven by a real headless Chromium (the `kratos_ui_*` scenarios of
//! tests/browser). Latchkey runs with its built-in pages off and every `ui_url` (the error
//! page's too) pointing at that UI on a second loopback port, as Kratos' quickstart does.

use crate::browser_ui::run_scenario;
use crate::harness::*;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Kratos' quickstart schema (email and password, a nested name) with the email also naming
/// the TOTP account: nested traits travel as `traits.name.first` form fields.
const SCHEMA: &str = r#"{
  "$id": "https://schemas.ory.sh/presets/kratos/quickstart/email-password/identity.schema.json",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Person",
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {
          "type": "string", "format": "email", "title": "E-Mail", "minLength": 3,
          "ory.sh/kratos": {
            "credentials": { "password": { "identifier": true }, "totp": { "account_name": true } }
          }
        },
        "name": {
          "type": "object",
          "properties": {
            "first": { "title": "First Name", "type": "string" },
            "last": { "title": "Last Name", "type": "string" }
          }
        }
      },
      "required": ["email"],
      "additionalProperties": false
    }
  }
}"#;

/// The UI process; stopped when dropped. Its log lines (the routes it served and any SDK
/// failure) are kept for a failing test's report.
struct KratosUi {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl KratosUi {
    fn start(port: u16, kratos_public_url: &str) -> KratosUi {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/kratos-ui");
        assert!(
            dir.join("node_modules/@ory/client").is_dir(),
            "the test Kratos UI is not installed: run `make test-deps` (or `npm ci` in {})",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("KRATOS_PUBLIC_URL", kratos_public_url)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting node (Node.js must be installed)");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Keep reading: a closed pipe would kill the UI at its next line of output.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
        });
        let url = line.trim().to_string();
        assert_eq!(
            url,
            format!("http://127.0.0.1:{port}"),
            "the UI did not start: {}",
            log.lock().unwrap()
        );
        KratosUi { child, url, log }
    }
}

impl Drop for KratosUi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latchkey configured for an external UI, as Kratos' quickstart configures its reference UI.
struct Setup {
    server: Server,
    ui: KratosUi,
    _work: Workdir,
}

/// `privileged_session_max_age`: how recent a sign-in must be to change a credential.
fn setup(privileged_session_max_age: &str) -> Setup {
    let work = Workdir::new();
    let ui_port = free_port();
    let ui = format!("http://127.0.0.1:{ui_port}");
    work.write("identity.schema.json", SCHEMA);
    let config = work.write(
        "kratos.yml",
        &format!(
            r#"identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file://identity.schema.json
selfservice:
  default_browser_return_url: {ui}/
  allowed_return_urls:
    - {ui}/
  flows:
    error:
      ui_url: {ui}/error
    login:
      ui_url: {ui}/login
    registration:
      ui_url: {ui}/registration
    settings:
      ui_url: {ui}/settings
      privileged_session_max_age: {privileged_session_max_age}
    logout:
      after:
        default_browser_return_url: {ui}/login
"#
        ),
    );
    // Built-in pages stay off (the harness' default): every page the browser sees is the UI's.
    let server = Server::start_with(
        &work,
        Options {
            config: Some(&config),
            ..Options::default()
        },
    );
    let ui = KratosUi::start(ui_port, &server.public);
    Setup {
        server,
        ui,
        _work: work,
    }
}

/// Runs the browser scenario against the UI; a failure also shows what the UI logged.
fn run(name: &str) {
    run_with(name, 3600);
}

/// The same, with credential changes allowed for `privileged_secs` after a sign-in; the
/// scenario learns the window from `PRIVILEGED_SESSION_MAX_AGE_SECS`.
fn run_with(name: &str, privileged_secs: u64) {
    let setup = setup(&format!("{privileged_secs}s"));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_scenario(
            &setup.server,
            name,
            &[
                ("KRATOS_UI_URL", setup.ui.url.clone()),
                (
                    "PRIVILEGED_SESSION_MAX_AGE_SECS",
                    privileged_secs.to_string(),
                ),
            ],
        )
    }));
    if let Err(panic) = outcome {
        eprintln!("--- the UI's log ---\n{}", setup.ui.log.lock().unwrap());
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn sign_up_change_profile_and_password_sign_out_and_in() {
    run("kratos_ui_account");
}

#[test]
fn second_factor_after_the_password_refresh_and_a_protected_page_stepping_up() {
    run("kratos_ui_second_factor");
}

/// The scenario waits out the window once, so that Latchkey asks for the password again.
#[test]
fn changing_the_password_on_an_old_session_signs_in_again_and_returns_to_settings() {
    run_with("kratos_ui_privileged_settings", 4);
}

#[test]
fn errors_are_fetched_by_the_ui_and_unknown_flows_start_afresh() {
    run("kratos_ui_errors");
}
