//! From the merged tree to a [`Config`]: the defaults that depend on other keys, relative paths,
//! identity schemas, and the checks serde's types cannot express.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::courier::RawCourier;
use super::layers::BaseDirs;
use super::model::{
    Config, Database, Hashers, Identity, IdentitySchema, Log, PluginEntry, Plugins, Secrets, Serve,
    Session, empty_object, optional_url,
};
use super::outbound::OutboundHttp;
use super::selfservice::{Flows, MethodConfig, SelfService};
use super::ui::{RawUi, fill_ui_urls};
use super::units::{ByteSize, deserialize_duration};
use super::{ConfigError, defaults, schema_source};

/// The merged config as written, before anything is resolved.
#[derive(Deserialize)]
pub(super) struct RawConfig {
    dsn: String,
    serve: Serve,
    identity: RawIdentity,
    selfservice: RawSelfService,
    session: Session,
    secrets: Secrets,
    hashers: Hashers,
    log: Log,
    database: Database,
    plugins: RawPlugins,
    ui: RawUi,
    #[serde(default)]
    courier: RawCourier,
    feature_flags: super::model::FeatureFlags,
}

#[derive(Deserialize)]
struct RawIdentity {
    default_schema_id: String,
    schemas: Vec<SchemaRef>,
}

#[derive(Deserialize)]
struct SchemaRef {
    id: String,
    url: String,
}

#[derive(Deserialize)]
struct RawSelfService {
    /// Defaults to the public base URL, which is only known once `serve` is.
    #[serde(default, deserialize_with = "optional_url")]
    default_browser_return_url: Option<Url>,
    allowed_return_urls: Vec<String>,
    #[serde(default)]
    methods: BTreeMap<String, MethodConfig>,
    flows: Flows,
}

#[derive(Deserialize)]
struct RawPlugins {
    #[serde(default)]
    cache_dir: Option<PathBuf>,
    memory_limit: ByteSize,
    #[serde(deserialize_with = "deserialize_duration")]
    call_timeout: Duration,
    #[serde(default)]
    dir: Option<PathBuf>,
    #[serde(default)]
    factors: Option<Vec<RawFactor>>,
    #[serde(default)]
    extra_factors: Vec<RawFactor>,
    #[serde(default)]
    policies: Vec<PluginEntry>,
}

/// A `plugins.factors[]` entry: a plugin entry that may also hold an outbound HTTP grant.
#[derive(Deserialize)]
struct RawFactor {
    path: PathBuf,
    #[serde(default = "empty_object")]
    config: Value,
    #[serde(default)]
    outbound_http: OutboundHttp,
    #[serde(default)]
    courier: bool,
}

/// What resolving needs besides the config itself.
pub(super) struct Context<'a> {
    pub cwd: &'a Path,
    pub bases: &'a BaseDirs,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl RawConfig {
    pub(super) fn resolve(self, ctx: &Context) -> Result<Config, ConfigError> {
        check_serve(&self.serve)?;
        check_hashers(&self.hashers)?;
        check_log(&self.log)?;
        ensure(
            self.database.cleanup.batch_size >= 1,
            "database.cleanup.batch_size",
            "must be at least 1",
        )?;
        let ui = self.ui.resolve(ctx.bases.get("ui.templates_dir"))?;
        let mut flows = self.selfservice.flows;
        fill_ui_urls(&ui, &mut flows, &self.serve.public.resolved_base_url());
        super::breach_check::check(self.selfservice.methods.get("password").map(|m| &m.config))?;
        let selfservice = SelfService {
            default_browser_return_url: self
                .selfservice
                .default_browser_return_url
                .unwrap_or_else(|| self.serve.public.resolved_base_url()),
            allowed_return_urls: self.selfservice.allowed_return_urls,
            methods: self.selfservice.methods,
            flows,
        };
        Ok(Config {
            dsn: self.dsn,
            identity: self.identity.resolve(ctx.bases.get("identity.schemas"))?,
            plugins: self.plugins.resolve(ctx)?,
            serve: self.serve,
            selfservice,
            session: self.session,
            secrets: self.secrets,
            hashers: self.hashers,
            log: self.log,
            database: self.database,
            ui,
            courier: self.courier.resolve(
                ctx.bases.get("courier.template_override_path"),
                ctx.bases.get("courier.templates"),
            )?,
            feature_flags: self.feature_flags,
            dev: false,
        })
    }
}

