//! Loading what the configuration lists: the plugin runtime, the factors (`plugins.factors`)
//! and the policies (`plugins.policies`), each with the settings it reads through
//! `settings.get`. Start-up, a reload and `latchkey plugin check` all load through here.

use super::cache::{CacheOutcome, CompileCache};
use super::factor::{CallLimits, Factor};
use super::factor_set::Factors;
use super::policy::PolicyLoadError;
use super::policy_set::Policies;
use super::runtime::PluginRuntime;
use crate::clock::Clock;
use crate::config::{Config, PluginEntry};
use anyhow::Context;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::Component;

/// The runtime with the configuration's compile cache, memory cap and call deadline.
pub fn plugin_runtime(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<PluginRuntime> {
    PluginRuntime::new(
        CompileCache::new(&config.plugins.cache_dir),
        CallLimits {
            memory_bytes: config.plugins.memory_limit.bytes() as usize,
            timeout: config.plugins.call_timeout,
            hash_costs: config.hashers.cost_limits(),
        },
        clock,
    )
}

/// The settings a plugin reads through `settings.get`: its entry's `config`, over
/// `selfservice.methods.<id>.config`, with Kratos' `hashers` section alongside.
fn plugin_settings(config: &Config, entry_config: &Value, method_config: Option<&Value>) -> String {
    let mut settings = method_config.cloned().unwrap_or_else(|| json!({}));
    if !settings.is_object() {
        settings = json!({});
    }
    if let Some(entry) = entry_config.as_object() {
        for (k, v) in entry {
            settings[k] = v.clone();
        }
    }
    let a = &config.hashers.argon2;
    let limits = config.hashers.cost_limits();
    settings["hashers"] = json!({
        "algorithm": config.hashers.algorithm,
        "argon2": {
            "memory": format!("{}KiB", a.memory.kib()),
            "iterations": a.iterations,
            "parallelism": a.parallelism,
            "salt_length": a.salt_length,
            "key_length": a.key_length,
        },
        "bcrypt": { "cost": config.hashers.bcrypt.cost },
        "limits": {
            "argon2": {
                "memory": format!("{}KiB", limits.argon2_memory_kib),
                "iterations": limits.argon2_iterations,
            },
            "bcrypt": { "cost": limits.bcrypt_cost },
        },
    });
    settings.to_string()
}

pub fn load_factors(config: &Config, runtime: &PluginRuntime) -> anyhow::Result<Factors> {
    let mut all: Vec<Arc<Factor>> = Vec::new();
    for (index, entry) in config.plugins.factors.iter().enumerate() {
        let started = Instant::now();
        let (component, outcome) = runtime.compile(&entry.path)?;
        let prepared = prepare_factor(config, runtime, &component, entry)
            .with_context(|| config.plugins.factor_key(index))?;
        let factor = prepared.factor;
        let id = factor.id().to_string();
        if prepared.disabled {
            tracing::info!(
                plugin = factor.name(),
                "method disabled by selfservice.methods.{id}.enabled"
            );
            continue;
        }
        if all.iter().any(|f| f.id() == id) {
            anyhow::bail!(
                "two plugins claim the method id `{id}` ({})",
                entry.path.display()
            );
        }
        tracing::info!(
            plugin = factor.name(),
            version = %factor.info.version,
            wit = %format!("latchkey:factor@{}", factor.wit_version),
            path = %entry.path.display(),
            compiled = outcome == CacheOutcome::Compiled,
            ms = started.elapsed().as_millis() as u64,
            "loaded factor plugin"
        );
        all.push(Arc::new(factor));
    }
    Ok(Factors { all })
}

/// A factor as `serve` prepares it from one `plugins.factors` entry.
pub(crate) struct PreparedFactor {
    pub factor: Factor,
    /// Turned off by `selfservice.methods.<id>.enabled`: `serve` leaves it out.
    pub disabled: bool,
}

/// Prepares the factor of `entry` as `serve` does: described with the entry's settings, then,
/// once its id is known, again when `selfservice.methods.<id>.config` or the grant for that id
/// changes them. `plugin check` goes through here too, so it refuses what `serve` refuses.
pub(crate) fn prepare_factor(
    config: &Config,
    runtime: &PluginRuntime,
    component: &Component,
    entry: &PluginEntry,
) -> anyhow::Result<PreparedFactor> {
    let factor = runtime.prepare_granted(
        component,
        &entry.path,
        plugin_settings(config, &entry.config, None),
        entry.outbound_http.clone(),
        entry.courier,
    )?;
    let id = factor.id().to_string();
    let method = config.selfservice.methods.get(&id);
    if method.is_some_and(|m| !m.enabled) {
        return Ok(PreparedFactor {
            factor,
            disabled: true,
        });
    }
    let method_config = method
        .map(|m| &m.config)
        .filter(|c| c.as_object().is_some_and(|o| !o.is_empty()));
    let grant = config.factor_grant(entry, &id);
    let factor = if method_config.is_some() || grant != entry.outbound_http {
        runtime.prepare_granted(
            component,
            &entry.path,
            plugin_settings(config, &entry.config, method_config),
            grant,
            entry.courier,
        )?
    } else {
        factor
    };
    Ok(PreparedFactor {
        factor,
        disabled: false,
    })
}

/// The entries of `entries` that load the file at `path`, with their indexes.
pub(crate) fn entries_loading<'a>(
    entries: &'a [PluginEntry],
    path: &Path,
) -> Vec<(usize, &'a PluginEntry)> {
    let Ok(wanted) = path.canonicalize() else {
        return Vec::new();
    };
    entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.path.canonicalize().ok().as_ref() == Some(&wanted))
        .collect()
}

