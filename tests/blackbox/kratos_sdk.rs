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
