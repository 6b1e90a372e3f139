//! Loading end to end: files on disk, environment through a map.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::*;

/// A kratos.yml in the style of Kratos' quickstart, with a key Latchkey does not support.
const KRATOS_YML: &str = r#"
version: v1.3.0

dsn: postgres://kratos:db-password-do-not-log@127.0.0.1:5432/kratos?sslmode=disable

serve:
  public:
    base_url: http://127.0.0.1:4433/
    host: 0.0.0.0
  admin:
    base_url: http://kratos:4434/

selfservice:
  default_browser_return_url: http://127.0.0.1:4455/
  allowed_return_urls:
    - http://127.0.0.1:4455
    - https://*.example.org

  methods:
    password:
      enabled: true
      config:
        haveibeenpwned_enabled: false
        min_password_length: 10
    totp:
      enabled: true
      config:
        issuer: Example
    lookup_secret:
      enabled: false

  flows:
    error:
      ui_url: http://127.0.0.1:4455/error
    settings:
      ui_url: http://127.0.0.1:4455/settings
      privileged_session_max_age: 15m
      required_aal: aal1
    logout:
      after:
        default_browser_return_url: http://127.0.0.1:4455/login
    login:
      ui_url: http://127.0.0.1:4455/login
      lifespan: 10m
      max_submissions: 25
    registration:
      lifespan: 1h30m
      ui_url: http://127.0.0.1:4455/registration
      after:
        password:
          hooks:
            - hook: session
            - hook: show_verification_ui
        oidc:
          default_browser_return_url: http://127.0.0.1:4455/welcome
          hooks:
            - hook: session

session:
  lifespan: 720h
  cookie:
    domain: 127.0.0.1
    same_site: Strict
    persistent: false
  whoami:
    required_aal: aal1

log:
  level: debug
  format: json
  leak_sensitive_values: true

secrets:
  cookie:
    - PLEASE-CHANGE-ME-I-AM-VERY-INSECURE
  cipher:
    - 32-LONG-SECRET-NOT-SECURE-AT-ALL

hashers:
  algorithm: argon2
  argon2:
    memory: 128MB
    iterations: 3
    parallelism: 2
    salt_length: 16
    key_length: 32

identity:
  default_schema_id: customer
  schemas:
    - id: default
      url: file://identity.schema.json
    - id: customer
      url: file://schemas/customer.schema.json

courier:
  smtp:
    connection_uri: smtps://test:test@mailslurper:1025/?skip_ssl_verify=true
"#;

const PERSON_SCHEMA: &str = r#"{"title": "Person", "type": "object"}"#;
const CUSTOMER_SCHEMA: &str = r#"{"title": "Customer", "type": "object"}"#;

