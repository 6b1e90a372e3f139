//! The part of Go's `text/template` and `html/template` that Kratos' message templates use:
//! `{{ .Field }}` and nested fields (`{{ .Identity.traits.email }}`), `{{ if … }}` with
//! `{{ else if … }}`, `{{ else }}` and `{{ end }}`, comments, and the `{{-`/`-}}` markers that
//! trim the whitespace beside an action.
//!
//! Crates that implement Go templates either lack HTML escaping or bring a whole function
//! library nobody configures here; what is not in this subset is refused when the template is
//! parsed — at start-up for configured templates — rather than printed wrongly.

use serde_json::Value;
use std::fmt;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// How values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As they are: subjects and plaintext bodies.
    None,
    /// HTML-escaped, as `html/template` does: HTML bodies.
    Html,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// A field path: `.` is empty, `.A.b` is `["A", "b"]`.
type Path = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Value(Path),
    If {
        branches: Vec<(Path, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
}

enum Token {
    Text(String),
    Action(String),
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, ParseError> {
        let tokens = tokenize(source)?;
        let mut tokens = tokens.into_iter().peekable();
        let (nodes, end) = parse_nodes(&mut tokens)?;
        match end {
            None => Ok(Template { nodes }),
            Some(action) => Err(ParseError(format!("unexpected {{{{{action}}}}}"))),
        }
    }

    pub fn render(&self, data: &Value, escape: Escape) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, data, escape, &mut out);
        out
    }
}

fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut rest = source;
    let mut trim_next_text = false;
    while !rest.is_empty() {
        let (text, after) = match rest.find("{{") {
            Some(start) => (&rest[..start], Some(&rest[start + 2..])),
            None => (rest, None),
        };
        let mut text = if trim_next_text {
            text.trim_start()
        } else {
            text
        };
        let Some(after) = after else {
            tokens.push(Token::Text(text.to_owned()));
            break;
        };
        let (trim_before, inner_start) = match after.strip_prefix("- ") {
            Some(inner) => (true, inner),
            None => (false, after),
        };
        if trim_before {
            text = text.trim_end();
        }
        if !text.is_empty() {
            tokens.push(Token::Text(text.to_owned()));
        }
        let close = inner_start
            .find("}}")
            .ok_or_else(|| ParseError("an action is not closed with }}".into()))?;
        let mut inner = &inner_start[..close];
        trim_next_text = false;
        if let Some(stripped) = inner.strip_suffix(" -") {
            inner = stripped;
            trim_next_text = true;
        }
        tokens.push(Token::Action(inner.trim().to_owned()));
        rest = &inner_start[close + 2..];
    }
    Ok(tokens)
}

/// Parses nodes up to the `else`/`end` that closes the enclosing block, which it returns.
fn parse_nodes(
    tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
) -> Result<(Vec<Node>, Option<String>), ParseError> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        let action = match token {
            Token::Text(text) => {
                nodes.push(Node::Text(text));
                continue;
            }
            Token::Action(action) => action,
        };
        if action.starts_with("/*") && action.ends_with("*/") {
            continue;
        }
        if action == "end" || action == "else" || action.starts_with("else if ") {
            return Ok((nodes, Some(action)));
        }
        if let Some(condition) = action.strip_prefix("if ") {
            nodes.push(parse_if(parse_path(condition)?, tokens)?);
            continue;
        }
        nodes.push(Node::Value(parse_path(&action)?));
    }
    Ok((nodes, None))
}

fn parse_if(
    first: Path,
    tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
) -> Result<Node, ParseError> {
    let mut branches = Vec::new();
    let mut condition = first;
    loop {
        let (body, end) = parse_nodes(tokens)?;
        branches.push((condition, body));
        match end.as_deref() {
            Some("end") => {
                return Ok(Node::If {
                    branches,
                    otherwise: Vec::new(),
                });
            }
            Some("else") => {
                let (otherwise, end) = parse_nodes(tokens)?;
                if end.as_deref() != Some("end") {
                    return Err(ParseError("{{else}} is not followed by {{end}}".into()));
                }
                return Ok(Node::If {
                    branches,
                    otherwise,
                });
            }
            Some(other) => match other.strip_prefix("else if ") {
                Some(next) => condition = parse_path(next)?,
                None => return Err(ParseError(format!("unexpected {{{{{other}}}}}"))),
            },
            None => return Err(ParseError("{{if}} is not closed with {{end}}".into())),
        }
    }
}

