//! The config keys Latchkey understands: the single list that both the unknown-key warnings
//! and the environment variable names are derived from.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

/// How an environment variable's text becomes a config value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Taken verbatim. Parsing these as YAML would turn `SERVE_PUBLIC_HOST=0` or an all-digit
    /// value into a number and then fail the string type.
    Text,
    /// A YAML scalar, so `4455` is a number and `true` a boolean.
    Scalar,
    /// A list of strings: a JSON array, or items separated by commas.
    List,
    /// A YAML (and so also JSON) document, for lists of objects and free-form settings.
    Document,
}

use Kind::{Document, List, Scalar, Text};

/// Supported key paths. `*` matches any map key (method names are open-ended: plugins bring
/// their own) and `name[]` says the items of that list have the keys that follow.
const SUPPORTED: &[(&str, Kind)] = &[
    ("dsn", Text),
    ("serve.public.host", Text),
    ("serve.public.port", Scalar),
    ("serve.public.base_url", Text),
    ("serve.public.trusted_proxies", List),
    ("serve.admin.host", Text),
    ("serve.admin.port", Scalar),
    ("serve.admin.base_url", Text),
    ("serve.admin.api_keys", List),
    ("identity.default_schema_id", Text),
    ("identity.schemas", Document),
    ("identity.schemas[].id", Text),
    ("identity.schemas[].url", Text),
    ("selfservice.default_browser_return_url", Text),
    ("selfservice.allowed_return_urls", List),
    ("selfservice.methods.*.enabled", Scalar),
    ("selfservice.methods.*.config", Document),
    ("selfservice.flows.login.ui_url", Text),
    ("selfservice.flows.login.lifespan", Text),
    ("selfservice.flows.login.max_submissions", Scalar),
    ("selfservice.flows.login.throttle.enabled", Scalar),
    ("selfservice.flows.login.throttle.forget_after", Text),
    (
        "selfservice.flows.login.throttle.per_identifier.after_failures",
        Scalar,
    ),
    (
        "selfservice.flows.login.throttle.per_identifier.first_delay",
        Text,
    ),
    (
        "selfservice.flows.login.throttle.per_identifier.max_delay",
        Text,
    ),
    (
        "selfservice.flows.login.throttle.per_address.after_failures",
        Scalar,
    ),
    (
        "selfservice.flows.login.throttle.per_address.first_delay",
        Text,
    ),
    (
        "selfservice.flows.login.throttle.per_address.max_delay",
        Text,
    ),
    (
        "selfservice.flows.login.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.login.before.hooks", Document),
    ("selfservice.flows.login.after.hooks", Document),
    (
        "selfservice.flows.login.after.*.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.login.after.*.hooks", Document),
    ("selfservice.flows.registration.enabled", Scalar),
    ("selfservice.flows.registration.ui_url", Text),
    ("selfservice.flows.registration.lifespan", Text),
    (
        "selfservice.flows.registration.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.registration.before.hooks", Document),
    ("selfservice.flows.registration.after.hooks", Document),
    (
        "selfservice.flows.registration.after.*.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.registration.after.*.hooks", Document),
    ("selfservice.flows.settings.ui_url", Text),
    ("selfservice.flows.settings.lifespan", Text),
    (
        "selfservice.flows.settings.privileged_session_max_age",
        Text,
    ),
    ("selfservice.flows.settings.required_aal", Text),
    (
        "selfservice.flows.settings.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.settings.before.hooks", Document),
    ("selfservice.flows.settings.after.hooks", Document),
    (
        "selfservice.flows.settings.after.*.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.settings.after.*.hooks", Document),
    ("selfservice.flows.recovery.enabled", Scalar),
    ("selfservice.flows.recovery.ui_url", Text),
    ("selfservice.flows.recovery.lifespan", Text),
    ("selfservice.flows.recovery.use", Text),
    (
        "selfservice.flows.recovery.notify_unknown_recipients",
        Scalar,
    ),
    ("selfservice.flows.recovery.before.hooks", Document),
    (
        "selfservice.flows.recovery.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.recovery.after.hooks", Document),
    ("selfservice.flows.verification.enabled", Scalar),
    ("selfservice.flows.verification.ui_url", Text),
    ("selfservice.flows.verification.lifespan", Text),
    ("selfservice.flows.verification.use", Text),
    (
        "selfservice.flows.verification.notify_unknown_recipients",
        Scalar,
    ),
    ("selfservice.flows.verification.before.hooks", Document),
    (
        "selfservice.flows.verification.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.verification.after.hooks", Document),
    ("feature_flags.use_continue_with_transitions", Scalar),
    (
        "selfservice.flows.logout.after.default_browser_return_url",
        Text,
    ),
    ("selfservice.flows.error.ui_url", Text),
    ("selfservice.flows.error.lifespan", Text),
    ("session.lifespan", Text),
    ("session.cookie.name", Text),
    ("session.cookie.domain", Text),
    ("session.cookie.path", Text),
    ("session.cookie.same_site", Text),
    ("session.cookie.persistent", Scalar),
    ("session.whoami.required_aal", Text),
    ("session.rotate_on_aal_change", Scalar),
    ("secrets.default", List),
    ("secrets.cookie", List),
    ("secrets.cipher", List),
    ("hashers.algorithm", Text),
    ("hashers.argon2.memory", Text),
    ("hashers.argon2.iterations", Scalar),
    ("hashers.argon2.parallelism", Scalar),
    ("hashers.argon2.salt_length", Scalar),
    ("hashers.argon2.key_length", Scalar),
    ("hashers.bcrypt.cost", Scalar),
    ("hashers.limits.argon2.memory", Text),
    ("hashers.limits.argon2.iterations", Scalar),
    ("hashers.limits.bcrypt.cost", Scalar),
    ("log.level", Text),
    ("log.format", Text),
    ("log.leak_sensitive_values", Scalar),
    ("database.cleanup.batch_size", Scalar),
    ("database.cleanup.sleep.tables", Text),
    ("database.cleanup.older_than", Text),
    ("database.cleanup.interval", Text),
    ("plugins.cache_dir", Text),
    ("plugins.memory_limit", Text),
    ("plugins.call_timeout", Text),
    ("plugins.dir", Text),
    ("plugins.factors", Document),
    ("plugins.factors[].path", Text),
    ("plugins.factors[].config", Document),
    ("plugins.factors[].outbound_http.allow", List),
    ("plugins.factors[].outbound_http.allow_private", Scalar),
    ("plugins.factors[].outbound_http.timeout", Text),
    ("plugins.factors[].outbound_http.max_response_bytes", Text),
    ("plugins.factors[].courier", Scalar),
    ("plugins.extra_factors", Document),
    ("plugins.extra_factors[].path", Text),
    ("plugins.extra_factors[].config", Document),
    ("plugins.extra_factors[].outbound_http.allow", List),
    (
        "plugins.extra_factors[].outbound_http.allow_private",
        Scalar,
    ),
    ("plugins.extra_factors[].outbound_http.timeout", Text),
    (
        "plugins.extra_factors[].outbound_http.max_response_bytes",
        Text,
    ),
    ("plugins.extra_factors[].courier", Scalar),
    ("plugins.policies", Document),
    ("plugins.policies[].path", Text),
    ("plugins.policies[].config", Document),
    ("ui.enabled", Scalar),
    ("ui.templates_dir", Text),
    ("courier.smtp.connection_uri", Text),
    ("courier.smtp.client_cert_path", Text),
    ("courier.smtp.client_key_path", Text),
    ("courier.smtp.from_address", Text),
    ("courier.smtp.from_name", Text),
    ("courier.smtp.headers", Document),
    ("courier.smtp.local_name", Text),
    ("courier.message_retries", Scalar),
    ("courier.worker.pull_count", Scalar),
    ("courier.worker.pull_wait", Text),
    ("courier.template_override_path", Text),
    // Checked whole when the section is read: a misspelt template part is refused there.
    ("courier.templates", Document),
    ("courier.delivery_strategy", Text),
    ("courier.http.request_config", Document),
    ("courier.channels", Document),
];

