//! WASI 0.2, which Rust's standard library expects, locked down for every call: no preopened
//! directories, no environment, no arguments and no sockets; only stdio (captured) plus
//! clocks and randomness.

use crate::plugin::call_state::CallState;
use wasmtime::component::Linker;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of a plugin's stdout/stderr one call may produce before the rest is dropped.
const OUTPUT_CAPTURE_BYTES: usize = 64 * 1024;

/// The WASI 0.2 packages the host links (locked down by the per-call context).
pub(crate) const PACKAGES: [&str; 6] = ["cli", "io", "clocks", "random", "filesystem", "sockets"];

/// Whether `name` is an interface of one of [`PACKAGES`] in a 0.2 version.
pub(crate) fn is_wasi_0_2(name: &str) -> bool {
    let Some((interface, version)) = name.split_once('@') else {
        return false;
    };
    let package = interface
        .strip_prefix("wasi:")
        .and_then(|rest| rest.split_once('/'))
        .map(|(package, _)| package);
    package.is_some_and(|p| PACKAGES.contains(&p)) && version.starts_with("0.2.")
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)
}

/// One call's WASI context and what the plugin printed.
pub(crate) struct Wasi {
    ctx: WasiCtx,
    table: ResourceTable,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl Wasi {
    pub(crate) fn new() -> Wasi {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES);
        let ctx = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Wasi {
            ctx,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Whether the plugin printed anything so far.
    pub(crate) fn printed(&self) -> bool {
        !self.stdout.contents().is_empty() || !self.stderr.contents().is_empty()
    }

    /// What the plugin printed to stderr so far.
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }

    /// Sends what the plugin printed to the host log, one event per line, tagged with the
    /// plugin's name. A plugin cannot forge other log events: its text is a field value.
    pub(crate) fn flush_output(&self, plugin: &str) {
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                tracing::info!(plugin, stream, output = line, "plugin output");
            }
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi.ctx,
            table: &mut self.wasi.table,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_0_2_interfaces_of_the_linked_packages() {
        assert!(is_wasi_0_2("wasi:io/poll@0.2.6"));
        assert!(!is_wasi_0_2("wasi:io/poll@0.3.0"));
        assert!(!is_wasi_0_2("wasix:io/poll@0.2.0"));
        assert!(!is_wasi_0_2("wasi:http/types@0.2.0"));
    }
}
