//! Rows 10 and 10b: request latency while a million expired flows are deleted. A server on a
//! database holding 1,000,000 expired login flows (copies of a real one, written straight into
//! its SQLite file) is sampled one request at a time, first idle, then while `latchkey cleanup
//! sql --all` deletes them in the default batches. whoami only reads; starting a login flow
//! writes a row, so it must get between the sweep's write transactions.

use crate::api::Api;
use crate::argon2_side_by_side::{EMAIL, PASSWORD};
use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use anyhow::Context;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: u64 = 1_000_000;
const IDLE_SAMPLES: usize = 2_000;
/// The p99 a request may reach during the sweep: a read never waits for the sweep's writes
/// (WAL), and a write waits for at most the one batch being deleted.
const READ_TARGET: Duration = Duration::from_millis(5);
const WRITE_TARGET: Duration = Duration::from_millis(50);

struct Latencies {
    idle: Vec<Duration>,
    during: Vec<Duration>,
}

pub fn rows(paths: &Paths) -> Vec<Row> {
    let what = |p: &str| format!("{p} p99 during a sweep of {ROWS} expired flows vs idle");
    match measure(paths) {
        Ok((whoami, flows, swept_in)) => vec![
            row("10", what("whoami"), whoami, swept_in, READ_TARGET),
            row(
                "10b",
                what("login flow start (a write)"),
                flows,
                swept_in,
                WRITE_TARGET,
            ),
        ],
        Err(err) => vec![Row::skipped("10", what("whoami"), format!("{err:#}"))],
    }
}

fn row(
    id: &'static str,
    what: String,
    mut l: Latencies,
    swept_in: Duration,
    target: Duration,
) -> Row {
    let idle = report::quantile(&mut l.idle, 0.99);
    let during = report::quantile(&mut l.during, 0.99);
    let ratio = during.as_secs_f64() / idle.as_secs_f64();
    Row {
        id,
        what: format!("{what} (sweep took {:.0} s)", swept_in.as_secs_f64()),
        measured: format!("{} ({} samples)", report::ms(during), l.during.len()),
        baseline: format!("idle {}", report::ms(idle)),
        ratio: Some(ratio),
        target: format!("p99 < {}", report::ms(target)),
        verdict: Verdict::of(during < target),
    }
}

fn measure(paths: &Paths) -> anyhow::Result<(Latencies, Latencies, Duration)> {
    let data = tempfile::tempdir()?;
    // The server must not sweep by itself: the command does, while it is measured.
    let config = data.path().join("no-sweeper.yml");
    std::fs::write(&config, "database:\n  cleanup:\n    interval: 0s\n")?;
    let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
    let api = Api::new(&server.public);
    let token = api.register(EMAIL, PASSWORD)?;
    anyhow::ensure!(api.get("/self-service/login/api", None)?.status == 200);
    server.stop();
    let db = data.path().join("latchkey.db");
    fill_with_expired_flows(&db)?;

    let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
    let api = Api::new(&server.public);
    let whoami = || sample(&api, "/sessions/whoami", Some(&token));
    let start_flow = || sample(&api, "/self-service/login/api", None);
    let mut idle_whoami = Vec::new();
    let mut idle_flows = Vec::new();
    for _ in 0..IDLE_SAMPLES {
        idle_whoami.push(whoami()?);
        idle_flows.push(start_flow()?);
    }

    let started = Instant::now();
    let mut sweep = Command::new(&paths.binary)
        .args(["cleanup", "sql", "--all", "--sleep", "0s"])
        .arg(format!("sqlite://{}", db.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting latchkey cleanup sql")?;
    let mut during_whoami = Vec::new();
    let mut during_flows = Vec::new();
    while sweep.try_wait()?.is_none() {
        during_whoami.push(whoami()?);
        during_flows.push(start_flow()?);
    }
    let swept_in = started.elapsed();
    let output = sweep.wait_with_output()?;
    anyhow::ensure!(
        output.status.success(),
        "cleanup sql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    anyhow::ensure!(
        !during_whoami.is_empty(),
        "the sweep ended before any sample"
    );
    server.stop();
    Ok((
        Latencies {
            idle: idle_whoami,
            during: during_whoami,
        },
        Latencies {
            idle: idle_flows,
            during: during_flows,
        },
        swept_in,
    ))
}

fn sample(api: &Api, path: &str, token: Option<&str>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let reply = api.get(path, token)?;
    let took = started.elapsed();
    anyhow::ensure!(reply.status == 200, "{path} answered {}", reply.status);
    Ok(took)
}

/// Copies the one login flow in the database `ROWS` times under new ids, expired a year ago.
fn fill_with_expired_flows(db: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('flows') ORDER BY cid")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let values: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => "lower(hex(randomblob(16)))".to_string(),
            "expires_at" => "'2000-01-01T00:00:00.000000000Z'".to_string(),
            other => format!("f.{other}"),
        })
        .collect();
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) \
         INSERT INTO flows ({}) SELECT {} FROM n, (SELECT * FROM flows LIMIT 1) AS f",
        columns.join(", "),
        values.join(", ")
    );
    conn.execute_batch(&format!("BEGIN; {sql}; COMMIT;"))?;
    Ok(())
}
