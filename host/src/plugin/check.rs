//! `latchkey plugin check`: tells a plugin author what the host sees in a component, or what
//! keeps the server from loading it and what to do about that. The checks run in the order
//! the server meets the problems: the file, the world, the version, the exports, the imports,
//! linking, `describe`, and last the configuration's grants.

use super::capabilities::{self, Importer, wasi};
use super::factor::Factor;
use super::load;
use super::model::{FactorInfo, PolicyInfo};
use super::runtime::PluginRuntime;
use super::versions::{self, FACTOR_INTERFACE};
use super::world::{POLICY_INTERFACE, World, list_or_nothing, world_of};
use crate::config::{Config, PluginEntry};
use anyhow::bail;
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// The functions of `latchkey:factor/factor`, the same in every supported version.
const FACTOR_FUNCTIONS: [&str; 6] = [
    "describe",
    "render",
    "submit",
    "callback",
    "credential-aal",
    "import-credential",
];
const POLICY_FUNCTIONS: [&str; 2] = ["describe", "evaluate"];
/// The only supported line of `latchkey:policy`.
const POLICY_LINE: &str = "0.1";

/// What a component imports, sorted into what the host provides.
pub(crate) struct Imports {
    /// Latchkey capabilities (`latchkey:host/outbound-http@0.1.0`…).
    pub capabilities: Vec<String>,
    /// WASI interfaces; they are provided locked down.
    pub wasi: Vec<String>,
}

pub(crate) struct FactorReport {
    pub wit_version: String,
    pub info: FactorInfo,
    pub imports: Imports,
    /// For the capabilities it imports that the configuration grants (outbound HTTP): a line
    /// each on what it grants.
    pub grants: Vec<String>,
}

pub(crate) struct PolicyReport {
    pub wit_version: String,
    pub info: PolicyInfo,
    pub imports: Imports,
}

/// Checks `path` as a factor plugin, against the grants of `config`.
pub(crate) fn check_factor(
    runtime: &PluginRuntime,
    config: &Config,
    path: &Path,
) -> anyhow::Result<FactorReport> {
    let engine = runtime.engine();
    let component = read_component(runtime, path)?;
    let world = world_of(&component, engine);
    let World::Factor { version } = &world else {
        bail!("{}", world.not_a_factor(path));
    };
    if versions::line_of(version).is_none() {
        bail!(
            "the component was built against latchkey:factor@{version}; this host supports {}: build it against a supported version (the plugin SDK of this Latchkey release), or run a Latchkey release that supports {version}",
            versions::supported_list()
        );
    }
    let export = format!("{FACTOR_INTERFACE}@{version}");
    require_functions(&component, engine, &export, &FACTOR_FUNCTIONS)?;
    let own_types = format!("latchkey:factor/types@{version}");
    let imports = sort_imports(&component, engine, Importer::Factor, &own_types)?;

    let factor = prepare_as_serve_would(runtime, config, &component, path)?;
    let grants = capabilities::check_grants(config, path, &factor.info.id, &imports.capabilities)?;
    Ok(FactorReport {
        wit_version: version.clone(),
        info: factor.info,
        imports,
        grants,
    })
}

/// The factor of `path` prepared with the settings `serve` would give it: those of each
/// `plugins.factors` entry that loads the file, or an entry's without `config` when none does.
fn prepare_as_serve_would(
    runtime: &PluginRuntime,
    config: &Config,
    component: &Component,
    path: &Path,
) -> anyhow::Result<Factor> {
    let entries = load::entries_loading(&config.plugins.factors, path);
    if entries.is_empty() {
        let entry = PluginEntry {
            path: path.to_path_buf(),
            config: serde_json::json!({}),
            outbound_http: Default::default(),
            courier: false,
        };
        return load::prepare_factor(config, runtime, component, &entry)
            .map(|prepared| prepared.factor)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{e:#}; no plugins.factors entry loads this file, so it was described without settings: give the configuration that lists it (and its `config`) with `-c`"
                )
            });
    }
    let mut first = None;
    for (index, entry) in entries {
        let prepared = load::prepare_factor(config, runtime, component, entry).map_err(|e| {
            anyhow::anyhow!(
                "{}, which loads it: {e:#}",
                config.plugins.factor_key(index)
            )
        })?;
        first.get_or_insert(prepared.factor);
    }
    Ok(first.expect("at least one entry"))
}

/// Checks `path` as a policy component, with the settings of the `plugins.policies` entry
/// that loads it, if there is one.
pub(crate) fn check_policy(
    runtime: &PluginRuntime,
    config: &Config,
    path: &Path,
) -> anyhow::Result<PolicyReport> {
    let engine = runtime.engine();
    let component = read_component(runtime, path)?;
    let world = world_of(&component, engine);
    let World::Policy { version } = &world else {
        bail!("{}", world.not_a_policy(path));
    };
    if !version.starts_with(&format!("{POLICY_LINE}.")) {
        bail!(
            "the component was built against latchkey:policy@{version}; this host supports {POLICY_LINE}.x: build it against the policy WIT of this Latchkey release"
        );
    }
    let export = format!("{POLICY_INTERFACE}@{version}");
    require_functions(&component, engine, &export, &POLICY_FUNCTIONS)?;
    let own_types = format!("latchkey:policy/types@{version}");
    let imports = sort_imports(&component, engine, Importer::Policy, &own_types)?;
    let (settings, entry) = load::policy_settings_for(config, path)?;
    let info = runtime
        .prepare_policy(&component, path, settings)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?
        .map_err(|e| match entry {
            Some(index) => anyhow::anyhow!(
                "the policy refused its settings from plugins.policies[{index}]: {e}"
            ),
            None => anyhow::anyhow!(
                "the policy refused to load without settings: {e}; no plugins.policies entry loads this file, so give the configuration that lists it (and its `config`) with `-c`"
            ),
        })?
        .info;
    Ok(PolicyReport {
        wit_version: version.clone(),
        info,
        imports,
    })
}

