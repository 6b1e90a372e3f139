//! The per-call store data: the plugin's name, resource limits, locked-down WASI and each
//! capability's state for the call.

use super::capabilities::courier::CourierScope;
use super::capabilities::wasi::Wasi;
use super::capabilities::{Call, Grants, States};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{StoreLimits, StoreLimitsBuilder};

/// What every call of one plugin shares: the name it is known by and what each capability
/// grants it.
#[derive(Clone)]
pub(crate) struct PluginIdentity {
    /// The name every log line and error gives the plugin: `password (password.wasm)`.
    pub name: Arc<str>,
    /// Its file's name, which the operator's configuration lists.
    file: Arc<str>,
    pub grants: Arc<Grants>,
}

impl PluginIdentity {
    /// Until it has described itself, a plugin is known by its file alone.
    pub fn new(path: &Path, grants: Grants) -> PluginIdentity {
        let file: Arc<str> = path
            .file_name()
            .map(|s| s.to_string_lossy())
            .unwrap_or_else(|| path.to_string_lossy())
            .into();
        PluginIdentity {
            name: file.clone(),
            file,
            grants: Arc::new(grants),
        }
    }

    /// Once described, by the id it gave (a factor's method, a policy's name) and its file:
    /// the id is what requests and configuration keys name, and the file tells apart the
    /// plugins one file is loaded as.
    pub fn described_as(&mut self, id: &str) {
        self.name = format!("{id} ({})", self.file).into();
    }
}

pub(crate) struct CallState {
    pub plugin: Arc<str>,
    pub limits: StoreLimits,
    pub capabilities: States,
    pub wasi: Wasi,
}

impl CallState {
    /// A fresh state for one call that must end by `deadline`.
    fn new(
        plugin: &PluginIdentity,
        memory_limit: usize,
        deadline: Option<Instant>,
        courier: Option<&CourierScope>,
    ) -> CallState {
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory_limit)
            .instances(32)
            .tables(32)
            .memories(8)
            .trap_on_grow_failure(true)
            .build();
        let call = Call {
            plugin: &plugin.name,
            deadline,
            courier,
        };
        CallState {
            plugin: plugin.name.clone(),
            limits,
            capabilities: plugin.grants.prepare(&call),
            wasi: Wasi::new(),
        }
    }

    /// Whether the plugin printed anything in this store so far.
    pub fn printed(&self) -> bool {
        self.wasi.printed()
    }

    /// Sends what the plugin printed to the host log, tagged with the plugin's name.
    pub fn flush_output(&self) {
        self.wasi.flush_output(&self.plugin);
    }

    /// The message of a Rust panic the plugin printed to stderr, for the error of its trap.
    pub fn panic_message(&self) -> Option<String> {
        super::panic_message::from_stderr(&self.wasi.stderr_text())
    }
}

/// A store for one plugin call (or one warm policy instance): its memory cap, its epoch
/// deadline set to trap, and the wall-clock deadline blocking capabilities honour. `courier`
/// is whom the call may send messages to.
pub(crate) fn limited_store(
    engine: &wasmtime::Engine,
    plugin: &PluginIdentity,
    limits: super::factor::CallLimits,
    courier: Option<&CourierScope>,
) -> wasmtime::Store<CallState> {
    let deadline = Some(Instant::now() + limits.timeout);
    let state = CallState::new(plugin, limits.memory_bytes, deadline, courier);
    let mut store = wasmtime::Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store.set_epoch_deadline(super::engine::deadline_ticks(limits.timeout));
    store.epoch_deadline_trap();
    store
}