impl RawIdentity {
    fn resolve(self, base_dir: &Path) -> Result<Identity, ConfigError> {
        let mut schemas: Vec<IdentitySchema> = Vec::with_capacity(self.schemas.len());
        for (index, SchemaRef { id, url }) in self.schemas.into_iter().enumerate() {
            if schemas.iter().any(|s| s.id == id) {
                return Err(ConfigError::invalid(
                    format!("identity.schemas[{index}].id"),
                    format!("schema id `{id}` is used twice"),
                ));
            }
            let schema = schema_source::load(&url, base_dir).map_err(|message| {
                ConfigError::invalid(format!("identity.schemas[{index}].url"), message)
            })?;
            schemas.push(IdentitySchema { id, url, schema });
        }
        if !schemas.iter().any(|s| s.id == self.default_schema_id) {
            let ids: Vec<&str> = schemas.iter().map(|s| s.id.as_str()).collect();
            return Err(ConfigError::invalid(
                "identity.default_schema_id",
                format!(
                    "there is no schema `{}` in `identity.schemas` (ids: {})",
                    self.default_schema_id,
                    ids.join(", ")
                ),
            ));
        }
        Ok(Identity {
            default_schema_id: self.default_schema_id,
            schemas,
        })
    }
}

impl RawPlugins {
    fn resolve(self, ctx: &Context) -> Result<Plugins, ConfigError> {
        ensure(
            self.memory_limit.bytes() > 0,
            "plugins.memory_limit",
            "must be more than 0",
        )?;
        ensure(
            !self.call_timeout.is_zero(),
            "plugins.call_timeout",
            "must be more than 0",
        )?;
        // Relative paths resolve against an explicit `plugins.dir`. Without one, they resolve
        // next to the config file that names them when the file is there (as they always
        // have), and otherwise in the default plugin directory, where the bundled plugins are.
        let explicit_dir = self.dir.map(|dir| ctx.bases.get("plugins.dir").join(dir));
        let dir = explicit_dir
            .clone()
            .unwrap_or_else(|| defaults::plugin_dir(ctx.env, ctx.cwd));
        let locate = |base_key: &str, path: &Path| -> PathBuf {
            if explicit_dir.is_some() {
                return dir.join(path);
            }
            let beside_config = ctx.bases.get(base_key).join(path);
            if path.is_absolute() || beside_config.exists() {
                beside_config
            } else {
                dir.join(path)
            }
        };
        let mut factors = match self.factors {
            Some(factors) => resolve_factors(factors, "plugins.factors", &locate)?,
            None => defaults::factors(&dir),
        };
        let extra_from = factors.len();
        factors.extend(resolve_factors(
            self.extra_factors,
            "plugins.extra_factors",
            &locate,
        )?);
        let mut policies = Vec::with_capacity(self.policies.len());
        for (index, policy) in self.policies.into_iter().enumerate() {
            let key = format!("plugins.policies[{index}].path");
            ensure(!policy.path.as_os_str().is_empty(), &key, "is empty")?;
            let mut config = policy.config;
            // A script is named relative to the config file that names it, like the policy.
            if let Some(script) = config.get("script").and_then(Value::as_str) {
                let script = ctx.bases.get("plugins.policies").join(script);
                config["script"] = Value::String(script.to_string_lossy().into_owned());
            }
            policies.push(PluginEntry {
                path: locate("plugins.policies", &policy.path),
                config,
                outbound_http: OutboundHttp::default(),
                courier: false,
            });
        }
        let cache_dir = match self.cache_dir {
            Some(path) => ctx.bases.get("plugins.cache_dir").join(path),
            None => defaults::cache_dir(ctx.env, ctx.cwd),
        };
        Ok(Plugins {
            cache_dir,
            memory_limit: self.memory_limit,
            call_timeout: self.call_timeout,
            dir,
            factors,
            extra_from,
            policies,
        })
    }
}