/// A directory to write config files into.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("temporary directory"))
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// The quickstart kratos.yml with its two schemas.
    fn quickstart(&self) -> PathBuf {
        self.write("identity.schema.json", PERSON_SCHEMA);
        self.write("schemas/customer.schema.json", CUSTOMER_SCHEMA);
        self.write("kratos.yml", KRATOS_YML)
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    let vars = vars.to_vec();
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

fn load_err(paths: &[PathBuf], env: &dyn Fn(&str) -> Option<String>) -> String {
    match load(paths, env) {
        Ok(_) => panic!("the config loaded although it is invalid"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn embedded_default_loads_without_warnings() {
    let Loaded { config, warnings } = load(&[], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");

    assert_eq!(config.dsn, "sqlite://latchkey.db?mode=rwc");
    assert_eq!(config.public_base_url().as_str(), "http://127.0.0.1:4433/");
    assert_eq!(config.admin_base_url().as_str(), "http://127.0.0.1:4434/");
    assert_eq!(
        config.selfservice.default_browser_return_url,
        config.public_base_url()
    );
    assert!(config.method_enabled("password"));
    assert!(config.method_enabled("totp"));
    assert!(config.method_enabled("lookup_secret"));
    assert!(!config.method_enabled("oidc"));

    let flows = &config.selfservice.flows;
    assert_eq!(flows.login.lifespan, Duration::from_secs(3600));
    assert_eq!(flows.login.max_submissions, 10);
    assert_eq!(flows.registration.lifespan, Duration::from_secs(3600));
    assert_eq!(
        flows.settings.privileged_session_max_age,
        Duration::from_secs(3600)
    );
    assert_eq!(flows.settings.required_aal, RequiredAal::HighestAvailable);
    // The built-in pages show every flow.
    assert!(config.ui.enabled);
    assert_eq!(config.ui.templates_dir, None);
    assert_eq!(
        flows.login.ui_url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:4433/ui/login")
    );
    assert_eq!(
        flows.registration.ui_url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:4433/ui/registration")
    );
    assert_eq!(
        flows.settings.ui_url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:4433/ui/settings")
    );
    assert_eq!(
        flows.error.ui_url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:4433/ui/error")
    );
    assert_eq!(flows.error.lifespan, Duration::from_secs(3600));

    assert_eq!(config.session.lifespan, Duration::from_secs(24 * 3600));
    assert_eq!(config.session.cookie.name, "ory_kratos_session");
    assert_eq!(
        config.session.whoami.required_aal,
        RequiredAal::HighestAvailable
    );
    assert!(config.cookie_secrets().is_empty());
    assert!(config.cipher_secrets().is_empty());

    let argon2 = &config.hashers.argon2;
    assert_eq!(config.hashers.algorithm, "argon2");
    assert_eq!(
        (argon2.memory.kib(), argon2.iterations, argon2.parallelism),
        (19456, 2, 1)
    );
    assert_eq!(
        (
            argon2.salt_length,
            argon2.key_length,
            config.hashers.bcrypt.cost
        ),
        (16, 32, 12)
    );
    assert_eq!(
        (config.log.level.as_str(), config.log.format.as_str()),
        ("info", "text")
    );
    assert!(!config.dev);

    let schema = config
        .identity
        .default_schema()
        .expect("the default schema");
    assert_eq!(schema.id, "default");
    let email = &schema.schema["properties"]["traits"]["properties"]["email"];
    assert_eq!(email["format"], "email");
    assert_eq!(email["title"], "E-Mail");
    assert_eq!(
        email["ory.sh/kratos"],
        json!({
            "credentials": {"password": {"identifier": true}, "totp": {"account_name": true}},
            "verification": {"via": "email"},
            "recovery": {"via": "email"},
        })
    );
    assert_eq!(
        schema.schema["properties"]["traits"]["required"],
        json!(["email"])
    );
    assert_eq!(
        schema.schema["properties"]["traits"]["additionalProperties"],
        false
    );

    // Next to the directory holding the executable, as target/debug/latchkey → target/plugins.
    let exe = std::env::current_exe().unwrap();
    let bundled = exe.parent().unwrap().parent().unwrap().join("plugins");
    let plugins = &config.plugins;
    let paths: Vec<_> = plugins.factors.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "password.wasm",
            "totp.wasm",
            "lookup_secret.wasm",
            "code.wasm",
            "link.wasm"
        ]
        .map(|f| bundled.join(f))
    );
    assert_eq!(plugins.factors[0].config, json!({}));
    assert_eq!(
        plugins.cache_dir,
        std::env::current_dir().unwrap().join(".latchkey-cache")
    );
    assert_eq!(plugins.memory_limit, ByteSize::from_bytes(64 << 20));
    assert_eq!(plugins.call_timeout, Duration::from_secs(1));
}

#[test]
fn the_link_method_is_loaded_with_a_courier_grant_but_off_as_in_kratos() {
    let config = load(&[], &no_env).unwrap().config;
    let granted: Vec<_> = config
        .plugins
        .factors
        .iter()
        .filter(|f| f.courier)
        .map(|f| f.path.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(granted, ["code.wasm", "link.wasm"]);
    assert!(!config.selfservice.methods["link"].enabled);
    assert_eq!(config.selfservice.flows.recovery.method, "code");

    let dir = Dir::new();
    let on = dir.write(
        "kratos.yml",
        "selfservice:\n  methods:\n    link:\n      enabled: true\n      config:\n        lifespan: 15m\n  flows:\n    recovery:\n      use: link\n",
    );
    let config = load(&[on], &no_env).unwrap().config;
    let link = &config.selfservice.methods["link"];
    assert!(link.enabled);
    assert_eq!(link.config["lifespan"], "15m");
    assert_eq!(config.selfservice.flows.recovery.method, "link");
}

#[test]
fn default_plugin_and_cache_dirs_follow_the_environment() {
    let env = env_of(&[
        ("LATCHKEY_PLUGIN_DIR", "/opt/latchkey/plugins"),
        ("LATCHKEY_CACHE_DIR", "/var/cache/latchkey"),
    ]);
    let config = load(&[], &env).unwrap().config;
    assert_eq!(
        config.plugins.factors[0].path,
        Path::new("/opt/latchkey/plugins/password.wasm")
    );
    assert_eq!(config.plugins.cache_dir, Path::new("/var/cache/latchkey"));
}

#[test]
fn quickstart_kratos_yml_loads_without_warnings() {
    let dir = Dir::new();
    let Loaded { config, warnings } = load(&[dir.quickstart()], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        config
            .courier
            .smtp
            .connection_uri
            .as_ref()
            .map(|s| s.expose()),
        Some("smtps://test:test@mailslurper:1025/?skip_ssl_verify=true")
    );

    assert!(config.dsn.starts_with("postgres://kratos:"));
    assert_eq!(config.serve.public.host, "0.0.0.0");
    assert_eq!(config.serve.public.port, 4433);
    assert_eq!(config.admin_base_url().as_str(), "http://kratos:4434/");

    let ss = &config.selfservice;
    assert_eq!(
        ss.default_browser_return_url.as_str(),
        "http://127.0.0.1:4455/"
    );
    assert_eq!(
        ss.allowed_return_urls,
        ["http://127.0.0.1:4455", "https://*.example.org"]
    );
    assert!(config.method_enabled("password") && config.method_enabled("totp"));
    assert!(!config.method_enabled("lookup_secret"));
    assert_eq!(ss.methods["totp"].config, json!({"issuer": "Example"}));
    assert_eq!(ss.methods["password"].config["min_password_length"], 10);

    let flows = &ss.flows;
    assert_eq!(
        flows.login.ui_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:4455/login"
    );
    assert_eq!(flows.login.lifespan, Duration::from_secs(600));
    assert_eq!(flows.login.max_submissions, 25);
    assert_eq!(flows.registration.lifespan, Duration::from_secs(5400));
    assert_eq!(
        flows.settings.lifespan,
        Duration::from_secs(3600),
        "default kept"
    );
    assert_eq!(
        flows.settings.privileged_session_max_age,
        Duration::from_secs(900)
    );
    assert_eq!(flows.settings.required_aal, RequiredAal::Aal1);
    assert_eq!(
        flows.error.ui_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:4455/error"
    );
    assert_eq!(
        flows
            .logout
            .after
            .default_browser_return_url
            .as_ref()
            .unwrap()
            .as_str(),
        "http://127.0.0.1:4455/login"
    );
    let after = &flows.registration.after;
    assert_eq!(
        after.methods["password"].hooks,
        json!([{"hook": "session"}, {"hook": "show_verification_ui"}])
    );
    assert_eq!(
        after.return_url("oidc").unwrap().as_str(),
        "http://127.0.0.1:4455/welcome"
    );
    assert_eq!(after.return_url("password"), None);
    assert_eq!(after.hooks, json!([]));

    assert_eq!(config.session.lifespan, Duration::from_secs(720 * 3600));
    assert_eq!(
        config.session.cookie.name, "ory_kratos_session",
        "default kept"
    );
    assert_eq!(config.session.cookie.domain.as_deref(), Some("127.0.0.1"));
    assert_eq!(config.session.cookie.same_site, SameSite::Strict);
    assert!(!config.session.cookie.persistent);
    assert_eq!(config.session.whoami.required_aal, RequiredAal::Aal1);

    assert_eq!(
        config.cookie_secrets(),
        [Secret::new("PLEASE-CHANGE-ME-I-AM-VERY-INSECURE")]
    );
    assert_eq!(
        config.cipher_secrets(),
        [Secret::new("32-LONG-SECRET-NOT-SECURE-AT-ALL")]
    );

    let argon2 = &config.hashers.argon2;
    assert_eq!(argon2.memory.kib(), 128 * 1024, "Kratos' MB is 1024 KiB");
    assert_eq!((argon2.iterations, argon2.parallelism), (3, 2));
    assert_eq!(
        (config.log.level.as_str(), config.log.format.as_str()),
        ("debug", "json")
    );
    assert!(config.log.leak_sensitive_values);

    assert_eq!(config.identity.default_schema_id, "customer");
    assert_eq!(
        config.identity.schema("default").unwrap().schema["title"],
        "Person"
    );
    let customer = config.identity.default_schema().unwrap();
    assert_eq!(customer.url, "file://schemas/customer.schema.json");
    assert_eq!(customer.schema["title"], "Customer");
}

#[test]
fn debug_output_hides_secrets_and_the_database_password() {
    let dir = Dir::new();
    let config = load(&[dir.quickstart()], &no_env).unwrap().config;
    let debug = format!("{config:?}");
    assert!(debug.contains("[redacted]"), "{debug}");
    for secret in [
        "PLEASE-CHANGE-ME-I-AM-VERY-INSECURE",
        "32-LONG-SECRET-NOT-SECURE-AT-ALL",
        "db-password-do-not-log",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
}

#[test]
fn environment_beats_the_files() {
    let dir = Dir::new();
    let env = env_of(&[
        ("SERVE_PUBLIC_PORT", "4455"),
        ("SERVE_PUBLIC_BASE_URL", "https://auth.example.org/"),
        (
            "SELFSERVICE_FLOWS_LOGIN_UI_URL",
            "https://app.example.org/login",
        ),
        ("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "5m"),
        ("SELFSERVICE_METHODS_TOTP_ENABLED", "false"),
        (
            "SECRETS_COOKIE",
            "from-the-environment-1,from-the-environment-2",
        ),
        (
            "SELFSERVICE_ALLOWED_RETURN_URLS",
            r#"["https://app.example.org"]"#,
        ),
        ("HASHERS_ARGON2_ITERATIONS", "4"),
        ("DSN", "sqlite:///var/lib/latchkey/db.sqlite?mode=rwc"),
    ]);
    let config = load(&[dir.quickstart()], &env).unwrap().config;
    assert_eq!(config.serve.public.port, 4455);
    assert_eq!(
        config.public_base_url().as_str(),
        "https://auth.example.org/"
    );
    let login = &config.selfservice.flows.login;
    assert_eq!(
        login.ui_url.as_ref().unwrap().as_str(),
        "https://app.example.org/login"
    );
    assert_eq!(login.lifespan, Duration::from_secs(300));
    assert!(!config.method_enabled("totp"));
    assert_eq!(
        config.selfservice.methods["totp"].config,
        json!({"issuer": "Example"}),
        "the file's sibling keys stay"
    );
    assert_eq!(
        config.cookie_secrets(),
        [
            Secret::new("from-the-environment-1"),
            Secret::new("from-the-environment-2")
        ]
    );
    assert_eq!(
        config.selfservice.allowed_return_urls,
        ["https://app.example.org"]
    );
    assert_eq!(config.hashers.argon2.iterations, 4);
    assert_eq!(config.dsn, "sqlite:///var/lib/latchkey/db.sqlite?mode=rwc");
}

#[test]
fn an_invalid_port_names_its_key() {
    let dir = Dir::new();
    let file = dir.write("kratos.yml", "serve:\n  public:\n    port: abc\n");
    assert_eq!(
        load_err(&[file], &no_env),
        "config key `serve.public.port`: invalid type: string \"abc\", expected u16"
    );

    let from_env = load_err(&[], &env_of(&[("SERVE_PUBLIC_PORT", "70000")]));
    assert!(
        from_env.starts_with("config key `serve.public.port`: "),
        "{from_env}"
    );
    assert!(from_env.contains("SERVE_PUBLIC_PORT"), "{from_env}");
}

#[test]
fn an_invalid_duration_names_its_key() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "selfservice:\n  flows:\n    settings:\n      privileged_session_max_age: 15 minutes\n",
    );
    let err = load_err(&[file], &no_env);
    assert!(
        err.starts_with("config key `selfservice.flows.settings.privileged_session_max_age`: invalid duration \"15 minutes\""),
        "{err}"
    );

    let file = dir.write("plain.yml", "session:\n  lifespan: 3600\n");
    let err = load_err(&[file], &no_env);
    assert!(err.starts_with("config key `session.lifespan`:"), "{err}");
    assert!(err.contains("unit is missing"), "{err}");
}

#[test]
fn a_short_secret_fails_without_printing_it() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "secrets:\n  cookie:\n    - a-long-enough-secret-value\n  cipher:\n    - hunter2-ish\n",
    );
    let err = load_err(&[file], &no_env);
    assert!(err.starts_with("config key `secrets.cipher[0]`: "), "{err}");
    assert!(err.contains("at least 16"), "{err}");
    assert!(!err.contains("hunter2-ish"), "{err}");

    let err = load_err(
        &[],
        &env_of(&[("SECRETS_COOKIE", "long-enough-secret-1,tiny-secret")]),
    );
    assert!(err.starts_with("config key `secrets.cookie[1]`: "), "{err}");
    assert!(err.contains("SECRETS_COOKIE"), "{err}");
    assert!(!err.contains("tiny-secret"), "{err}");
}

#[test]
fn secrets_default_serves_when_cookie_and_cipher_are_unset() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "secrets:\n  default:\n    - the-default-secret-0123\n",
    );
    let config = load(&[file], &no_env).unwrap().config;
    assert_eq!(
        config.cookie_secrets(),
        [Secret::new("the-default-secret-0123")]
    );
    assert_eq!(
        config.cipher_secrets(),
        [Secret::new("the-default-secret-0123")]
    );
}

