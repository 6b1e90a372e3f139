//! Rows 12–14: the server on a database the size of a real deployment against the same server
//! on a small one. Both databases are made the same way: a template account is registered
//! through the API with a password, TOTP and recovery codes, then copied straight into the
//! SQLite file (bulk inserts, one transaction) under new ids, identifiers and session tokens.
//!
//! The load is the same on both: whoami and route checks take turns through 1 000 sessions,
//! and logins through 32 accounts. On the large database those sessions belong to 1 000
//! different identities among 100 000, and the other 999 000 sessions are there to be
//! searched past.

use crate::api::Api;
use crate::load::{Generator, LoadSpec};
use crate::paths::Paths;
use crate::policy_overhead::policies_yaml;
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use anyhow::Context;
use rusqlite::{Connection, params};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, Instant};

const LARGE_IDENTITIES: usize = 100_000;
const LARGE_SESSIONS: usize = 1_000_000;
/// The sessions the load takes turns through, and the accounts logins use.
const ACTIVE_SESSIONS: usize = 1_000;
const LOGIN_ACCOUNTS: usize = 32;
const CONNECTIONS: usize = 48;
const DURATION: Duration = Duration::from_secs(3);
const LOGIN_DURATION: Duration = Duration::from_secs(4);
const ROUNDS: usize = 2;
const TARGET_RATIO: f64 = 0.9;
const RSS_TARGET_MIB: f64 = 100.0;
const PASSWORD: &str = "scale bench password 1";
const LIST_SAMPLES: usize = 50;

struct Size {
    identities: usize,
    sessions: usize,
}

const SMALL: Size = Size {
    identities: LOGIN_ACCOUNTS,
    sessions: ACTIVE_SESSIONS,
};
const LARGE: Size = Size {
    identities: LARGE_IDENTITIES,
    sessions: LARGE_SESSIONS,
};

/// A seeded server and the tokens of the sessions the load uses.
struct Seeded {
    server: ServerProc,
    tokens: Vec<String>,
    seeded_in: Duration,
    _data: tempfile::TempDir,
}

pub fn rows(paths: &Paths, generator: &Generator) -> Vec<Row> {
    match measure(paths, generator) {
        Ok(rows) => rows,
        Err(err) => vec![Row::skipped(
            "12",
            format!("{LARGE_IDENTITIES} identities, {LARGE_SESSIONS} sessions"),
            format!("{err:#}"),
        )],
    }
}

fn measure(paths: &Paths, generator: &Generator) -> anyhow::Result<Vec<Row>> {
    crate::progress("seeding a small database");
    let small = seed(paths, &SMALL)?;
    crate::progress(&format!(
        "seeding {LARGE_IDENTITIES} identities and {LARGE_SESSIONS} sessions"
    ));
    let large = seed(paths, &LARGE)?;
    let mut rows = Vec::new();
    for (id, what, path) in [
        ("12", "whoami", "/sessions/whoami"),
        ("12b", "route check", "/self-service/route-check"),
    ] {
        crate::progress(&format!("{what} at scale"));
        let (small_rate, large_rate) = interleaved(
            || rate(generator, &small, path),
            || rate(generator, &large, path),
        )?;
        rows.push(ratio_row(
            id,
            format!(
                "{what} req/s, {LARGE_IDENTITIES} identities and {LARGE_SESSIONS} sessions (seeded in {:.0} s), \
                 {ACTIVE_SESSIONS} sessions taking turns",
                large.seeded_in.as_secs_f64()
            ),
            large_rate,
            small_rate,
        ));
    }
    crate::progress("logins at scale");
    let (small_logins, large_logins) =
        interleaved(|| logins(&small.server), || logins(&large.server))?;
    rows.push(ratio_row(
        "12c",
        format!("password logins/s over {LOGIN_ACCOUNTS} of {LARGE_IDENTITIES} accounts"),
        large_logins,
        small_logins,
    ));
    // Argon2's working memory goes back to the system after half a second idle.
    std::thread::sleep(Duration::from_secs(1));
    rows.push(rss_row(&large.server));
    crate::progress("identity listing at scale");
    rows.push(listing_row(&large.server)?);
    large.server.stop();
    small.server.stop();
    Ok(rows)
}

