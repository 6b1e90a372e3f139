//! The typed configuration handed to the rest of the server.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::hash_limits::HashLimits;
use super::outbound::OutboundHttp;
use super::secret::Secret;
use super::selfservice::{RequiredAal, SelfService};
use super::units::{ByteSize, deserialize_duration};

/// The loaded configuration. Field names follow the kratos.yml keys.
#[derive(Clone)]
pub struct Config {
    pub dsn: String,
    pub serve: Serve,
    pub identity: Identity,
    pub selfservice: SelfService,
    pub session: Session,
    pub secrets: Secrets,
    pub hashers: Hashers,
    pub log: Log,
    pub database: Database,
    pub plugins: Plugins,
    /// The built-in self-service pages.
    pub ui: super::ui::Ui,
    /// Outgoing mail and SMS.
    pub courier: super::courier::Courier,
    pub feature_flags: FeatureFlags,
    /// Development mode. Not a config key: the command line sets it.
    pub dev: bool,
}

/// Kratos' `feature_flags`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FeatureFlags {
    /// Recovery answers JSON clients with `continue_with` (`show_settings_ui`,
    /// `set_ory_session_token`) instead of a 422 `browser_location_change_required`.
    #[serde(default)]
    pub use_continue_with_transitions: bool,
}

impl Config {
    pub fn public_base_url(&self) -> Url {
        self.serve.public.resolved_base_url()
    }

    pub fn admin_base_url(&self) -> Url {
        self.serve.admin.resolved_base_url()
    }

    /// `secrets.cookie`, or `secrets.default` when that is empty, as Kratos does. Empty when
    /// neither is set; the server then uses secrets of its own.
    pub fn cookie_secrets(&self) -> &[Secret] {
        self.secrets.or_default(&self.secrets.cookie)
    }

    /// `secrets.cipher`, or `secrets.default` when that is empty.
    pub fn cipher_secrets(&self) -> &[Secret] {
        self.secrets.or_default(&self.secrets.cipher)
    }

