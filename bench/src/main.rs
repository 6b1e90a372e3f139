//! Latchkey's benchmarks: each figure next to the baseline it is judged against, measured in
//! one run on one machine. See docs/benchmarks.md.

mod api;
mod argon2_side_by_side;
mod bare_axum;
mod cold_start;
mod cpu;
mod instantiate;
mod load;
mod login;
mod machine;
mod paths;
mod plugin_host;
mod policy_decision;
mod policy_overhead;
mod postgres;
mod recovery_timing;
mod report;
mod scale;
mod server_proc;
mod sweep_latency;
mod whoami;

use argon2_side_by_side::{EMAIL, PASSWORD};
use load::Generator;
use paths::Paths;
use plugin_host::PluginHost;
use report::{Row, Verdict};
use server_proc::ServerProc;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Another build of the password plugin (say, one hashing inside WebAssembly with +simd128),
/// measured as an extra row when set.
const SIMD_PLUGIN_VAR: &str = "LATCHKEY_BENCH_SIMD_PLUGIN";
const IDLE_BEFORE_RSS: Duration = Duration::from_secs(1);
const RSS_TARGET_MIB: f64 = 40.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(bare_axum::SUBCOMMAND) {
        return match (args.get(2), args.get(3)) {
            (Some(port), Some(body)) => match bare_axum::serve(port, body) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("bare axum: {err:#}");
                    ExitCode::FAILURE
                }
            },
            _ => {
                eprintln!("usage: latchkey-bench {} PORT BODY", bare_axum::SUBCOMMAND);
                ExitCode::FAILURE
            }
        };
    }

    let started = Instant::now();
    let paths = Paths::discover();
    let generator = Generator::detect();
    println!("Latchkey benchmarks");
    println!("machine:   {}", machine::describe());
    println!("server:    {}", paths.binary.display());
    println!("plugins:   {}", paths.plugin_dir.display());
    println!("load:      {}", generator.name());
    println!();

    // `latchkey-bench [plugins] [server] [recovery] [sweep] [scale] [postgres]` runs only those groups of rows.
    let only: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    let wanted = |group: &str| only.is_empty() || only.contains(&group);
    let mut rows = Vec::new();
    if wanted("plugins") {
        rows.extend(in_process_rows(&paths));
    }
    if wanted("server") {
        rows.extend(server_rows(&paths, &generator));
    }
    if wanted("recovery") && paths.missing().is_none() {
        progress("recovery timing equalisation");
        rows.push(recovery_timing::row(&paths));
    }
    if wanted("sweep") && paths.missing().is_none() {
        progress("latency during a sweep of expired flows");
        rows.extend(sweep_latency::rows(&paths));
    }
    if wanted("scale") && paths.missing().is_none() {
        rows.extend(scale::rows(&paths, &generator));
    }
    if wanted("postgres") && paths.missing().is_none() {
        rows.extend(postgres::rows(&paths, &generator));
    }
    // By number, then suffix: row 10 after row 9.
    rows.sort_by_key(|r| {
        let digits = r.id.len() - r.id.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        (r.id[..digits].parse::<u32>().unwrap_or(u32::MAX), r.id)
    });

    println!();
    report::print_table(&rows);
    println!();
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

fn progress(what: &str) {
    eprintln!("… {what}");
}

/// Rows 1 and 2: plugins hosted in this process, no HTTP.
fn in_process_rows(paths: &Paths) -> Vec<Row> {
    let plugin = paths.plugin("password");
    let simd = std::env::var_os(SIMD_PLUGIN_VAR).map(PathBuf::from);
    if !plugin.exists() {
        let why = format!("{} is missing: run `make plugins`", plugin.display());
        return vec![
            Row::skipped("1", "argon2id verify, plugin vs native", why.clone()),
            Row::skipped("2", "instantiate + describe()", why),
        ];
    }
    let host = match PluginHost::new() {
        Ok(host) => host,
        Err(err) => {
            return vec![Row::skipped(
                "1",
                "plugin runtime",
                format!("cannot start: {err:#}"),
            )];
        }
    };
    progress("argon2id: native vs plugin");
    let mut rows = argon2_side_by_side::rows(&host, &plugin, simd.as_deref());
    progress("plugin instantiation");
    rows.extend(instantiate::rows(&host, &plugin));
    if paths.plugin("scripted_policy").exists() {
        progress("one policy decision");
        rows.extend(policy_decision::rows(paths));
    }
    rows
}

/// Rows 3 to 7: the real server binary.
fn server_rows(paths: &Paths, generator: &Generator) -> Vec<Row> {
    if let Some(why) = paths.missing() {
        return ["3", "4", "5", "6", "7"]
            .into_iter()
            .map(|id| Row::skipped(id, "server", why.clone()))
            .collect();
    }
    progress("cold start");
    let mut rows = vec![cold_start::row(paths)];

    let data = match tempfile::tempdir() {
        Ok(d) => d,
        Err(err) => {
            rows.push(Row::skipped("3", "server", err.to_string()));
            return rows;
        }
    };
    // A first start compiles the plugins into the cache; the server then runs as it does
    // after every later restart, on the warm cache.
    let first = ServerProc::start(paths, data.path()).and_then(|server| {
        let token = api::Api::new(&server.public).register(EMAIL, PASSWORD)?;
        std::thread::sleep(IDLE_BEFORE_RSS);
        let rss = server.rss_kib();
        server.stop();
        Ok((token, rss))
    });
    let restarted = first.and_then(|(token, first_rss)| {
        let server = ServerProc::start(paths, data.path())?;
        Ok((server, token, first_rss))
    });
    let (server, token, first_rss) = match restarted {
        Ok(x) => x,
        Err(err) => {
            rows.push(Row::skipped("3", "server", format!("{err:#}")));
            return rows;
        }
    };
    std::thread::sleep(IDLE_BEFORE_RSS);
    rows.push(rss_row(
        "6",
        "idle RSS, restarted on a warm cache, 1 registered identity",
        server.rss_kib(),
    ));
    let mut first = rss_row(
        "6b",
        "idle RSS after a first start (compiles plugins) + 1 registration",
        first_rss,
    );
    if first.verdict != Verdict::Skip {
        first.target = String::new();
        first.verdict = Verdict::Info;
    }
    rows.push(first);
    progress("whoami throughput");
    rows.push(whoami::row(&server, &token, generator));
    progress("password login throughput");
    rows.extend(login::throughput_rows(&server, paths));
    progress("login timing equalisation");
    rows.push(login::timing_row(&server));
    progress("policy overhead");
    rows.extend(policy_overhead::rows(paths, generator, &server, &token));
    server.stop();
    rows
}

fn rss_row(id: &'static str, what: &str, rss_kib: anyhow::Result<u64>) -> Row {
    match rss_kib {
        Ok(kib) => {
            let mib = kib as f64 / 1024.0;
            Row {
                id,
                what: what.into(),
                measured: format!("{mib:.1} MiB"),
                baseline: String::new(),
                ratio: None,
                target: format!("< {RSS_TARGET_MIB:.0} MiB"),
                verdict: Verdict::of(mib < RSS_TARGET_MIB),
            }
        }
        Err(err) => Row::skipped(id, what, format!("{err:#}")),
    }
}