fn read_component(runtime: &PluginRuntime, path: &Path) -> anyhow::Result<Component> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    check_binary_kind(&bytes)?;
    Component::from_binary(runtime.engine(), &bytes).map_err(|e| {
        anyhow::anyhow!(
            "not a valid component: {e:#}; rebuild it with `cargo build --target wasm32-wasip2` (or `wasm-tools component new`), or check that the file was copied whole"
        )
    })
}

/// Tells a core module (the most common mistake: `wasm32-unknown-unknown` or `wasm32-wasip1`
/// output) and other files from a component before wasmtime gives a less specific error.
fn check_binary_kind(bytes: &[u8]) -> anyhow::Result<()> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        bail!(
            "not a WebAssembly file (no `\\0asm` header): give `plugin check` the `.wasm` component that `cargo build --target wasm32-wasip2` writes to `target/wasm32-wasip2/release/`"
        );
    }
    if bytes[4..8] == [1, 0, 0, 0] {
        bail!(
            "this is a core WebAssembly module, not a component: build with `cargo build --target wasm32-wasip2`, or wrap it with `wasm-tools component new`"
        );
    }
    Ok(())
}

/// Every function of the interface must be exported: the host links them all up front.
fn require_functions(
    component: &Component,
    engine: &Engine,
    export: &str,
    expected: &[&str],
) -> anyhow::Result<()> {
    let ty = component.component_type();
    let exported: Vec<String> = match ty.get_export(engine, export).map(|e| e.ty) {
        Some(ComponentItem::ComponentInstance(instance)) => instance
            .exports(engine)
            .filter(|(_, e)| matches!(e.ty, ComponentItem::ComponentFunc(_)))
            .map(|(name, _)| name.to_string())
            .collect(),
        _ => Vec::new(),
    };
    let missing: Vec<String> = expected
        .iter()
        .filter(|f| !exported.iter().any(|e| e == *f))
        .map(|f| f.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(
            "the component's `{export}` export lacks {} (it has {}): the host needs every function of the interface; implement them all (with the plugin SDK: every method of `Guest`, exported with `factor!`) and build against the released WIT, unmodified",
            list_or_nothing(&missing),
            list_or_nothing(&exported)
        );
    }
    Ok(())
}

/// Sorts the imports into Latchkey capabilities and WASI, and refuses any other. `own_types`
/// is the types interface of the component's own package, which comes with its export.
fn sort_imports(
    component: &Component,
    engine: &Engine,
    importer: Importer,
    own_types: &str,
) -> anyhow::Result<Imports> {
    let kind = match importer {
        Importer::Factor => "a factor",
        Importer::Policy => "a policy",
    };
    let provided = capabilities::importable_by(importer);
    let mut imports = Imports {
        capabilities: Vec::new(),
        wasi: Vec::new(),
    };
    for (name, _) in component.component_type().imports(engine) {
        if name == own_types {
            continue;
        }
        if provided.iter().any(|p| same_line(p, name)) {
            imports.capabilities.push(name.to_string());
        } else if wasi::is_wasi_0_2(name) {
            imports.wasi.push(name.to_string());
        } else {
            let wasi: Vec<String> = wasi::PACKAGES.iter().map(|p| format!("wasi:{p}")).collect();
            bail!(
                "the component imports `{name}`, which this host does not provide to {kind}. {} may import {}, and WASI 0.2 interfaces ({}; locked down: no files, no network, no environment). Remove what uses `{name}` (a dependency, or extra imports in the WIT world) and build for the released world",
                capitalised(kind),
                list_or_nothing(&provided),
                list_or_nothing(&wasi)
            );
        }
    }
    Ok(imports)
}

/// Whether `imported` names the interface `provided` in a compatible version: the same
/// interface and `major.minor` (for 0.x releases, a minor release is a breaking one).
fn same_line(provided: &str, imported: &str) -> bool {
    let split = |name: &str| -> Option<(String, String)> {
        let (interface, version) = name.split_once('@')?;
        let mut parts = version.split('.');
        let line = format!("{}.{}", parts.next()?, parts.next()?);
        Some((interface.to_string(), line))
    };
    matches!((split(provided), split(imported)), (Some(a), Some(b)) if a == b)
}

fn capitalised(kind: &str) -> String {
    let mut chars = kind.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_lines() {
        assert!(same_line(
            "latchkey:host/log@0.1.0",
            "latchkey:host/log@0.1.3"
        ));
        assert!(!same_line(
            "latchkey:host/log@0.1.0",
            "latchkey:host/log@0.2.0"
        ));
        assert!(!same_line(
            "latchkey:host/log@0.1.0",
            "latchkey:host/logs@0.1.0"
        ));
        assert!(!same_line("latchkey:host/log@0.1.0", "latchkey:host/log"));
    }
}
