//! Kratos UI nodes: turning plugin nodes into Kratos JSON, the host's own nodes, and putting
//! validation messages where a Kratos UI expects them.

use crate::plugin::{MessageType, NodeAttributes, UiNode, UiText};
use serde_json::{Map, Value, json};

pub fn text_json(text: &UiText) -> Value {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(text.id));
    obj.insert("text".into(), json!(text.text));
    obj.insert(
        "type".into(),
        json!(match text.type_ {
            MessageType::Info => "info",
            MessageType::Error => "error",
            MessageType::Success => "success",
        }),
    );
    if let Some(ctx) = text.context_json.as_deref()
        && let Ok(value) = serde_json::from_str::<Value>(ctx)
    {
        obj.insert("context".into(), value);
    }
    Value::Object(obj)
}

pub fn message(id: u32, text: impl Into<String>, kind: &str, context: Option<Value>) -> Value {
    let mut obj = json!({ "id": id, "text": text.into(), "type": kind });
    if let Some(ctx) = context {
        obj["context"] = ctx;
    }
    obj
}

/// Kratos' 4000007: a credential identifier that belongs to another identity.
pub fn duplicate_identifier() -> Value {
    message(
        4000007,
        "An account with the same identifier (email, phone, username, ...) exists already.",
        "error",
        None,
    )
}

pub fn node_json(node: &UiNode) -> Value {
    let (node_type, attributes) = match &node.attributes {
        NodeAttributes::Input(a) => {
            let mut attrs = Map::new();
            attrs.insert("name".into(), json!(a.name));
            attrs.insert("type".into(), json!(a.type_));
            if let Some(v) = a.value_json.as_deref() {
                attrs.insert(
                    "value".into(),
                    serde_json::from_str(v).unwrap_or_else(|_| json!(v)),
                );
            }
            if a.required {
                attrs.insert("required".into(), json!(true));
            }
            if let Some(ac) = &a.autocomplete {
                attrs.insert("autocomplete".into(), json!(ac));
            }
            if let Some(p) = &a.pattern {
                attrs.insert("pattern".into(), json!(p));
            }
            if let Some(m) = a.maxlength {
                attrs.insert("maxlength".into(), json!(m));
            }
            attrs.insert("disabled".into(), json!(a.disabled));
            attrs.insert("node_type".into(), json!("input"));
            ("input", Value::Object(attrs))
        }
        NodeAttributes::Text(t) => (
            "text",
            json!({ "id": t.id, "text": text_json(&t.text), "node_type": "text" }),
        ),
        NodeAttributes::Img(i) => (
            "img",
            json!({ "id": i.id, "src": i.src, "width": i.width, "height": i.height, "node_type": "img" }),
        ),
        NodeAttributes::A(a) => (
            "a",
            json!({ "id": a.id, "href": a.href, "title": text_json(&a.title), "node_type": "a" }),
        ),
    };
    let meta = match &node.label {
        Some(label) => json!({ "label": text_json(label) }),
        None => json!({}),
    };
    json!({
        "type": node_type,
        "group": node.group,
        "attributes": attributes,
        "messages": node.messages.iter().map(text_json).collect::<Vec<_>>(),
        "meta": meta,
    })
}

/// The hidden CSRF node every Kratos flow carries; API flows carry it empty.
pub fn csrf_node(token: &str) -> Value {
    json!({
        "type": "input",
        "group": "default",
        "attributes": {
            "name": "csrf_token",
            "type": "hidden",
            "value": token,
            "required": true,
            "disabled": false,
            "node_type": "input",
        },
        "messages": [],
        "meta": {},
    })
}

pub fn node_name(node: &Value) -> Option<&str> {
    node.pointer("/attributes/name").and_then(Value::as_str)
}

/// Clears earlier messages, then attaches new ones: flow-level to `ui.messages`, named ones to
/// the node with that name, or to the flow when no node has the name, since a Kratos UI shows
/// only the messages of nodes it renders. Returns those moved to the flow, with their names.
pub fn set_messages(
    ui: &mut Value,
    flow_messages: Vec<Value>,
    node_messages: Vec<(String, Value)>,
) -> Vec<(String, Value)> {
    let mut flow_messages = flow_messages;
    let mut moved = Vec::new();
    if let Some(nodes) = ui.get_mut("nodes").and_then(Value::as_array_mut) {
        for node in nodes.iter_mut() {
            node["messages"] = json!([]);
        }
        for (name, msg) in node_messages {
            match nodes
                .iter_mut()
                .find(|n| node_name(n) == Some(name.as_str()))
            {
                Some(node) => node["messages"]
                    .as_array_mut()
                    .expect("messages array")
                    .push(msg),
                None => {
                    flow_messages.push(msg.clone());
                    moved.push((name, msg));
                }
            }
        }
    }
    if flow_messages.is_empty() {
        ui.as_object_mut().map(|o| o.remove("messages"));
    } else {
        ui["messages"] = Value::Array(flow_messages);
    }
    moved
}

/// Puts what the user submitted back into the form so they need not type it again. Secrets
/// (password inputs, codes, hidden fields) are never echoed.
pub fn fill_values(ui: &mut Value, input: &Map<String, Value>) {
    let Some(nodes) = ui.get_mut("nodes").and_then(Value::as_array_mut) else {
        return;
    };
    for node in nodes {
        let Some(name) = node_name(node).map(str::to_owned) else {
            continue;
        };
        let kind = node
            .pointer("/attributes/type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let one_time = node.pointer("/attributes/autocomplete") == Some(&json!("one-time-code"));
        if one_time || matches!(kind, "password" | "hidden" | "submit" | "button") {
            continue;
        }
        if let Some(value) = lookup_dotted(input, &name) {
            node["attributes"]["value"] = value.clone();
        }
    }
}

/// Finds `traits.email` either as a flat key (form posts) or nested (JSON bodies).
fn lookup_dotted<'a>(input: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = input.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut current = input.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_for_a_node_the_form_lacks_goes_to_the_flow_and_is_returned() {
        let mut ui = json!({ "nodes": [
            { "attributes": { "name": "pin" }, "messages": [] },
        ] });
        let on_pin = message(4000001, "on the PIN", "error", None);
        let astray = message(4000002, "for a node nobody rendered", "error", None);
        let moved = set_messages(
            &mut ui,
            vec![],
            vec![
                ("pin".into(), on_pin.clone()),
                ("pin_code".into(), astray.clone()),
            ],
        );
        assert_eq!(ui["nodes"][0]["messages"], json!([on_pin]));
        assert_eq!(ui["messages"], json!([astray.clone()]));
        assert_eq!(moved, vec![("pin_code".to_string(), astray)]);
    }
}
