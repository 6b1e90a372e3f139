//! The one wasmtime `Engine` of the process and the epoch ticker behind per-call deadlines.

use std::time::Duration;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. A call's deadline is counted in these ticks, so a looping
/// plugin is stopped at most one tick after its deadline.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Upper bound on instances alive at once; plugin calls wait for a permit before they take
/// a slot, so the pool is never exhausted under load.
pub(crate) const MAX_CONCURRENT_CALLS: usize = 32;

/// Policy instances kept warm between decisions (see `policy`), on top of the call slots so
/// that they never starve a call.
pub(crate) const WARM_POLICY_INSTANCES: usize = 16;

/// Per slot; a typical call touches less than this. Only slots that were used hold it, so the
/// idle cost is a few slots' worth.
const KEEP_RESIDENT: usize = 1 << 20;
const DECOMMIT_BATCH: usize = 8;

pub(crate) fn build_engine(memory_limit: usize) -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    // One plugin instance is one component instance made of a few core instances with one
    // linear memory; the slack covers the WASI shim modules of Rust's wasip2 output.
    let slots = (MAX_CONCURRENT_CALLS + WARM_POLICY_INSTANCES) as u32;
    pool.total_component_instances(slots)
        .total_core_instances(slots * 8)
        .total_memories(slots * 2)
        .total_tables(slots * 8)
        .max_memory_size(memory_limit)
        // Resetting a slot by memset instead of madvise for its first pages: a fresh store per
        // call would otherwise unmap and fault in the same pages every time, and each unmap
        // is a TLB shootdown across every core.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        // On Linux 6.7+ only the pages a call touched are reset, not all of KEEP_RESIDENT.
        .pagemap_scan(Enabled::Auto)
        // What does go back to the kernel goes in batches, one shootdown per batch.
        .decommit_batch_size(DECOMMIT_BATCH);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config)?;
    start_epoch_ticker(Engine::weak(&engine));
    Ok(engine)
}

/// Converts a wall-clock deadline into epoch ticks, rounding up so that a deadline is never
/// shorter than configured.
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos();
    (timeout.as_nanos().div_ceil(tick) as u64).max(1)
}

fn start_epoch_ticker(engine: wasmtime::EngineWeak) {
    std::thread::Builder::new()
        .name("latchkey-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
