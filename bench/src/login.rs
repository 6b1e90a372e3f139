//! Row 4: password logins per second over HTTP against argon2 alone; row 7: whether an unknown
//! identifier answers as slowly as a wrong password.

use crate::api::Api;
use crate::argon2_side_by_side::{self, EMAIL, OWASP, PASSWORD};
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const DURATION: Duration = Duration::from_secs(8);
/// A bound on logins per client, far above what argon2 allows in `DURATION`.
const MAX_LOGINS_PER_CLIENT: u64 = 10_000;
const TARGET_RATIO: f64 = 0.9;

const TIMING_ROUNDS: usize = 20;
const TIMING_WARM_UP: usize = 2;
/// "Equal within noise" on a shared machine.
const TIMING_TOLERANCE: f64 = 0.10;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub fn throughput_row(server: &ServerProc) -> Row {
    let clients = cores() * 2;
    let what = format!(
        "password logins/s, {clients} clients × {}s (GET flow + POST)",
        DURATION.as_secs()
    );
    let ok = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let api = Api::new(&server.public);
                for _ in 0..MAX_LOGINS_PER_CLIENT {
                    if started.elapsed() >= DURATION {
                        break;
                    }
                    let logged_in = api
                        .start_login()
                        .and_then(|flow| api.submit_login(&flow, EMAIL, PASSWORD))
                        .is_ok_and(|reply| reply.status == 200);
                    let counter = if logged_in { &ok } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let logins = ok.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);

    let threads = cores();
    let hash = argon2_side_by_side::reference_hash(OWASP);
    let verifies = argon2_side_by_side::native_throughput(&hash, threads, DURATION);
    let ratio = logins / verifies;
    Row {
        id: "4",
        what,
        measured: if failed == 0 {
            report::per_sec(logins)
        } else {
            format!("{} ({failed} failed)", report::per_sec(logins))
        },
        baseline: format!(
            "{threads} native verify threads {}",
            report::per_sec(verifies)
        ),
        ratio: Some(ratio),
        target: format!("≥ {TARGET_RATIO:.1}×"),
        verdict: if failed > 0 {
            Verdict::Skip
        } else {
            Verdict::of(ratio >= TARGET_RATIO)
        },
    }
}

/// One submission's latency, checked to be the rejection both cases must get.
fn timed_rejection(api: &Api, identifier: &str, password: &str) -> anyhow::Result<Duration> {
    let flow = api.start_login()?;
    let started = Instant::now();
    let reply = api.submit_login(&flow, identifier, password)?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        reply.status == 400,
        "expected a 400 rejection, got {}: {}",
        reply.status,
        reply.body
    );
    Ok(elapsed)
}

pub fn timing_row(server: &ServerProc) -> Row {
    let what = format!("login rejection: unknown id vs wrong password, median of {TIMING_ROUNDS}");
    let api = Api::new(&server.public);
    let mut unknown = Vec::with_capacity(TIMING_ROUNDS);
    let mut wrong = Vec::with_capacity(TIMING_ROUNDS);
    // Interleaved, so that load from elsewhere on the machine hits both sides alike.
    for round in 0..TIMING_WARM_UP + TIMING_ROUNDS {
        let pair = timed_rejection(&api, &format!("nobody-{round}@example.com"), PASSWORD)
            .and_then(|u| Ok((u, timed_rejection(&api, EMAIL, "not the password")?)));
        match pair {
            Ok((u, w)) if round >= TIMING_WARM_UP => {
                unknown.push(u);
                wrong.push(w);
            }
            Ok(_) => {}
            Err(err) => return Row::skipped("7", what, format!("{err:#}")),
        }
    }
    let (u, w) = (report::median(&mut unknown), report::median(&mut wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    Row {
        id: "7",
        what,
        measured: format!("unknown {}", report::ms(u)),
        baseline: format!("wrong pw {}", report::ms(w)),
        ratio: Some(ratio),
        target: format!("1.00× ± {:.0}%", TIMING_TOLERANCE * 100.0),
        verdict: Verdict::of((ratio - 1.0).abs() <= TIMING_TOLERANCE),
    }
}
