//! The page templates: embedded defaults, any of which a deployment replaces by putting a file
//! of the same name in `ui.templates_dir` (extra files there can be included by the others).
//! Everything is compiled at start-up, so a broken template stops the server with its name
//! and line instead of failing a sign-in later.

use anyhow::Context;
use minijinja::Environment;
use std::path::Path;

/// Every file the pages use, with its embedded default.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("nodes.html", include_str!("templates/nodes.html")),
    ("login.html", include_str!("templates/login.html")),
    (
        "registration.html",
        include_str!("templates/registration.html"),
    ),
    ("settings.html", include_str!("templates/settings.html")),
    ("recovery.html", include_str!("templates/recovery.html")),
    (
        "verification.html",
        include_str!("templates/verification.html"),
    ),
    ("session.html", include_str!("templates/session.html")),
    ("error.html", include_str!("templates/error.html")),
    ("style.css", include_str!("templates/style.css")),
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn load(overrides: Option<&Path>) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        let mut sources: Vec<(String, String)> = DEFAULTS
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        if let Some(dir) = overrides {
            for (name, text) in read_dir(dir)? {
                match sources.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = text,
                    None => sources.push((name, text)),
                }
            }
        }
        for (name, text) in sources {
            env.add_template_owned(name.clone(), text)
                .with_context(|| format!("ui template {name}"))?;
        }
        Ok(Templates { env })
    }

    pub fn render(
        &self,
        name: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }
}

/// HTML escaping of the five characters that matter, leaving `/` alone so URLs stay readable
/// in the page source (minijinja's default also escapes `/`).
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_safe() || *state.auto_escape() != minijinja::AutoEscape::Html {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let text = match value.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(value.to_string()),
    };
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// The `.html` and `.css` files of `dir`, by file name.
fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading ui.templates_dir {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if !path.is_file() || !(name.ends_with(".html") || name.ends_with(".css")) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the ui template {}", path.display()))?;
        found.push((name, text));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_templates_compile() {
        let templates = Templates::load(None).unwrap();
        let css = templates
            .render("style.css", minijinja::context! {})
            .unwrap();
        assert!(css.contains(":focus-visible"));
    }

    #[test]
    fn values_are_escaped_for_html_but_urls_stay_readable() {
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        env.add_template("t.html", "<a href=\"{{ url }}\">{{ text }}</a>{{ none }}")
            .unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! {
                url => "http://a.example/x?b=1&c=2",
                text => "<script>alert('\"x\"')</script>",
                none => (),
            })
            .unwrap();
        assert_eq!(
            out,
            "<a href=\"http://a.example/x?b=1&amp;c=2\">&lt;script&gt;alert(&#39;&quot;x&quot;&#39;)&lt;/script&gt;</a>"
        );
    }

    #[test]
    fn a_file_in_the_override_dir_replaces_its_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("style.css"), "body { color: teal }").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a template").unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let css = templates
            .render("style.css", minijinja::context! {})
            .unwrap();
        assert_eq!(css, "body { color: teal }");
    }

    #[test]
    fn a_broken_override_is_named_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("login.html"), "{% if %}").unwrap();
        let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
        assert!(err.contains("login.html"), "{err}");
    }
}
