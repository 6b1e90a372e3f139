//! Loads factor components: one engine and one linker for all of them, a compile cache on disk.

use super::bindings;
use super::cache::{CacheOutcome, CompileCache};
use super::call_state::{CallState, PluginIdentity};
use super::capabilities::{self, Grants, Importer, Setup};
use super::engine::{MAX_CONCURRENT_CALLS, build_engine};
use super::factor::{CallLimits, Factor};
use super::policy::{Policy, PolicyLoadError};
use super::policy_bindings::{self, PolicyComponentPre};
use super::versions::{self, FactorPre};
use super::world::{World, world_of};
use crate::clock::Clock;
use crate::config::OutboundHttp;
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    policy_linker: Linker<CallState>,
    cache: CompileCache,
    limits: CallLimits,
    permits: Arc<Semaphore>,
    clock: Arc<dyn Clock>,
}

impl PluginRuntime {
    pub(crate) fn new(
        cache: CompileCache,
        limits: CallLimits,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<PluginRuntime> {
        let engine = build_engine(limits.memory_bytes)?;
        let mut linker = Linker::new(&engine);
        capabilities::add_to_linker(&mut linker, Importer::Factor)?;
        bindings::add_to_linker(&mut linker)?;
        let mut policy_linker = Linker::new(&engine);
        capabilities::add_to_linker(&mut policy_linker, Importer::Policy)?;
        policy_bindings::add_to_linker(&mut policy_linker)?;
        Ok(PluginRuntime {
            engine,
            linker,
            policy_linker,
            cache,
            limits,
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_CALLS)),
            clock,
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a `.wasm` file, or takes its artifact from the cache.
    pub fn compile(&self, path: &Path) -> anyhow::Result<(Component, CacheOutcome)> {
        let wasm =
            std::fs::read(path).with_context(|| format!("reading plugin {}", path.display()))?;
        self.cache
            .load(&self.engine, &wasm)
            .with_context(|| format!("compiling plugin {}", path.display()))
    }

    /// Links a compiled component and asks it to describe itself. It may not reach anything
    /// over HTTP; see [`PluginRuntime::prepare_granted`].
    pub fn prepare(
        &self,
        component: &Component,
        path: &Path,
        settings_json: String,
    ) -> anyhow::Result<Factor> {
        self.prepare_granted(
            component,
            path,
            settings_json,
            OutboundHttp::default(),
            false,
        )
    }

    /// Like [`PluginRuntime::prepare`], with the plugin's outbound HTTP and courier grants.
    pub(crate) fn prepare_granted(
        &self,
        component: &Component,
        path: &Path,
        settings_json: String,
        outbound_http: OutboundHttp,
        courier: bool,
    ) -> anyhow::Result<Factor> {
        let world = world_of(component, &self.engine);
        let World::Factor { version } = &world else {
            anyhow::bail!("plugin {}: {}", path.display(), world.not_a_factor(path));
        };
        let Some(line) = versions::line_of(version) else {
            anyhow::bail!(
                "plugin {} was built against latchkey:factor@{version}; this host supports {}",
                path.display(),
                versions::supported_list()
            );
        };
        let pre = self.linker.instantiate_pre(component).map_err(|e| {
            anyhow::Error::from(e).context(format!("linking plugin {}", path.display()))
        })?;
        let pre = FactorPre::new(pre, line).map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "plugin {} does not export the whole latchkey:factor/factor@{version} interface",
                path.display()
            ))
        })?;
        let identity = PluginIdentity::new(
            path,
            Grants::new(&Setup {
                settings_json,
                clock: self.clock.clone(),
                outbound_http,
                hash_costs: self.limits.hash_costs,
                courier,
            }),
        );
        Ok(Factor::new(
            self.engine.clone(),
            pre,
            version.clone(),
            identity,
            self.limits,
            self.permits.clone(),
        )?)
    }

    /// Links a compiled policy component and asks it to describe itself; a script error it
    /// reports comes back as [`PolicyLoadError::Rejected`].
    pub(crate) fn prepare_policy(
        &self,
        component: &Component,
        path: &Path,
        settings_json: String,
    ) -> anyhow::Result<Result<Policy, PolicyLoadError>> {
        let world = world_of(component, &self.engine);
        if !matches!(world, World::Policy { .. }) {
            anyhow::bail!("policy {}: {}", path.display(), world.not_a_policy(path));
        }
        let pre = self.policy_linker.instantiate_pre(component).map_err(|e| {
            anyhow::Error::from(e).context(format!("linking policy {}", path.display()))
        })?;
        let pre = PolicyComponentPre::new(pre).map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "policy {} does not export the latchkey:policy/policy interface",
                path.display()
            ))
        })?;
        let identity = PluginIdentity::new(
            path,
            Grants::new(&Setup {
                settings_json,
                clock: self.clock.clone(),
                outbound_http: OutboundHttp::default(),
                hash_costs: self.limits.hash_costs,
                courier: false,
            }),
        );
        Ok(Policy::new(
            self.engine.clone(),
            pre,
            identity,
            self.limits,
            self.permits.clone(),
        ))
    }
}
