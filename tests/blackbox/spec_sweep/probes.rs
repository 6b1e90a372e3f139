//! Probes made from an operation's definition: for each query parameter, header, path
//! parameter and body field, the request a client sends with it absent, empty, repeated, of
//! the wrong type or unknown, derived from a working request (the baseline).

use super::request::{Body, Request};
use super::spec::{In, Operation, Spec};
use serde_json::{Value, json};

/// What a probe changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Query(String),
    Header(String),
    Path(String),
    /// A top-level field of the JSON body.
    Field(String),
    /// The body as a whole.
    Body,
    /// A query parameter the operation does not define.
    UnknownQuery,
}

/// How it changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The baseline itself.
    Baseline,
    Absent,
    /// `name=` / an empty header / `""`.
    Empty,
    /// A well-formed value the baseline does not send (for an optional parameter).
    Sample,
    /// The baseline's (or the sample) value, then a second, wrong one: Go's `Query().Get`
    /// reads the first.
    Repeated,
    /// A value of the wrong type or shape: a word for a number or boolean, an unknown enum
    /// value, a non-UUID for a UUID, a forged token.
    WrongType,
    /// A value of the right shape that names nothing (a random UUID, an unknown name), or a
    /// credential that is no credential.
    Unknown,
    /// A relative URL where a URL is expected (`return_to=/path`).
    Relative,
    /// Not JSON at all.
    NotJson,
    /// JSON of the wrong top-level type.
    NotObject,
    /// The same body as `application/x-www-form-urlencoded`.
    Form,
}

pub struct Probe {
    pub target: Target,
    pub kind: Kind,
    pub req: Request,
    /// Whether the baseline sends the target (a header the baseline carries gone is not the
    /// same as a header it never sent turning up).
    pub in_baseline: bool,
    pub required: bool,
}

impl Probe {
    pub fn label(&self) -> String {
        let target = match &self.target {
            Target::Query(n) => format!("query `{n}`"),
            Target::Header(n) => format!("header `{n}`"),
            Target::Path(n) => format!("path `{n}`"),
            Target::Field(n) => format!("body field `{n}`"),
            Target::Body => "body".to_string(),
            Target::UnknownQuery => "unknown query parameter".to_string(),
        };
        format!("{target} {:?}", self.kind)
    }
}

/// A working request and the path parameters in it.
#[derive(Clone)]
pub struct Baseline {
    pub req: Request,
    /// `{name}` in the operation's path → its value in the baseline.
    pub path_params: Vec<(&'static str, String)>,
    pub status: u16,
}

impl Baseline {
    pub fn new(req: Request, status: u16) -> Baseline {
        Baseline {
            req,
            path_params: Vec::new(),
            status,
        }
    }

    pub fn path(mut self, name: &'static str, value: impl Into<String>) -> Baseline {
        self.path_params.push((name, value.into()));
        self
    }

    /// The request with `{name}`s filled in, `overrides` first.
    pub fn request_with_path(&self, overrides: &[(&str, String)]) -> Request {
        let mut req = self.req.clone();
        for (name, value) in &self.path_params {
            let value = overrides
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| value.clone());
            req.path = req
                .path
                .replace(&format!("{{{name}}}"), &encode_segment(&value));
        }
        req
    }

    pub fn request(&self) -> Request {
        self.request_with_path(&[])
    }
}

fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Well-formed values for optional parameters a baseline does not send. A parameter without
/// one gets no `Sample` or `Repeated` probe.
fn sample(world_public: &str, name: &str) -> Option<String> {
    Some(match name {
        "return_to" | "after_verification_return_to" => format!("{world_public}/sweep/return"),
        "refresh" | "return_session_token_exchange_code" | "active" => "true".into(),
        "aal" => "aal1".into(),
        "identity_schema" => "default".into(),
        "via" => "email".into(),
        "per_page" | "page_size" => "2".into(),
        "page" => "1".into(),
        "consistency" => "strong".into(),
        "ids" | "organization_id" | "organization" => uuid::Uuid::new_v4().to_string(),
        "credentials_identifier" | "identifier" => "nobody@example.com".into(),
        "preview_credentials_identifier_similar" => "nobody".into(),
        "include_credential" => "password".into(),
        "expand" => "identity".into(),
        _ => return None,
    })
}

