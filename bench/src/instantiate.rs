//! Row 2: the fixed cost of a plugin call — a fresh `Store` and instance from the pooling
//! allocator plus one trivial export (`describe`).

use crate::argon2_side_by_side::OWASP;
use crate::plugin_host::PluginHost;
use crate::report::{self, Row, Verdict};
use std::path::Path;
use std::time::{Duration, Instant};

const WARM_UP_CALLS: usize = 2_000;
const CALLS: usize = 20_000;
/// A guard against a pathologically slow machine: the row reports however many calls fit.
const TIME_LIMIT: Duration = Duration::from_secs(20);
const TARGET_P50: Duration = Duration::from_micros(20);
const TARGET_P99: Duration = Duration::from_micros(100);

pub fn rows(host: &PluginHost, plugin: &Path) -> Vec<Row> {
    let what = "instantiate + describe(), fresh Store each";
    let factor = match host.load(plugin, OWASP) {
        Ok(f) => f,
        Err(err) => return vec![Row::skipped("2", what, format!("{err:#}"))],
    };
    for _ in 0..WARM_UP_CALLS {
        factor.describe_now().expect("describe succeeds");
    }
    let mut samples = Vec::with_capacity(CALLS);
    let started = Instant::now();
    while samples.len() < CALLS && started.elapsed() < TIME_LIMIT {
        let call = Instant::now();
        factor.describe_now().expect("describe succeeds");
        samples.push(call.elapsed());
    }
    let n = samples.len();
    let p50 = report::quantile(&mut samples, 0.50);
    let p99 = report::quantile(&mut samples, 0.99);
    vec![
        Row {
            id: "2",
            what: format!("{what}, p50 of {n}"),
            measured: report::us(p50),
            baseline: String::new(),
            ratio: None,
            target: format!("≤ {}", report::us(TARGET_P50)),
            verdict: Verdict::of(p50 <= TARGET_P50),
        },
        Row {
            id: "2",
            what: format!("{what}, p99 of {n}"),
            measured: report::us(p99),
            baseline: String::new(),
            ratio: None,
            target: format!("≤ {}", report::us(TARGET_P99)),
            verdict: Verdict::of(p99 <= TARGET_P99),
        },
    ]
}
