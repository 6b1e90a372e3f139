//! `latchkey plugin check`: tells a plugin author what the host sees in a component, or
//! exactly why it will not load.

use super::bindings::types::MethodInfo;
use super::runtime::PluginRuntime;
use super::versions::{self, FACTOR_INTERFACE};
use crate::config::Config;
use std::path::Path;
use wasmtime::component::Component;

const HOST_PACKAGE: &str = "latchkey:host/";
const OUTBOUND_HTTP: &str = "latchkey:host/outbound-http@";

pub struct CheckReport {
    pub wit_version: String,
    pub info: MethodInfo,
    /// Latchkey capabilities the component imports (`latchkey:host/outbound-http@0.1.0`…).
    pub capabilities: Vec<String>,
    /// WASI interfaces it imports; they are provided locked down.
    pub wasi: Vec<String>,
}

impl CheckReport {
    pub fn imports_outbound_http(&self) -> bool {
        self.capabilities
            .iter()
            .any(|name| name.starts_with(OUTBOUND_HTTP))
    }
}

/// What `config` lets the factor in `path` reach over HTTP, in one line: the
/// `plugins.factors` entries that load this file and the origins each grants.
pub fn outbound_grant(config: &Config, path: &Path) -> String {
    let wanted = path.canonicalize().ok();
    let grants: Vec<String> = config
        .plugins
        .factors
        .iter()
        .enumerate()
        .filter(|(_, entry)| wanted.is_some() && entry.path.canonicalize().ok() == wanted)
        .map(|(index, entry)| {
            let grant = &entry.outbound_http;
            if grant.allow.is_empty() {
                return format!("plugins.factors[{index}] grants no origin");
            }
            let origins: Vec<String> = grant.allow.iter().map(ToString::to_string).collect();
            format!(
                "plugins.factors[{index}] grants {} ({})",
                origins.join(", "),
                if grant.allow_private {
                    "private addresses allowed"
                } else {
                    "private addresses refused"
                }
            )
        })
        .collect();
    if grants.is_empty() {
        "no plugins.factors entry loads this file, so every request would be refused".into()
    } else {
        grants.join("; ")
    }
}

pub fn check(runtime: &PluginRuntime, path: &Path) -> anyhow::Result<CheckReport> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    check_binary_kind(&bytes)?;
    let engine = runtime.engine();
    let component = Component::from_binary(engine, &bytes)
        .map_err(|e| anyhow::anyhow!("not a valid component: {e:#}"))?;
    let ty = component.component_type();

    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let factor_export = exports
        .iter()
        .find(|name| name.starts_with(&format!("{FACTOR_INTERFACE}@")))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the component does not export `{FACTOR_INTERFACE}` (it exports: {}); build it for the world `latchkey:factor/plugin`",
                list_or_none(&exports)
            )
        })?;
    let wit_version = factor_export
        .rsplit_once('@')
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    if versions::line_of(&wit_version).is_none() {
        anyhow::bail!(
            "the component was built against {FACTOR_INTERFACE}@{wit_version}; this host supports {}",
            versions::supported_list()
        );
    }

    let mut capabilities = Vec::new();
    let mut wasi = Vec::new();
    for (name, _) in ty.imports(engine) {
        if name.starts_with(HOST_PACKAGE) {
            capabilities.push(name.to_string());
        } else if name.starts_with("wasi:") {
            wasi.push(name.to_string());
        } else if name != format!("latchkey:factor/types@{wit_version}") {
            anyhow::bail!("the component imports `{name}`, which this host does not provide");
        }
    }

    let factor = runtime
        .prepare(&component, path, "{}".into())
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    Ok(CheckReport {
        wit_version,
        info: factor.info,
        capabilities,
        wasi,
    })
}

/// Tells a core module (the most common mistake: `wasm32-unknown-unknown` or `wasm32-wasip1`
/// output) from a component before wasmtime gives a less specific error.
fn check_binary_kind(bytes: &[u8]) -> anyhow::Result<()> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        anyhow::bail!("not a WebAssembly file (no `\\0asm` header)");
    }
    if bytes[4..8] == [1, 0, 0, 0] {
        anyhow::bail!(
            "this is a core WebAssembly module, not a component: build with `cargo build --target wasm32-wasip2`, or wrap it with `wasm-tools component new`"
        );
    }
    Ok(())
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}
