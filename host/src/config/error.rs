use std::path::PathBuf;

/// Why the configuration could not be loaded. Every variant names the file, the config key or
/// the environment variable at fault, and none of them quotes a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("config file `{}` is not valid: {message}", path.display())]
    Syntax { path: PathBuf, message: String },

    #[error("environment variable `{name}` (config key `{key}`): {message}")]
    Env {
        name: String,
        key: String,
        message: String,
    },

    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },

    #[error("cannot determine the current directory to resolve relative paths: {0}")]
    CurrentDir(std::io::Error),
}

impl ConfigError {
    pub(super) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}
