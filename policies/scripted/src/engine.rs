//! Loading a rule script and evaluating it against one input. Pure: no host calls, so that
//! `describe`, `evaluate` and the unit tests share this code path.

use crate::error::LoadError;
use crate::fast;
use crate::input::{Input, Reads, VARIABLES};
use crate::script::{self, Decision, Hook, Rule};
use cel::common::ast::{EntryExpr, Expr};
use cel::objects::Key;
use cel::{Context, Env, ExecutionError, IdedExpr, Program, Value};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The settings the host passes (`latchkey:host/settings`): the policy's `config:` object with
/// the script file's content in `script`.
#[derive(Deserialize)]
struct Settings {
    script: Option<String>,
    script_path: Option<String>,
    name: Option<String>,
}

/// What `evaluate` answers, before it becomes the WIT `verdict`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub message: Option<String>,
    /// The rule that decided, for tests and logs.
    pub rule: Option<String>,
}

/// Something the operator should see in the log. Never carries values from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub fields: Vec<(String, String)>,
}

struct CompiledRule {
    rule: Rule,
    program: Program,
    /// The condition for the direct evaluator, when it can run it.
    fast: Option<fast::Node>,
    /// The input variables its condition refers to.
    reads: Reads,
}

/// A loaded script.
pub struct Policy {
    name: String,
    script_path: String,
    hooks: Vec<Hook>,
    rules: Vec<CompiledRule>,
    env: Arc<Env>,
}

