//! Rows 8 and 9: whoami and route-check throughput with policy components against the same
//! server without any, in one run.

use crate::api::Api;
use crate::argon2_side_by_side::{EMAIL, PASSWORD};
use crate::load::{Generator, LoadSpec};
use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use std::path::Path;
use std::time::Duration;

const CONNECTIONS: usize = 48;
const DURATION: Duration = Duration::from_secs(5);

/// The policy set measured: Kratos' default rules, and the scripted policy with the billing
/// example when that component is built.
pub fn policies_yaml(paths: &Paths) -> String {
    let mut entries = vec![format!(
        "    - path: {}",
        paths.plugin("default_policy").display()
    )];
    let scripted = paths.plugin("scripted_policy");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCRIPT);
    if scripted.exists() && script.exists() {
        entries.push(format!(
            "    - path: {}\n      config:\n        script: {}",
            scripted.display(),
            script.display()
        ));
    }
    format!("plugins:\n  policies:\n{}\n", entries.join("\n"))
}

const SCRIPT: &str = "../policies/examples/billing.cel";

fn rate(
    server: &ServerProc,
    generator: &Generator,
    path: &str,
    token: &str,
) -> anyhow::Result<f64> {
    let headers = vec![
        ("X-Session-Token".to_string(), token.to_string()),
        ("X-Original-Method".to_string(), "GET".to_string()),
        ("X-Original-URI".to_string(), "/reports/today".to_string()),
    ];
    let first = Api::new(&server.public).get(path, Some(token))?;
    anyhow::ensure!(first.status == 200, "{path} answered {}", first.status);
    let result = generator.run(&LoadSpec {
        addr: server.public_addr(),
        path: path.into(),
        headers,
        connections: CONNECTIONS,
        duration: DURATION,
        tokens: Vec::new(),
    })?;
    anyhow::ensure!(result.failed == 0, "{} failed requests", result.failed);
    Ok(result.per_sec())
}

pub fn rows(
    paths: &Paths,
    generator: &Generator,
    plain: &ServerProc,
    plain_token: &str,
) -> Vec<Row> {
    let what = |p: &str| format!("{p} req/s with policies vs none");
    let run = || -> anyhow::Result<Vec<(f64, f64)>> {
        let data = tempfile::tempdir()?;
        let config = data.path().join("policies.yml");
        std::fs::write(&config, policies_yaml(paths))?;
        let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
        let token = Api::new(&server.public).register(EMAIL, PASSWORD)?;
        let mut out = Vec::new();
        for path in ["/sessions/whoami", "/self-service/route-check"] {
            let with = rate(&server, generator, path, &token)?;
            let without = rate(plain, generator, path, plain_token)?;
            out.push((with, without));
        }
        server.stop();
        Ok(out)
    };
    match run() {
        Ok(rates) => ["whoami", "route-check"]
            .into_iter()
            .zip(["8", "9"])
            .zip(rates)
            .map(|((name, id), (with, without))| Row {
                id,
                what: what(name),
                measured: report::per_sec(with),
                baseline: format!("none {}", report::per_sec(without)),
                ratio: Some(with / without),
                target: String::new(),
                verdict: Verdict::Info,
            })
            .collect(),
        Err(err) => vec![Row::skipped(
            "8",
            what("whoami, route-check"),
            format!("{err:#}"),
        )],
    }
}