/// The entries of `plugins.factors` or `plugins.extra_factors` (`list`), their paths placed by
/// `locate`.
fn resolve_factors(
    factors: Vec<RawFactor>,
    list: &str,
    locate: &dyn Fn(&str, &Path) -> PathBuf,
) -> Result<Vec<PluginEntry>, ConfigError> {
    let mut resolved = Vec::with_capacity(factors.len());
    for (index, factor) in factors.into_iter().enumerate() {
        let entry = format!("{list}[{index}]");
        ensure(
            !factor.path.as_os_str().is_empty(),
            &format!("{entry}.path"),
            "is empty",
        )?;
        check_outbound(&factor.outbound_http, &entry)?;
        resolved.push(PluginEntry {
            path: locate(list, &factor.path),
            config: factor.config,
            outbound_http: factor.outbound_http,
            courier: factor.courier,
        });
    }
    Ok(resolved)
}

/// Origins are checked as they are read; what is left are the limits.
fn check_outbound(grant: &OutboundHttp, entry: &str) -> Result<(), ConfigError> {
    let key = |name: &str| format!("{entry}.outbound_http.{name}");
    ensure(
        !grant.timeout.is_zero(),
        &key("timeout"),
        "must be more than 0",
    )?;
    ensure(
        grant.max_response_bytes.bytes() > 0,
        &key("max_response_bytes"),
        "must be more than 0",
    )
}

fn check_serve(serve: &Serve) -> Result<(), ConfigError> {
    for (name, listener) in [("public", &serve.public), ("admin", &serve.admin.listener)] {
        if listener.base_url.is_none() {
            listener.url_from_host().map_err(|e| {
                ConfigError::invalid(
                    format!("serve.{name}.host"),
                    format!(
                        "{:?} cannot form a base URL ({e}); set `serve.{name}.base_url`",
                        listener.host
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// The algorithms' own limits, so a bad value stops start-up rather than the first login.
fn check_hashers(hashers: &Hashers) -> Result<(), ConfigError> {
    let algorithm = hashers.algorithm.as_str();
    ensure(
        matches!(algorithm, "argon2" | "bcrypt"),
        "hashers.algorithm",
        &format!("unknown algorithm `{algorithm}`, expected `argon2` or `bcrypt`"),
    )?;
    let argon2 = &hashers.argon2;
    ensure(
        argon2.iterations >= 1,
        "hashers.argon2.iterations",
        "must be at least 1",
    )?;
    ensure(
        argon2.parallelism >= 1,
        "hashers.argon2.parallelism",
        "must be at least 1",
    )?;
    ensure(
        argon2.memory.kib() >= 8 * u64::from(argon2.parallelism),
        "hashers.argon2.memory",
        &format!(
            "argon2 needs at least 8KiB per lane, {}KiB for this parallelism",
            8 * u64::from(argon2.parallelism)
        ),
    )?;
    ensure(
        argon2.memory.kib() <= u64::from(u32::MAX),
        "hashers.argon2.memory",
        "is more than argon2 can address",
    )?;
    ensure(
        argon2.salt_length >= 8,
        "hashers.argon2.salt_length",
        "must be at least 8 bytes",
    )?;
    ensure(
        argon2.key_length >= 4,
        "hashers.argon2.key_length",
        "must be at least 4 bytes",
    )?;
    ensure(
        (4..=31).contains(&hashers.bcrypt.cost),
        "hashers.bcrypt.cost",
        "must be between 4 and 31",
    )?;
    hashers
        .check_limits()
        .map_err(|(key, message)| ConfigError::invalid(key, message))
}

/// Kratos' accepted values, so that a typo is reported instead of silently logging at `info`.
fn check_log(log: &Log) -> Result<(), ConfigError> {
    const LEVELS: &[&str] = &[
        "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic",
    ];
    const FORMATS: &[&str] = &["text", "json", "json_pretty"];
    ensure(
        LEVELS.contains(&log.level.as_str()),
        "log.level",
        &format!(
            "unknown level `{}`, expected one of {}",
            log.level,
            LEVELS.join(", ")
        ),
    )?;
    ensure(
        FORMATS.contains(&log.format.as_str()),
        "log.format",
        &format!(
            "unknown format `{}`, expected one of {}",
            log.format,
            FORMATS.join(", ")
        ),
    )
}

fn ensure(condition: bool, key: &str, message: &str) -> Result<(), ConfigError> {
    if condition {
        Ok(())
    } else {
        Err(ConfigError::invalid(key, message))
    }
}
