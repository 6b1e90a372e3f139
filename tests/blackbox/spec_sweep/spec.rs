//! Kratos' OpenAPI document, read at test time: its operations with their parameters, request
//! bodies and the response schema for each status.

use serde_json::Value;
use std::path::PathBuf;

/// The OpenAPI document of the Kratos version Latchkey speaks (v26.2), kept with the tests so
/// the sweep runs anywhere the test suite does.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/kratos/api.json")
}

pub struct Spec {
    pub doc: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Query,
    Header,
    Path,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub place: In,
    pub required: bool,
    /// The parameter's schema with a top-level `$ref` followed.
    pub schema: Value,
}

impl Param {
    /// `integer`, `boolean`, `string`, `array`… (`string` when the spec gives none).
    pub fn kind(&self) -> &str {
        self.schema["type"].as_str().unwrap_or("string")
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub params: Vec<Param>,
    /// The JSON request body's schema, `$ref`s followed at the top and through `oneOf`.
    pub body: Option<Value>,
    /// Whether the body may also come as an HTML form.
    pub form_bodies: bool,
}

impl Spec {
    pub fn load() -> Spec {
        let path = path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Spec {
            doc: serde_json::from_str(&text).expect("api.json is JSON"),
        }
    }

    /// Follows a `$ref` into `#/components/...`, repeatedly; anything else is returned as is.
    pub fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only local $refs are expected, got {r}"));
            v = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
        }
        v
    }

    pub fn operations(&self) -> Vec<Operation> {
        let mut ops = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().unwrap() {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                let params = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.resolve(p))
                    .map(|p| Param {
                        name: p["name"].as_str().unwrap().to_string(),
                        place: match p["in"].as_str().unwrap() {
                            "query" => In::Query,
                            "header" => In::Header,
                            "path" => In::Path,
                            other => panic!("parameter location {other}"),
                        },
                        required: p["required"].as_bool().unwrap_or(false),
                        schema: self.resolve(&p["schema"]).clone(),
                    })
                    .collect();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|s| self.resolve(s).clone());
                let form_bodies = op
                    .pointer("/requestBody/content/application~1x-www-form-urlencoded")
                    .is_some();
                ops.push(Operation {
                    id: op["operationId"].as_str().unwrap().to_string(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    params,
                    body,
                    form_bodies,
                });
            }
        }
        ops
    }

    /// The response schema for `status` (falling back to `default`): `Ok(None)` for a response
    /// without a body, `Err` when the operation does not list the status at all.
    pub fn response_schema(&self, op_id: &str, status: u16) -> Result<Option<Value>, String> {
        let op = self
            .operation_object(op_id)
            .unwrap_or_else(|| panic!("no operation {op_id}"));
        let responses = &op["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
            .ok_or_else(|| {
                let listed: Vec<&String> = responses.as_object().unwrap().keys().collect();
                format!("status {status} is not a response of {op_id} (it lists {listed:?})")
            })?;
        let response = self.resolve(response);
        Ok(response
            .pointer("/content/application~1json/schema")
            .cloned())
    }

    fn operation_object(&self, op_id: &str) -> Option<&Value> {
        self.doc["paths"]
            .as_object()?
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .find(|op| op["operationId"] == op_id)
    }

    /// The variant of a `oneOf` body whose discriminator (`method`) is `value`, or the body
    /// itself when it is not a `oneOf`.
    pub fn body_variant<'a>(&'a self, body: &'a Value, value: Option<&str>) -> &'a Value {
        let Some(mapping) = body.pointer("/discriminator/mapping") else {
            return body;
        };
        let value = value.expect("a oneOf body needs its discriminator's value");
        let target = mapping[value]
            .as_str()
            .unwrap_or_else(|| panic!("the spec has no body variant `{value}`"));
        let pointer = target.strip_prefix('#').expect("a local $ref");
        self.resolve(self.doc.pointer(pointer).expect("the variant exists"))
    }
}
