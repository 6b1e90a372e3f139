//! The official Kratos Python SDK drives the server; its strict models fail on any shape
//! that differs from Kratos' OpenAPI contract.

use crate::harness::*;

#[test]
fn the_kratos_python_sdk_registers_logs_in_and_reads_the_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk/api_flows.py");
    let out = python()
        .arg(&script)
        .arg(&server.public)
        .output()
        .expect("python3 must be installed (`make test` prepares it)");
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sdk: ok"));
}

#[test]
fn the_kratos_python_sdk_drives_every_flow_and_variant() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk/all_flows.py");
    let out = python()
        .arg(&script)
        .arg(&server.public)
        .output()
        .expect("python3 must be installed (`make test` prepares it)");
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Recovery by code end to end through the SDK's models: the code read from the mail the SMTP
/// peer received, `continue_with` on the passed flow, the new password set in settings with
/// the recovery session, an administrator's code, and the courier's messages.
#[test]
fn the_kratos_python_sdk_recovers_an_account_by_code() {
    const ADMIN_KEY: &str = "sdk-recovery-admin-key-0123456789";
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let config = work.write(
        "kratos.yml",
        &format!(
            "courier:\n  smtp:\n    connection_uri: \"smtp://127.0.0.1:{}/?disable_starttls=true\"\n    from_address: accounts@example.org\n  worker:\n    pull_wait: 100ms\n\
selfservice:\n  methods:\n    password:\n      config:\n        haveibeenpwned_enabled: false\n  flows:\n    recovery:\n      enabled: true\n\
feature_flags:\n  use_continue_with_transitions: true\n",
            peer.port
        ),
    );
    let server = Server::start_with(
        &work,
        Options {
            config: Some(&config),
            env: vec![("SERVE_ADMIN_API_KEYS", ADMIN_KEY.to_string())],
            ..Default::default()
        },
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk/recovery.py");
    let out = python()
        .arg(&script)
        .arg(&server.public)
        .arg(&server.admin)
        .arg(ADMIN_KEY)
        .arg(peer.mail_file())
        .output()
        .expect("python3 must be installed (`make test` prepares it)");
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sdk recovery: ok"));
}
