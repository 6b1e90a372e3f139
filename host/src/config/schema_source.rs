//! Loads identity schemas named by `identity.schemas[].url`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

/// Loads the schema at `url`: `file://path`, a plain path, or `base64://<JSON>`. Relative paths
/// resolve against `base_dir`, the directory of the config file that named them.
///
/// Schemas are read once, here, so a missing or broken schema stops the server at start-up
/// instead of failing the first registration.
pub(super) fn load(url: &str, base_dir: &Path) -> Result<Value, String> {
    match read(url, base_dir, "identity schemas")? {
        Read::Inline(bytes) => {
            parse(&bytes).map_err(|e| format!("the base64:// data is not a JSON schema: {e}"))
        }
        Read::File(path, bytes) => {
            parse(&bytes).map_err(|e| format!("`{}` is not a JSON schema: {e}", path.display()))
        }
    }
}

/// What a config URL named, and where from.
pub(super) enum Read {
    /// The data of a `base64://` URL.
    Inline(Vec<u8>),
    File(std::path::PathBuf, Vec<u8>),
}

/// Reads `file://path`, a plain path, or `base64://<data>`, as Kratos' config URLs name files;
/// relative paths resolve against `base_dir`. `what` names the data in the refusal of remote
/// URLs ("remote identity schemas are not supported").
pub(super) fn read(url: &str, base_dir: &Path, what: &str) -> Result<Read, String> {
    let url = url.trim();
    if let Some(encoded) = strip_prefix_ignore_case(url, "base64://") {
        let bytes = decode_base64(encoded).ok_or("the base64:// data is not valid base64")?;
        return Ok(Read::Inline(bytes));
    }
    if ["http://", "https://"]
        .iter()
        .any(|scheme| strip_prefix_ignore_case(url, scheme).is_some())
    {
        return Err(format!(
            "remote {what} are not supported; use a file:// URL or base64:// instead"
        ));
    }
    // `file://relative/x.json` is not a valid file URL, but Kratos configs use it for paths
    // relative to the config, so everything after the scheme is taken as the path.
    let path = match strip_prefix_ignore_case(url, "file://") {
        Some(path) => path,
        None if url.contains("://") => {
            let scheme = url.split("://").next().unwrap_or_default();
            return Err(format!(
                "unsupported URL scheme `{scheme}://`; use file://, base64:// or a path"
            ));
        }
        None => url,
    };
    if path.is_empty() {
        return Err("the URL is empty".into());
    }
    let path = base_dir.join(path);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok(Read::File(path, bytes))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Any of the four base64 alphabets and paddings, ignoring line breaks that YAML folding or
/// `base64` without `-w0` put in.
fn decode_base64(encoded: &str) -> Option<Vec<u8>> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
}

fn parse(bytes: &[u8]) -> Result<Value, String> {
    let schema: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if !schema.is_object() {
        return Err("the schema must be a JSON object".into());
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_and_plain_paths_resolve_against_the_base_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("schemas")).unwrap();
        std::fs::write(dir.path().join("schemas/a.json"), r#"{"title": "A"}"#).unwrap();
        let absolute = format!("file://{}", dir.path().join("schemas/a.json").display());

        for url in [
            "file://schemas/a.json",
            "schemas/a.json",
            "FILE://./schemas/a.json",
            &absolute,
        ] {
            let schema = load(url, dir.path()).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(schema["title"], "A", "{url}");
        }
    }

    #[test]
    fn unusable_sources_say_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("list.json"), "[1]").unwrap();
        let cases = [
            (
                "https://example.com/s.json",
                "remote identity schemas are not supported",
            ),
            ("s3://bucket/s.json", "unsupported URL scheme `s3://`"),
            ("file://missing.json", "cannot read"),
            ("list.json", "must be a JSON object"),
            ("base64://!!!", "not valid base64"),
            ("", "empty"),
        ];
        for (url, expected) in cases {
            let err = load(url, dir.path()).expect_err(url);
            assert!(err.contains(expected), "{url}: {err}");
        }
    }
}
