//! How a plugin call can fail, told apart so operators see why.

use super::factor::CallLimits;
use wasmtime::Trap;

#[derive(Debug, thiserror::Error)]
pub enum PluginFailure {
    #[error("plugin `{plugin}` ran past its {timeout_ms} ms deadline in `{export}`")]
    Timeout {
        plugin: String,
        export: &'static str,
        timeout_ms: u128,
    },
    #[error("plugin `{plugin}` exceeded its memory limit of {limit_bytes} bytes in `{export}`")]
    OutOfMemory {
        plugin: String,
        export: &'static str,
        limit_bytes: usize,
    },
    #[error("plugin `{plugin}` trapped in `{export}`: {}", panic.as_deref().unwrap_or(detail))]
    Trapped {
        plugin: String,
        export: &'static str,
        /// What wasmtime says: for a panic, only `wasm unreachable instruction executed`.
        detail: String,
        /// The plugin's own panic message, from its stderr.
        panic: Option<String>,
    },
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Whether a call was stopped by its epoch deadline, as opposed to trapping on its own.
pub(crate) fn is_deadline(err: &wasmtime::Error) -> bool {
    matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt))
}

impl PluginFailure {
    pub(crate) fn classify(
        plugin: &str,
        export: &'static str,
        limits: CallLimits,
        err: wasmtime::Error,
        panic: Option<String>,
    ) -> PluginFailure {
        let plugin = plugin.to_string();
        if is_deadline(&err) {
            return PluginFailure::Timeout {
                plugin,
                export,
                timeout_ms: limits.timeout.as_millis(),
            };
        }
        let chain = format!("{err:#}");
        // With `trap_on_grow_failure` a refused `memory.grow` surfaces as this error; a guest
        // whose allocator gave up first aborts with an allocation-failure message instead.
        if chain.contains("forcing trap when growing memory")
            || chain.contains("forcing a memory growth failure to be a trap")
            || chain.contains("memory allocation of")
            || chain.contains("exceed") && chain.contains("memory")
        {
            return PluginFailure::OutOfMemory {
                plugin,
                export,
                limit_bytes: limits.memory_bytes,
            };
        }
        PluginFailure::Trapped {
            plugin,
            export,
            detail: err.root_cause().to_string(),
            panic,
        }
    }

    /// What a client may be told: a panic message can hold whatever the plugin was working
    /// on, so it stays in the server's log.
    pub fn client_reason(&self) -> String {
        match self {
            PluginFailure::Trapped {
                plugin,
                export,
                detail,
                panic: Some(_),
            } => format!(
                "plugin `{plugin}` trapped in `{export}`: {detail}; its panic message is in the server's log"
            ),
            other => other.to_string(),
        }
    }
}