/// Accepted in files without a warning but unused, and not read from the environment: Kratos
/// configs start with `version:`, and a `VERSION` variable is far too common to claim.
const ACCEPTED_UNUSED: &[&str] = &["version"];

/// Method names that `*` stands for when environment variable names are derived. Only these
/// can be set from the environment; other methods are configured in a file.
const KNOWN_METHODS: &[&str] = &[
    "password",
    "oidc",
    "totp",
    "lookup_secret",
    "webauthn",
    "passkey",
    "code",
    "profile",
];

/// Kratos' naming: `serve.public.port` is `SERVE_PUBLIC_PORT`.
pub(super) fn env_name(path: &str) -> String {
    path.replace('.', "_").to_ascii_uppercase()
}

pub(super) struct EnvKey {
    pub path: String,
    pub name: String,
    pub kind: Kind,
}

/// Every key that can be set from the environment, with its variable name.
pub(super) fn env_keys() -> impl Iterator<Item = EnvKey> {
    SUPPORTED
        .iter()
        .filter(|(path, _)| !path.contains("[]"))
        .flat_map(|&(path, kind)| {
            let paths: Vec<String> = if path.contains('*') {
                KNOWN_METHODS.iter().map(|m| path.replace('*', m)).collect()
            } else {
                vec![path.to_owned()]
            };
            paths.into_iter().map(move |path| EnvKey {
                name: env_name(&path),
                path,
                kind,
            })
        })
}

