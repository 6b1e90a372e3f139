//! The per-call store data: a locked-down WASI context, resource limits and the plugin's identity.

use crate::clock::Clock;
use crate::config::OutboundHttp;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of a plugin's stdout/stderr one call may produce before the rest is dropped.
const OUTPUT_CAPTURE_BYTES: usize = 64 * 1024;

/// What every call of one plugin shares: its name, its operator settings, the host clock and
/// what it may reach over HTTP.
pub struct PluginIdentity {
    pub name: String,
    pub settings_json: String,
    pub clock: Arc<dyn Clock>,
    pub outbound_http: OutboundHttp,
}

pub struct CallState {
    pub plugin: Arc<PluginIdentity>,
    pub limits: StoreLimits,
    /// When this call runs out of time, if it has a deadline: host capabilities that block
    /// (outbound HTTP) stop waiting by then.
    pub deadline: Option<Instant>,
    wasi: WasiCtx,
    table: ResourceTable,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl CallState {
    /// A fresh state for one call. WASI gets no preopened directories, no environment, no
    /// arguments and no sockets: only stdio (captured) plus clocks and randomness, which Rust's
    /// standard library expects.
    pub fn new(plugin: Arc<PluginIdentity>, memory_limit: usize) -> CallState {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory_limit)
            .instances(32)
            .tables(32)
            .memories(8)
            .trap_on_grow_failure(true)
            .build();
        CallState {
            plugin,
            limits,
            deadline: None,
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Whether the plugin printed anything in this store so far.
    pub fn printed(&self) -> bool {
        !self.stdout.contents().is_empty() || !self.stderr.contents().is_empty()
    }

    /// Sends what the plugin printed to the host log, one event per line, tagged with the
    /// plugin's name. A plugin cannot forge other log events: its text is a field value.
    pub fn flush_output(&self) {
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                tracing::info!(plugin = %self.plugin.name, stream, output = line, "plugin output");
            }
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A store for one plugin call (or one warm policy instance): its memory cap, its epoch
/// deadline set to trap, and the wall-clock deadline blocking capabilities honour.
pub fn limited_store(
    engine: &wasmtime::Engine,
    plugin: Arc<PluginIdentity>,
    limits: super::factor::CallLimits,
) -> wasmtime::Store<CallState> {
    let mut state = CallState::new(plugin, limits.memory_bytes);
    state.deadline = Some(Instant::now() + limits.timeout);
    let mut store = wasmtime::Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store.set_epoch_deadline(super::engine::deadline_ticks(limits.timeout));
    store.epoch_deadline_trap();
    store
}
