//! The rule file: a list of rules, each naming the hooks it applies at, a CEL condition and the
//! decision it makes. This module only splits the file into rules and parses the decisions;
//! the conditions are compiled by [`crate::engine`].
//!
//! ```text
//! # A comment.
//! rule billing-needs-aal2
//!   hooks   route-check
//!   when    request.path == "/billing"
//!           || request.path.startsWith("/billing/")
//!   then    require_aal("aal2")
//!   message "Billing needs a second factor."
//! ```
//!
//! A clause starts with its keyword at the beginning of a line (after any indentation). Only
//! `when` continues over the following lines, up to the next keyword; its text, line breaks and
//! indentation included, is handed to CEL unchanged, so CEL's positions map back to the file.

use crate::error::LoadError;

/// Where a hook is asked, as the WIT `hook` enum names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    Whoami,
    Settings,
    LoginCompletion,
    RouteCheck,
}

impl Hook {
    pub const ALL: [Hook; 4] = [
        Hook::Whoami,
        Hook::Settings,
        Hook::LoginCompletion,
        Hook::RouteCheck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Hook::Whoami => "whoami",
            Hook::Settings => "settings",
            Hook::LoginCompletion => "login-completion",
            Hook::RouteCheck => "route-check",
        }
    }

    fn parse(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == name)
    }
}

/// Authenticator assurance level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aal {
    Aal1,
    Aal2,
}

impl Aal {
    pub fn name(self) -> &'static str {
        match self {
            Aal::Aal1 => "aal1",
            Aal::Aal2 => "aal2",
        }
    }
}

/// What a rule decides when it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Abstain,
    Allow,
    RequireAal(Aal),
    /// Seconds.
    RequireReauthWithin(u64),
    Deny(String),
}

/// A CEL expression and where its first character is in the file (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    pub source: String,
    pub line: u32,
    pub column: u32,
}

/// One rule as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    /// The line of its `rule` keyword.
    pub line: u32,
    pub hooks: Vec<Hook>,
    pub when: Expression,
    pub then: Decision,
    pub message: Option<String>,
}

const KEYWORDS: [&str; 5] = ["rule", "hooks", "when", "then", "message"];

/// A rule being read: clauses are filled in as they come.
struct Draft {
    name: String,
    line: u32,
    hooks: Option<Vec<Hook>>,
    when: Option<Expression>,
    then: Option<Decision>,
    message: Option<String>,
}

impl Draft {
    fn finish(self) -> Result<Rule, LoadError> {
        let missing = |clause: &str| {
            LoadError::at(
                format!("rule `{}` has no `{clause}` clause", self.name),
                self.line,
                1,
            )
        };
        Ok(Rule {
            hooks: self.hooks.clone().ok_or_else(|| missing("hooks"))?,
            when: self.when.clone().ok_or_else(|| missing("when"))?,
            then: self.then.clone().ok_or_else(|| missing("then"))?,
            name: self.name,
            line: self.line,
            message: self.message,
        })
    }
}

