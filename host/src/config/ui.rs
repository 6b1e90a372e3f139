//! `ui`: the built-in self-service pages, and the Kratos settings they fill in when a
//! deployment names no UI of its own.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::selfservice::Flows;

/// Where the built-in pages live on the public listener.
pub const LOGIN_PATH: &str = "/ui/login";
pub const REGISTRATION_PATH: &str = "/ui/registration";
pub const SETTINGS_PATH: &str = "/ui/settings";
pub const ERROR_PATH: &str = "/ui/error";
pub const RECOVERY_PATH: &str = "/ui/recovery";
pub const VERIFICATION_PATH: &str = "/ui/verification";

#[derive(Clone, Debug)]
pub struct Ui {
    /// Serve the built-in pages (`ui.enabled`, default `true`).
    pub enabled: bool,
    /// A directory whose files replace the embedded templates of the same name.
    pub templates_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
pub(super) struct RawUi {
    enabled: bool,
    #[serde(default)]
    templates_dir: Option<PathBuf>,
}

impl RawUi {
    /// `base` is the directory of the layer that set `ui.templates_dir`.
    pub(super) fn resolve(self, base: &Path) -> Result<Ui, ConfigError> {
        let templates_dir = match self.templates_dir {
            Some(dir) if dir.as_os_str().is_empty() => None,
            Some(dir) => {
                let dir = base.join(dir);
                if !dir.is_dir() {
                    return Err(ConfigError::invalid(
                        "ui.templates_dir",
                        format!("{} is not a directory", dir.display()),
                    ));
                }
                Some(dir)
            }
            None => None,
        };
        Ok(Ui {
            enabled: self.enabled,
            templates_dir,
        })
    }
}

/// With the built-in pages on, every flow without a configured `ui_url` is shown by them, and
/// so are errors without `selfservice.flows.error.ui_url`.
pub(super) fn fill_ui_urls(ui: &Ui, flows: &mut Flows, public_base: &Url) {
    if !ui.enabled {
        return;
    }
    let page = |path: &str| {
        public_base
            .join(path.trim_start_matches('/'))
            .expect("a path joins onto the public base URL")
    };
    flows.login.ui_url.get_or_insert_with(|| page(LOGIN_PATH));
    flows
        .registration
        .ui_url
        .get_or_insert_with(|| page(REGISTRATION_PATH));
    flows
        .settings
        .ui_url
        .get_or_insert_with(|| page(SETTINGS_PATH));
    flows.error.ui_url.get_or_insert_with(|| page(ERROR_PATH));
    flows
        .recovery
        .ui_url
        .get_or_insert_with(|| page(RECOVERY_PATH));
    flows
        .verification
        .ui_url
        .get_or_insert_with(|| page(VERIFICATION_PATH));
}