#[test]
fn several_files_merge_deeply_in_order() {
    let base = Dir::new();
    let overlay = Dir::new();
    let first = base.quickstart();
    overlay.write("other.schema.json", r#"{"title": "Other"}"#);
    let second = overlay.write(
        "kratos.prod.yml",
        r#"
serve:
  public:
    port: 8443
selfservice:
  allowed_return_urls: [https://prod.example.org]
  flows:
    login:
      ui_url: https://prod.example.org/login
identity:
  default_schema_id: other
  schemas:
    - id: other
      url: other.schema.json
courier:
  smtp:
    from_address: noreply@example.org
  sms:
    enabled: true
    from: Latchkey
"#,
    );
    let Loaded { config, warnings } = load(&[first, second], &no_env).unwrap();

    assert_eq!(config.serve.public.port, 8443);
    assert_eq!(
        config.serve.public.host, "0.0.0.0",
        "kept from the first file"
    );
    assert_eq!(config.public_base_url().as_str(), "http://127.0.0.1:4433/");
    let login = &config.selfservice.flows.login;
    assert_eq!(
        login.ui_url.as_ref().unwrap().as_str(),
        "https://prod.example.org/login"
    );
    assert_eq!(
        login.lifespan,
        Duration::from_secs(600),
        "kept from the first file"
    );
    assert_eq!(
        config.selfservice.allowed_return_urls,
        ["https://prod.example.org"],
        "lists are replaced"
    );

    // The schema list comes from the second file, so its path resolves next to that file.
    let ids: Vec<&str> = config
        .identity
        .schemas
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, ["other"]);
    assert_eq!(
        config.identity.default_schema().unwrap().schema["title"],
        "Other"
    );

    let smtp = &config.courier.smtp;
    assert_eq!(
        (
            smtp.connection_uri.as_ref().map(|s| s.expose()),
            smtp.from_address.as_str()
        ),
        (
            Some("smtps://test:test@mailslurper:1025/?skip_ssl_verify=true"),
            "noreply@example.org"
        ),
        "maps merge key by key"
    );

    assert_eq!(
        warnings,
        [
            "config key `courier.sms.enabled` is not supported by Latchkey and is ignored",
            "config key `courier.sms.from` is not supported by Latchkey and is ignored",
        ],
        "in the order written"
    );
}

#[test]
fn base64_schemas_load() {
    use base64::Engine as _;
    let schema = r#"{"title": "Inline", "type": "object"}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(schema);
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        &format!("identity:\n  schemas:\n    - id: default\n      url: base64://{encoded}\n"),
    );
    let config = load(&[file], &no_env).unwrap().config;
    assert_eq!(config.identity.schemas.len(), 1);
    assert_eq!(
        config.identity.schemas[0].schema,
        json!({"title": "Inline", "type": "object"})
    );
}