/// `.` or `.A.b`; anything else (functions, pipelines, variables) is outside the subset.
fn parse_path(action: &str) -> Result<Path, ParseError> {
    let action = action.trim();
    let unsupported = || {
        ParseError(format!(
            "{{{{{action}}}}} is not supported: message templates may use fields ({{{{ .Name }}}}, \
             {{{{ .Identity.traits.email }}}}) and if/else/end"
        ))
    };
    if action == "." {
        return Ok(Vec::new());
    }
    let fields = action.strip_prefix('.').ok_or_else(unsupported)?;
    let path: Path = fields.split('.').map(str::to_owned).collect();
    let valid = |field: &String| {
        !field.is_empty() && field.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if path.iter().all(valid) {
        Ok(path)
    } else {
        Err(unsupported())
    }
}

fn render_nodes(nodes: &[Node], data: &Value, escape: Escape, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Value(path) => write_value(lookup(data, path), escape, out),
            Node::If {
                branches,
                otherwise,
            } => {
                let taken = branches
                    .iter()
                    .find(|(condition, _)| truthy(lookup(data, condition)))
                    .map_or(otherwise.as_slice(), |(_, body)| body.as_slice());
                render_nodes(taken, data, escape, out);
            }
        }
    }
}

fn lookup<'a>(data: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(data, |value, field| value.get(field))
}

/// Go's truth: false, 0, nil and empty strings, lists and maps are false.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
    }
}

/// A missing field prints nothing, as `html/template` prints it (`text/template` would print
/// `<no value>`, which no message should ever carry).
fn write_value(value: Option<&Value>, escape: Escape, out: &mut String) {
    let text = match value {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match escape {
        Escape::None => out.push_str(&text),
        Escape::Html => {
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&#34;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, data: Value, escape: Escape) -> String {
        Template::parse(source).unwrap().render(&data, escape)
    }

    #[test]
    fn fields_and_nested_fields() {
        let data = json!({ "To": "ada@example.com", "ExpiresInMinutes": 15,
                           "Identity": { "traits": { "email": "ada@example.com" } } });
        assert_eq!(
            render(
                "Hi {{ .Identity.traits.email }}, {{.To}} for {{ .ExpiresInMinutes }} min{{ .Missing }}",
                data,
                Escape::None
            ),
            "Hi ada@example.com, ada@example.com for 15 min"
        );
    }

    #[test]
    fn conditionals_and_trim_markers() {
        let source = "code\n{{ if .RequestURLDomain }}\n@{{ .RequestURLDomain }}\n{{ end -}}\n!";
        assert_eq!(
            render(
                source,
                json!({ "RequestURLDomain": "example.com" }),
                Escape::None
            ),
            "code\n\n@example.com\n!"
        );
        assert_eq!(render(source, json!({}), Escape::None), "code\n!");
        let chain = "{{ if .A }}a{{ else if .B }}b{{ else }}c{{ end }}";
        assert_eq!(render(chain, json!({ "A": "x" }), Escape::None), "a");
        assert_eq!(render(chain, json!({ "B": 1 }), Escape::None), "b");
        assert_eq!(render(chain, json!({ "A": "", "B": 0 }), Escape::None), "c");
        assert_eq!(
            render("a  {{- /* note */ -}}  b", json!({}), Escape::None),
            "ab"
        );
    }

    #[test]
    fn html_escapes_values_but_not_the_template() {
        assert_eq!(
            render(
                "<a href=\"{{ .URL }}\">{{ .Name }}</a>",
                json!({ "URL": "https://x/?a=1&b=\"2\"", "Name": "<script>" }),
                Escape::Html
            ),
            "<a href=\"https://x/?a=1&amp;b=&#34;2&#34;\">&lt;script&gt;</a>"
        );
    }

    #[test]
    fn what_is_outside_the_subset_is_refused() {
        for source in [
            "{{ range .Items }}x{{ end }}",
            "{{ printf \"%s\" .To }}",
            "{{ $x := .To }}",
            "{{ if .A }}unclosed",
            "{{ end }}",
            "{{ .To ",
        ] {
            assert!(Template::parse(source).is_err(), "{source}");
        }
    }
}
