//! A direct evaluator for the part of CEL that rules are written in, run before the `cel`
//! interpreter. The interpreter needs every variable converted into its own value types
//! (maps of boxed values, hashed keys) on every decision, which costs far more than the
//! conditions themselves; this evaluator reads the input where it lies and parses the
//! identity's JSON documents only when a condition reaches into them.
//!
//! It answers only when it is sure to agree with the interpreter: anything it does not
//! implement is refused when the rule is loaded ([`compile`] gives `None`), and anything
//! that would be an error or depends on CEL's finer points (errors absorbed by `&&` and `||`,
//! equality across types, overflow) gives up at run time ([`Bail`]). In both cases the rule is
//! evaluated by the interpreter as before, warnings included.

use crate::input::{AuthMethod, Device, Input, Request, Session};
use crate::script;
use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::rc::Rc;

/// A condition compiled for this evaluator.
#[derive(Debug)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(String),
    Var(Var),
    /// A macro variable, by its position in the scope stack.
    Local(usize),
    Select(Box<Node>, String),
    Has(Box<Node>, String),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    NotStrictlyFalse(Box<Node>),
    Cond(Box<[Node; 3]>),
    Eq(Box<Node>, Box<Node>),
    Ne(Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Add(Box<Node>, Box<Node>),
    Sub(Box<Node>, Box<Node>),
    Neg(Box<Node>),
    In(Box<Node>, Box<Node>),
    Index(Box<Node>, Box<Node>),
    StartsWith(Box<Node>, Box<Node>),
    EndsWith(Box<Node>, Box<Node>),
    Contains(Box<Node>, Box<Node>),
    Size(Box<Node>),
    Age(Box<Node>),
    Seconds(Box<Node>),
    List(Vec<Node>),
    Fold(Box<Fold>),
}