#[test]
fn schema_problems_name_the_schema_key() {
    let dir = Dir::new();
    let remote = dir.write(
        "remote.yml",
        "identity:\n  schemas:\n    - id: default\n      url: https://example.org/s.json\n",
    );
    let err = load_err(&[remote], &no_env);
    assert!(
        err.starts_with("config key `identity.schemas[0].url`: "),
        "{err}"
    );
    assert!(
        err.contains("remote identity schemas are not supported"),
        "{err}"
    );

    let missing = dir.write(
        "missing.yml",
        "identity:\n  schemas:\n    - id: default\n      url: file://nowhere.json\n",
    );
    let err = load_err(&[missing], &no_env);
    assert!(err.contains("nowhere.json"), "{err}");

    let unknown_default = dir.write("default.yml", "identity:\n  default_schema_id: staff\n");
    let err = load_err(&[unknown_default], &no_env);
    assert!(
        err.starts_with("config key `identity.default_schema_id`: "),
        "{err}"
    );
    assert!(err.contains("`staff`"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = Dir::new();
    let path = dir.path().join("absent.yml");
    let err = load_err(std::slice::from_ref(&path), &no_env);
    assert!(err.contains(&path.display().to_string()), "{err}");

    let broken = dir.write("broken.yml", "serve: [unclosed\n");
    let err = load_err(std::slice::from_ref(&broken), &no_env);
    assert!(err.contains(&broken.display().to_string()), "{err}");
}

#[test]
fn plugin_paths_resolve_beside_the_file_then_in_the_plugin_dir() {
    let dir = Dir::new();
    dir.write("conf/mine.wasm", "");
    let file = dir.write(
        "conf/latchkey.yml",
        r#"
plugins:
  cache_dir: ./.latchkey-cache
  memory_limit: 32MiB
  call_timeout: 250ms
  factors:
    - path: password.wasm
      config: {pepper_env: none}
    - path: /opt/pin.wasm
    - path: mine.wasm
"#,
    );
    let env = env_of(&[("LATCHKEY_PLUGIN_DIR", "/opt/latchkey/plugins")]);
    let plugins = load(std::slice::from_ref(&file), &env)
        .unwrap()
        .config
        .plugins;
    let conf = dir.path().join("conf");
    let bundled = Path::new("/opt/latchkey/plugins");
    assert_eq!(plugins.cache_dir, conf.join("./.latchkey-cache"));
    assert_eq!(plugins.memory_limit.bytes(), 32 << 20);
    assert_eq!(plugins.call_timeout, Duration::from_millis(250));
    assert_eq!(plugins.dir, bundled, "LATCHKEY_PLUGIN_DIR is the default");
    // Not beside the config file: from the plugin directory.
    assert_eq!(plugins.factors[0].path, bundled.join("password.wasm"));
    assert_eq!(plugins.factors[0].config, json!({"pepper_env": "none"}));
    assert_eq!(plugins.factors[1].path, Path::new("/opt/pin.wasm"));
    assert_eq!(plugins.factors[1].config, json!({}));
    // Beside the config file, as earlier releases resolved every relative path.
    assert_eq!(plugins.factors[2].path, conf.join("mine.wasm"));

    // An explicit `dir` is the only place looked at.
    let with_dir = dir.write("conf/dir.yml", "plugins:\n  dir: ../wasm\n");
    let plugins = load(&[file, with_dir], &env).unwrap().config.plugins;
    let wasm = dir.path().join("conf/../wasm");
    assert_eq!(plugins.dir, wasm);
    assert_eq!(plugins.factors[0].path, wasm.join("password.wasm"));
    assert_eq!(plugins.factors[2].path, wasm.join("mine.wasm"));
}

#[test]
fn extra_factors_add_to_the_defaults_or_to_the_list() {
    let dir = Dir::new();
    let env = env_of(&[("LATCHKEY_PLUGIN_DIR", "/opt/latchkey/plugins")]);
    let bundled = Path::new("/opt/latchkey/plugins");
    let extra = dir.write(
        "extra.yml",
        "plugins:\n  extra_factors:\n    - path: pin.wasm\n      config: { min_digits: 6 }\n",
    );
    let plugins = load(std::slice::from_ref(&extra), &env)
        .unwrap()
        .config
        .plugins;
    let paths: Vec<_> = plugins.factors.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "password.wasm",
            "totp.wasm",
            "lookup_secret.wasm",
            "code.wasm",
            "link.wasm",
            "pin.wasm"
        ]
        .map(|f| bundled.join(f))
    );
    assert_eq!(plugins.factors[5].config, json!({"min_digits": 6}));
    assert_eq!(
        (plugins.factor_key(4), plugins.factor_key(5)),
        (
            "plugins.factors[4]".into(),
            "plugins.extra_factors[0]".into()
        )
    );

    // With a list of its own the extras follow it; the defaults are gone.
    let listed = dir.write(
        "listed.yml",
        "plugins:\n  factors:\n    - path: password.wasm\n",
    );
    let plugins = load(&[listed, extra], &env).unwrap().config.plugins;
    let paths: Vec<_> = plugins.factors.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        paths,
        ["password.wasm", "pin.wasm"].map(|f| bundled.join(f))
    );

    // Also from the environment, like `plugins.factors`.
    let env = env_of(&[
        ("LATCHKEY_PLUGIN_DIR", "/opt/latchkey/plugins"),
        ("PLUGINS_EXTRA_FACTORS", r#"[{"path": "/srv/ldap.wasm"}]"#),
    ]);
    let plugins = load(&[], &env).unwrap().config.plugins;
    assert_eq!(plugins.factors.len(), 6);
    assert_eq!(plugins.factors[5].path, Path::new("/srv/ldap.wasm"));

    let bad = dir.write(
        "bad.yml",
        "plugins:\n  extra_factors:\n    - path: pin.wasm\n      outbound_http: { timeout: 0s }\n",
    );
    let err = load_err(&[bad], &no_env);
    assert!(
        err.contains("plugins.extra_factors[0].outbound_http.timeout"),
        "{err}"
    );
}

