//! Row 5: from spawning the binary to `/health/ready` answering 200, with the compile cache
//! and the database already in place — what a restart or a redeploy costs.

use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use crate::server_proc::ServerProc;
use std::time::Duration;

const STARTS: usize = 5;
const TARGET: Duration = Duration::from_millis(300);

pub fn row(paths: &Paths) -> Row {
    let what = format!("cold start to ready, warm cache, median of {STARTS}");
    match measure(paths) {
        Ok(mut times) => {
            let (min, max) = (
                *times.iter().min().expect("samples"),
                *times.iter().max().expect("samples"),
            );
            let median = report::median(&mut times);
            Row {
                id: "5",
                what,
                measured: format!(
                    "{} ({}–{})",
                    report::ms(median),
                    report::ms(min).trim_end_matches(" ms"),
                    report::ms(max)
                ),
                baseline: String::new(),
                ratio: None,
                target: format!("< {}", report::ms(TARGET)),
                verdict: Verdict::of(median < TARGET),
            }
        }
        Err(err) => Row::skipped("5", what, format!("{err:#}")),
    }
}

fn measure(paths: &Paths) -> anyhow::Result<Vec<Duration>> {
    let data = tempfile::tempdir()?;
    // The first start compiles the plugins into the cache and creates the database.
    ServerProc::start(paths, data.path())?.stop();
    let mut times = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let mut server = ServerProc::spawn(paths, data.path())?;
        times.push(server.wait_ready()?);
        server.stop();
    }
    Ok(times)
}
