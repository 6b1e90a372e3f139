//! The command line: config errors, `migrate sql` and `plugin check`.

use crate::components;
use crate::harness::*;
use std::path::PathBuf;
use std::process::Command;

fn latchkey(work: &Workdir, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary())
        .args(args)
        .current_dir(work.path())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn an_invalid_config_value_fails_start_up_naming_the_key() {
    let work = Workdir::new();
    let cfg = work.write("kratos.yml", "serve:\n  public:\n    port: not-a-port\n");
    let (ok, out) = latchkey(&work, &["serve", "-c", cfg.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("serve.public.port"), "{out}");
}

#[test]
fn unknown_config_keys_are_warned_about_once() {
    let work = Workdir::new();
    let cfg = work.write(
        "kratos.yml",
        "courier:\n  sms:\n    request_config:\n      url: https://user:pw@sms.example.com\n",
    );
    let server = Server::with_config(&work, &cfg);
    let log = server.log();
    assert_eq!(
        log.matches("courier.sms.request_config.url").count(),
        1,
        "{log}"
    );
    assert!(
        !log.contains("user:pw"),
        "no config values in the log: {log}"
    );
}

#[test]
fn migrate_sql_applies_then_reports_up_to_date() {
    let work = Workdir::new();
    let dsn = work.dsn().to_string();
    let (ok, out) = latchkey(&work, &["migrate", "sql", &dsn, "--yes"]);
    assert!(ok, "{out}");
    assert!(out.contains("Applied migration 1"), "{out}");
    let (ok, out) = latchkey(&work, &["migrate", "sql", &dsn, "--yes"]);
    assert!(ok, "{out}");
    assert!(out.contains("up to date"), "{out}");
}

#[test]
fn plugin_check_describes_a_good_plugin() {
    let work = Workdir::new();
    let wasm = plugin("password");
    let (ok, out) = latchkey(&work, &["plugin", "check", wasm.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("method:       password"), "{out}");
    assert!(
        out.contains("latchkey:factor@0.3.0 (this host supports 0.3.x: yes)"),
        "{out}"
    );
    assert!(out.contains("first factor, grants aal1"), "{out}");
}

/// The `capabilities:` line of `plugin check`: each plugin imports what it uses, since the
/// SDK puts each optional capability behind a feature of its own.
#[test]
fn plugin_check_lists_only_the_capabilities_a_plugin_uses() {
    let work = Workdir::new();
    let capabilities = |name: &str| -> String {
        let wasm = plugin(name);
        let (ok, out) = latchkey(&work, &["plugin", "check", wasm.to_str().unwrap()]);
        assert!(ok, "{out}");
        out.lines()
            .find_map(|l| l.strip_prefix("capabilities:"))
            .unwrap_or_else(|| panic!("no capabilities line: {out}"))
            .trim()
            .to_string()
    };
    let (totp, pin, password, oidc) = (
        capabilities("totp"),
        capabilities("pin"),
        capabilities("password"),
        capabilities("oidc"),
    );
    for (plugin, line, hashing, http) in [
        ("totp", &totp, false, false),
        ("pin", &pin, true, false),
        ("password", &password, true, true),
        ("oidc", &oidc, false, true),
    ] {
        assert_eq!(
            line.contains("latchkey:host/password-hashing@0.1.1"),
            hashing,
            "{plugin}: {line}"
        );
        assert_eq!(
            line.contains("latchkey:host/outbound-http@0.1.1"),
            http,
            "{plugin}: {line}"
        );
    }
}

/// `latchkey plugin check ARGS…`, which must fail; its output.
fn check_fails(work: &Workdir, args: &[&str]) -> String {
    let mut all = vec!["plugin", "check"];
    all.extend_from_slice(args);
    let (ok, out) = latchkey(work, &all);
    assert!(!ok, "the check passed: {out}");
    assert!(out.starts_with("error: "), "{out}");
    out
}

fn contains_all(out: &str, parts: &[&str]) {
    for part in parts {
        assert!(out.contains(part), "no `{part}` in: {out}");
    }
}

fn write_component(work: &Workdir, name: &str, bytes: Vec<u8>) -> PathBuf {
    let path = work.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn plugin_check_tells_a_component_from_other_files() {
    let work = Workdir::new();
    let text = work.write("notes.wasm", "hello");
    let out = check_fails(&work, &[text.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "not a WebAssembly file",
            "cargo build --target wasm32-wasip2",
        ],
    );

    // The smallest core module: a header and nothing else.
    let core = work.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let out = check_fails(&work, &[core.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "core WebAssembly module, not a component",
            "wasm-tools component new",
        ],
    );

    // A component header with nothing sensible after it.
    let broken = work.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x0d\0\x01\0\xff\xff").unwrap();
    let out = check_fails(&work, &[broken.to_str().unwrap()]);
    contains_all(&out, &["not a valid component", "rebuild it"]);
}

#[test]
fn plugin_check_names_a_component_of_another_world_and_how_to_check_it() {
    let work = Workdir::new();
    let policy = plugin("default_policy");
    let out = check_fails(&work, &[policy.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "this is a policy component",
            "latchkey:policy/policy@0.1.0",
            "plugins.policies",
            &format!("latchkey plugin check --policy {}", policy.display()),
        ],
    );
    // Checked as what it is, it passes.
    let (ok, out) = latchkey(
        &work,
        &["plugin", "check", "--policy", policy.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    contains_all(
        &out,
        &["policy:       kratos-default", "latchkey:policy@0.1.0"],
    );

    let factor = plugin("password");
    let out = check_fails(&work, &["--policy", factor.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "this is a factor plugin",
            "latchkey:factor/factor@0.3.0",
            "plugins.factors",
            "without `--policy`",
        ],
    );

    let other = components::build(
        &[],
        "package example:tool@1.0.0;\nworld tool {\n  export run: func();\n}\n",
        "tool",
    );
    let other = write_component(&work, "tool.wasm", other);
    let out = check_fails(&work, &[other.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "does not export `latchkey:factor/factor`",
            "it exports `run`",
            "latchkey:factor/plugin",
        ],
    );
}

#[test]
fn plugin_check_names_a_missing_export() {
    let work = Workdir::new();
    let without_callback = components::factor_package(|wit| {
        let start = wit
            .find("    /// The browser came back from a third party")
            .unwrap();
        let end = wit
            .find("    /// Whether a stored credential counts")
            .unwrap();
        format!("{}{}", &wit[..start], &wit[end..])
    });
    let component = components::build(&[], &without_callback, "plugin");
    let path = write_component(&work, "no-callback.wasm", component);
    let out = check_fails(&work, &[path.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "`latchkey:factor/factor@0.3.0` export lacks `callback`",
            "it has `describe`, `render`, `submit`",
            "implement them all",
        ],
    );
}

#[test]
fn plugin_check_refuses_an_unsupported_version() {
    let work = Workdir::new();
    let future = components::factor_package(|wit| {
        wit.replace("latchkey:factor@0.3.0", "latchkey:factor@0.4.0")
    });
    let path = write_component(
        &work,
        "future.wasm",
        components::build(&[], &future, "plugin"),
    );
    let out = check_fails(&work, &[path.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "latchkey:factor@0.4.0",
            "this host supports 0.3.x, 0.2.x, 0.1.x",
        ],
    );
}

#[test]
fn plugin_check_names_an_import_the_host_does_not_provide() {
    let work = Workdir::new();
    let extra = "package example:files@1.0.0;\n\
        interface files {\n  read: func(path: string) -> string;\n}\n\
        world plugin-with-files {\n  include latchkey:factor/plugin@0.3.0;\n  import files;\n}\n";
    let component = components::build(
        &[components::factor_package(|wit| wit)],
        extra,
        "plugin-with-files",
    );
    let path = write_component(&work, "files.wasm", component);
    let out = check_fails(&work, &[path.to_str().unwrap()]);
    contains_all(
        &out,
        &[
            "imports `example:files/files@1.0.0`, which this host does not provide to a factor",
            "`latchkey:host/random@0.1.1`",
            "`latchkey:host/outbound-http@0.1.1`",
            "`latchkey:host/password-hashing@0.1.1`",
            "`latchkey:host/courier@0.1.1`",
            "WASI 0.2",
            "Remove what uses",
        ],
    );
}

#[test]
fn plugin_check_refuses_a_capability_its_configuration_does_not_grant() {
    let work = Workdir::new();
    let hostile = plugin("hostile");
    let config = password_and(&work, "kratos.yml", &hostile, "");
    let out = check_fails(
        &work,
        &[hostile.to_str().unwrap(), "-c", config.to_str().unwrap()],
    );
    contains_all(
        &out,
        &[
            "imports `latchkey:host/outbound-http@0.1.0`",
            "plugins.factors[1], which loads it, grants no origin",
            "outbound_http: { allow: [",
        ],
    );

    // The server, given the same file under plugins.policies, says what it is.
    let misplaced = work.write(
        "misplaced.yml",
        &format!("plugins:\n  policies:\n    - path: {}\n", hostile.display()),
    );
    let (ok, out) = latchkey(&work, &["serve", "-c", misplaced.to_str().unwrap()]);
    assert!(!ok, "{out}");
    contains_all(&out, &["this is a factor plugin", "plugins.factors"]);
}

#[test]
fn a_panic_in_describe_is_on_the_error_line_of_plugin_check_and_of_start_up() {
    let work = Workdir::new();
    let hostile = plugin("hostile");
    let config = password_and(
        &work,
        "kratos.yml",
        &hostile,
        "      config: { id: broken, mode: panic-in-describe }\n",
    );
    let panic = "hostile fixture: refusing to describe myself";
    let out = fails(
        &work,
        &[
            "plugin",
            "check",
            hostile.to_str().unwrap(),
            "-c",
            config.to_str().unwrap(),
        ],
    );
    let error = error_line(&out);
    contains_all(
        error,
        &[
            "plugins.factors[1]",
            "hostile.wasm",
            "trapped in `describe`",
            panic,
        ],
    );

    let out = fails(&work, &["serve", "-c", config.to_str().unwrap()]);
    let error = error_line(&out);
    contains_all(
        error,
        &[
            "plugins.factors[1]",
            "hostile.wasm",
            "trapped in `describe`",
            panic,
        ],
    );
}

/// A config file `name` loading the password plugin, then `second`, then `rest` (YAML that
/// follows the second entry: its settings, or more top-level keys).
fn password_and(
    work: &Workdir,
    name: &str,
    second: &std::path::Path,
    rest: &str,
) -> std::path::PathBuf {
    work.write(
        name,
        &format!(
            "plugins:\n  factors:\n    - path: {}\n    - path: {}\n{rest}",
            plugin("password").display(),
            second.display()
        ),
    )
}

/// The output of a command that must fail. What the plugin printed comes first, as log lines.
fn fails(work: &Workdir, args: &[&str]) -> String {
    let (ok, out) = latchkey(work, args);
    assert!(!ok, "`{}` passed: {out}", args.join(" "));
    out
}

/// The line a failed command ends with, naming what went wrong.
fn error_line(out: &str) -> &str {
    out.lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in: {out}"))
}

#[test]
fn plugin_check_refuses_the_settings_serve_refuses() {
    let work = Workdir::new();
    let totp = plugin("totp");
    let config = password_and(
        &work,
        "kratos.yml",
        &totp,
        "      config: { max_attempts: 0 }\n",
    );
    let refused = "max_attempts must be 1 to 100, not 0";
    let out = fails(
        &work,
        &[
            "plugin",
            "check",
            totp.to_str().unwrap(),
            "-c",
            config.to_str().unwrap(),
        ],
    );
    contains_all(error_line(&out), &["plugins.factors[1]", refused]);
    let out = fails(&work, &["serve", "-c", config.to_str().unwrap()]);
    contains_all(error_line(&out), &["plugins.factors[1]", refused]);

    // Settings under selfservice.methods.totp.config reach it as they reach the server.
    let by_method = password_and(
        &work,
        "by-method.yml",
        &totp,
        "selfservice:\n  methods:\n    totp:\n      enabled: true\n      config: { max_attempts: 0 }\n",
    );
    let out = fails(
        &work,
        &[
            "plugin",
            "check",
            totp.to_str().unwrap(),
            "-c",
            by_method.to_str().unwrap(),
        ],
    );
    contains_all(error_line(&out), &[refused]);

    // Without -c it is described as an entry without settings: TOTP's defaults pass.
    let (ok, out) = latchkey(&work, &["plugin", "check", totp.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("method:       totp"), "{out}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `cargo ARGS…` in `dir`, building into this workspace's target directory so that the
/// dependencies it compiled already are reused; its output, which must say it succeeded.
fn cargo_in(dir: &std::path::Path, args: &[&str]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        // The workspace's profile for dependencies, so that they are the ones built already.
        .args([
            "--offline",
            "--config",
            "profile.dev.package.\"*\".opt-level=2",
            "--config",
            "profile.dev.package.\"*\".debug=false",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "cargo {args:?} in {}: {text}",
        dir.display()
    );
    text
}

/// A new author's first hour: `plugin new` writes a crate outside the repository, on a copy of
/// the SDK outside the workspace (which so builds on its own, its WIT inside it), whose test
/// passes and whose component `plugin check` accepts.
#[test]
fn plugin_new_writes_a_crate_that_tests_and_builds_outside_the_repository() {
    let work = Workdir::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sdk = work.path().join("vendor/latchkey-plugin-sdk");
    copy_dir(&root.join("plugins/sdk"), &sdk);
    let parent = work.path().join("src");
    std::fs::create_dir_all(&parent).unwrap();
    let (ok, out) = latchkey(
        &work,
        &[
            "plugin",
            "new",
            "acme-token",
            "--second-factor",
            "--dir",
            parent.to_str().unwrap(),
            "--sdk-path",
            sdk.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let krate = parent.join("acme-token");
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "latchkey-plugin-sdk = {{ path = \"{}\" }}",
            sdk.display()
        )),
        "{manifest}"
    );
    for file in ["src/lib.rs", "Makefile", "README.md", ".gitignore"] {
        assert!(krate.join(file).is_file(), "no {file}");
    }
    // The versions this workspace resolved, so that nothing is fetched or built anew.
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    let tested = cargo_in(&krate, &["test"]);
    assert!(tested.contains("test result: ok. 1 passed"), "{tested}");
    cargo_in(&krate, &["build", "--release", "--target", "wasm32-wasip2"]);

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-wasip2/release/acme_token.wasm");
    let (ok, out) = latchkey(&work, &["plugin", "check", wasm.to_str().unwrap()]);
    assert!(ok, "{out}");
    contains_all(
        &out,
        &["method:       acme_token", "second factor, grants aal2"],
    );
    assert!(!out.contains("password-hashing"), "{out}");

    let (ok, out) = latchkey(
        &work,
        &[
            "plugin",
            "new",
            "acme-token",
            "--dir",
            parent.to_str().unwrap(),
        ],
    );
    assert!(!ok && out.contains("exists already"), "{out}");
    let (ok, out) = latchkey(&work, &["plugin", "new", "Bad Name", "--sdk-path", "x"]);
    assert!(!ok && out.contains("cannot name a plugin"), "{out}");
}
