//! Row 3: `GET /sessions/whoami` throughput against a bare axum handler with the same body.

use crate::api::Api;
use crate::bare_axum::BareAxum;
use crate::load::{Generator, LoadResult, LoadSpec};
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use std::net::SocketAddr;
use std::time::Duration;

const CONNECTIONS: usize = 48;
const DURATION: Duration = Duration::from_secs(5);
const TARGET_RATIO: f64 = 0.5;

fn spec(addr: SocketAddr, headers: Vec<(String, String)>) -> LoadSpec {
    LoadSpec {
        addr,
        path: "/sessions/whoami".into(),
        headers,
        connections: CONNECTIONS,
        duration: DURATION,
        tokens: Vec::new(),
    }
}

fn describe(r: &LoadResult) -> String {
    if r.failed == 0 {
        report::per_sec(r.per_sec())
    } else {
        format!("{} ({} failed)", report::per_sec(r.per_sec()), r.failed)
    }
}

pub fn row(server: &ServerProc, token: &str, generator: &Generator) -> Row {
    let what = format!(
        "whoami req/s, {} × {CONNECTIONS} keep-alive conns × {}s",
        generator.name(),
        DURATION.as_secs()
    );
    match measure(server, token, generator) {
        Ok((latchkey, bare, bytes)) => {
            let ratio = latchkey.per_sec() / bare.per_sec();
            Row {
                id: "3",
                what: format!("{what}, {bytes} B body"),
                measured: describe(&latchkey),
                baseline: format!("axum {}", describe(&bare)),
                ratio: Some(ratio),
                target: format!("≥ {TARGET_RATIO:.1}×"),
                verdict: if latchkey.failed + bare.failed > 0 {
                    Verdict::Skip
                } else {
                    Verdict::of(ratio >= TARGET_RATIO)
                },
            }
        }
        Err(err) => Row::skipped("3", what, format!("{err:#}")),
    }
}

fn measure(
    server: &ServerProc,
    token: &str,
    generator: &Generator,
) -> anyhow::Result<(LoadResult, LoadResult, usize)> {
    let reply = Api::new(&server.public).get("/sessions/whoami", Some(token))?;
    anyhow::ensure!(
        reply.status == 200,
        "whoami answered {}: {}",
        reply.status,
        reply.body
    );
    let latchkey = generator.run(&spec(
        server.public_addr(),
        vec![("X-Session-Token".into(), token.into())],
    ))?;
    let bare = BareAxum::start(&reply.body)?;
    // The same header is sent to both, so request sizes match too.
    let baseline = generator.run(&spec(
        bare.addr,
        vec![("X-Session-Token".into(), token.into())],
    ))?;
    Ok((latchkey, baseline, reply.body.len()))
}