    /// Whether `selfservice.methods.<method>.enabled` is set.
    pub fn method_enabled(&self, method: &str) -> bool {
        self.selfservice
            .methods
            .get(method)
            .is_some_and(|m| m.enabled)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("Config")
            .field("dsn", &redact_dsn_password(&self.dsn))
            .field("serve", &self.serve)
            .field("identity", &self.identity)
            .field("selfservice", &self.selfservice)
            .field("session", &self.session)
            .field("secrets", &self.secrets)
            .field("hashers", &self.hashers)
            .field("log", &self.log)
            .field("database", &self.database)
            .field("plugins", &self.plugins)
            .field("ui", &self.ui)
            .field("courier", &self.courier)
            .field("dev", &self.dev)
            .finish()
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:[redacted]@host/db`: a DSN is worth logging,
/// its password is not.
fn redact_dsn_password(dsn: &str) -> String {
    let Some((scheme, rest)) = dsn.split_once("://") else {
        return dsn.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}{tail}"),
            None => dsn.to_owned(),
        },
        None => dsn.to_owned(),
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Serve {
    pub public: Listener,
    pub admin: AdminListener,
}

/// The admin listener: a [`Listener`] (it derefs to one) plus the API keys that `/admin/*`
/// requests must carry. No keys means the admin API is open to anyone who can reach it.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "RawAdminListener")]
pub struct AdminListener {
    pub listener: Listener,
    /// `serve.admin.api_keys`: accepted `Authorization: Bearer` secrets.
    pub api_keys: Vec<Secret>,
}

impl std::ops::Deref for AdminListener {
    type Target = Listener;

    fn deref(&self) -> &Listener {
        &self.listener
    }
}

#[derive(Deserialize)]
struct RawAdminListener {
    host: String,
    port: u16,
    #[serde(default, deserialize_with = "optional_url")]
    base_url: Option<Url>,
    #[serde(default)]
    api_keys: Vec<Secret>,
}

impl From<RawAdminListener> for AdminListener {
    fn from(raw: RawAdminListener) -> AdminListener {
        AdminListener {
            listener: Listener {
                host: raw.host,
                port: raw.port,
                base_url: raw.base_url,
                trusted_proxies: Vec::new(),
            },
            api_keys: raw.api_keys,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Listener {
    pub host: String,
    pub port: u16,
    #[serde(default, deserialize_with = "optional_url")]
    pub base_url: Option<Url>,
    /// Latchkey's own key (`serve.public.trusted_proxies`): the reverse proxies whose
    /// `X-Forwarded-For` names the client. From anyone else the header is ignored, since any
    /// client can send it.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Listener {
    /// `base_url`, or `http://host:port/`.
    pub fn resolved_base_url(&self) -> Url {
        self.base_url.clone().unwrap_or_else(|| {
            // Load-time validation makes the fallback unreachable for a loaded config; it only
            // guards a host edited afterwards.
            self.url_from_host().unwrap_or_else(|_| {
                Url::parse(&format!("http://127.0.0.1:{}/", self.port)).expect("valid URL")
            })
        })
    }

    pub(super) fn url_from_host(&self) -> Result<Url, url::ParseError> {
        // Listening on every address says nothing about the name clients use; Kratos falls
        // back to the loopback address too.
        let host = match self.host.as_str() {
            "" | "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            host => host,
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Url::parse(&format!("http://{host}:{}/", self.port))
    }
}

#[derive(Clone, Debug)]
pub struct Identity {
    pub default_schema_id: String,
    pub schemas: Vec<IdentitySchema>,
}

impl Identity {
    pub fn schema(&self, id: &str) -> Option<&IdentitySchema> {
        self.schemas.iter().find(|s| s.id == id)
    }

    pub fn default_schema(&self) -> Option<&IdentitySchema> {
        self.schema(&self.default_schema_id)
    }
}

#[derive(Clone, Debug)]
pub struct IdentitySchema {
    pub id: String,
    /// As written in the config.
    pub url: String,
    /// The schema document, loaded from `url` at start-up.
    pub schema: Value,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Session {
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
    pub cookie: SessionCookie,
    pub whoami: Whoami,
    /// Latchkey's own key: a step-up or a refresh gives the session a new token (and cookie)
    /// and the old one stops working. Off by default, because a Kratos client expects to keep
    /// its token.
    pub rotate_on_aal_change: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SessionCookie {
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    pub path: String,
    pub same_site: SameSite,
    pub persistent: bool,
}

/// Spelled as Kratos spells it (`Lax`); lower case is accepted too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum SameSite {
    #[serde(alias = "strict")]
    Strict,
    #[serde(alias = "lax")]
    Lax,
    #[serde(alias = "none")]
    None,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Whoami {
    pub required_aal: RequiredAal,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Secrets {
    pub default: Vec<Secret>,
    pub cookie: Vec<Secret>,
    pub cipher: Vec<Secret>,
}

impl Secrets {
    fn or_default<'a>(&'a self, specific: &'a [Secret]) -> &'a [Secret] {
        if specific.is_empty() {
            &self.default
        } else {
            specific
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Hashers {
    /// `argon2` or `bcrypt`.
    pub algorithm: String,
    pub argon2: Argon2,
    pub bcrypt: Bcrypt,
    /// Latchkey's own: see [`HashLimits`].
    #[serde(default)]
    pub limits: HashLimits,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Argon2 {
    pub memory: ByteSize,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt_length: u32,
    pub key_length: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Bcrypt {
    pub cost: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Log {
    pub level: String,
    pub format: String,
    pub leak_sensitive_values: bool,
}

/// Kratos' `database` section: how expired data is cleaned up.
#[derive(Clone, Debug, Deserialize)]
pub struct Database {
    pub cleanup: Cleanup,
}

/// `database.cleanup`: Kratos' settings for `cleanup sql`, which Latchkey's background sweep
/// reads too.
#[derive(Clone, Debug, Deserialize)]
pub struct Cleanup {
    /// How many rows one batch deletes from one table.
    pub batch_size: usize,
    pub sleep: CleanupSleep,
    /// Rows that expired less than this long ago are kept.
    #[serde(deserialize_with = "deserialize_duration")]
    pub older_than: Duration,
    /// How often the server sweeps by itself; `0s` turns the sweep off (Latchkey's own key).
    #[serde(deserialize_with = "deserialize_duration")]
    pub interval: Duration,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CleanupSleep {
    /// The pause between one table and the next.
    #[serde(deserialize_with = "deserialize_duration")]
    pub tables: Duration,
}

/// Latchkey's own section: which WebAssembly components to load and their limits.
#[derive(Clone, Debug)]
pub struct Plugins {
    /// Where precompiled components are kept between runs.
    pub cache_dir: PathBuf,
    /// Memory cap of one plugin call.
    pub memory_limit: ByteSize,
    /// Deadline of one plugin call.
    pub call_timeout: Duration,
    /// `plugins.dir`, or the default plugin directory (`LATCHKEY_PLUGIN_DIR`) when unset:
    /// where the default factors and relative paths not found beside their config file are.
    pub dir: PathBuf,
    /// `plugins.factors` (the default factors when it is not set), then
    /// `plugins.extra_factors`, from index [`Plugins::extra_from`] on.
    pub factors: Vec<PluginEntry>,
    pub extra_from: usize,
    /// AAL and step-up policies, in the order their verdicts combine. None by default: the
    /// host then applies Kratos' `required_aal` rules itself.
    pub policies: Vec<PluginEntry>,
}

impl Plugins {
    /// The config key of `factors[index]`, for messages: `plugins.factors[1]` or
    /// `plugins.extra_factors[0]`.
    pub fn factor_key(&self, index: usize) -> String {
        match index.checked_sub(self.extra_from) {
            Some(extra) => format!("plugins.extra_factors[{extra}]"),
            None => format!("plugins.factors[{index}]"),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct PluginEntry {
    /// Absolute once loaded.
    pub path: PathBuf,
    /// Handed to the plugin as its settings.
    #[serde(default = "empty_object")]
    pub config: Value,
    /// What the plugin may reach over HTTP; factors only (policies cannot import it).
    #[serde(skip)]
    pub outbound_http: OutboundHttp,
    /// Whether the plugin may queue messages through the courier; factors only.
    #[serde(skip)]
    pub courier: bool,
}

pub(super) fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// `deserialize_with` for `Option<Url>`, so that the error names the key (the url crate's own
/// serde support is an optional feature this crate does without).
pub(super) fn optional_url<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Url>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(text) => parse_url(&text).map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

pub(super) fn parse_url(text: &str) -> Result<Url, String> {
    Url::parse(text).map_err(|e| format!("invalid URL {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_passwords_are_redacted() {
        assert_eq!(
            redact_dsn_password("postgres://kratos:s3cret@db:5432/kratos?sslmode=disable"),
            "postgres://kratos:[redacted]@db:5432/kratos?sslmode=disable"
        );
        assert_eq!(
            redact_dsn_password("sqlite://latchkey.db?mode=rwc"),
            "sqlite://latchkey.db?mode=rwc"
        );
        assert_eq!(redact_dsn_password("memory"), "memory");
    }

    #[test]
    fn base_url_from_host_and_port() {
        let listener = |host: &str| Listener {
            host: host.into(),
            port: 4433,
            base_url: None,
            trusted_proxies: Vec::new(),
        };
        assert_eq!(
            listener("127.0.0.1").resolved_base_url().as_str(),
            "http://127.0.0.1:4433/"
        );
        assert_eq!(
            listener("0.0.0.0").resolved_base_url().as_str(),
            "http://127.0.0.1:4433/"
        );
        assert_eq!(
            listener("::1").resolved_base_url().as_str(),
            "http://[::1]:4433/"
        );
        assert_eq!(
            listener("auth.local").resolved_base_url().as_str(),
            "http://auth.local:4433/"
        );
    }
}
