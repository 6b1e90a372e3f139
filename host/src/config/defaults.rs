//! The embedded default configuration: the bottom layer every config file is merged onto, so a
//! kratos.yml only has to say what differs.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::model::PluginEntry;

/// Kratos' email + password quickstart schema, with the email also naming the TOTP account.
pub const DEFAULT_IDENTITY_SCHEMA: &str = include_str!("default_identity.schema.json");

/// Factor plugins loaded when the config lists none.
const DEFAULT_FACTORS: &[&str] = &[
    "password.wasm",
    "totp.wasm",
    "lookup_secret.wasm",
    "code.wasm",
    "link.wasm",
];

/// The default factors that send messages: the `code` and `link` methods mail recovery and
/// verification codes and links.
const DEFAULT_COURIER_GRANTS: &[&str] = &["code.wasm", "link.wasm"];

/// Every default that does not depend on the machine. Paths that do (plugin and cache
/// directories) come from [`plugin_dir`] and [`cache_dir`] once the files are merged, because
/// a `plugins.dir` set in a file changes where the default factors are looked for.
pub(super) fn layer() -> Value {
    json!({
        "dsn": "sqlite://latchkey.db?mode=rwc",
        "serve": {
            "public": { "host": "127.0.0.1", "port": 4433 },
            "admin": { "host": "127.0.0.1", "port": 4434 },
        },
        "identity": {
            "default_schema_id": "default",
            // base64:// keeps the default self-contained: it resolves the same from any directory.
            "schemas": [{
                "id": "default",
                "url": format!("base64://{}", STANDARD.encode(DEFAULT_IDENTITY_SCHEMA)),
            }],
        },
        "selfservice": {
            "allowed_return_urls": [],
            // Unlike Kratos, the second factors are on by default: a fresh server offers step-up
            // out of the box, and nothing changes for an identity until it enrols one.
            "methods": {
                "password": { "enabled": true },
                "totp": { "enabled": true },
                "lookup_secret": { "enabled": true },
                "code": { "enabled": true },
                // As in Kratos: loaded, but off until `enabled: true` (and `use: link`).
                "link": { "enabled": false },
            },
            "flows": {
                "login": {
                    "lifespan": "1h",
                    // Latchkey's own keys: submissions one login flow takes, and the login
                    // throttle (see docs/security.md for the arithmetic behind both).
                    "max_submissions": 10,
                    "throttle": {
                        "enabled": true,
                        "forget_after": "1h",
                        "per_identifier": {
                            "after_failures": 5,
                            "first_delay": "1s",
                            "max_delay": "5m",
                        },
                        "per_address": {
                            "after_failures": 20,
                            "first_delay": "1s",
                            "max_delay": "15m",
                        },
                    },
                },
                "registration": { "enabled": true, "lifespan": "1h" },
                "settings": {
                    "lifespan": "1h",
                    "privileged_session_max_age": "1h",
                    "required_aal": "highest_available",
                },
                // As in Kratos: off until configured, and by code.
                "recovery": { "enabled": false, "lifespan": "1h", "use": "code" },
                "verification": { "enabled": false, "lifespan": "1h", "use": "code" },
                "logout": {},
                // Latchkey's own key: how long a stored error stays readable by its id.
                "error": { "lifespan": "1h" },
            },
        },
        "session": {
            "lifespan": "24h",
            "cookie": {
                "name": "ory_kratos_session",
                "path": "/",
                "same_site": "Lax",
                "persistent": true,
            },
            "whoami": { "required_aal": "highest_available" },
            "rotate_on_aal_change": false,
        },
        // Empty: the server generates ephemeral secrets when none are configured.
        "secrets": { "default": [], "cookie": [], "cipher": [] },
        "hashers": {
            "algorithm": "argon2",
            // OWASP's argon2id minimum rather than Kratos' 128MB: logins stay fast on small
            // machines, and the parameters travel with each hash, so raising them later is safe.
            "argon2": {
                "memory": "19456KiB",
                "iterations": 2,
                "parallelism": 1,
                "salt_length": 16,
                "key_length": 32,
            },
            "bcrypt": { "cost": 12 },
        },
        "feature_flags": { "use_continue_with_transitions": false },
        "log": { "level": "info", "format": "text", "leak_sensitive_values": false },
        // Kratos' defaults for `cleanup sql`; `interval` is Latchkey's background sweep.
        "database": {
            "cleanup": {
                "batch_size": 100,
                "sleep": { "tables": "1m" },
                "older_than": "0s",
                "interval": "5m",
            },
        },
        "plugins": { "memory_limit": "64MiB", "call_timeout": "1s" },
        "ui": { "enabled": true },
    })
}

/// Where the bundled plugins are: `LATCHKEY_PLUGIN_DIR`, else `plugins/` next to the directory
/// holding the executable, which is where a cargo build puts them (`target/debug/latchkey`
/// finds `target/plugins/`).
pub(super) fn plugin_dir(env: &dyn Fn(&str) -> Option<String>, cwd: &Path) -> PathBuf {
    if let Some(dir) = env("LATCHKEY_PLUGIN_DIR").filter(|d| !d.trim().is_empty()) {
        return cwd.join(dir);
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    match exe_dir {
        Some(dir) => dir.parent().unwrap_or(&dir).join("plugins"),
        None => cwd.join("plugins"),
    }
}

/// `LATCHKEY_CACHE_DIR`, else `.latchkey-cache` in the current directory.
pub(super) fn cache_dir(env: &dyn Fn(&str) -> Option<String>, cwd: &Path) -> PathBuf {
    let dir = env("LATCHKEY_CACHE_DIR").filter(|d| !d.trim().is_empty());
    cwd.join(dir.as_deref().unwrap_or(".latchkey-cache"))
}

pub(super) fn factors(dir: &Path) -> Vec<PluginEntry> {
    DEFAULT_FACTORS
        .iter()
        .map(|file| PluginEntry {
            path: dir.join(file),
            config: json!({}),
            outbound_http: Default::default(),
            courier: DEFAULT_COURIER_GRANTS.contains(file),
        })
        .collect()
}