/// Splits a rule file into rules. Errors carry the line and column they were found at.
pub fn parse(text: &str) -> Result<Vec<Rule>, LoadError> {
    let mut rules = Vec::new();
    let mut draft: Option<Draft> = None;
    // True while the lines that follow may continue the current `when`.
    let mut in_when = false;

    for (index, raw) in text.lines().enumerate() {
        let line_no = index as u32 + 1;
        let indent = raw.len() - raw.trim_start().len();
        let body = raw.trim();
        let column = raw[..indent].chars().count() as u32 + 1;

        if body.is_empty() || body.starts_with('#') {
            if in_when && let Some(when) = draft.as_mut().and_then(|d| d.when.as_mut()) {
                // Keep CEL's line numbers in step with the file's.
                when.source.push('\n');
            }
            continue;
        }

        let (keyword, rest) = split_keyword(body);
        let Some(keyword) = keyword else {
            match draft.as_mut().and_then(|d| d.when.as_mut()) {
                Some(when) if in_when => {
                    when.source.push('\n');
                    when.source.push_str(raw.trim_end());
                    continue;
                }
                _ => {
                    return Err(LoadError::at(
                        "expected `rule`, `hooks`, `when`, `then` or `message` at the start of \
                         a line",
                        line_no,
                        column,
                    ));
                }
            }
        };
        in_when = false;
        // Where the clause's argument starts.
        let rest_offset = body.len() - rest.len();
        let rest_column = column + body[..rest_offset].chars().count() as u32;

        if keyword == "rule" {
            if let Some(done) = draft.take() {
                rules.push(done.finish()?);
            }
            let name = unquote(rest);
            draft = Some(Draft {
                name: if name.is_empty() {
                    format!("rule at line {line_no}")
                } else {
                    name.to_string()
                },
                line: line_no,
                hooks: None,
                when: None,
                then: None,
                message: None,
            });
            continue;
        }

        let Some(current) = draft.as_mut() else {
            return Err(LoadError::at(
                format!("`{keyword}` outside a rule: start one with `rule <name>`"),
                line_no,
                column,
            ));
        };
        let duplicate = match keyword {
            "hooks" => current.hooks.is_some(),
            "when" => current.when.is_some(),
            "then" => current.then.is_some(),
            _ => current.message.is_some(),
        };
        if duplicate {
            return Err(LoadError::at(
                format!("rule `{}` has a second `{keyword}` clause", current.name),
                line_no,
                column,
            ));
        }
        if rest.is_empty() {
            return Err(LoadError::at(
                format!("`{keyword}` needs a value"),
                line_no,
                column,
            ));
        }
        match keyword {
            "hooks" => current.hooks = Some(parse_hooks(rest, line_no, rest_column)?),
            "when" => {
                current.when = Some(Expression {
                    source: rest.to_string(),
                    line: line_no,
                    column: rest_column,
                });
                in_when = true;
            }
            "then" => current.then = Some(parse_decision(rest, line_no, rest_column)?),
            _ => {
                current.message = Some(if rest.starts_with(['"', '\'']) {
                    let mut cursor = Cursor::new(rest, line_no, rest_column);
                    let message = cursor.string()?;
                    cursor.end()?;
                    message
                } else {
                    rest.to_string()
                });
            }
        }
    }

    if let Some(done) = draft.take() {
        rules.push(done.finish()?);
    }
    if rules.is_empty() {
        return Err(LoadError::at(
            "the script has no rules: start one with `rule <name>`",
            1,
            1,
        ));
    }
    Ok(rules)
}

/// The clause keyword a line starts with, and the rest of the line after it.
fn split_keyword(body: &str) -> (Option<&'static str>, &str) {
    for keyword in KEYWORDS {
        if let Some(rest) = body.strip_prefix(keyword)
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            return (Some(keyword), rest.trim());
        }
    }
    (None, body)
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
            return inner;
        }
    }
    s
}

fn parse_hooks(text: &str, line: u32, column: u32) -> Result<Vec<Hook>, LoadError> {
    let mut hooks = Vec::new();
    let mut offset = 0;
    for word in text.split([',', ' ', '\t']) {
        let word_column = column + text[..offset].chars().count() as u32;
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        let found: Vec<Hook> = if word == "all" {
            Hook::ALL.to_vec()
        } else {
            match Hook::parse(word) {
                Some(hook) => vec![hook],
                None => {
                    return Err(LoadError::at(
                        format!(
                            "unknown hook `{word}`: the hooks are whoami, settings, \
                             login-completion, route-check (or all)"
                        ),
                        line,
                        word_column,
                    ));
                }
            }
        };
        for hook in found {
            if !hooks.contains(&hook) {
                hooks.push(hook);
            }
        }
    }
    Ok(hooks)
}

/// Parses `allow`, `abstain`, `deny("…")`, `require_aal("aal2")` or
/// `require_reauth_within("10m")` (a duration, or a number of seconds).
pub fn parse_decision(text: &str, line: u32, column: u32) -> Result<Decision, LoadError> {
    let mut cursor = Cursor::new(text, line, column);
    let name_column = cursor.column();
    let name = cursor.identifier();
    let decision = match name {
        "allow" => Decision::Allow,
        "abstain" => Decision::Abstain,
        "deny" => {
            cursor.expect('(')?;
            let reason = cursor.string()?;
            cursor.expect(')')?;
            Decision::Deny(reason)
        }
        "require_aal" => {
            cursor.expect('(')?;
            let at = cursor.column();
            let level = match cursor.string()?.as_str() {
                "aal1" => Aal::Aal1,
                "aal2" => Aal::Aal2,
                other => {
                    return Err(LoadError::at(
                        format!("unknown AAL `{other}`: use \"aal1\" or \"aal2\""),
                        line,
                        at,
                    ));
                }
            };
            cursor.expect(')')?;
            Decision::RequireAal(level)
        }
        "require_reauth_within" => {
            cursor.expect('(')?;
            let at = cursor.column();
            let seconds = if cursor.peek().is_some_and(|c| c.is_ascii_digit()) {
                let digits = cursor.take_while(|c| c.is_ascii_digit());
                digits.parse::<u64>().ok()
            } else {
                parse_duration(&cursor.string()?)
            };
            let Some(seconds) = seconds else {
                return Err(LoadError::at(
                    "expected a duration such as \"10m\", \"90s\" or \"1h30m\", or a number of \
                     seconds",
                    line,
                    at,
                ));
            };
            cursor.expect(')')?;
            Decision::RequireReauthWithin(seconds)
        }
        other => {
            return Err(LoadError::at(
                format!(
                    "unknown decision `{other}`: use allow, abstain, deny(\"reason\"), \
                     require_aal(\"aal2\") or require_reauth_within(\"10m\")"
                ),
                line,
                name_column,
            ));
        }
    };
    cursor.end()?;
    Ok(decision)
}

