//! Configuration in Kratos' own format (kratos.yml), plus Latchkey's `plugins:` section.
//!
//! Layers, later winning: the embedded defaults, each `-c` file in order (maps merge deeply),
//! then environment variables named after the key path (`SERVE_PUBLIC_PORT`). Keys Latchkey
//! does not support are reported as warnings rather than errors, so an existing kratos.yml
//! loads as it is.

mod breach_check;
mod courier;
mod defaults;
mod env;
mod error;
mod hash_limits;
mod keys;
mod layers;
mod model;
mod outbound;
mod resolve;
mod schema_source;
mod secret;
mod selfservice;
mod ui;
mod units;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use breach_check::grant_is_optional;
pub use courier::{Courier, CourierWorker, Delivery, HttpAuth, HttpRequest, Smtp, TemplateTexts};
pub use defaults::DEFAULT_IDENTITY_SCHEMA;
pub use error::ConfigError;
pub use hash_limits::{Argon2Limits, BcryptLimits, CostLimits, HashLimits};
pub use model::{
    AdminListener, Argon2, Bcrypt, Cleanup, CleanupSleep, Config, Database, Hashers, Identity,
    IdentitySchema, Listener, Log, PluginEntry, Plugins, SameSite, Secrets, Serve, Session,
    SessionCookie, Whoami,
};
pub use outbound::{Origin, OutboundHttp};
pub use secret::{MIN_SECRET_CHARS, Secret};
pub use selfservice::{
    After, AfterMethod, Backoff, ErrorFlow, Flows, LoginFlow, LogoutAfter, LogoutFlow,
    MethodConfig, RegistrationFlow, RequiredAal, SelfService, SettingsFlow, Throttle,
};
pub use ui::{
    ERROR_PATH, LOGIN_PATH, RECOVERY_PATH, REGISTRATION_PATH, SETTINGS_PATH, Ui, VERIFICATION_PATH,
};
pub use units::{ByteSize, parse_duration};

/// A loaded configuration and what was noticed on the way.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    /// One line per config key that is present but ignored, for the caller to log.
    pub warnings: Vec<String>,
}

/// Loads the configuration from `paths` (none: the embedded defaults alone) and the environment
/// as seen through `env`, which tests replace with a map.
pub fn load(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let cwd = std::env::current_dir().map_err(ConfigError::CurrentDir)?;
    let mut merged = defaults::layer();
    let mut bases = layers::BaseDirs::new(&cwd);
    let mut warnings = Vec::new();

    for path in paths {
        let file = layers::read_file(path, &cwd)?;
        for key in keys::unsupported(&file.value) {
            let warning = format!("config key `{key}` is not supported by Latchkey and is ignored");
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
        }
        bases.record(&file.value, &file.dir);
        layers::merge(&mut merged, file.value);
    }

    let mut env_layer = env::read(env)?;
    bases.record(&env_layer.value, &cwd);
    layers::merge(&mut merged, std::mem::take(&mut env_layer.value));

    let point_at_variable = |err| name_env_variable(err, &env_layer);
    let raw: resolve::RawConfig = serde_path_to_error::deserialize(merged)
        .map_err(|err| ConfigError::invalid(err.path().to_string(), err.into_inner().to_string()))
        .map_err(point_at_variable)?;
    let context = resolve::Context {
        cwd: &cwd,
        bases: &bases,
        env,
    };
    let config = raw.resolve(&context).map_err(point_at_variable)?;
    Ok(Loaded { config, warnings })
}

/// A bad value set by the environment is looked for in the files first; say where it came from.
fn name_env_variable(err: ConfigError, env_layer: &env::EnvLayer) -> ConfigError {
    match err {
        ConfigError::Invalid { key, message } => {
            let message = match env_layer.variable_for(&key) {
                Some(name) => format!("{message} (set by environment variable `{name}`)"),
                None => message,
            };
            ConfigError::Invalid { key, message }
        }
        other => other,
    }
}
