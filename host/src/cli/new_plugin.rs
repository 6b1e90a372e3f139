//! `latchkey plugin new NAME`: a factor plugin crate, ready to test and build, written from
//! the template in `plugins/template`, outside any Latchkey checkout.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// The template's code, the same file this repository builds and tests as
/// `latchkey-plugin-template`.
const TEMPLATE_LIB: &str = include_str!("../../../plugins/template/src/lib.rs");

/// Where the new crate takes the SDK from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// A checkout or a copy of `plugins/sdk`.
    Path(PathBuf),
    /// The Latchkey repository at a tag.
    Git { url: String, tag: String },
}

impl SdkSource {
    /// The source when none is given: the repository this binary was built from (the
    /// workspace's `repository`) at this release's tag, or else the SDK of the checkout it was
    /// built in, if that is still there.
    pub fn default_for_this_build() -> anyhow::Result<SdkSource> {
        let repository = env!("CARGO_PKG_REPOSITORY");
        if !repository.is_empty() {
            return Ok(SdkSource::Git {
                url: repository.to_string(),
                tag: release_tag(),
            });
        }
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk");
        match checkout.canonicalize() {
            Ok(sdk) if sdk.join("Cargo.toml").is_file() => Ok(SdkSource::Path(sdk)),
            _ => bail!(
                "this latchkey was built without a repository URL and its checkout's SDK is gone: give `--sdk-git <Latchkey repository URL>` (the tag defaults to {}) or `--sdk-path <dir of latchkey-plugin-sdk>`",
                release_tag()
            ),
        }
    }

    fn dependency(&self) -> String {
        match self {
            SdkSource::Path(dir) => format!("{{ path = {} }}", toml_string(&dir.to_string_lossy())),
            SdkSource::Git { url, tag } => {
                format!(
                    "{{ git = {}, tag = {} }}",
                    toml_string(url),
                    toml_string(tag)
                )
            }
        }
    }
}

/// The tag of this release in the Latchkey repository.
pub fn release_tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// What to write.
pub struct NewPlugin<'a> {
    /// The crate's name and directory (`my-factor`); the method id is this with `_` for `-`.
    pub name: &'a str,
    /// A second factor (aal2), rather than a first one (aal1).
    pub second_factor: bool,
    /// The directory to create the crate in.
    pub parent: &'a Path,
    pub sdk: SdkSource,
}

/// Writes the crate; its directory.
pub fn write(new: &NewPlugin) -> anyhow::Result<PathBuf> {
    let method = method_id(new.name)?;
    let dir = new.parent.join(new.name);
    if dir.exists() {
        bail!(
            "{} exists already: pick another name or directory",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("Cargo.toml", cargo_toml(new.name, &new.sdk)),
        ("src/lib.rs", lib_rs(&method, new.second_factor)?),
        ("Makefile", makefile(new.name)),
        ("README.md", readme(new.name, &method)),
        (".gitignore", "/target\n".to_string()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
}

/// `my-factor` → `my_factor`: lowercase letters, digits and `_`, starting with a letter.
fn method_id(name: &str) -> anyhow::Result<String> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        bail!(
            "`{name}` cannot name a plugin: use lowercase letters, digits, `-` and `_`, starting with a letter (the method id is the name with `_` for `-`)"
        );
    }
    Ok(name.replace('-', "_"))
}

fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn cargo_toml(name: &str, sdk: &SdkSource) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# A component is built from a cdylib: target/wasm32-wasip2/release/{lib}.wasm
crate-type = ["cdylib"]

[dependencies]
# Features: "password-hashing" (argon2 through the host), "outbound-http" (HTTP to granted origins).
latchkey-plugin-sdk = {dependency}

# A workspace of its own, also when created inside another one.
[workspace]
"#,
        lib = name.replace('-', "_"),
        dependency = sdk.dependency(),
    )
}

/// The template with its method id, type name and role replaced.
fn lib_rs(method: &str, second_factor: bool) -> anyhow::Result<String> {
    let mut text = TEMPLATE_LIB.to_string();
    let mut replace = |from: &str, to: &str| -> anyhow::Result<()> {
        if !text.contains(from) {
            bail!("the template no longer contains `{from}`");
        }
        text = text.replace(from, to);
        Ok(())
    };
    replace(
        "const METHOD: &str = \"template\";",
        &format!("const METHOD: &str = \"{method}\";"),
    )?;
    replace("struct Template;", "struct Factor;")?;
    replace("impl Guest for Template {", "impl Guest for Factor {")?;
    replace("factor!(Template);", "factor!(Factor);")?;
    if !second_factor {
        replace("role: FactorRole::Second,", "role: FactorRole::First,")?;
        replace("aal: Aal::Aal2,", "aal: Aal::Aal1,")?;
    }
    Ok(text)
}

fn makefile(name: &str) -> String {
    let lib = name.replace('-', "_");
    format!(
        r#"# `make` tests natively and builds the component; `make check` asks latchkey about it.
WASM := target/wasm32-wasip2/release/{lib}.wasm

all: test wasm

test:
	cargo test

wasm:
	rustup target add wasm32-wasip2 >/dev/null
	cargo build --release --target wasm32-wasip2
	@echo "built $(WASM)"

check: wasm
	latchkey plugin check $(WASM)

.PHONY: all test wasm check
"#
    )
}

fn readme(name: &str, method: &str) -> String {
    let lib = name.replace('-', "_");
    format!(
        r#"# {name}

A Latchkey factor plugin, method `{method}`, written by `latchkey plugin new`. It loads,
joins the settings flow with one button and refuses every submission: fill in `render` and
`submit` in `src/lib.rs`.

```sh
make                  # cargo test (natively, with the SDK's test kit), then the component:
                      # target/wasm32-wasip2/release/{lib}.wasm
make check            # latchkey plugin check on it
```

Load it next to the default factors:

```yaml
plugins:
  extra_factors:
    - path: /path/to/{lib}.wasm
selfservice:
  methods:
    {method}:
      enabled: true
```

The author's guide is docs/plugins.md in the Latchkey repository.
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_method_ids_or_are_refused() {
        assert_eq!(method_id("my-factor").unwrap(), "my_factor");
        assert_eq!(method_id("pin2").unwrap(), "pin2");
        for bad in ["", "My", "1pin", "a b", "a/b", "pin."] {
            assert!(method_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_template_takes_the_method_and_role() {
        let first = lib_rs("ldap", false).unwrap();
        assert!(first.contains("const METHOD: &str = \"ldap\";"));
        assert!(first.contains("role: FactorRole::First,") && first.contains("aal: Aal::Aal1,"));
        assert!(first.contains("factor!(Factor);"));
        let second = lib_rs("token", true).unwrap();
        assert!(second.contains("role: FactorRole::Second,") && second.contains("aal: Aal::Aal2,"));
    }

    #[test]
    fn dependency_lines() {
        let git = SdkSource::Git {
            url: "https://git.example/latchkey".into(),
            tag: "v0.1.0".into(),
        };
        assert_eq!(
            git.dependency(),
            r#"{ git = "https://git.example/latchkey", tag = "v0.1.0" }"#
        );
        assert_eq!(
            SdkSource::Path("/opt/sdk".into()).dependency(),
            r#"{ path = "/opt/sdk" }"#
        );
        let toml = cargo_toml("my-factor", &git);
        assert!(toml.contains("name = \"my-factor\""));
        assert!(toml.contains("release/my_factor.wasm"));
    }
}