#[test]
fn other_invalid_values_name_their_keys() {
    let dir = Dir::new();
    let cases = [
        ("hashers:\n  algorithm: md5\n", "hashers.algorithm"),
        (
            "hashers:\n  argon2:\n    memory: lots\n",
            "hashers.argon2.memory",
        ),
        ("hashers:\n  bcrypt:\n    cost: 40\n", "hashers.bcrypt.cost"),
        (
            "session:\n  whoami:\n    required_aal: aal3\n",
            "session.whoami.required_aal",
        ),
        (
            "selfservice:\n  flows:\n    login:\n      ui_url: /login\n",
            "selfservice.flows.login.ui_url",
        ),
        (
            "selfservice:\n  flows:\n    registration:\n      after:\n        oidc:\n          default_browser_return_url: nope\n",
            "selfservice.flows.registration.after.oidc.default_browser_return_url",
        ),
        ("log:\n  level: loud\n", "log.level"),
        (
            "hashers:\n  limits:\n    argon2:\n      memory: 1MB\n",
            "hashers.limits.argon2.memory",
        ),
        (
            "hashers:\n  limits:\n    argon2:\n      iterations: 1\n",
            "hashers.limits.argon2.iterations",
        ),
        (
            "hashers:\n  limits:\n    bcrypt:\n      cost: 11\n",
            "hashers.limits.bcrypt.cost",
        ),
        (
            "selfservice:\n  methods:\n    password:\n      config:\n        haveibeenpwned_host: hibp.example/v3\n",
            "selfservice.methods.password.config.haveibeenpwned_host",
        ),
        ("plugins:\n  call_timeout: 0s\n", "plugins.call_timeout"),
        (
            "plugins:\n  factors:\n    - config: {}\n",
            "plugins.factors[0]",
        ),
        ("serve: 4433\n", "serve"),
    ];
    for (yaml, key) in cases {
        let file = dir.write("kratos.yml", yaml);
        let err = load_err(&[file], &no_env);
        assert!(
            err.starts_with(&format!("config key `{key}`: ")),
            "{yaml}: {err}"
        );
    }
}

