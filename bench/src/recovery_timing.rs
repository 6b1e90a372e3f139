//! Row 15: whether asking to recover an address that belongs to nobody answers as slowly as
//! for one that belongs to an account, so the time gives nothing away. The courier points at
//! a closed port: the known address's mail is queued (as in production, the answer never waits
//! for delivery) and stays queued.

use crate::api::Api;
use crate::argon2_side_by_side::{EMAIL, PASSWORD};
use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use crate::server_proc::{ServerProc, free_port};
use std::time::{Duration, Instant};

const ROUNDS: usize = 40;
const WARM_UP: usize = 4;
/// "Equal within noise" on a shared machine.
const TOLERANCE: f64 = 0.10;

fn timed_request(api: &Api, email: &str) -> anyhow::Result<Duration> {
    let flow = api.start_recovery()?;
    let started = Instant::now();
    let reply = api.submit_recovery_email(&flow, email)?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        reply.status == 200,
        "expected 200, got {}: {}",
        reply.status,
        reply.body
    );
    Ok(elapsed)
}

pub fn row(paths: &Paths) -> Row {
    let what = format!("recovery request: unknown vs known address, median of {ROUNDS}");
    match measure(paths) {
        Ok((unknown, known)) => {
            let ratio = unknown.as_secs_f64() / known.as_secs_f64();
            Row {
                id: "15",
                what,
                measured: format!("unknown {}", report::ms(unknown)),
                baseline: format!("known {}", report::ms(known)),
                ratio: Some(ratio),
                target: format!("1.00× ± {:.0}%", TOLERANCE * 100.0),
                verdict: Verdict::of((ratio - 1.0).abs() <= TOLERANCE),
            }
        }
        Err(err) => Row::skipped("15", what, format!("{err:#}")),
    }
}

fn measure(paths: &Paths) -> anyhow::Result<(Duration, Duration)> {
    let data = tempfile::tempdir()?;
    let config = data.path().join("kratos.yml");
    std::fs::write(
        &config,
        format!(
            "courier:\n  smtp:\n    connection_uri: \"smtp://127.0.0.1:{}/?disable_starttls=true\"\nselfservice:\n  flows:\n    recovery:\n      enabled: true\n",
            free_port()?
        ),
    )?;
    let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
    let api = Api::new(&server.public);
    api.register(EMAIL, PASSWORD)?;
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    // Interleaved, so that load from elsewhere on the machine hits both sides alike.
    for round in 0..WARM_UP + ROUNDS {
        let u = timed_request(&api, &format!("nobody-{round}@example.com"))?;
        let k = timed_request(&api, EMAIL)?;
        if round >= WARM_UP {
            unknown.push(u);
            known.push(k);
        }
    }
    server.stop();
    Ok((report::median(&mut unknown), report::median(&mut known)))
}
