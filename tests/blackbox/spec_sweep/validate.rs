//! Response bodies checked against the spec's schema for their operation and status, with the
//! `jsonschema` crate.
//!
//! OpenAPI 3.0 schemas are almost JSON Schema draft 4; the differences in Kratos' document are
//! handled one by one below, each where it is patched, so nothing is switched off wholesale.

use super::spec::Spec;
use jsonschema::Validator;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Compiled validators by (operation, status); `None` for a response without a body.
type Compiled = HashMap<(String, u16), Option<Arc<Validator>>>;

pub struct Validators<'s> {
    spec: &'s Spec,
    /// `components.schemas`, patched once.
    schemas: Value,
    compiled: Mutex<Compiled>,
}

impl<'s> Validators<'s> {
    pub fn new(spec: &'s Spec) -> Validators<'s> {
        let mut schemas = spec.doc["components"]["schemas"].clone();
        // `genericError.details` is `additionalProperties: false` in the document, which would
        // allow only `{}`. Kratos fills it (`redirect_to`, `return_to`, `api` on expired
        // flows…) and its SDKs read it as a free-form map: the `false` is a generator artefact
        // of `map[string]interface{}`, so the map is let open here and nowhere else.
        schemas["genericError"]["properties"]["details"]
            .as_object_mut()
            .unwrap()
            .remove("additionalProperties");
        // session/session.go `Device`: `ip_address` and `user_agent` are Go `*string`s without
        // `omitempty`, so Kratos sends `null` when it knows none (a client without a
        // User-Agent); the document calls them plain strings. `location` is always a string.
        for field in ["ip_address", "user_agent"] {
            schemas["sessionDevice"]["properties"][field]["nullable"] = Value::Bool(true);
        }
        patch(&mut schemas);
        Validators {
            spec,
            schemas,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// Checks a response: its status must be one the operation lists (or `default`), and a
    /// JSON body must match that response's schema. `Err` says what is wrong.
    pub fn check(&self, op_id: &str, status: u16, body: Option<&Value>) -> Result<(), String> {
        let validator = self.validator(op_id, status)?;
        match (validator, body) {
            (Some(v), Some(body)) => first_errors(&v, body, status).or_else(|why| {
                // The document gives the submit endpoints' 400 as the flow (a validation
                // failure), but a request Kratos cannot even tie to a flow (no `flow`
                // parameter, a body that is no JSON) fails before that with `errorGeneric`
                // at the same status (flow/login/error.go WriteFlowError → forward).
                if body.get("error").is_some() {
                    self.error_schema(body, status)
                } else {
                    Err(why)
                }
            }),
            (Some(_), None) => Err(format!("the spec gives {status} a JSON body; none came")),
            (None, _) => Ok(()),
        }
    }

    /// A Kratos error answer: `errorGeneric`, with `error.code` the HTTP status.
    pub fn check_error(&self, answer: &super::request::Answer) -> Result<(), String> {
        let body = answer.json.as_ref().ok_or("no JSON body")?;
        if body["error"]["code"] != answer.status {
            return Err(format!(
                "error.code is {}, not the status",
                body["error"]["code"]
            ));
        }
        self.error_schema(body, answer.status)
    }

    fn error_schema(&self, body: &Value, status: u16) -> Result<(), String> {
        let key = ("errorGeneric".to_string(), 0);
        let schema = json!({ "$ref": "#/components/schemas/errorGeneric" });
        let validator = self.compiled(key, || Ok(Some(schema)))?.unwrap();
        first_errors(&validator, body, status)
    }

    fn validator(&self, op_id: &str, status: u16) -> Result<Option<Arc<Validator>>, String> {
        self.compiled((op_id.to_string(), status), || {
            self.spec.response_schema(op_id, status)
        })
    }

    fn compiled(
        &self,
        key: (String, u16),
        schema: impl FnOnce() -> Result<Option<Value>, String>,
    ) -> Result<Option<Arc<Validator>>, String> {
        if let Some(v) = self.compiled.lock().unwrap().get(&key) {
            return Ok(v.clone());
        }
        let compiled = match schema()? {
            None => None,
            Some(mut schema) => {
                patch(&mut schema);
                // The response schema is wrapped so that its `$ref`s into
                // `#/components/schemas/…` resolve against a document holding them.
                let root = json!({
                    "allOf": [schema],
                    "components": { "schemas": self.schemas.clone() },
                });
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    // Formats are part of the contract: SDKs parse `date-time` fields and ids.
                    .should_validate_formats(true)
                    // `uuid` is not a draft-4 format and `uuid4` no standard one; Kratos means
                    // a UUID by both (NullUUID is a v4 id, but ids from before are any version).
                    .with_format("uuid", |s: &str| uuid::Uuid::parse_str(s).is_ok())
                    .with_format("uuid4", |s: &str| uuid::Uuid::parse_str(s).is_ok())
                    // `int64` and `int32` are OpenAPI's integer widths, which serde_json's
                    // integers already respect; unknown formats stay ignored for those.
                    .build(&root)
                    .map_err(|e| format!("the spec's schema for {key:?}: {e}"))?;
                Some(Arc::new(validator))
            }
        };
        self.compiled.lock().unwrap().insert(key, compiled.clone());
        Ok(compiled)
    }
}

fn first_errors(v: &Validator, body: &Value, status: u16) -> Result<(), String> {
    let errors: Vec<String> = v
        .iter_errors(body)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the {status} body does not match the spec's schema: {}",
            errors.join("; ")
        ))
    }
}

/// OpenAPI 3.0 → JSON Schema, in place:
/// - `nullable: true` allows `null` (draft 4 has no such keyword, so the type list, or an
///   `anyOf` around a `$ref`, says it);
/// - `discriminator`, `example`, `x-go-*` are annotations and are left alone;
/// - a `$ref` with siblings ignores the siblings, as in draft 4 and OpenAPI 3.0.
fn patch(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                patch(child);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                allow_null(map);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(patch),
        _ => {}
    }
}

fn allow_null(map: &mut Map<String, Value>) {
    if map.contains_key("$ref") {
        let inner = Value::Object(std::mem::take(map));
        map.insert("anyOf".into(), json!([inner, { "type": "null" }]));
        return;
    }
    if let Some(Value::String(t)) = map.get("type").cloned() {
        map.insert("type".into(), json!([t, "null"]));
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.push(Value::Null);
    }
}
