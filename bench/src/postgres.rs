//! Rows 16–16d: PostgreSQL beside SQLite, two nodes beside one, and how soon a node learns of a
//! session another node revoked. The database is a throwaway cluster of Debian's PostgreSQL on
//! this machine (tests/peers/postgres/cluster.sh), reached over its Unix socket.

use crate::api::Api;
use crate::load::{Generator, LoadSpec};
use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 48;
const DURATION: Duration = Duration::from_secs(5);
const PASSWORD: &str = "correct horse battery staple";
const ACCOUNTS: usize = 16;
const REVOCATIONS: usize = 25;

/// A cluster that lives as long as this value: its script stops it when its input closes.
struct Cluster {
    socket_dir: String,
    script: Child,
}

impl Cluster {
    fn start() -> anyhow::Result<Cluster> {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/peers/postgres/cluster.sh"
        );
        let dir = std::env::temp_dir().join(format!("latchkey-bench-pg-{}", std::process::id()));
        let mut child = Command::new(script)
            .arg(&dir)
            // Commits synced to disk, as SQLite's are (synchronous=FULL) and production's are.
            .env("LATCHKEY_POSTGRES_DURABLE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting tests/peers/postgres/cluster.sh")?;
        let mut ready = String::new();
        BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut ready)?;
        anyhow::ensure!(
            ready.starts_with("ready "),
            "no PostgreSQL server: install Debian's postgresql package"
        );
        Ok(Cluster {
            socket_dir: dir.display().to_string(),
            script: child,
        })
    }

    /// A new database's DSN. `createdb` comes with the server.
    fn database(&self, name: &str) -> anyhow::Result<String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .max()
            .context("no /usr/lib/postgresql/*/bin")?;
        let status = Command::new(bin.join("createdb"))
            .args(["-h", &self.socket_dir, "-U", "postgres", name])
            .status()?;
        anyhow::ensure!(status.success(), "createdb {name} failed");
        Ok(format!(
            "postgres://postgres@localhost/{name}?host={}&max_conns=16",
            self.socket_dir
        ))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        drop(self.script.stdin.take());
        let _ = self.script.wait();
    }
}

pub fn rows(paths: &Paths, generator: &Generator) -> Vec<Row> {
    match measure(paths, generator) {
        Ok(rows) => rows,
        Err(err) => vec![Row::skipped("16", "PostgreSQL rows", format!("{err:#}"))],
    }
}

