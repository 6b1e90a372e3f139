//! A plugin that traps, spins or eats memory fails its own request and nothing else.

use crate::harness::*;
use serde_json::json;

fn config(work: &Workdir) -> std::path::PathBuf {
    let password = plugin("password");
    let hostile = plugin("hostile");
    work.write(
        "kratos.yml",
        &format!(
            r#"
plugins:
  memory_limit: 32MiB
  call_timeout: 300ms
  factors:
    - path: {password}
    - path: {hostile}
      config: {{ id: trap, mode: trap }}
    - path: {hostile}
      config: {{ id: spin, mode: loop }}
    - path: {hostile}
      config: {{ id: hog, mode: hog }}
"#,
            password = password.display(),
            hostile = hostile.display()
        ),
    )
}

#[test]
fn hostile_plugins_fail_only_their_request() {
    let work = Workdir::new();
    let cfg = config(&work);
    let server = Server::with_config(&work, &cfg);
    assert_eq!(
        server
            .register("calm@example.com", "a calm password")
            .status,
        200
    );

    for (method, expect) in [
        ("trap", "trapped"),
        ("spin", "deadline"),
        ("hog", "memory limit"),
    ] {
        let flow = server.get("/self-service/login/api");
        assert_eq!(flow.status, 200, "{}", flow.body);
        let resp = server.post_json(
            &format!(
                "/self-service/login?flow={}",
                flow.body["id"].as_str().unwrap()
            ),
            &json!({ "method": method }),
        );
        assert_kratos_error(&resp, 500);
        let reason = resp.body["error"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(method) && reason.contains(expect),
            "{method}: reason was {reason:?}"
        );

        // The server is still fine, and the well-behaved plugin still works.
        assert_eq!(server.get("/health/alive").status, 200);
        let login = server.login("calm@example.com", "a calm password");
        assert_eq!(login.status, 200, "after {method}: {}", login.body);
    }
    assert!(server.log().contains("plugin"), "failures are logged");
}
