//! The UI nodes of the lookup-secret method, shaped after Kratos' own snapshots
//! (`lookup--TestCompleteSettings-*`, `lookup--TestFormHydration-*`). The host adds
//! `csrf_token`.
//!
//! Unlike Kratos this plugin offers no `lookup_secret_reveal` button: codes are stored hashed,
//! so they are shown once, right after they are generated.

use crate::messages::{code_list, info};
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::{UiNode, UiText};

const GROUP: &str = "lookup_secret";

fn button(name: &str, label: UiText) -> UiNode {
    submit(GROUP, name, "true", label)
}

fn regenerate() -> UiNode {
    button(
        "lookup_secret_regenerate",
        info(1050008, "Generate new backup recovery codes"),
    )
}

fn disable() -> UiNode {
    button(
        "lookup_secret_disable",
        info(1050016, "Disable this method"),
    )
}

fn confirm() -> UiNode {
    button(
        "lookup_secret_confirm",
        info(1050011, "Confirm backup recovery codes"),
    )
}

fn code_text(codes: &[String]) -> UiNode {
    UiNode::text(GROUP, "lookup_secret_codes", code_list(codes)).label(info(
        1050010,
        "These are your back up recovery codes. Please keep them in a safe place!",
    ))
}

/// No recovery codes yet.
pub fn settings_without_codes() -> Vec<UiNode> {
    vec![regenerate()]
}

/// Recovery codes in use: replace them, or remove them.
pub fn settings_with_codes() -> Vec<UiNode> {
    vec![disable(), regenerate()]
}

/// New codes, shown once, waiting to be confirmed.
pub fn settings_pending(codes: &[String]) -> Vec<UiNode> {
    vec![code_text(codes), confirm()]
}

/// The second factor of a login (`aal=aal2`).
pub fn login() -> Vec<UiNode> {
    vec![
        UiNode::input(
            GROUP,
            input("lookup_secret", "text")
                .value("")
                .required()
                .one_time_code(),
        )
        .label(info(1010007, "Backup recovery code")),
        submit(
            GROUP,
            "method",
            "lookup_secret",
            info(1010010, "Use backup recovery code"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::types::{MessageType, NodeAttributes, UiText};
    use serde_json::{Value, json};

    fn text_json(t: &UiText) -> Value {
        let mut v = json!({ "id": t.id, "text": t.text, "type": match t.type_ {
            MessageType::Info => "info", MessageType::Error => "error",
            MessageType::Success => "success" } });
        if let Some(c) = &t.context_json {
            v["context"] = serde_json::from_str(c).unwrap();
        }
        v
    }

    /// A node as the host serialises it (`host/src/ui.rs`), less `messages`.
    fn kratos_json(n: &UiNode) -> Value {
        let (type_, attrs) = match &n.attributes {
            NodeAttributes::Input(a) => {
                let mut attrs = json!({ "name": a.name, "type": a.type_, "disabled": a.disabled,
                    "node_type": "input" });
                if let Some(v) = &a.value_json {
                    attrs["value"] = serde_json::from_str(v).unwrap();
                }
                if a.required {
                    attrs["required"] = json!(true);
                }
                ("input", attrs)
            }
            NodeAttributes::Text(t) => (
                "text",
                json!({ "id": t.id, "text": text_json(&t.text), "node_type": "text" }),
            ),
            _ => panic!("only inputs and texts here"),
        };
        let meta = match &n.label {
            Some(l) => json!({ "label": text_json(l) }),
            None => json!({}),
        };
        json!({ "type": type_, "group": n.group, "attributes": attrs, "meta": meta })
    }

    fn rendered(nodes: &[UiNode]) -> Vec<Value> {
        nodes.iter().map(kratos_json).collect()
    }

    /// The two buttons of `lookup--TestCompleteSettings-type=regenerate_but_no_confirmation`.
    fn kratos_buttons() -> (Value, Value) {
        (
            json!({ "type": "input", "group": "lookup_secret", "attributes": {
                "name": "lookup_secret_disable", "type": "submit", "value": "true",
                "disabled": false, "node_type": "input" },
              "meta": { "label": { "id": 1050016, "text": "Disable this method",
                "type": "info" } } }),
            json!({ "type": "input", "group": "lookup_secret", "attributes": {
                "name": "lookup_secret_regenerate", "type": "submit", "value": "true",
                "disabled": false, "node_type": "input" },
              "meta": { "label": { "id": 1050008,
                "text": "Generate new backup recovery codes", "type": "info" } } }),
        )
    }

    #[test]
    fn settings_buttons_match_kratos() {
        let (disable, regenerate) = kratos_buttons();
        assert_eq!(
            rendered(&settings_with_codes()),
            vec![disable, regenerate.clone()]
        );
        assert_eq!(rendered(&settings_without_codes()), vec![regenerate]);
    }

    #[test]
    fn pending_codes_are_listed_as_kratos_lists_them() {
        let codes: Vec<String> = (0..12).map(|i| format!("key-{i}")).collect();
        let secrets: Vec<Value> = codes
            .iter()
            .map(|c| {
                json!({ "id": 1050009, "text": c, "type": "info",
                "context": { "secret": c } })
            })
            .collect();
        let expected = json!([
          { "type": "text", "group": "lookup_secret", "attributes": {
              "id": "lookup_secret_codes", "node_type": "text",
              "text": { "id": 1050015, "type": "info",
                "text": "key-0, key-1, key-2, key-3, key-4, key-5, key-6, key-7, key-8, key-9, key-10, key-11",
                "context": { "secrets": secrets } } },
            "meta": { "label": { "id": 1050010,
              "text": "These are your back up recovery codes. Please keep them in a safe place!",
              "type": "info" } } },
          { "type": "input", "group": "lookup_secret", "attributes": {
              "name": "lookup_secret_confirm", "type": "submit", "value": "true",
              "disabled": false, "node_type": "input" },
            "meta": { "label": { "id": 1050011, "text": "Confirm backup recovery codes",
              "type": "info" } } }
        ]);
        assert_eq!(Value::Array(rendered(&settings_pending(&codes))), expected);
    }

    #[test]
    fn login_matches_kratos() {
        let kratos = json!([
          { "type": "input", "group": "lookup_secret", "attributes": { "name": "lookup_secret",
              "type": "text", "value": "", "required": true, "disabled": false,
              "node_type": "input" },
            "meta": { "label": { "id": 1010007, "text": "Backup recovery code",
              "type": "info" } } },
          { "type": "input", "group": "lookup_secret", "attributes": { "name": "method",
              "type": "submit", "value": "lookup_secret", "disabled": false,
              "node_type": "input" },
            "meta": { "label": { "id": 1010010, "text": "Use backup recovery code",
              "type": "info" } } }
        ]);
        assert_eq!(Value::Array(rendered(&login())), kratos);
    }
}