#[derive(Debug)]
pub(crate) struct Fold {
    range: Node,
    init: Node,
    cond: Node,
    step: Node,
    result: Node,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Var {
    Hook,
    Now,
    Session,
    Identity,
    Request,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// Compiles a parsed condition, or `None` when it uses something this evaluator leaves to the
/// interpreter.
pub(crate) fn compile(expr: &IdedExpr) -> Option<Node> {
    compile_in(expr, &mut Vec::new())
}

fn compile_in(expr: &IdedExpr, scope: &mut Vec<String>) -> Option<Node> {
    let mut sub = |e: &IdedExpr| compile_in(e, scope).map(Box::new);
    Some(match &expr.expr {
        Expr::Literal(literal) => match literal {
            LiteralValue::Null => Node::Null,
            LiteralValue::Boolean(b) => Node::Bool(*b.inner()),
            LiteralValue::Int(i) => Node::Int(*i.inner()),
            LiteralValue::UInt(u) => Node::UInt(*u.inner()),
            LiteralValue::Double(d) => Node::Double(*d.inner()),
            LiteralValue::String(s) => Node::Str(s.inner().to_string()),
            LiteralValue::Bytes(_) => return None,
        },
        Expr::Ident(name) => match scope.iter().rposition(|local| local == name) {
            Some(slot) => Node::Local(slot),
            None => Node::Var(match name.as_str() {
                "hook" => Var::Hook,
                "now" => Var::Now,
                "session" => Var::Session,
                "identity" => Var::Identity,
                "request" => Var::Request,
                _ => return None,
            }),
        },
        Expr::Select(select) => {
            let operand = sub(&select.operand)?;
            if select.test {
                Node::Has(operand, select.field.clone())
            } else {
                Node::Select(operand, select.field.clone())
            }
        }
        Expr::List(list) if list.optional_indices.is_empty() => Node::List(
            list.elements
                .iter()
                .map(|e| compile_in(e, scope))
                .collect::<Option<_>>()?,
        ),
        Expr::Comprehension(c) if c.iter_var2.is_none() => {
            let range = compile_in(&c.iter_range, scope)?;
            let init = compile_in(&c.accu_init, scope)?;
            let depth = scope.len();
            scope.push(c.iter_var.clone());
            scope.push(c.accu_var.clone());
            let inner = (|| {
                Some(Fold {
                    range,
                    init,
                    cond: compile_in(&c.loop_cond, scope)?,
                    step: compile_in(&c.loop_step, scope)?,
                    result: compile_in(&c.result, scope)?,
                })
            })();
            scope.truncate(depth);
            Node::Fold(Box::new(inner?))
        }
        Expr::Call(call) => {
            let name = call.func_name.as_str();
            match (&call.target, call.args.as_slice()) {
                (None, [a]) => {
                    let a = sub(a)?;
                    match name {
                        operators::LOGICAL_NOT => Node::Not(a),
                        operators::NOT_STRICTLY_FALSE => Node::NotStrictlyFalse(a),
                        operators::NEGATE => Node::Neg(a),
                        "size" => Node::Size(a),
                        "age" => Node::Age(a),
                        "seconds" => Node::Seconds(a),
                        _ => return None,
                    }
                }
                (None, [a, b]) => {
                    let (a, b) = (sub(a)?, sub(b)?);
                    match name {
                        operators::LOGICAL_AND => Node::And(a, b),
                        operators::LOGICAL_OR => Node::Or(a, b),
                        operators::EQUALS => Node::Eq(a, b),
                        operators::NOT_EQUALS => Node::Ne(a, b),
                        operators::LESS => Node::Cmp(Cmp::Lt, a, b),
                        operators::LESS_EQUALS => Node::Cmp(Cmp::Le, a, b),
                        operators::GREATER => Node::Cmp(Cmp::Gt, a, b),
                        operators::GREATER_EQUALS => Node::Cmp(Cmp::Ge, a, b),
                        operators::ADD => Node::Add(a, b),
                        operators::SUBSTRACT => Node::Sub(a, b),
                        operators::IN => Node::In(a, b),
                        operators::INDEX => Node::Index(a, b),
                        _ => return None,
                    }
                }
                (None, [a, b, c]) if name == operators::CONDITIONAL => {
                    let nodes = [
                        compile_in(a, scope)?,
                        compile_in(b, scope)?,
                        compile_in(c, scope)?,
                    ];
                    Node::Cond(Box::new(nodes))
                }
                (Some(target), []) if name == "size" => Node::Size(sub(target)?),
                (Some(target), [arg]) => {
                    let (target, arg) = (sub(target)?, sub(arg)?);
                    match name {
                        "startsWith" => Node::StartsWith(target, arg),
                        "endsWith" => Node::EndsWith(target, arg),
                        "contains" => Node::Contains(target, arg),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// This evaluator cannot be sure of the answer: the interpreter decides.
#[derive(Debug)]
pub(crate) struct Bail;

type Result<T> = std::result::Result<T, Bail>;

/// A value during evaluation, borrowed from the input and the compiled rules where it can be.
#[derive(Clone)]
enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Cow<'a, str>),
    List(List<'a>),
    Map(Map<'a>),
}

#[derive(Clone)]
enum List<'a> {
    Json(&'a [Json]),
    Methods(&'a [AuthMethod]),
    Devices(&'a [Device]),
    Strings(&'a [String]),
    Values(Rc<Vec<Val<'a>>>),
}

#[derive(Clone, Copy)]
enum Map<'a> {
    Json(&'a serde_json::Map<String, Json>),
    Session(&'a Session),
    Method(&'a AuthMethod),
    Device(&'a Device),
    Identity(&'a Documents<'a>),
    Request(&'a Request),
    Headers(&'a [(String, String)]),
}

/// The identity's JSON documents, parsed when a condition first reads them.
pub(crate) struct Documents<'a> {
    input: &'a Input,
    traits: OnceCell<Option<Json>>,
    metadata_public: OnceCell<Option<Json>>,
}

impl<'a> Documents<'a> {
    pub(crate) fn new(input: &'a Input) -> Documents<'a> {
        Documents {
            input,
            traits: OnceCell::new(),
            metadata_public: OnceCell::new(),
        }
    }
}

/// Evaluates a compiled condition: `Ok` with its value when it is a bool.
pub(crate) fn evaluate<'a>(node: &'a Node, documents: &'a Documents<'a>) -> Result<bool> {
    let mut scope = Vec::new();
    match eval(node, documents, &mut scope)? {
        Val::Bool(b) => Ok(b),
        _ => Err(Bail),
    }
}

fn eval<'a>(node: &'a Node, docs: &'a Documents<'a>, scope: &mut Vec<Val<'a>>) -> Result<Val<'a>> {
    let input = docs.input;
    Ok(match node {
        Node::Null => Val::Null,
        Node::Bool(b) => Val::Bool(*b),
        Node::Int(i) => Val::Int(*i),
        Node::UInt(u) => Val::UInt(*u),
        Node::Double(d) => Val::Double(*d),
        Node::Str(s) => Val::Str(Cow::Borrowed(s)),
        Node::Var(var) => match var {
            Var::Hook => Val::Str(Cow::Borrowed(input.hook.name())),
            Var::Now => Val::Int(input.now),
            Var::Session => Val::Map(Map::Session(&input.session)),
            Var::Identity => Val::Map(Map::Identity(docs)),
            Var::Request => Val::Map(Map::Request(&input.request)),
        },
        Node::Local(slot) => scope.get(*slot).cloned().ok_or(Bail)?,
        Node::Select(operand, field) => match eval(operand, docs, scope)? {
            Val::Map(map) => map.get(field)?.ok_or(Bail)?,
            _ => return Err(Bail),
        },
        Node::Has(operand, field) => match eval(operand, docs, scope)? {
            Val::Map(map) => Val::Bool(map.get(field)?.is_some()),
            _ => return Err(Bail),
        },
        // Only a bool on the left decides alone; the rest (errors the other side may
        // absorb) is the interpreter's.
        Node::And(a, b) => match eval(a, docs, scope)? {
            Val::Bool(false) => Val::Bool(false),
            Val::Bool(true) => Val::Bool(boolean(eval(b, docs, scope)?)?),
            _ => return Err(Bail),
        },
        Node::Or(a, b) => match eval(a, docs, scope)? {
            Val::Bool(true) => Val::Bool(true),
            Val::Bool(false) => Val::Bool(boolean(eval(b, docs, scope)?)?),
            _ => return Err(Bail),
        },
        Node::Not(a) => Val::Bool(!boolean(eval(a, docs, scope)?)?),
        Node::NotStrictlyFalse(a) => Val::Bool(boolean(eval(a, docs, scope)?)?),
        Node::Cond(nodes) => {
            let [test, then, otherwise] = &**nodes;
            if boolean(eval(test, docs, scope)?)? {
                eval(then, docs, scope)?
            } else {
                eval(otherwise, docs, scope)?
            }
        }
        Node::Eq(a, b) => Val::Bool(equal(&eval(a, docs, scope)?, &eval(b, docs, scope)?)?),
        Node::Ne(a, b) => Val::Bool(!equal(&eval(a, docs, scope)?, &eval(b, docs, scope)?)?),
        Node::Cmp(op, a, b) => {
            let order = compare(&eval(a, docs, scope)?, &eval(b, docs, scope)?)?;
            Val::Bool(match op {
                Cmp::Lt => order == Ordering::Less,
                Cmp::Le => order != Ordering::Greater,
                Cmp::Gt => order == Ordering::Greater,
                Cmp::Ge => order != Ordering::Less,
            })
        }
        Node::Add(a, b) => match (eval(a, docs, scope)?, eval(b, docs, scope)?) {
            (Val::Int(x), Val::Int(y)) => Val::Int(x.checked_add(y).ok_or(Bail)?),
            (Val::UInt(x), Val::UInt(y)) => Val::UInt(x.checked_add(y).ok_or(Bail)?),
            (Val::Str(x), Val::Str(y)) => Val::Str(Cow::Owned(x.into_owned() + &y)),
            _ => return Err(Bail),
        },
        Node::Sub(a, b) => match (eval(a, docs, scope)?, eval(b, docs, scope)?) {
            (Val::Int(x), Val::Int(y)) => Val::Int(x.checked_sub(y).ok_or(Bail)?),
            (Val::UInt(x), Val::UInt(y)) => Val::UInt(x.checked_sub(y).ok_or(Bail)?),
            _ => return Err(Bail),
        },
        Node::Neg(a) => match eval(a, docs, scope)? {
            Val::Int(x) => Val::Int(x.checked_neg().ok_or(Bail)?),
            _ => return Err(Bail),
        },
        Node::In(item, container) => {
            let item = eval(item, docs, scope)?;
            match eval(container, docs, scope)? {
                Val::List(list) => {
                    let mut found = false;
                    for i in 0..list.len() {
                        if equal(&item, &list.get(i))? {
                            found = true;
                            break;
                        }
                    }
                    Val::Bool(found)
                }
                Val::Map(map) => match item {
                    Val::Str(key) => Val::Bool(map.get(&key)?.is_some()),
                    _ => return Err(Bail),
                },
                _ => return Err(Bail),
            }
        }
        Node::Index(container, index) => {
            match (eval(container, docs, scope)?, eval(index, docs, scope)?) {
                (Val::List(list), Val::Int(i)) => {
                    let i = usize::try_from(i).map_err(|_| Bail)?;
                    if i >= list.len() {
                        return Err(Bail);
                    }
                    list.get(i)
                }
                (Val::Map(map), Val::Str(key)) => map.get(&key)?.ok_or(Bail)?,
                _ => return Err(Bail),
            }
        }
        Node::StartsWith(s, p) => {
            let (s, p) = (
                string(eval(s, docs, scope)?)?,
                string(eval(p, docs, scope)?)?,
            );
            Val::Bool(s.starts_with(&*p))
        }
        Node::EndsWith(s, p) => {
            let (s, p) = (
                string(eval(s, docs, scope)?)?,
                string(eval(p, docs, scope)?)?,
            );
            Val::Bool(s.ends_with(&*p))
        }
        Node::Contains(s, p) => {
            let (s, p) = (
                string(eval(s, docs, scope)?)?,
                string(eval(p, docs, scope)?)?,
            );
            Val::Bool(s.contains(&*p))
        }
        Node::Size(a) => match eval(a, docs, scope)? {
            Val::List(list) => Val::Int(i64::try_from(list.len()).map_err(|_| Bail)?),
            Val::Map(Map::Json(map)) => Val::Int(i64::try_from(map.len()).map_err(|_| Bail)?),
            _ => return Err(Bail),
        },
        Node::Age(t) => match eval(t, docs, scope)? {
            Val::Int(t) => Val::Int(input.now.saturating_sub(t)),
            _ => return Err(Bail),
        },
        Node::Seconds(text) => {
            let text = string(eval(text, docs, scope)?)?;
            let seconds = script::parse_duration(&text).ok_or(Bail)?;
            Val::Int(i64::try_from(seconds).map_err(|_| Bail)?)
        }
        Node::List(items) => Val::List(List::Values(Rc::new(
            items
                .iter()
                .map(|item| eval(item, docs, scope))
                .collect::<Result<_>>()?,
        ))),
        Node::Fold(fold) => {
            let Val::List(range) = eval(&fold.range, docs, scope)? else {
                return Err(Bail);
            };
            let mut accu = eval(&fold.init, docs, scope)?;
            let depth = scope.len();
            let mut result = Ok(());
            for i in 0..range.len() {
                scope.truncate(depth);
                scope.push(range.get(i));
                scope.push(accu.clone());
                match eval(&fold.cond, docs, scope).and_then(boolean) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(bail) => {
                        result = Err(bail);
                        break;
                    }
                }
                match eval(&fold.step, docs, scope) {
                    Ok(next) => accu = next,
                    Err(bail) => {
                        result = Err(bail);
                        break;
                    }
                }
            }
            scope.truncate(depth);
            result?;
            // The result sees the accumulator only; the item slot holds a placeholder.
            scope.push(Val::Null);
            scope.push(accu);
            let value = eval(&fold.result, docs, scope);
            scope.truncate(depth);
            value?
        }
    })
}

fn boolean(value: Val<'_>) -> Result<bool> {
    match value {
        Val::Bool(b) => Ok(b),
        _ => Err(Bail),
    }
}

fn string(value: Val<'_>) -> Result<Cow<'_, str>> {
    match value {
        Val::Str(s) => Ok(s),
        _ => Err(Bail),
    }
}

/// CEL equality where it is plain: values of one kind, or `null` against anything.
fn equal(a: &Val<'_>, b: &Val<'_>) -> Result<bool> {
    Ok(match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::UInt(x), Val::UInt(y)) => x == y,
        (Val::Double(x), Val::Double(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        _ => return Err(Bail),
    })
}

fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Ok(x.cmp(y)),
        (Val::UInt(x), Val::UInt(y)) => Ok(x.cmp(y)),
        (Val::Double(x), Val::Double(y)) => x.partial_cmp(y).ok_or(Bail),
        (Val::Str(x), Val::Str(y)) => Ok(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Ok(x.cmp(y)),
        _ => Err(Bail),
    }
}

/// JSON as the interpreter sees it (see `engine::to_cel`).
fn json(value: &Json) -> Val<'_> {
    match value {
        Json::Null => Val::Null,
        Json::Bool(b) => Val::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => n
                .as_u64()
                .map_or_else(|| Val::Double(n.as_f64().unwrap_or(f64::NAN)), Val::UInt),
        },
        Json::String(s) => Val::Str(Cow::Borrowed(s)),
        Json::Array(items) => Val::List(List::Json(items)),
        Json::Object(entries) => Val::Map(Map::Json(entries)),
    }
}

fn text(s: &str) -> Val<'_> {
    Val::Str(Cow::Borrowed(s))
}

fn optional(s: &Option<String>) -> Val<'_> {
    s.as_deref().map_or(Val::Null, text)
}

fn time(seconds: i64) -> Val<'static> {
    Val::Int(seconds)
}

impl<'a> List<'a> {
    fn len(&self) -> usize {
        match self {
            List::Json(items) => items.len(),
            List::Methods(items) => items.len(),
            List::Devices(items) => items.len(),
            List::Strings(items) => items.len(),
            List::Values(items) => items.len(),
        }
    }

    /// The item at `i`, which is in bounds.
    fn get(&self, i: usize) -> Val<'a> {
        match self {
            List::Json(items) => json(&items[i]),
            List::Methods(items) => Val::Map(Map::Method(&items[i])),
            List::Devices(items) => Val::Map(Map::Device(&items[i])),
            List::Strings(items) => text(&items[i]),
            List::Values(items) => items[i].clone(),
        }
    }
}

impl<'a> Map<'a> {
    /// The value under `key`, `None` when there is none; `Bail` for a document that is not
    /// valid JSON (the interpreter warns about it).
    fn get(self, key: &str) -> Result<Option<Val<'a>>> {
        Ok(Some(match self {
            Map::Json(entries) => match entries.get(key) {
                Some(value) => json(value),
                None => return Ok(None),
            },
            Map::Session(s) => match key {
                "id" => text(&s.id),
                "aal" => text(s.aal.name()),
                "methods" => Val::List(List::Methods(&s.methods)),
                "authenticated_at" => time(s.authenticated_at),
                "issued_at" => time(s.issued_at),
                "expires_at" => time(s.expires_at),
                "devices" => Val::List(List::Devices(&s.devices)),
                _ => return Ok(None),
            },
            Map::Method(m) => match key {
                "method" => text(&m.method),
                "aal" => text(m.aal.name()),
                "completed_at" => time(m.completed_at),
                "provider" => optional(&m.provider),
                _ => return Ok(None),
            },
            Map::Device(d) => match key {
                "ip" => optional(&d.ip),
                "user_agent" => optional(&d.user_agent),
                _ => return Ok(None),
            },
            Map::Identity(docs) => {
                let i = &docs.input.identity;
                match key {
                    "id" => text(&i.id),
                    "schema_id" => text(&i.schema_id),
                    "traits" => json(document(&docs.traits, &i.traits_json)?),
                    "metadata_public" => {
                        json(document(&docs.metadata_public, &i.metadata_public_json)?)
                    }
                    "available_aal" => text(i.available_aal.name()),
                    "credential_types" => Val::List(List::Strings(&i.credential_types)),
                    _ => return Ok(None),
                }
            }
            Map::Request(r) => match key {
                "method" => text(&r.method),
                "path" => text(&r.path),
                "ip" => optional(&r.ip),
                "user_agent" => optional(&r.user_agent),
                "headers" => Val::Map(Map::Headers(&r.headers)),
                "submitted_method" => optional(&r.submitted_method),
                _ => return Ok(None),
            },
            // Names are lower-cased and repeated headers joined with ", ", as in
            // `Input::request_value`.
            Map::Headers(headers) => {
                let mut values = headers
                    .iter()
                    .filter(|(name, _)| lower_case_equals(name, key))
                    .map(|(_, value)| value.as_str());
                let Some(first) = values.next() else {
                    return Ok(None);
                };
                match values.next() {
                    None => text(first),
                    Some(second) => {
                        let mut joined = format!("{first}, {second}");
                        for value in values {
                            joined.push_str(", ");
                            joined.push_str(value);
                        }
                        Val::Str(Cow::Owned(joined))
                    }
                }
            }
        }))
    }
}

fn document<'a>(cell: &'a OnceCell<Option<Json>>, text: &str) -> Result<&'a Json> {
    cell.get_or_init(|| serde_json::from_str(text).ok())
        .as_ref()
        .ok_or(Bail)
}

/// Whether `name` lower-cased is `key`.
fn lower_case_equals(name: &str, key: &str) -> bool {
    name.len() == key.len()
        && name
            .bytes()
            .zip(key.bytes())
            .all(|(n, k)| n.to_ascii_lowercase() == k)
}