fn measure(paths: &Paths, generator: &Generator) -> anyhow::Result<Vec<Row>> {
    let cluster = Cluster::start()?;
    let pg_dsn = cluster.database("bench")?;
    let (sqlite_dir, pg_dir, second_dir) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    let sqlite_dsn = format!(
        "sqlite://{}/latchkey.db?mode=rwc",
        sqlite_dir.path().display()
    );
    let start = |dir: &std::path::Path, dsn: &str| -> anyhow::Result<ServerProc> {
        let mut server = ServerProc::spawn_on(paths, dir, None, dsn)?;
        server.wait_ready()?;
        Ok(server)
    };

    let mut rows = Vec::new();
    crate::progress("whoami and logins on PostgreSQL and on SQLite");
    let (mut whoami, mut logins) = (Vec::new(), Vec::new());
    for dsn in [&sqlite_dsn, &pg_dsn] {
        let dir = if dsn == &sqlite_dsn {
            sqlite_dir.path()
        } else {
            pg_dir.path()
        };
        let server = start(dir, dsn)?;
        let api = Api::new(&server.public);
        let token = api.register("whoami@example.com", PASSWORD)?;
        whoami.push(generator.run(&LoadSpec {
            addr: server.public_addr(),
            path: "/sessions/whoami".into(),
            headers: vec![("X-Session-Token".into(), token)],
            connections: CONNECTIONS,
            duration: DURATION,
            tokens: Vec::new(),
        })?);
        logins.push(login_rate(&server)?);
        server.stop();
    }
    let (sqlite_whoami, pg_whoami) = (whoami[0].per_sec(), whoami[1].per_sec());
    rows.push(Row {
        id: "16",
        what: format!(
            "whoami req/s on PostgreSQL (Unix socket, same machine), {CONNECTIONS} conns × {}s",
            DURATION.as_secs()
        ),
        measured: report::per_sec(pg_whoami),
        baseline: format!("SQLite {}", report::per_sec(sqlite_whoami)),
        ratio: Some(pg_whoami / sqlite_whoami),
        target: String::new(),
        verdict: Verdict::Info,
    });
    rows.push(Row {
        id: "16b",
        what: format!(
            "password logins/s on PostgreSQL, {} clients over {ACCOUNTS} accounts",
            clients()
        ),
        measured: report::per_sec(logins[1]),
        baseline: format!("SQLite {}", report::per_sec(logins[0])),
        ratio: Some(logins[1] / logins[0]),
        target: String::new(),
        verdict: Verdict::Info,
    });

    crate::progress("two nodes on one PostgreSQL database");
    let (a, b) = (
        start(pg_dir.path(), &pg_dsn)?,
        start(second_dir.path(), &pg_dsn)?,
    );
    let token = Api::new(&a.public).register("nodes@example.com", PASSWORD)?;
    let spec = |server: &ServerProc, connections| LoadSpec {
        addr: server.public_addr(),
        path: "/sessions/whoami".into(),
        headers: vec![("X-Session-Token".into(), token.clone())],
        connections,
        duration: DURATION,
        tokens: Vec::new(),
    };
    let one = generator.run(&spec(&a, CONNECTIONS))?.per_sec();
    let (on_a, on_b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| generator.run(&spec(&a, CONNECTIONS / 2)));
        let second = scope.spawn(|| generator.run(&spec(&b, CONNECTIONS / 2)));
        (first.join(), second.join())
    });
    let two = on_a
        .map_err(|_| anyhow::anyhow!("load panicked"))??
        .per_sec()
        + on_b
            .map_err(|_| anyhow::anyhow!("load panicked"))??
            .per_sec();
    rows.push(Row {
        id: "16c",
        what: "whoami req/s, two nodes on one PostgreSQL, load split between them (2 cores: overhead, not scale)".into(),
        measured: report::per_sec(two),
        baseline: format!("one node {}", report::per_sec(one)),
        ratio: Some(two / one),
        target: String::new(),
        verdict: Verdict::Info,
    });

    crate::progress("revocation seen by the other node");
    let mut delays = revocation_delays(&a, &b)?;
    let (p50, max) = (
        report::median(&mut delays),
        *delays.iter().max().unwrap_or(&Duration::ZERO),
    );
    rows.push(Row {
        id: "16d",
        what: format!(
            "a session revoked on node A, refused by node B after, {REVOCATIONS} revocations"
        ),
        measured: format!("p50 {}, max {}", report::ms(p50), report::ms(max)),
        baseline: String::new(),
        ratio: None,
        target: "max ≤ 1 s".into(),
        verdict: Verdict::of(max <= Duration::from_secs(1)),
    });
    a.stop();
    b.stop();
    drop(cluster);
    Ok(rows)
}

fn clients() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Logins per second by `clients()` threads for `DURATION`, over `ACCOUNTS` accounts.
fn login_rate(server: &ServerProc) -> anyhow::Result<f64> {
    let api = Api::new(&server.public);
    for n in 0..ACCOUNTS {
        api.register(&format!("login-{n}@example.com"), PASSWORD)?;
    }
    let ok = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..clients() {
            let ok = &ok;
            scope.spawn(move || {
                let api = Api::new(&server.public);
                let mut n = client;
                while started.elapsed() < DURATION {
                    let email = format!("login-{}@example.com", n % ACCOUNTS);
                    n += clients();
                    let logged_in = api
                        .start_login()
                        .and_then(|flow| api.submit_login(&flow, &email, PASSWORD))
                        .is_ok_and(|reply| reply.status == 200);
                    if logged_in {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Ok(ok.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// For each of `REVOCATIONS` sessions: B has it cached, A revokes it, and the time until B
/// first refuses it.
fn revocation_delays(a: &ServerProc, b: &ServerProc) -> anyhow::Result<Vec<Duration>> {
    let (on_a, on_b) = (Api::new(&a.public), Api::new(&b.public));
    let mut delays = Vec::new();
    for n in 0..REVOCATIONS {
        let token = on_a.register(&format!("revoke-{n}@example.com"), PASSWORD)?;
        for _ in 0..2 {
            anyhow::ensure!(on_b.get("/sessions/whoami", Some(&token))?.status == 200);
        }
        let revoked = on_a.logout(&token)?;
        anyhow::ensure!(revoked.status == 204, "logout answered {}", revoked.status);
        let since = Instant::now();
        loop {
            if on_b.get("/sessions/whoami", Some(&token))?.status == 401 {
                delays.push(since.elapsed());
                break;
            }
            anyhow::ensure!(since.elapsed() < Duration::from_secs(10), "never refused");
        }
    }
    Ok(delays)
}