#[test]
fn empty_sections_keep_the_defaults() {
    let dir = Dir::new();
    let file = dir.write("kratos.yml", "serve:\n  public:\nlog:\ncourier:\n");
    let Loaded { config, warnings } = load(&[file], &no_env).unwrap();
    assert_eq!(config.serve.public.port, 4433);
    assert_eq!(config.log.level, "info");
    assert_eq!(config.courier.message_retries, 5);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn admin_api_keys_load_from_a_file_and_stay_out_of_debug_output() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "serve:\n  admin:\n    port: 4444\n    api_keys:\n      - first-admin-key-0123456789\n      - second-admin-key-0123456789\n",
    );
    let Loaded { config, warnings } = load(&[file], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.serve.admin.port, 4444);
    assert_eq!(config.serve.admin.host, "127.0.0.1");
    assert_eq!(
        config.serve.admin.api_keys,
        [
            Secret::new("first-admin-key-0123456789"),
            Secret::new("second-admin-key-0123456789")
        ]
    );
    let debug = format!("{config:?}");
    assert!(!debug.contains("first-admin-key"), "{debug}");
    assert!(
        debug.contains("api_keys: [[redacted], [redacted]]"),
        "{debug}"
    );
}

#[test]
fn admin_api_keys_default_to_none() {
    let config = load(&[], &no_env).unwrap().config;
    assert!(config.serve.admin.api_keys.is_empty());
}

#[test]
fn admin_api_keys_come_from_the_environment_as_json_or_a_comma_list() {
    let config = load(
        &[],
        &env_of(&[(
            "SERVE_ADMIN_API_KEYS",
            r#"["json-admin-key-0123456789", "json-admin-key-9876543210"]"#,
        )]),
    )
    .unwrap()
    .config;
    assert_eq!(
        config.serve.admin.api_keys,
        [
            Secret::new("json-admin-key-0123456789"),
            Secret::new("json-admin-key-9876543210")
        ]
    );

    let config = load(
        &[],
        &env_of(&[(
            "SERVE_ADMIN_API_KEYS",
            "comma-admin-key-0123456789,comma-admin-key-9876543210",
        )]),
    )
    .unwrap()
    .config;
    assert_eq!(config.serve.admin.api_keys.len(), 2);
    assert_eq!(
        config.serve.admin.api_keys[1].expose(),
        "comma-admin-key-9876543210"
    );
}

#[test]
fn a_short_admin_api_key_fails_without_printing_it() {
    let err = load_err(
        &[],
        &env_of(&[("SERVE_ADMIN_API_KEYS", "long-enough-admin-key,short-key")]),
    );
    assert!(
        err.starts_with("config key `serve.admin.api_keys[1]`: "),
        "{err}"
    );
    assert!(err.contains("at least 16"), "{err}");
    assert!(err.contains("SERVE_ADMIN_API_KEYS"), "{err}");
    assert!(!err.contains("short-key"), "{err}");
}

#[test]
fn api_keys_are_not_a_public_listener_key() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "serve:\n  public:\n    api_keys:\n      - public-keys-do-not-exist\n",
    );
    let warnings = load(&[file], &no_env).unwrap().warnings;
    assert_eq!(
        warnings,
        ["config key `serve.public.api_keys` is not supported by Latchkey and is ignored"]
    );
}