/// A duration such as `90s`, `10m`, `1h30m` or `2d`, in seconds. A bare number is seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(seconds);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let amount: u64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(amount.checked_mul(unit)?)?;
    }
    if !digits.is_empty() {
        return None;
    }
    Some(total)
}

/// Reads a one-line clause argument, tracking the column for errors.
struct Cursor<'a> {
    rest: &'a str,
    line: u32,
    column: u32,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, line: u32, column: u32) -> Self {
        Cursor {
            rest: text,
            line,
            column,
        }
    }

    fn column(&self) -> u32 {
        self.column
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.rest = &self.rest[c.len_utf8()..];
        self.column += 1;
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.rest;
        let mut len = 0;
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            len += c.len_utf8();
            self.bump();
        }
        &start[..len]
    }

    fn identifier(&mut self) -> &'a str {
        self.skip_spaces();
        self.take_while(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn error(&self, message: impl Into<String>) -> LoadError {
        LoadError::at(message, self.line, self.column)
    }

    fn expect(&mut self, wanted: char) -> Result<(), LoadError> {
        self.skip_spaces();
        if self.peek() == Some(wanted) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected `{wanted}`")))
        }
    }

    /// A string in double or single quotes, with `\\`, `\"` and `\'` escapes.
    fn string(&mut self) -> Result<String, LoadError> {
        self.skip_spaces();
        let Some(quote) = self.peek().filter(|c| *c == '"' || *c == '\'') else {
            return Err(self.error("expected a quoted string"));
        };
        let start = (self.line, self.column);
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(LoadError::at("unterminated string", start.0, start.1)),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                    _ => return Err(self.error("unknown escape in string")),
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// Nothing but a trailing comment may follow.
    fn end(&mut self) -> Result<(), LoadError> {
        self.skip_spaces();
        match self.peek() {
            None | Some('#') => Ok(()),
            Some(_) => Err(self.error("unexpected text after the clause")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_with_multi_line_conditions() {
        let rules = parse(
            "# header\n\
             rule first\n\
             \x20 hooks whoami, route-check\n\
             \x20 when a\n\
             \x20      || b\n\
             \n\
             \x20 then require_reauth_within(\"1h30m\")\n\
             \x20 message \"Please sign in again.\"\n\
             rule 'second one'\n\
             \x20 hooks all\n\
             \x20 when true\n\
             \x20 then deny(\"no\")  # trailing comment\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].hooks, vec![Hook::Whoami, Hook::RouteCheck]);
        assert_eq!(rules[0].when.source, "a\n       || b\n");
        assert_eq!((rules[0].when.line, rules[0].when.column), (4, 8));
        assert_eq!(rules[0].then, Decision::RequireReauthWithin(5400));
        assert_eq!(rules[0].message.as_deref(), Some("Please sign in again."));
        assert_eq!(rules[1].name, "second one");
        assert_eq!(rules[1].hooks.len(), 4);
        assert_eq!(rules[1].then, Decision::Deny("no".into()));
    }

    #[test]
    fn reports_format_errors_where_they_are() {
        let err = parse("rule a\n  hooks whoami, lgoin\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(17)));
        assert!(err.message.contains("unknown hook `lgoin`"));

        let err = parse("rule a\n  hooks whoami\n  when true\n  then require_aal(\"aal3\")\n")
            .unwrap_err();
        assert_eq!((err.line, err.column), (Some(4), Some(20)));

        let err = parse("rule a\n  hooks whoami\n  then allow\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(1), Some(1)));
        assert!(err.message.contains("no `when`"));

        let err = parse("  when true\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(1), Some(3)));

        let err = parse("rule a\n  hooks whoami\n  bogus\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(3)));

        assert!(parse("# nothing\n").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("2d"), Some(172_800));
        assert_eq!(parse_duration("300"), Some(300));
        assert_eq!(parse_duration("10"), Some(10));
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5m3"), None);
    }
}