/// The settings a policy reads: its entry's `config`, with a named `script` file's text under
/// `script` and the file's path under `script_path`, since components cannot read files.
fn policy_settings(config: &Config, entry: &PluginEntry) -> anyhow::Result<String> {
    let mut settings = entry.config.clone();
    if !settings.is_object() {
        settings = json!({});
    }
    // The Kratos switches the built-in rules use, so a policy can reproduce or refine them.
    let flows = &config.selfservice.flows;
    settings["kratos"] = json!({
        "session": { "whoami": { "required_aal": config.session.whoami.required_aal.as_str() } },
        "selfservice": { "flows": { "settings": {
            "required_aal": flows.settings.required_aal.as_str(),
            "privileged_session_max_age_seconds": flows.settings.privileged_session_max_age.as_secs(),
        } } },
    });
    if let Some(path) = settings
        .get("script")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the policy script {path}"))?;
        settings["script"] = Value::String(text);
        settings["script_path"] = Value::String(path);
    }
    Ok(settings.to_string())
}

/// The settings the policy in `path` would be loaded with: those of the first
/// `plugins.policies` entry that loads the file (and its index), or an entry's defaults.
pub(crate) fn policy_settings_for(
    config: &Config,
    path: &Path,
) -> anyhow::Result<(String, Option<usize>)> {
    match entries_loading(&config.plugins.policies, path).first() {
        Some(&(index, entry)) => Ok((policy_settings(config, entry)?, Some(index))),
        None => {
            let entry = PluginEntry {
                path: path.to_path_buf(),
                config: json!({}),
                outbound_http: Default::default(),
                courier: false,
            };
            Ok((policy_settings(config, &entry)?, None))
        }
    }
}

pub fn load_policies(config: &Config, runtime: &PluginRuntime) -> anyhow::Result<Policies> {
    let mut loaded = Policies::default();
    for entry in &config.plugins.policies {
        let settings = policy_settings(config, entry)?;
        let (component, _) = runtime.compile(&entry.path)?;
        let policy = runtime
            .prepare_policy(&component, &entry.path, settings)?
            .map_err(|err| match err {
                PolicyLoadError::Rejected(_) => {
                    let place = entry
                        .config
                        .get("script")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| entry.path.display().to_string());
                    anyhow::anyhow!("policy {}: {place}:{err}", entry.path.display())
                }
                PolicyLoadError::Failed(failure) => anyhow::Error::from(failure),
            })?;
        tracing::info!(
            plugin = policy.plugin_name(),
            version = %policy.info.version,
            path = %entry.path.display(),
            hooks = ?policy.info.hooks,
            "loaded policy"
        );
        if let Some(names) = entry.config.get("headers").and_then(Value::as_array) {
            loaded.header_names.extend(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase),
            );
        }
        loaded.all.push(Arc::new(policy));
    }
    loaded.header_names.sort();
    loaded.header_names.dedup();
    Ok(loaded)
}