/// A wrong value for a parameter: by its schema's type, else by what its name means.
fn wrong(param: &super::spec::Param) -> Option<String> {
    let by_name = match param.name.as_str() {
        "aal" => Some("aal9"),
        "return_to" | "after_verification_return_to" => Some("https://evil.example.org/steal"),
        "identity_schema" => Some("sweep-no-such-schema"),
        "page_token" => Some("sweep-forged-token"),
        "flow" | "id" | "ids" | "organization_id" | "organization" => Some("not-a-uuid"),
        "token" => Some("sweep-forged-token"),
        "tokenize_as" => Some("sweep-no-such-template"),
        "include_credential" => Some("sweep-no-such-type"),
        "login_challenge" => Some("sweep-no-such-challenge"),
        _ => None,
    };
    if let Some(v) = by_name {
        return Some(v.to_string());
    }
    match param.kind() {
        "integer" | "number" => Some("sweep".into()),
        "boolean" => Some("maybe".into()),
        "array" if param.schema["items"]["enum"].is_array() => Some("sweep-unknown".into()),
        _ if param.schema["enum"].is_array() => Some("sweep-unknown".into()),
        _ => None,
    }
}

/// Garbage in a credential header: well-formed, but nobody's.
fn garbage_header(name: &str) -> String {
    if name.eq_ignore_ascii_case("cookie") {
        "ory_kratos_session=sweep-garbage; latchkey_csrf_token=sweep-garbage".into()
    } else {
        "ory_st_sweepgarbage0123456789".into()
    }
}

/// A value of another JSON type than the schema's.
fn wrong_json(schema: &Value) -> Option<Value> {
    Some(match schema["type"].as_str()? {
        "string" => json!(12345),
        "object" => json!("sweep-not-an-object"),
        "array" => json!("sweep-not-an-array"),
        "boolean" => json!("sweep-not-a-boolean"),
        "integer" | "number" => json!("sweep-not-a-number"),
        _ => return None,
    })
}

