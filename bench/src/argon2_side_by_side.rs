//! Row 1: one argon2id verification, natively and inside the password plugin, on the same hash.

use crate::plugin_host::{PluginHost, login_context, login_input};
use crate::report::{self, Row, Verdict};
use anyhow::{Context, bail};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use latchkey::plugin::{Factor, SubmitOutcome};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// OWASP's argon2id baseline, which is also Latchkey's default.
pub const OWASP: Argon2Params = Argon2Params {
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
};

pub const EMAIL: &str = "bench@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// Timed rounds per variant. Rounds interleave the variants so that a noisy neighbour on a
/// shared machine slows all of them alike instead of one.
const ROUNDS: usize = 21;
const WARM_UP_ROUNDS: usize = 2;
const TARGET_RATIO: f64 = 1.2;

pub fn reference_hash(params: Argon2Params) -> String {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .expect("valid argon2 parameters");
    let salt = SaltString::encode_b64(&[0x42; 16]).expect("16 bytes make a valid salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hashing succeeds")
        .to_string()
}

/// Verifies the way the plugin does: a default `Argon2` that takes its parameters from the hash.
pub fn native_verify(phc_hash: &str, password: &str) -> bool {
    let parsed = PasswordHash::new(phc_hash).expect("a valid PHC string");
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Verifications per second with `threads` threads verifying back to back for `duration`.
pub fn native_throughput(phc_hash: &str, threads: usize, duration: Duration) -> f64 {
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    assert!(native_verify(phc_hash, PASSWORD));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
    });
    // Verifications still running at the deadline finish and count; so does their time.
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

struct Variant {
    label: &'static str,
    factor: Arc<Factor>,
    samples: Vec<Duration>,
}

/// One verification through `Factor::submit`, checked to have really succeeded.
fn plugin_verify(host: &PluginHost, factor: &Arc<Factor>, phc_hash: &str) -> anyhow::Result<()> {
    match host.submit(
        factor,
        login_context(EMAIL, phc_hash),
        login_input(EMAIL, PASSWORD),
    )? {
        Ok(SubmitOutcome::Authenticated(auth)) if auth.credential_update.is_none() => Ok(()),
        Ok(SubmitOutcome::Authenticated(_)) => {
            bail!("the plugin asked to rehash: its parameters differ from the hash's")
        }
        other => bail!("the plugin did not accept the password: {other:?}"),
    }
}

/// A wrong password must be rejected, or the timings would not be of a real verification.
fn check_rejects_wrong_password(
    host: &PluginHost,
    factor: &Arc<Factor>,
    phc_hash: &str,
) -> anyhow::Result<()> {
    match host.submit(
        factor,
        login_context(EMAIL, phc_hash),
        login_input(EMAIL, "not the password"),
    )? {
        Err(_rejection) => Ok(()),
        Ok(outcome) => bail!("the plugin accepted a wrong password: {outcome:?}"),
    }
}

pub fn rows(host: &PluginHost, plugin: &Path, simd_plugin: Option<&Path>) -> Vec<Row> {
    let what = format!(
        "argon2id verify m={} t={} p={}, median of {ROUNDS}",
        OWASP.memory_kib, OWASP.iterations, OWASP.parallelism
    );
    let phc_hash = reference_hash(OWASP);
    assert!(native_verify(&phc_hash, PASSWORD));

    let mut variants = Vec::new();
    let mut rows = Vec::new();
    let mut candidates = vec![("1", "password.wasm", plugin)];
    if let Some(simd) = simd_plugin {
        candidates.push(("1b", "password.wasm built with +simd128", simd));
    }
    for (id, label, path) in candidates {
        let loaded = host
            .load(path, OWASP)
            .and_then(|factor| {
                plugin_verify(host, &factor, &phc_hash)?;
                check_rejects_wrong_password(host, &factor, &phc_hash)?;
                Ok(factor)
            })
            .with_context(|| format!("{}", path.display()));
        match loaded {
            Ok(factor) => variants.push((
                id,
                Variant {
                    label,
                    factor,
                    samples: Vec::with_capacity(ROUNDS),
                },
            )),
            Err(err) => rows.push(Row::skipped(
                id,
                format!("{what}, {label}"),
                format!("{err:#}"),
            )),
        }
    }

    let mut native = Vec::with_capacity(ROUNDS);
    for round in 0..WARM_UP_ROUNDS + ROUNDS {
        let started = Instant::now();
        assert!(native_verify(&phc_hash, PASSWORD));
        let native_time = started.elapsed();
        if round >= WARM_UP_ROUNDS {
            native.push(native_time);
        }
        for (_, v) in &mut variants {
            let started = Instant::now();
            if let Err(err) = plugin_verify(host, &v.factor, &phc_hash) {
                panic!("{}: {err:#}", v.label);
            }
            if round >= WARM_UP_ROUNDS {
                v.samples.push(started.elapsed());
            }
        }
    }

    let native_median = report::median(&mut native);
    for (id, mut v) in variants {
        let plugin_median = report::median(&mut v.samples);
        let ratio = plugin_median.as_secs_f64() / native_median.as_secs_f64();
        rows.push(Row {
            id,
            what: format!("{what}, {}", v.label),
            measured: format!("plugin {}", report::ms(plugin_median)),
            baseline: format!("native {}", report::ms(native_median)),
            ratio: Some(ratio),
            target: format!("≤ {TARGET_RATIO:.1}×"),
            verdict: Verdict::of(ratio <= TARGET_RATIO),
        });
    }
    rows.sort_by_key(|r| r.id);
    rows
}