#[test]
fn outbound_http_grants_load_per_factor() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        r#"
plugins:
  factors:
    - path: oidc.wasm
      outbound_http:
        allow: ["https://Accounts.Example.com", "http://127.0.0.1:9000/"]
        allow_private: true
        timeout: 5s
        max_response_bytes: 64KiB
    - path: password.wasm
"#,
    );
    let Loaded { config, warnings } = load(std::slice::from_ref(&file), &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let factors = &config.plugins.factors;
    let grant = &factors[0].outbound_http;
    let allow: Vec<String> = grant.allow.iter().map(ToString::to_string).collect();
    assert_eq!(
        allow,
        ["https://accounts.example.com", "http://127.0.0.1:9000"]
    );
    assert!(grant.allow_private);
    assert_eq!(grant.timeout, Duration::from_secs(5));
    assert_eq!(grant.max_response_bytes, ByteSize::from_kib(64));
    // No grant: nothing allowed, and the documented defaults.
    assert_eq!(factors[1].outbound_http, OutboundHttp::default());
    assert!(config.plugins.policies.is_empty());
}

#[test]
fn bad_outbound_http_grants_name_their_keys() {
    let dir = Dir::new();
    let cases = [
        (
            "allow: [\"https://accounts.example.com/oauth\"]",
            "plugins.factors[0].outbound_http.allow[0]",
            "no path",
        ),
        (
            "allow: [\"https://a.example\", \"ftp://b.example\"]",
            "plugins.factors[0].outbound_http.allow[1]",
            "only http and https",
        ),
        (
            "allow: [accounts.example.com]",
            "plugins.factors[0].outbound_http.allow[0]",
            "invalid origin",
        ),
        (
            "timeout: 0s",
            "plugins.factors[0].outbound_http.timeout",
            "more than 0",
        ),
        (
            "max_response_bytes: 0",
            "plugins.factors[0].outbound_http.max_response_bytes",
            "more than 0",
        ),
        (
            "allow_private: maybe",
            "plugins.factors[0].outbound_http.allow_private",
            "",
        ),
    ];
    for (grant, key, why) in cases {
        let yaml = format!(
            "plugins:\n  factors:\n    - path: oidc.wasm\n      outbound_http:\n        {grant}\n"
        );
        let file = dir.write("kratos.yml", &yaml);
        let err = load_err(&[file], &no_env);
        assert!(
            err.starts_with(&format!("config key `{key}`: ")),
            "{yaml}: {err}"
        );
        assert!(err.contains(why), "{yaml}: {err}");
    }

    let file = dir.write(
        "kratos.yml",
        "plugins:\n  factors:\n    - path: oidc.wasm\n      outbound_http:\n        allow_privat: true\n",
    );
    let Loaded { warnings, .. } = load(&[file], &no_env).unwrap();
    assert_eq!(
        warnings,
        [
            "config key `plugins.factors[0].outbound_http.allow_privat` is not supported by Latchkey and is ignored"
        ]
    );
}

#[test]
fn without_the_built_in_ui_flows_have_no_ui_url() {
    let config = load(&[], &env_of(&[("UI_ENABLED", "false")]))
        .unwrap()
        .config;
    assert!(!config.ui.enabled);
    let flows = &config.selfservice.flows;
    assert!(flows.login.ui_url.is_none());
    assert!(flows.registration.ui_url.is_none());
    assert!(flows.settings.ui_url.is_none());
    assert!(flows.error.ui_url.is_none());
}

#[test]
fn a_configured_ui_url_wins_over_the_built_in_page_of_that_flow_only() {
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "serve:\n  public:\n    base_url: https://auth.example.org/id/\nselfservice:\n  flows:\n    login:\n      ui_url: https://app.example.org/login\n",
    );
    let flows = load(&[file], &no_env).unwrap().config.selfservice.flows;
    assert_eq!(
        flows.login.ui_url.unwrap().as_str(),
        "https://app.example.org/login"
    );
    assert_eq!(
        flows.settings.ui_url.unwrap().as_str(),
        "https://auth.example.org/id/ui/settings",
        "built-in pages live under the public base URL"
    );
}

#[test]
fn the_templates_dir_resolves_against_its_file_and_must_exist() {
    let dir = Dir::new();
    dir.write("conf/pages/login.html", "{% extends \"layout.html\" %}");
    let file = dir.write("conf/latchkey.yml", "ui:\n  templates_dir: pages\n");
    let ui = load(&[file], &no_env).unwrap().config.ui;
    assert_eq!(ui.templates_dir, Some(dir.path().join("conf/pages")));

    let missing = dir.write("conf/missing.yml", "ui:\n  templates_dir: nowhere\n");
    let err = load_err(&[missing], &no_env);
    assert!(
        err.contains("ui.templates_dir") && err.contains("not a directory"),
        "{err}"
    );
}

#[test]
fn hash_cost_limits_default_to_a_few_times_the_hasher() {
    let Loaded { config, .. } = load(&[], &no_env).unwrap();
    assert_eq!(
        config.hashers.cost_limits(),
        CostLimits {
            argon2_memory_kib: 4 * 19_456,
            argon2_iterations: 4,
            bcrypt_cost: 12,
        }
    );
    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "hashers:\n  argon2:\n    memory: 64MB\n    iterations: 1\n  limits:\n    argon2:\n      memory: 128MB\n    bcrypt:\n      cost: 13\n",
    );
    let Loaded { config, warnings } = load(&[file], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        config.hashers.cost_limits(),
        CostLimits {
            argon2_memory_kib: 131_072,
            argon2_iterations: 2,
            bcrypt_cost: 13,
        }
    );
}

