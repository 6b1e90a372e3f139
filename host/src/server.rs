//! Start-up: storage, plugins and both listeners.

use crate::app::{App, Factors, HotReads};
use crate::browser::cookies::CookieSigner;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::identity::schema::{IdentitySchema, Schemas};
use crate::plugin::{CacheOutcome, CallLimits, CompileCache, PluginRuntime};
use crate::store::Store;
use anyhow::Context;
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

pub fn plugin_runtime(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<PluginRuntime> {
    PluginRuntime::new(
        CompileCache::new(&config.plugins.cache_dir),
        CallLimits {
            memory_bytes: config.plugins.memory_limit.bytes() as usize,
            timeout: config.plugins.call_timeout,
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
    });
    settings.to_string()
}

pub fn load_factors(config: &Config, runtime: &PluginRuntime) -> anyhow::Result<Factors> {
    let mut all: Vec<Arc<crate::plugin::Factor>> = Vec::new();
    for entry in &config.plugins.factors {
        let started = Instant::now();
        let (component, outcome) = runtime.compile(&entry.path)?;
        let factor = runtime.prepare_granted(
            &component,
            &entry.path,
            plugin_settings(config, &entry.config, None),
            entry.outbound_http.clone(),
        )?;
        let id = factor.id().to_string();
        let method = config.selfservice.methods.get(&id);
        if method.is_some_and(|m| !m.enabled) {
            tracing::info!(method = %id, "method disabled by selfservice.methods.{id}.enabled");
            continue;
        }
        let factor = match method
            .map(|m| &m.config)
            .filter(|c| c.as_object().is_some_and(|o| !o.is_empty()))
        {
            Some(method_config) => runtime.prepare_granted(
                &component,
                &entry.path,
                plugin_settings(config, &entry.config, Some(method_config)),
                entry.outbound_http.clone(),
            )?,
            None => factor,
        };
        if all.iter().any(|f| f.id() == id) {
            anyhow::bail!(
                "two plugins claim the method id `{id}` ({})",
                entry.path.display()
            );
        }
        tracing::info!(
            method = %id,
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

/// The settings a policy reads: its entry's `config`, with a named `script` file's text under
/// `script` and the file's path under `script_path`, since components cannot read files.
fn policy_settings(config: &Config, entry: &crate::config::PluginEntry) -> anyhow::Result<String> {
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
pub fn policy_settings_for(
    config: &Config,
    path: &std::path::Path,
) -> anyhow::Result<(String, Option<usize>)> {
    let wanted = path.canonicalize().ok();
    let found = config
        .plugins
        .policies
        .iter()
        .enumerate()
        .find(|(_, entry)| wanted.is_some() && entry.path.canonicalize().ok() == wanted);
    match found {
        Some((index, entry)) => Ok((policy_settings(config, entry)?, Some(index))),
        None => {
            let entry = crate::config::PluginEntry {
                path: path.to_path_buf(),
                config: json!({}),
                outbound_http: Default::default(),
            };
            Ok((policy_settings(config, &entry)?, None))
        }
    }
}

pub fn load_policies(
    config: &Config,
    runtime: &PluginRuntime,
) -> anyhow::Result<crate::policy::Policies> {
    let mut loaded = crate::policy::Policies::default();
    for entry in &config.plugins.policies {
        let settings = policy_settings(config, entry)?;
        let (component, _) = runtime.compile(&entry.path)?;
        let policy = runtime
            .prepare_policy(&component, &entry.path, settings)?
            .map_err(|err| {
                let place = entry
                    .config
                    .get("script")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| entry.path.display().to_string());
                anyhow::anyhow!("policy {}: {place}:{err}", entry.path.display())
            })?;
        tracing::info!(
            policy = %policy.info.name,
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

pub fn load_schemas(config: &Config) -> anyhow::Result<Schemas> {
    let mut by_id = BTreeMap::new();
    for s in &config.identity.schemas {
        by_id.insert(
            s.id.clone(),
            IdentitySchema::compile(&s.id, s.schema.clone())?,
        );
    }
    Ok(Schemas {
        default_id: config.identity.default_schema_id.clone(),
        by_id,
    })
}

/// Opens and migrates the database, then loads the plugins, policies and identity schemas.
pub async fn build_app(config: Config) -> anyhow::Result<App> {
    let store = crate::store::open(&config.dsn).context("opening the database")?;
    let applied = store
        .migrate()
        .await
        .context("applying database migrations")?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    // Compiling plugins blocks for a while.
    tokio::task::block_in_place(|| assemble(config, store))
}

fn assemble(config: Config, store: Arc<dyn Store>) -> anyhow::Result<App> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = Arc::new(plugin_runtime(&config, clock.clone())?);
    let factors = load_factors(&config, &runtime)?;
    let policies = load_policies(&config, &runtime)?;
    let schemas = load_schemas(&config)?;
    let public_base = config.public_base_url();
    let secrets: Vec<&str> = config.cookie_secrets().iter().map(|s| s.expose()).collect();
    if secrets.is_empty() {
        tracing::warn!(
            "no secrets.cookie or secrets.default configured: using a random secret, so browser sessions end at restart"
        );
    }
    let cookies = CookieSigner::new(&secrets);
    let hot = Arc::new(HotReads::default());
    store.subscribe(hot.clone());
    Ok(App {
        cookies,
        config,
        store,
        factors: crate::app::FactorSlot::new(factors),
        schemas,
        clock,
        public_base,
        hot,
        policies: crate::policy::reload::PolicySlot::new(policies),
        runtime,
    })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let public_addr = format!("{}:{}", config.serve.public.host, config.serve.public.port);
    let admin_addr = format!("{}:{}", config.serve.admin.host, config.serve.admin.port);
    let app = Arc::new(build_app(config).await?);
    let pages = crate::pages::load(&app.config)?;
    return_freed_memory();
    crate::policy::reload::on_sighup(app.clone());

    let public = tokio::net::TcpListener::bind(&public_addr)
        .await
        .with_context(|| format!("binding the public listener to {public_addr}"))?;
    let admin = tokio::net::TcpListener::bind(&admin_addr)
        .await
        .with_context(|| format!("binding the admin listener to {admin_addr}"))?;
    tracing::info!(
        public = %public.local_addr()?,
        admin = %admin.local_addr()?,
        ready_ms = started.elapsed().as_millis() as u64,
        "latchkey is ready"
    );
    // Without TCP_NODELAY a response written in two segments waits for the client's delayed
    // ACK: a 40 ms stall on every such request.
    let public = public.tap_io(no_delay);
    let admin = admin.tap_io(no_delay);
    let public_app =
        crate::pages::attach(crate::http::public_router(app.clone()), app.clone(), pages);
    let admin_app = crate::http::admin_router(app);
    let public_srv = axum::serve(
        public,
        public_app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal());
    let admin_srv = axum::serve(admin, admin_app).with_graceful_shutdown(shutdown_signal());
    tokio::try_join!(public_srv.into_future(), admin_srv.into_future())?;
    Ok(())
}

/// Compiling plugins on a cold cache leaves tens of MiB of freed heap that glibc keeps for
/// reuse; handing it back makes a first start as small at idle as every later one.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(%err, "could not set TCP_NODELAY");
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