/// Both sides measured `ROUNDS` times, taking turns, so that a change in the machine's load
/// during the run falls on both; the mean of each.
fn interleaved(
    mut small: impl FnMut() -> anyhow::Result<f64>,
    mut large: impl FnMut() -> anyhow::Result<f64>,
) -> anyhow::Result<(f64, f64)> {
    let (mut s, mut l) = (0.0, 0.0);
    for _ in 0..ROUNDS {
        s += small()?;
        l += large()?;
    }
    Ok((s / ROUNDS as f64, l / ROUNDS as f64))
}

fn ratio_row(id: &'static str, what: String, large: f64, small: f64) -> Row {
    let ratio = large / small;
    Row {
        id,
        what,
        measured: report::per_sec(large),
        baseline: format!("small database {}", report::per_sec(small)),
        ratio: Some(ratio),
        target: format!("≥ {TARGET_RATIO:.1}×"),
        verdict: Verdict::of(ratio >= TARGET_RATIO),
    }
}

fn rss_row(server: &ServerProc) -> Row {
    let what =
        format!("RSS after the load, {LARGE_IDENTITIES} identities, {LARGE_SESSIONS} sessions");
    match server.rss_kib() {
        Ok(kib) => {
            let mib = kib as f64 / 1024.0;
            let (anon, file) = server.rss_kinds_kib();
            Row {
                id: "13",
                what,
                measured: format!(
                    "{mib:.1} MiB ({:.0} heap, {:.0} mapped files)",
                    anon as f64 / 1024.0,
                    file as f64 / 1024.0
                ),
                baseline: format!("peak {:.1} MiB", server.peak_rss_kib() as f64 / 1024.0),
                ratio: None,
                target: format!("< {RSS_TARGET_MIB:.0} MiB"),
                verdict: Verdict::of(mib < RSS_TARGET_MIB),
            }
        }
        Err(err) => Row::skipped("13", what, format!("{err:#}")),
    }
}

fn rate(generator: &Generator, seeded: &Seeded, path: &str) -> anyhow::Result<f64> {
    let result = generator.run(&LoadSpec {
        addr: seeded.server.public_addr(),
        path: path.into(),
        headers: vec![
            ("X-Original-Method".into(), "GET".into()),
            ("X-Original-URI".into(), "/reports/today".into()),
        ],
        connections: CONNECTIONS,
        duration: DURATION,
        tokens: seeded.tokens.clone(),
    })?;
    anyhow::ensure!(
        result.failed == 0,
        "{path}: {} failed requests",
        result.failed
    );
    Ok(result.per_sec())
}

