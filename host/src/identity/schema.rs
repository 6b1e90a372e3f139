//! Identity schemas: JSON Schema with Kratos' `ory.sh/kratos` extension, which marks the traits
//! that act as login identifiers, TOTP account names and so on.

use crate::ui;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const EXTENSION: &str = "ory.sh/kratos";

pub struct IdentitySchema {
    pub id: String,
    pub raw: Value,
    validator: jsonschema::Validator,
}

/// A trait that failed validation, as a Kratos node message on `traits.<path>`.
pub struct TraitError {
    pub node: String,
    pub message: Value,
}

impl IdentitySchema {
    pub fn compile(id: &str, raw: Value) -> anyhow::Result<IdentitySchema> {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&raw)
            .map_err(|e| {
                anyhow::anyhow!("identity schema `{id}` is not a valid JSON Schema: {e}")
            })?;
        if raw.pointer("/properties/traits").is_none() {
            anyhow::bail!("identity schema `{id}` has no `properties.traits`");
        }
        Ok(IdentitySchema {
            id: id.to_string(),
            raw,
            validator,
        })
    }

    /// Validates traits and reports every failure on the node it belongs to.
    pub fn validate(&self, traits: &Value) -> Vec<TraitError> {
        let instance = json!({ "traits": traits });
        self.validator
            .iter_errors(&instance)
            .map(|err| {
                let mut path: Vec<String> = err
                    .instance_path()
                    .to_string()
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let message = match err.kind() {
                    ValidationErrorKind::Required { property } => {
                        let property = property.as_str().unwrap_or_default().to_string();
                        path.push(property.clone());
                        ui::message(
                            4000002,
                            format!("Property {property} is missing."),
                            "error",
                            Some(json!({ "property": property })),
                        )
                    }
                    _ => ui::message(
                        4000001,
                        err.to_string(),
                        "error",
                        Some(json!({ "reason": err.to_string() })),
                    ),
                };
                if path.is_empty() {
                    path.push("traits".into());
                }
                TraitError {
                    node: path.join("."),
                    message,
                }
            })
            .collect()
    }

    /// Values of traits marked `ory.sh/kratos.credentials.<method>.<key>: true`, e.g.
    /// `("identifier", "a@example.com")` for `password`.
    pub fn marked_traits(&self, method: &str, traits: &Value) -> Vec<(String, String)> {
        let pointer = format!("/credentials/{method}");
        let mut out = Vec::new();
        self.each_extension(traits, |ext, value| {
            let Some(marks) = ext.pointer(&pointer).and_then(Value::as_object) else {
                return;
            };
            for (key, flag) in marks {
                if flag.as_bool() == Some(true) {
                    out.extend(scalar_values(value).into_iter().map(|v| (key.clone(), v)));
                }
            }
        });
        out
    }

    /// `(via, value)` of the traits marked `ory.sh/kratos.<purpose>.via` (`purpose` is
    /// `verification` or `recovery`), by property name, e.g. `("email", "a@example.com")`.
    pub fn addresses(&self, purpose: &str, traits: &Value) -> Vec<(String, String)> {
        let pointer = format!("/{purpose}/via");
        let mut out = Vec::new();
        self.each_extension(traits, |ext, value| {
            if let Some(via) = ext.pointer(&pointer).and_then(Value::as_str) {
                out.extend(
                    scalar_values(value)
                        .into_iter()
                        .map(|v| (via.to_string(), v)),
                );
            }
        });
        out
    }

    /// Calls `f` with the `ory.sh/kratos` extension of every trait that has one and a value in
    /// `traits`, nested objects included.
    fn each_extension(&self, traits: &Value, mut f: impl FnMut(&Value, &Value)) {
        if let Some(props) = self.raw.pointer("/properties/traits/properties") {
            walk_extensions(props, traits, &mut f);
        }
    }

    /// Input nodes for every trait, labelled with the schema's `title`, as Kratos renders them
    /// in registration and settings.
    pub fn trait_nodes(&self, traits: Option<&Value>) -> Vec<Value> {
        let mut nodes = Vec::new();
        let required = self
            .raw
            .pointer("/properties/traits/required")
            .cloned()
            .unwrap_or(json!([]));
        if let Some(props) = self.raw.pointer("/properties/traits/properties") {
            trait_nodes_of(props, &required, "traits", traits, &mut nodes);
        }
        nodes
    }
}

fn walk_extensions(props: &Value, traits: &Value, f: &mut impl FnMut(&Value, &Value)) {
    let Some(props) = props.as_object() else {
        return;
    };
    for (name, prop) in props {
        let Some(value) = traits.get(name) else {
            continue;
        };
        if let Some(nested) = prop.get("properties") {
            walk_extensions(nested, value, f);
        } else if let Some(ext) = prop.get(EXTENSION) {
            f(ext, value);
        }
    }
}

fn scalar_values(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(scalar_values).collect(),
        _ => Vec::new(),
    }
}

