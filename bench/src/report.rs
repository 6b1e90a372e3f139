//! The printed table, and the few statistics the rows need.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Miss,
    /// The measurement could not be taken (a missing file, a failed start); the row says why.
    Skip,
    /// A figure without a target, reported for comparison.
    Info,
}

impl Verdict {
    pub fn of(pass: bool) -> Verdict {
        if pass { Verdict::Pass } else { Verdict::Miss }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
            Verdict::Skip => "SKIP",
            Verdict::Info => "",
        }
    }
}

pub struct Row {
    pub id: &'static str,
    pub what: String,
    pub measured: String,
    pub baseline: String,
    pub ratio: Option<f64>,
    pub target: String,
    pub verdict: Verdict,
}

impl Row {
    /// A row for a measurement that could not be taken.
    pub fn skipped(id: &'static str, what: impl Into<String>, why: impl Into<String>) -> Row {
        Row {
            id,
            what: what.into(),
            measured: why.into(),
            baseline: String::new(),
            ratio: None,
            target: String::new(),
            verdict: Verdict::Skip,
        }
    }
}

pub fn print_table(rows: &[Row]) {
    let header = [
        "#",
        "measurement",
        "latchkey",
        "baseline",
        "ratio",
        "target",
        "result",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.what.clone(),
                r.measured.clone(),
                r.baseline.clone(),
                r.ratio.map(|x| format!("{x:.2}×")).unwrap_or_default(),
                r.target.clone(),
                r.verdict.label().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(&header.map(String::from));
    line(&widths.map(|w| "-".repeat(w)));
    for row in &cells {
        line(row);
    }
}

/// The `q`-quantile (0.0..=1.0) by nearest rank; sorts `samples`.
pub fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

pub fn median(samples: &mut [Duration]) -> Duration {
    quantile(samples, 0.5)
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub fn per_sec(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}/s")
    } else {
        format!("{x:.1}/s")
    }
}