#[test]
fn the_password_method_is_granted_the_range_api_it_names() {
    let entry = |config: serde_json::Value| PluginEntry {
        path: PathBuf::from("password.wasm"),
        config,
        outbound_http: OutboundHttp::default(),
        courier: false,
    };
    let Loaded { config, .. } = load(&[], &no_env).unwrap();
    let grant = config.factor_grant(&entry(json!({})), "password");
    let allowed: Vec<String> = grant.allow.iter().map(ToString::to_string).collect();
    assert_eq!(allowed, ["https://api.pwnedpasswords.com"]);
    assert!(!grant.allow_private);
    assert_eq!(grant.timeout, Duration::from_millis(500));
    assert!(
        config
            .factor_grant(&entry(json!({})), "totp")
            .allow
            .is_empty()
    );

    let dir = Dir::new();
    let file = dir.write(
        "kratos.yml",
        "selfservice:\n  methods:\n    password:\n      config:\n        haveibeenpwned_host: http://127.0.0.1:9000\n",
    );
    let Loaded { config, warnings } = load(&[file], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let grant = config.factor_grant(&entry(json!({})), "password");
    assert_eq!(grant.allow[0].to_string(), "http://127.0.0.1:9000");
    let off = entry(json!({ "haveibeenpwned_enabled": false }));
    assert!(config.factor_grant(&off, "password").allow.is_empty());
}

#[test]
fn courier_keys_load_with_kratos_defaults_and_relative_paths() {
    let dir = Dir::new();
    dir.write("templates/recovery.subject", "Recover {{ .To }}");
    let file = dir.write(
        "kratos.yml",
        r#"
courier:
  smtp:
    connection_uri: smtp://user:pass@mail:587/
    from_name: Example
    headers: { X-Tag: courier }
  message_retries: 9
  worker: { pull_count: 3, pull_wait: 250ms }
  template_override_path: overrides
  templates:
    recovery_code:
      valid:
        email:
          subject: file://templates/recovery.subject
          body:
            plaintext: base64://Q29kZToge3sgLlJlY292ZXJ5Q29kZSB9fQ==
  channels:
    - id: sms
      type: http
      request_config:
        url: https://sms.example.org/send
        auth: { type: api_key, config: { name: X-Key, value: k, in: header } }
"#,
    );
    let Loaded { config, warnings } = load(&[file], &no_env).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let courier = &config.courier;
    assert_eq!(courier.smtp.from_address, "no-reply@ory.kratos.sh");
    assert_eq!(courier.smtp.from_name.as_deref(), Some("Example"));
    assert_eq!(courier.smtp.local_name, "localhost");
    assert_eq!(courier.smtp.headers["X-Tag"], "courier");
    assert_eq!(courier.message_retries, 9);
    assert_eq!(
        (courier.worker.pull_count, courier.worker.pull_wait),
        (3, Duration::from_millis(250))
    );
    assert_eq!(
        courier.template_override_path.as_deref(),
        Some(dir.path().join("overrides").as_path())
    );
    let texts = &courier.templates["recovery_code.valid"];
    assert_eq!(texts.email_subject.as_deref(), Some("Recover {{ .To }}"));
    assert_eq!(
        texts.email_body_plaintext.as_deref(),
        Some("Code: {{ .RecoveryCode }}")
    );
    assert!(matches!(courier.delivery, crate::config::Delivery::Smtp));
    assert_eq!(
        courier.channels["sms"].url.as_str(),
        "https://sms.example.org/send"
    );
    assert!(
        !format!("{config:?}").contains("user:pass"),
        "the URI is redacted"
    );
}

#[test]
fn courier_settings_without_an_implementation_are_refused() {
    let cases = [
        (
            "courier:\n  delivery_strategy: http\n  http:\n    request_config:\n      url: https://mail.example.org\n      body: base64://ZnVuY3Rpb24oY3R4KSB7fQ==\n",
            "courier.http.request_config.body",
        ),
        (
            "courier:\n  smtp:\n    client_cert_path: /etc/cert.pem\n",
            "courier.smtp.client_cert_path",
        ),
        (
            "courier:\n  delivery_strategy: http\n",
            "courier.http.request_config",
        ),
        (
            "courier:\n  delivery_strategy: carrier-pigeon\n",
            "courier.delivery_strategy",
        ),
        (
            "courier:\n  templates:\n    recovery_code:\n      valid:\n        email:\n          subject: https://example.org/subject\n",
            "courier.templates.recovery_code.valid.email.subject",
        ),
        (
            "courier:\n  templates:\n    recovery_code:\n      valid:\n        email:\n          titel: base64://eA==\n",
            "courier.templates",
        ),
        (
            "courier:\n  smtp:\n    connection_uri: http://mail\n",
            "courier.smtp.connection_uri",
        ),
    ];
    for (yaml, key) in cases {
        let dir = Dir::new();
        let file = dir.write("kratos.yml", yaml);
        let err = load(&[file], &no_env).unwrap_err().to_string();
        assert!(err.contains(key), "{yaml}: {err}");
    }
}