/// The keys in `value` (one config file's tree) that Latchkey does not support, as paths to
/// the leaves, e.g. `courier.smtp.connection_uri`.
pub(super) fn unsupported(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(&TREE, value, "", &mut found);
    found
}

#[derive(Default)]
struct Node {
    children: BTreeMap<&'static str, Node>,
    any_key: Option<Box<Node>>,
    items: Option<Box<Node>>,
}

static TREE: LazyLock<Node> = LazyLock::new(|| {
    let mut root = Node::default();
    let paths = SUPPORTED.iter().map(|(path, _)| *path);
    for path in paths.chain(ACCEPTED_UNUSED.iter().copied()) {
        let mut node = &mut root;
        for segment in path.split('.') {
            let (name, is_list) = match segment.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (segment, false),
            };
            node = if name == "*" {
                node.any_key.get_or_insert_default()
            } else {
                node.children.entry(name).or_default()
            };
            if is_list {
                node = node.items.get_or_insert_default();
            }
        }
    }
    root
});

fn walk(node: &Node, value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        // A node without children is a leaf whose value may be anything (free-form settings).
        Value::Object(map) if !node.children.is_empty() || node.any_key.is_some() => {
            for (key, child_value) in map {
                let child_path = join(path, key);
                match node.children.get(key.as_str()).or(node.any_key.as_deref()) {
                    Some(child) => walk(child, child_value, &child_path, found),
                    None => leaves(child_value, child_path, found),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = &node.items {
                for (index, item) in items.iter().enumerate() {
                    walk(item_node, item, &format!("{path}[{index}]"), found);
                }
            }
        }
        _ => {}
    }
}

// One warning per setting rather than per section, so the message names what the user wrote.
fn leaves(value: &Value, path: String, found: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child_value) in map {
                leaves(child_value, join(&path, key), found);
            }
        }
        _ => found.push(path),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_names_follow_kratos_and_are_unique() {
        let keys: Vec<EnvKey> = env_keys().collect();
        let name_of = |path: &str| {
            keys.iter()
                .find(|k| k.path == path)
                .map(|k| k.name.as_str())
        };
        assert_eq!(name_of("serve.public.port"), Some("SERVE_PUBLIC_PORT"));
        assert_eq!(
            name_of("selfservice.flows.login.ui_url"),
            Some("SELFSERVICE_FLOWS_LOGIN_UI_URL")
        );
        assert_eq!(name_of("dsn"), Some("DSN"));
        assert_eq!(
            name_of("selfservice.methods.lookup_secret.enabled"),
            Some("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED")
        );
        assert_eq!(name_of("version"), None);
        assert!(keys.iter().all(|k| !k.path.contains(['*', '['])));

        let mut names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(
            names.len(),
            before,
            "two config keys share an environment variable"
        );
    }

    #[test]
    fn unsupported_keys_are_reported_per_leaf() {
        let tree = json!({
            "version": "v1.1.0",
            "dsn": "memory",
            "courier": {"smtp": {"connection_uri": "smtp://x"}, "sms": {"from": "a"}},
            "serve": {"public": {"port": 1, "cors": {"enabled": true}}},
            "identity": {"schemas": [{"id": "a", "url": "b", "extra": 1}]},
            "selfservice": {
                "methods": {"pin": {"enabled": true, "config": {"anything": {"goes": 1}}}},
                "flows": {"login": {"after": {"password": {"hooks": [{"hook": "x"}]}}, "before": {"x": 1}}}
            },
            "plugins": {"factors": [{"path": "a.wasm", "config": {"free": "form"}}]}
        });
        let mut found = unsupported(&tree);
        found.sort();
        assert_eq!(
            found,
            [
                "courier.sms.from",
                "identity.schemas[0].extra",
                "selfservice.flows.login.before.x",
                "serve.public.cors.enabled",
            ]
        );
    }
}
