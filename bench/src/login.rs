//! Row 4: password logins per second over HTTP against argon2 alone; row 7: whether an unknown
//! identifier answers as slowly as a wrong password.

use crate::api::Api;
use crate::argon2_side_by_side::{self, EMAIL, OWASP, PASSWORD};
use crate::cpu;
use crate::paths::Paths;
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

/// Accounts the clients of row 4 log into, each client cycling through its own share.
const ACCOUNTS: usize = 32;

/// Logins per second by `clients` clients for `DURATION`; `account(client, n)` names the
/// account a client's `n`th login uses. Returns the rate, the failures, and the CPU seconds the
/// server and this process (the load generator) used meanwhile.
fn logins(
    server: &ServerProc,
    clients: usize,
    account: &(dyn Fn(usize, usize) -> String + Sync),
) -> (f64, u64, f64, f64) {
    let ok = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let (server_cpu, own_cpu) = (server.cpu_seconds(), cpu::own_seconds());
    let started = Instant::now();
    std::thread::scope(|s| {
        for client in 0..clients {
            let (ok, failed) = (&ok, &failed);
            s.spawn(move || {
                let api = Api::new(&server.public);
                for n in 0..MAX_LOGINS_PER_CLIENT as usize {
                    if started.elapsed() >= DURATION {
                        break;
                    }
                    let email = account(client, n);
                    let logged_in = api
                        .start_login()
                        .and_then(|flow| api.submit_login(&flow, &email, PASSWORD))
                        .is_ok_and(|reply| reply.status == 200);
                    let counter = if logged_in { ok } else { failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        server.cpu_seconds() - server_cpu,
        cpu::own_seconds() - own_cpu,
    )
}

fn account_email(n: usize) -> String {
    format!("login-{n}@example.com")
}

/// Row 4: logins spread over many accounts, as real traffic is, against what argon2 alone
/// does on the core-seconds the load generator left the server. Row 4b: every client on one
/// account, whose attempts are evaluated one at a time. Row 4c: the same logins on a server
/// whose argon2 costs next to nothing, which leaves what a login costs besides argon2.
pub fn throughput_rows(server: &ServerProc, paths: &Paths) -> Vec<Row> {
    let clients = cores() * 2;
    let what = format!(
        "password logins/s, {clients} clients × {}s over {ACCOUNTS} accounts (GET flow + POST)",
        DURATION.as_secs()
    );
    let api = Api::new(&server.public);
    for n in 0..ACCOUNTS {
        if let Err(err) = api.register(&account_email(n), PASSWORD) {
            return vec![Row::skipped("4", what, format!("{err:#}"))];
        }
    }
    let spread = |client: usize, n: usize| account_email((client + n * clients) % ACCOUNTS);
    let (rate, failed, server_cpu, generator_cpu) = logins(server, clients, &spread);

    let threads = cores();
    let hash = argon2_side_by_side::reference_hash(OWASP);
    let verifies = argon2_side_by_side::native_throughput(&hash, threads, DURATION);
    // The generator shares the cores: argon2 alone is granted what it left over.
    let run = DURATION.as_secs_f64();
    let left = (threads as f64 - generator_cpu / run).max(0.1);
    let allowed = verifies / threads as f64 * left;
    let ratio = rate / allowed;
    let cpu_per_login = server_cpu / (rate * run).max(1.0);
    let mut rows = vec![Row {
        id: "4",
        what,
        measured: if failed == 0 {
            // The server's CPU time over the run: on a machine shared with other work it may
            // get fewer cores than the generator left, which the baseline assumes it gets.
            format!(
                "{} ({} server CPU each, {:.2} cores)",
                report::per_sec(rate),
                report::ms(Duration::from_secs_f64(cpu_per_login)),
                server_cpu / run
            )
        } else {
            format!("{} ({failed} failed)", report::per_sec(rate))
        },
        baseline: format!(
            "native verify {} on the {left:.2} cores the generator left ({} on {threads})",
            report::per_sec(allowed),
            report::per_sec(verifies)
        ),
        ratio: Some(ratio),
        target: format!("≥ {TARGET_RATIO:.1}×"),
        verdict: if failed > 0 {
            Verdict::Skip
        } else {
            Verdict::of(ratio >= TARGET_RATIO)
        },
    }];

    rows.push(without_argon2_row(paths, clients, &spread, cpu_per_login));

    let one = |_: usize, _: usize| EMAIL.to_string();
    let (same, failed, _, _) = logins(server, clients, &one);
    rows.push(Row {
        id: "4b",
        what: format!("password logins/s, {clients} clients on one account"),
        measured: if failed == 0 {
            report::per_sec(same)
        } else {
            format!("{} ({failed} failed)", report::per_sec(same))
        },
        baseline: format!("{ACCOUNTS} accounts {}", report::per_sec(rate)),
        ratio: Some(same / rate),
        target: String::new(),
        verdict: Verdict::Info,
    });
    rows
}

/// Row 4c: server CPU per login when argon2 costs microseconds (m = 64 KiB, t = 1), all else
/// as in row 4, against row 4's CPU per login: the share of a login that is not argon2.
fn without_argon2_row(
    paths: &Paths,
    clients: usize,
    account: &(dyn Fn(usize, usize) -> String + Sync),
    cpu_per_login: f64,
) -> Row {
    let what = "the same logins with argon2 at m=64 KiB t=1: server CPU besides argon2";
    let measure = || -> anyhow::Result<(f64, f64)> {
        let data = tempfile::tempdir()?;
        let config = data.path().join("cheap-argon2.yml");
        std::fs::write(
            &config,
            "hashers:\n  argon2:\n    memory: 64KiB\n    iterations: 1\n",
        )?;
        let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
        let api = Api::new(&server.public);
        for n in 0..ACCOUNTS {
            api.register(&account_email(n), PASSWORD)?;
        }
        let (rate, failed, server_cpu, _) = logins(&server, clients, account);
        server.stop();
        anyhow::ensure!(failed == 0, "{failed} logins failed");
        Ok((rate, server_cpu / (rate * DURATION.as_secs_f64()).max(1.0)))
    };
    match measure() {
        Ok((rate, cheap)) => Row {
            id: "4c",
            what: what.into(),
            measured: format!(
                "{} a login ({})",
                report::ms(Duration::from_secs_f64(cheap)),
                report::per_sec(rate)
            ),
            baseline: format!(
                "row 4 {} a login",
                report::ms(Duration::from_secs_f64(cpu_per_login))
            ),
            ratio: Some(cheap / cpu_per_login),
            target: String::new(),
            verdict: Verdict::Info,
        },
        Err(err) => Row::skipped("4c", what, format!("{err:#}")),
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
