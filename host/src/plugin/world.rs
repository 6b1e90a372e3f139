//! What a component is, read from its exports before it is linked: a factor (and built against
//! which version), a policy, or something else. Loading and `latchkey plugin check` both start
//! here, so a component in the wrong place is named for what it is.

use super::versions::FACTOR_INTERFACE;
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;

pub(crate) const POLICY_INTERFACE: &str = "latchkey:policy/policy";

pub(crate) enum World {
    /// Exports `latchkey:factor/factor@<version>`.
    Factor { version: String },
    /// Exports `latchkey:policy/policy@<version>`.
    Policy { version: String },
    /// Neither; the names it does export.
    Other { exports: Vec<String> },
}

pub(crate) fn world_of(component: &Component, engine: &Engine) -> World {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let version_of = |interface: &str| {
        let prefix = format!("{interface}@");
        exports
            .iter()
            .find_map(|name| name.strip_prefix(&prefix).map(str::to_string))
    };
    if let Some(version) = version_of(FACTOR_INTERFACE) {
        World::Factor { version }
    } else if let Some(version) = version_of(POLICY_INTERFACE) {
        World::Policy { version }
    } else {
        World::Other { exports }
    }
}

impl World {
    /// Why the component in `path`, expected to be a factor, is not one, and what to do.
    pub(crate) fn not_a_factor(&self, path: &Path) -> String {
        match self {
            World::Factor { version } => {
                format!("this is a factor built against latchkey:factor@{version}")
            }
            World::Policy { version } => format!(
                "this is a policy component (it exports `{POLICY_INTERFACE}@{version}`), not a factor plugin: list it under `plugins.policies`, and check it with `latchkey plugin check --policy {}`",
                path.display()
            ),
            World::Other { exports } => format!(
                "this is not a factor plugin: it does not export `{FACTOR_INTERFACE}` (it exports {}). Build it for the world `latchkey:factor/plugin`, e.g. on the plugin SDK (`latchkey-plugin-sdk`) with `cargo build --target wasm32-wasip2`",
                list_or_nothing(exports)
            ),
        }
    }

    /// Why the component in `path`, expected to be a policy, is not one, and what to do.
    pub(crate) fn not_a_policy(&self, path: &Path) -> String {
        match self {
            World::Policy { version } => {
                format!("this is a policy built against latchkey:policy@{version}")
            }
            World::Factor { version } => format!(
                "this is a factor plugin (it exports `{FACTOR_INTERFACE}@{version}`), not a policy component: list it under `plugins.factors`, and check it with `latchkey plugin check {}` (without `--policy`)",
                path.display()
            ),
            World::Other { exports } => format!(
                "this is not a policy component: it does not export `{POLICY_INTERFACE}` (it exports {}). Build it for the world `latchkey:policy/policy-component`",
                list_or_nothing(exports)
            ),
        }
    }
}

pub(crate) fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