pub fn generate(spec: &Spec, op: &Operation, base: &Baseline, public: &str) -> Vec<Probe> {
    let mut probes = Vec::new();
    let req = base.request();
    let mut push = |target: Target, kind: Kind, req: Request, in_baseline: bool, required| {
        probes.push(Probe {
            target,
            kind,
            req,
            in_baseline,
            required,
        })
    };
    push(Target::Body, Kind::Baseline, req.clone(), true, false);

    let mut headers_seen: Vec<String> = Vec::new();
    for param in &op.params {
        let name = param.name.as_str();
        match param.place {
            In::Query => {
                let target = || Target::Query(name.to_string());
                let current = req.query_value(name).map(str::to_owned);
                let in_baseline = current.is_some();
                let wrong_value = wrong(param);
                let with = |value: &str| req.clone().without_query(name).query(name, value);
                if in_baseline {
                    let absent = req.clone().without_query(name);
                    push(target(), Kind::Absent, absent, true, param.required);
                }
                push(target(), Kind::Empty, with(""), in_baseline, param.required);
                let first = current.clone().or_else(|| sample(public, name));
                if let Some(first) = &first {
                    if !in_baseline {
                        push(target(), Kind::Sample, with(first), false, param.required);
                    }
                    // A list parameter takes every value (`expand=identity&expand=devices`):
                    // repeating it is repeating a good value. Any other reads the first.
                    let second = if param.kind() == "array" {
                        first.clone()
                    } else {
                        wrong_value.clone().unwrap_or_else(|| "sweep-second".into())
                    };
                    let repeated = with(first).query(name, second);
                    push(
                        target(),
                        Kind::Repeated,
                        repeated,
                        in_baseline,
                        param.required,
                    );
                }
                if name == "return_to" {
                    let relative = with("/sweep/return");
                    push(
                        target(),
                        Kind::Relative,
                        relative,
                        in_baseline,
                        param.required,
                    );
                }
                if let Some(w) = &wrong_value {
                    push(
                        target(),
                        Kind::WrongType,
                        with(w),
                        in_baseline,
                        param.required,
                    );
                }
                if current
                    .as_deref()
                    .is_some_and(|v| uuid::Uuid::parse_str(v).is_ok())
                {
                    let unknown = with(&uuid::Uuid::new_v4().to_string());
                    push(target(), Kind::Unknown, unknown, true, param.required);
                }
            }
            In::Header => {
                if headers_seen.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                    continue;
                }
                headers_seen.push(name.to_string());
                let target = || Target::Header(name.to_string());
                let in_baseline = req.header_value(name).is_some();
                let without = req.clone().without_header(name);
                if in_baseline {
                    push(target(), Kind::Absent, without.clone(), true, false);
                    push(
                        target(),
                        Kind::Empty,
                        without.clone().header(name, ""),
                        true,
                        false,
                    );
                }
                let garbage = without.header(name, garbage_header(name));
                push(target(), Kind::Unknown, garbage, in_baseline, false);
            }
            In::Path => {
                let current = base
                    .path_params
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| panic!("{}: no value for path parameter {name}", op.id));
                let target = || Target::Path(name.to_string());
                let is_uuid = uuid::Uuid::parse_str(&current).is_ok();
                let unknown = if is_uuid {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    "sweep-unknown".to_string()
                };
                let unknown_req = base.request_with_path(&[(name, unknown)]);
                push(target(), Kind::Unknown, unknown_req, true, true);
                if is_uuid {
                    let malformed = base.request_with_path(&[(name, "not-a-uuid".into())]);
                    push(target(), Kind::WrongType, malformed, true, true);
                }
            }
        }
    }
    push(
        Target::UnknownQuery,
        Kind::Unknown,
        req.clone().query("sweep_unknown", "1"),
        false,
        false,
    );

    if let (Some(schema), Some(Body::Json(body))) = (&op.body, &req.body) {
        let with_body = |b: Body| {
            let mut r = req.clone();
            r.body = Some(b);
            r
        };
        let raw = |text: &str| Body::Raw("application/json", text.to_string());
        push(
            Target::Body,
            Kind::NotJson,
            with_body(raw("{sweep")),
            true,
            true,
        );
        push(Target::Body, Kind::Empty, with_body(raw("")), true, true);
        let other_top = if body.is_array() {
            json!({})
        } else {
            json!([])
        };
        push(
            Target::Body,
            Kind::NotObject,
            with_body(Body::Json(other_top)),
            true,
            true,
        );
        if let Some(object) = body.as_object() {
            let variant = spec.body_variant(schema, object.get("method").and_then(Value::as_str));
            let required: Vec<&str> = variant["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut unknown = object.clone();
            unknown.insert("sweep_unknown".into(), json!(1));
            push(
                Target::Body,
                Kind::Unknown,
                with_body(Body::Json(Value::Object(unknown))),
                true,
                false,
            );
            for (field, field_schema) in variant["properties"].as_object().into_iter().flatten() {
                let field_schema = spec.resolve(field_schema);
                let target = || Target::Field(field.clone());
                let in_baseline = object.contains_key(field);
                let is_required = required.contains(&field.as_str());
                if in_baseline {
                    let mut absent = object.clone();
                    absent.remove(field);
                    let absent = with_body(Body::Json(Value::Object(absent)));
                    push(target(), Kind::Absent, absent, true, is_required);
                }
                // A discriminator's wrong type says nothing about the field: the body is
                // another variant then, or none.
                if field == "method" {
                    continue;
                }
                if let Some(w) = wrong_json(field_schema) {
                    let mut wrong_body = object.clone();
                    wrong_body.insert(field.clone(), w);
                    let wrong_req = with_body(Body::Json(Value::Object(wrong_body)));
                    push(
                        target(),
                        Kind::WrongType,
                        wrong_req,
                        in_baseline,
                        is_required,
                    );
                }
            }
            if op.form_bodies {
                let form = form_encode(body);
                let form_req = with_body(Body::Raw("application/x-www-form-urlencoded", form));
                push(Target::Body, Kind::Form, form_req, true, false);
            }
        }
    }
    probes
}

/// A JSON object as the HTML form of it: nested objects flattened with dots
/// (`traits.email`), as Kratos' form decoder reads them.
fn form_encode(body: &Value) -> String {
    fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut pairs = Vec::new();
    flatten("", body, &mut pairs);
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