impl Policy {
    /// Parses the settings and the script in them, and compiles every condition. Everything
    /// that can be found without an input is found here.
    pub fn load(settings_json: &str) -> Result<Policy, LoadError> {
        let settings: Settings = serde_json::from_str(settings_json)
            .map_err(|e| LoadError::settings(format!("settings are not a JSON object: {e}")))?;
        let Some(text) = settings.script else {
            return Err(LoadError::settings(
                "no `script` in the settings: set `config.script` to the path of a rule file",
            ));
        };
        let script_path = settings.script_path.unwrap_or_else(|| "<script>".into());
        let name = settings.name.unwrap_or_else(|| {
            let stem = script_path
                .rsplit('/')
                .next()
                .and_then(|file| file.split('.').next())
                .filter(|stem| !stem.is_empty() && *stem != "<script>");
            match stem {
                Some(stem) => format!("scripted:{stem}"),
                None => "scripted".into(),
            }
        });

        let env = Arc::new(Env::stdlib());
        let rules = script::parse(&text)?;
        let mut compiled = Vec::with_capacity(rules.len());
        let mut hooks = Vec::new();
        for rule in rules {
            let program = compile(&env, &rule)?;
            let references = program.references();
            let reads = VARIABLES
                .iter()
                .filter(|name| references.has_variable(name))
                .fold(Reads::default(), |reads, name| reads.with(name));
            for hook in &rule.hooks {
                if !hooks.contains(hook) {
                    hooks.push(*hook);
                }
            }
            let fast = fast::compile(program.expression());
            compiled.push(CompiledRule {
                rule,
                program,
                fast,
                reads,
            });
        }
        // Report hooks in the WIT's order, whatever order the rules name them in.
        hooks.sort_by_key(|h| Hook::ALL.iter().position(|x| x == h));
        Ok(Policy {
            name,
            script_path,
            hooks,
            rules: compiled,
            env,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    /// Runs the rules for `input.hook` in order. The first rule whose condition holds and whose
    /// decision is not already met by the session decides; none is `abstain`. A condition that
    /// fails to evaluate counts as false and is reported through `warn`.
    pub fn evaluate(&self, input: &Input, warn: &mut dyn FnMut(Warning)) -> Verdict {
        let abstain = Verdict {
            decision: Decision::Abstain,
            message: None,
            rule: None,
        };
        let rules = || {
            self.rules
                .iter()
                .filter(|r| r.rule.hooks.contains(&input.hook))
        };
        if rules().next().is_none() {
            return abstain;
        }
        // The interpreter's context is built only when a rule needs it, and then with only
        // the variables this hook's rules refer to.
        let documents = fast::Documents::new(input);
        let mut interpreter: Option<Context> = None;
        for CompiledRule {
            rule,
            program,
            fast,
            ..
        } in rules()
        {
            let direct = fast
                .as_ref()
                .and_then(|node| fast::evaluate(node, &documents).ok());
            let matched = match direct {
                Some(matched) => matched,
                None => {
                    let context = interpreter.get_or_insert_with(|| {
                        let reads = rules().fold(Reads::default(), |reads, r| reads.union(r.reads));
                        self.interpreter_context(input, reads, warn)
                    });
                    match program.execute(context) {
                        Ok(Value::Bool(b)) => b,
                        Ok(other) => {
                            self.warn_rule(
                                warn,
                                rule,
                                format!("`when` gave a {}, not a bool", other.type_of()),
                            );
                            false
                        }
                        Err(e) => {
                            self.warn_rule(warn, rule, describe_error(&e));
                            false
                        }
                    }
                }
            };
            if matched && !already_met(&rule.then, input) {
                return Verdict {
                    decision: rule.then.clone(),
                    message: rule.message.clone(),
                    rule: Some(rule.name.clone()),
                };
            }
        }
        abstain
    }

    fn interpreter_context(
        &self,
        input: &Input,
        reads: Reads,
        warn: &mut dyn FnMut(Warning),
    ) -> Context<'static, 'static> {
        let (variables, unparsable) = input.variables(reads);
        for document in unparsable {
            warn(Warning {
                message: format!("{document} is not valid JSON; the script sees null"),
                fields: vec![("policy".into(), self.name.clone())],
            });
        }
        let mut context = context(&self.env, input.now);
        for (name, value) in variables {
            context.add_variable_from_value(name, to_cel(value));
        }
        context
    }

    fn warn_rule(&self, warn: &mut dyn FnMut(Warning), rule: &Rule, reason: String) {
        warn(Warning {
            message: format!(
                "rule `{}` did not evaluate and is treated as not matching: {reason}",
                rule.name
            ),
            fields: vec![
                ("policy".into(), self.name.clone()),
                ("script".into(), self.script_path.clone()),
                ("line".into(), rule.when.line.to_string()),
            ],
        });
    }
}

/// A requirement the session already satisfies changes nothing, so the rules after it still
/// get their say (otherwise "aal2 for billing" would hide "re-authenticate for billing").
fn already_met(decision: &Decision, input: &Input) -> bool {
    match decision {
        Decision::RequireAal(level) => input.session.aal >= *level,
        Decision::RequireReauthWithin(seconds) => {
            let elapsed = input.now.saturating_sub(input.session.authenticated_at);
            elapsed >= 0 && (elapsed as u64) <= *seconds
        }
        Decision::Abstain | Decision::Allow | Decision::Deny(_) => false,
    }
}

/// A context with the helper functions. `now` is bound into `age`.
fn context(env: &Arc<Env>, now: i64) -> Context<'static, 'static> {
    let mut context = Context::with_env(Arc::clone(env));
    // Neither name is a standard overload, so adding them cannot fail.
    let _ = context.add_function(
        "seconds",
        |text: Arc<String>| -> Result<Value, ExecutionError> {
            script::parse_duration(&text)
                .and_then(|s| i64::try_from(s).ok())
                .map(Value::Int)
                .ok_or_else(|| {
                    ExecutionError::function_error("seconds", "expected a duration such as \"10m\"")
                })
        },
    );
    let _ = context.add_function("age", move |t: i64| now.saturating_sub(t));
    context
}

/// Compiles a rule's condition and checks the names it uses, with positions in the file.
fn compile(env: &Arc<Env>, rule: &Rule) -> Result<Program, LoadError> {
    let when = &rule.when;
    let position = |line: u32, column: u32| {
        if line <= 1 {
            (when.line, when.column + column.saturating_sub(1))
        } else {
            (when.line + line - 1, column)
        }
    };
    let program = env.compile(&when.source).map_err(|errors| {
        let first = errors.errors.first();
        let (line, column) = first
            .map(|e| (e.pos.0.max(1) as u32, e.pos.1.max(1) as u32))
            .unwrap_or((1, 1));
        let (line, column) = position(line, column);
        let message = first
            .map(|e| e.msg.replace("'<EOF>'", "the end of the condition"))
            .unwrap_or_else(|| "syntax error".into());
        LoadError::at(format!("in rule `{}`: {message}", rule.name), line, column)
    })?;

    let mut problems = Vec::new();
    check_names(env, program.expression(), &mut Vec::new(), &mut problems);
    if let Some((id, message)) = problems.into_iter().next() {
        let offset = program.source_info().offset_for(id).map(|(start, _)| start);
        let (line, column) = offset
            .map(|o| line_column(&when.source, o as usize))
            .unwrap_or((1, 1));
        let (line, column) = position(line, column);
        return Err(LoadError::at(
            format!("in rule `{}`: {message}", rule.name),
            line,
            column,
        ));
    }
    Ok(program)
}

/// 1-based line and column of a character offset.
fn line_column(source: &str, offset: usize) -> (u32, u32) {
    let mut line = 1;
    let mut column = 1;
    for c in source.chars().take(offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// Finds variables that are neither input variables nor bound by a macro, and global functions
/// that neither CEL nor this policy defines. `bound` holds the macro variables in scope.
fn check_names<'a>(
    env: &Arc<Env>,
    expr: &'a IdedExpr,
    bound: &mut Vec<&'a str>,
    problems: &mut Vec<(u64, String)>,
) {
    match &expr.expr {
        Expr::Ident(name) => {
            if !name.starts_with('@')
                && !bound.contains(&name.as_str())
                && !VARIABLES.contains(&name.as_str())
            {
                problems.push((
                    expr.id,
                    format!(
                        "unknown variable `{name}`; the variables are {}",
                        VARIABLES.join(", ")
                    ),
                ));
            }
        }
        Expr::Call(call) => {
            if !is_known_function(env, &call.func_name, call.target.is_some()) {
                problems.push((expr.id, format!("unknown function `{}`", call.func_name)));
            }
            if let Some(target) = &call.target {
                check_names(env, target, bound, problems);
            }
            for arg in &call.args {
                check_names(env, arg, bound, problems);
            }
        }
        Expr::Comprehension(c) => {
            check_names(env, &c.iter_range, bound, problems);
            check_names(env, &c.accu_init, bound, problems);
            let depth = bound.len();
            bound.push(&c.iter_var);
            if let Some(second) = &c.iter_var2 {
                bound.push(second);
            }
            bound.push(&c.accu_var);
            check_names(env, &c.loop_cond, bound, problems);
            check_names(env, &c.loop_step, bound, problems);
            check_names(env, &c.result, bound, problems);
            bound.truncate(depth);
        }
        Expr::List(list) => {
            for e in &list.elements {
                check_names(env, e, bound, problems);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(e) => {
                        check_names(env, &e.key, bound, problems);
                        check_names(env, &e.value, bound, problems);
                    }
                    EntryExpr::StructField(f) => check_names(env, &f.value, bound, problems),
                }
            }
        }
        Expr::Select(select) => check_names(env, &select.operand, bound, problems),
        Expr::Struct(_) => problems.push((expr.id, "message construction is not supported".into())),
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Whether CEL or this policy defines a function of this name, called globally (`size(x)`) or
/// as a member (`x.startsWith(y)`). Asked by calling it without arguments: an unknown name is an
/// undeclared reference, a known one fails on its arguments instead.
fn is_known_function(env: &Arc<Env>, name: &str, member: bool) -> bool {
    let operator = name.starts_with(['_', '@', '!']);
    let identifier = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if operator || !identifier {
        return true;
    }
    let probe = if member {
        format!("null.{name}()")
    } else {
        format!("{name}()")
    };
    match env.compile(&probe) {
        Ok(program) => !matches!(
            program.execute(&context(env, 0)),
            Err(ExecutionError::UndeclaredReference(_))
        ),
        Err(_) => true,
    }
}

/// A description of an evaluation error that never includes the values involved (they may be
/// an identity's traits).
fn describe_error(error: &ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => format!("no such key `{key}` (test with has(…))"),
        ExecutionError::UndeclaredReference(name) => format!("undeclared reference `{name}`"),
        ExecutionError::NoSuchOverload(overload) => overload.to_string(),
        ExecutionError::UnexpectedType { got, want } => {
            format!("unexpected type: got {got}, want {want}")
        }
        ExecutionError::FunctionError { function, .. } => format!("`{function}` failed"),
        ExecutionError::InvalidArgumentCount { expected, actual } => {
            format!("expected {expected} arguments, got {actual}")
        }
        ExecutionError::ValuesNotComparable(a, b) => format!(
            "a {} cannot be compared with a {}",
            a.type_of(),
            b.type_of()
        ),
        ExecutionError::DivisionByZero(_) | ExecutionError::RemainderByZero(_) => {
            "division by zero".into()
        }
        ExecutionError::Overflow(op, _, _) => format!("overflow in `{op}`"),
        ExecutionError::IndexOutOfBounds(_) => "index out of bounds".into(),
        _ => "evaluation error".into(),
    }
}

/// JSON to CEL. Numbers that fit become `int` (so `now - session.authenticated_at` stays an
/// int), others `double`.
fn to_cel(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n
                .as_u64()
                .map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::UInt),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s)),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.into_iter().map(to_cel).collect()))
        }
        serde_json::Value::Object(entries) => {
            let map: HashMap<Key, Value> = entries
                .into_iter()
                .map(|(k, v)| (Key::String(Arc::new(k)), to_cel(v)))
                .collect();
            Value::from(map)
        }
    }
}

#[cfg(test)]
impl Policy {
    /// Each rule's condition for `input` as the direct evaluator sees it (`None`: it leaves it
    /// to the interpreter) and as the interpreter does (`None`: not a bool, or an error).
    pub(crate) fn both_ways(&self, input: &Input) -> Vec<(String, Option<bool>, Option<bool>)> {
        let documents = fast::Documents::new(input);
        let context = self.interpreter_context(input, Reads::ALL, &mut |_| {});
        self.rules
            .iter()
            .map(|r| {
                let direct = r
                    .fast
                    .as_ref()
                    .and_then(|node| fast::evaluate(node, &documents).ok());
                let interpreted = match r.program.execute(&context) {
                    Ok(Value::Bool(b)) => Some(b),
                    _ => None,
                };
                (r.rule.when.source.clone(), direct, interpreted)
            })
            .collect()
    }

    /// Whether every rule's condition can run in the direct evaluator.
    pub(crate) fn all_direct(&self) -> bool {
        self.rules.iter().all(|r| r.fast.is_some())
    }
}