fn logins(server: &ServerProc) -> anyhow::Result<f64> {
    let clients = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let done = std::sync::atomic::AtomicU64::new(0);
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                let done = &done;
                s.spawn(move || -> Option<String> {
                    let api = Api::new(&server.public);
                    let mut n = client;
                    while started.elapsed() < LOGIN_DURATION {
                        let email = account_email(n % LOGIN_ACCOUNTS);
                        n += clients;
                        match api
                            .start_login()
                            .and_then(|flow| api.submit_login(&flow, &email, PASSWORD))
                        {
                            Ok(reply) if reply.status == 200 => {
                                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Ok(reply) => return Some(format!("{}: {}", reply.status, reply.body)),
                            Err(err) => return Some(format!("{err:#}")),
                        }
                    }
                    None
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().ok().flatten())
            .collect()
    });
    anyhow::ensure!(failures.is_empty(), "logins failed: {}", failures[0]);
    Ok(done.load(std::sync::atomic::Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// The first page of identities and a page 90% of the way through, by keyset pagination.
fn listing_row(server: &ServerProc) -> anyhow::Result<Row> {
    let admin = server.admin_url();
    let deep_after = identity_id(LARGE_IDENTITIES * 9 / 10);
    let agent = ureq::AgentBuilder::new().build();
    let time = |query: &str| -> anyhow::Result<Vec<Duration>> {
        let url = format!("{admin}/admin/identities?page_size=250{query}");
        let mut samples = Vec::with_capacity(LIST_SAMPLES);
        for _ in 0..LIST_SAMPLES {
            let started = Instant::now();
            let resp = agent.get(&url).call().with_context(|| url.clone())?;
            let body: serde_json::Value = resp.into_json()?;
            samples.push(started.elapsed());
            anyhow::ensure!(
                body.as_array().is_some_and(|a| a.len() == 250),
                "{url}: not a full page"
            );
        }
        Ok(samples)
    };
    let mut first = time("")?;
    let mut deep = time(&format!("&page_token={}", page_token(&deep_after)))?;
    let (first, deep) = (report::median(&mut first), report::median(&mut deep));
    let ratio = deep.as_secs_f64() / first.as_secs_f64();
    Ok(Row {
        id: "14",
        what: format!(
            "admin identity list, 250 a page: page at 90% of {LARGE_IDENTITIES} vs first, median of {LIST_SAMPLES}"
        ),
        measured: format!("deep {}", report::ms(deep)),
        baseline: format!("first {}", report::ms(first)),
        ratio: Some(ratio),
        target: "≤ 1.5×".into(),
        verdict: Verdict::of(ratio <= 1.5),
    })
}

/// The admin API's page token: the last id of the previous page, as it encodes it.
fn page_token(after: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(after)
}

fn account_email(n: usize) -> String {
    format!("scale-{n}@example.com")
}

/// Ids in the order the copies are made, so that a page deep in the list can be asked for.
fn identity_id(n: usize) -> String {
    format!("5ca1e000-0000-4000-8000-{n:012x}")
}

fn token(n: usize) -> String {
    format!("ory_st_scale{n:025}")
}

/// Set to a directory to keep the seeded databases there for a closer look (a profiler).
const KEEP_VAR: &str = "LATCHKEY_BENCH_SCALE_DIR";

fn seed(paths: &Paths, size: &Size) -> anyhow::Result<Seeded> {
    let data = match std::env::var_os(KEEP_VAR) {
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir).join(size.identities.to_string());
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new()
                .disable_cleanup(true)
                .tempdir_in(dir)?
        }
        None => tempfile::tempdir()?,
    };
    let config = data.path().join("scale.yml");
    // The same policies as rows 8 and 9; the server must not sweep while it is measured.
    std::fs::write(
        &config,
        format!(
            "{}database:\n  cleanup:\n    interval: 0s\n",
            policies_yaml(paths)
        ),
    )?;
    let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
    let template = "template@example.com";
    let created = ureq::post(&format!("{}/admin/identities", server.admin_url()))
        .send_json(json!({
            "schema_id": "default",
            "traits": { "email": template },
            "credentials": {
                "password": { "config": { "password": PASSWORD } },
                "totp": { "config": { "totp_url": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP" } },
                "lookup_secret": { "config": { "codes": ["abcd-efgh", "ijkl-mnop"] } },
            },
        }))
        .context("creating the template identity")?;
    anyhow::ensure!(created.status() == 201, "template: {}", created.status());
    let reply = Api::new(&server.public)
        .start_login()
        .and_then(|flow| Api::new(&server.public).submit_login(&flow, template, PASSWORD))?;
    anyhow::ensure!(reply.status == 200, "template login: {}", reply.body);
    server.stop();

    let started = Instant::now();
    copy_template(&data.path().join("latchkey.db"), template, size)?;
    let seeded_in = started.elapsed();
    let server = ServerProc::start_with(paths, data.path(), Some(&config))?;
    // The load's sessions are spread over as many identities as there are.
    let step = size.sessions / ACTIVE_SESSIONS;
    let tokens: Vec<String> = (0..ACTIVE_SESSIONS).map(|n| token(n * step)).collect();
    let me =
        Api::new(&server.public).get("/sessions/whoami", Some(&tokens[ACTIVE_SESSIONS / 2]))?;
    anyhow::ensure!(
        me.status == 200,
        "a seeded session: {} {}",
        me.status,
        me.body
    );
    Ok(Seeded {
        server,
        tokens,
        seeded_in,
        _data: data,
    })
}

/// Copies the template identity, its credentials and its session into `size`, in one
/// transaction with prepared statements.
fn copy_template(db: &Path, template: &str, size: &Size) -> anyhow::Result<()> {
    let mut conn = Connection::open(db)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let tx = conn.transaction()?;
    let template_id: String = tx.query_row(
        "SELECT identity_id FROM credential_identifiers WHERE method = 'password' AND identifier = ?1",
        [template],
        |r| r.get(0),
    )?;
    let columns = |table: &str| -> anyhow::Result<Vec<String>> {
        Ok(tx
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?)
    };
    // Each table is copied with `INSERT … SELECT` from the template row, replacing the
    // columns that must differ.
    let copy = |table: &str, owner: &str, replace: &[(&str, &str)]| -> anyhow::Result<String> {
        let cols = columns(table)?;
        let values: Vec<String> = cols
            .iter()
            .map(|c| {
                replace
                    .iter()
                    .find(|(name, _)| name == c)
                    .map_or_else(|| format!("t.{c}"), |(_, v)| v.to_string())
            })
            .collect();
        Ok(format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {table} AS t WHERE t.{owner} = '{template_id}'",
            cols.join(", "),
            values.join(", ")
        ))
    };
    let identity_sql = copy(
        "identities",
        "id",
        &[
            ("id", "?1"),
            ("traits", "json_set(t.traits, '$.email', ?2)"),
        ],
    )?;
    let credential_sql = copy("credentials", "identity_id", &[("identity_id", "?1")])?;
    let identifier_sql = copy(
        "credential_identifiers",
        "identity_id",
        &[
            ("identity_id", "?1"),
            (
                "identifier",
                "CASE WHEN t.identifier = ?3 THEN ?2 ELSE t.identifier || '-' || ?1 END",
            ),
        ],
    )?;
    let session_sql = copy(
        "sessions",
        "identity_id",
        &[
            ("id", "?1"),
            ("token_hash", "?2"),
            ("identity_id", "?3"),
            // Signed in with both factors, as whoami's `highest_available` wants of an
            // identity with TOTP.
            ("aal", "'aal2'"),
            (
                "methods",
                "json_insert(t.methods, '$[#]', json_object('method', 'totp', 'aal', 'aal2', \
                 'completed_at', t.authenticated_at))",
            ),
        ],
    )?;
    {
        let mut identity = tx.prepare(&identity_sql)?;
        let mut credentials = tx.prepare(&credential_sql)?;
        let mut identifiers = tx.prepare(&identifier_sql)?;
        for n in 0..size.identities {
            let (id, email) = (identity_id(n), account_email(n));
            identity.execute(params![id, email])?;
            credentials.execute(params![id])?;
            identifiers.execute(params![id, email, template])?;
        }
        let mut session = tx.prepare(&format!("{session_sql} LIMIT 1"))?;
        for n in 0..size.sessions {
            let hash: [u8; 32] = Sha256::digest(token(n).as_bytes()).into();
            // Consecutive sessions share an identity, so every identity has its share.
            let owner = identity_id(n * size.identities / size.sessions);
            let id = format!("5e550000-0000-4000-8000-{n:012x}");
            session.execute(params![id, &hash[..], owner])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}