fn trait_nodes_of(
    props: &Value,
    required: &Value,
    prefix: &str,
    values: Option<&Value>,
    nodes: &mut Vec<Value>,
) {
    let Some(props) = props.as_object() else {
        return;
    };
    for (name, prop) in props {
        let path = format!("{prefix}.{name}");
        let value = values.and_then(|v| v.get(name));
        if let Some(nested) = prop.get("properties") {
            let nested_required = prop.get("required").cloned().unwrap_or(json!([]));
            trait_nodes_of(nested, &nested_required, &path, value, nodes);
            continue;
        }
        let is_required = required
            .as_array()
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)));
        let title = prop.get("title").and_then(Value::as_str).unwrap_or(name);
        let mut attrs = Map::new();
        attrs.insert("name".into(), json!(path));
        attrs.insert("type".into(), json!(input_type(prop)));
        if let Some(v) = value {
            attrs.insert("value".into(), v.clone());
        }
        if is_required {
            attrs.insert("required".into(), json!(true));
        }
        if prop.get("format").and_then(Value::as_str) == Some("email") {
            attrs.insert("autocomplete".into(), json!("email"));
        }
        attrs.insert("disabled".into(), json!(false));
        attrs.insert("node_type".into(), json!("input"));
        nodes.push(json!({
            "type": "input",
            "group": "default",
            "attributes": attrs,
            "messages": [],
            "meta": { "label": ui::message(1070002, title, "info", Some(json!({ "title": title }))) },
        }));
    }
}

fn input_type(prop: &Value) -> &'static str {
    match (
        prop.get("type").and_then(Value::as_str),
        prop.get("format").and_then(Value::as_str),
    ) {
        (_, Some("email")) => "email",
        (_, Some("tel")) => "tel",
        (_, Some("date")) => "date",
        (_, Some("uri")) => "url",
        (Some("boolean"), _) => "checkbox",
        (Some("integer" | "number"), _) => "number",
        _ => "text",
    }
}

/// Builds the traits object from a submission: a JSON body's `traits` object, or form keys
/// such as `traits.name.first`.
pub fn traits_from_input(input: &Map<String, Value>) -> Value {
    let mut traits = input.get("traits").cloned().unwrap_or_else(|| json!({}));
    for (key, value) in input {
        let Some(path) = key.strip_prefix("traits.") else {
            continue;
        };
        let parts: Vec<&str> = path.split('.').collect();
        insert_path(&mut traits, &parts, value.clone());
    }
    traits
}

fn insert_path(target: &mut Value, parts: &[&str], value: Value) {
    if !target.is_object() {
        *target = json!({});
    }
    let obj = target.as_object_mut().expect("just made an object");
    match parts {
        [] => {}
        [last] => {
            obj.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let child = obj.entry((*first).to_string()).or_insert_with(|| json!({}));
            insert_path(child, rest, value);
        }
    }
}

/// All configured schemas, by id.
pub struct Schemas {
    pub default_id: String,
    pub by_id: BTreeMap<String, IdentitySchema>,
}

impl Schemas {
    /// Compiles every schema of `identity.schemas`.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Schemas> {
        let mut by_id = BTreeMap::new();
        for s in &config.identity.schemas {
            by_id.insert(
                s.id.clone(),
                IdentitySchema::compile(&s.id, s.schema.clone())?,
            );
        }
        Ok(Schemas {
            default_id: config.identity.default_schema_id.clone(),
            by_id,
        })
    }

    pub fn get(&self, id: &str) -> Option<&IdentitySchema> {
        self.by_id.get(id)
    }

    pub fn default_schema(&self) -> &IdentitySchema {
        &self.by_id[&self.default_id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> IdentitySchema {
        IdentitySchema::compile(
            "default",
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": { "traits": {
                    "type": "object",
                    "properties": {
                        "email": { "type": "string", "format": "email", "title": "E-Mail",
                            "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } },
                        "name": { "type": "object", "properties": {
                            "first": { "type": "string", "title": "First name" } } }
                    },
                    "required": ["email"],
                    "additionalProperties": false
                } }
            }),
        )
        .unwrap()
    }

    #[test]
    fn marked_traits_follow_the_extension() {
        let s = schema();
        let traits = json!({ "email": "a@example.com", "name": { "first": "A" } });
        assert_eq!(
            s.marked_traits("password", &traits),
            vec![("identifier".to_string(), "a@example.com".to_string())]
        );
        assert!(s.marked_traits("totp", &traits).is_empty());
    }

    #[test]
    fn validation_errors_land_on_their_nodes() {
        let s = schema();
        let missing = s.validate(&json!({}));
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].node, "traits.email");
        assert_eq!(missing[0].message["id"], 4000002);
        let bad = s.validate(&json!({ "email": "not-an-email" }));
        assert_eq!(bad[0].node, "traits.email");
        assert_eq!(bad[0].message["id"], 4000001);
        assert!(s.validate(&json!({ "email": "a@example.com" })).is_empty());
    }

    #[test]
    fn form_keys_become_nested_traits() {
        let mut input = Map::new();
        input.insert("traits.email".into(), json!("a@example.com"));
        input.insert("traits.name.first".into(), json!("A"));
        assert_eq!(
            traits_from_input(&input),
            json!({ "email": "a@example.com", "name": { "first": "A" } })
        );
    }

    #[test]
    fn trait_nodes_use_titles_as_labels() {
        let nodes = schema().trait_nodes(None);
        let names: Vec<_> = nodes
            .iter()
            .map(|n| n["attributes"]["name"].clone())
            .collect();
        assert_eq!(
            names,
            vec![json!("traits.email"), json!("traits.name.first")]
        );
        assert_eq!(nodes[0]["meta"]["label"]["text"], "E-Mail");
        assert_eq!(nodes[0]["attributes"]["type"], "email");
    }
}
