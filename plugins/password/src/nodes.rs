//! The UI nodes of the password method, shaped after Kratos' own snapshots
//! (`password--TestFormHydration-*`, `password--TestPopulateRegistrationMethod-*`, and the
//! password part of the settings snapshots). The host adds `csrf_token` and the traits.

use crate::messages::info;
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::{UiNode, UiText};

fn identifier() -> UiNode {
    UiNode::input("default", input("identifier", "text").value("").required())
        .label(info(1070004, "ID"))
}

/// On refresh the identifier is fixed to the signed-in identity, so it travels hidden.
fn fixed_identifier(identifier: &str) -> UiNode {
    UiNode::input("default", input("identifier", "hidden").value(identifier))
}

fn password(autocomplete: &str) -> UiNode {
    UiNode::input(
        "password",
        input("password", "password")
            .required()
            .autocomplete(autocomplete),
    )
    .label(info(1070001, "Password"))
}

fn sign(label: UiText) -> UiNode {
    submit("password", "method", "password", label)
}

pub fn login() -> Vec<UiNode> {
    vec![
        identifier(),
        password("current-password"),
        sign(info(1010022, "Sign in with password")),
    ]
}

pub fn login_refresh(identifier: &str) -> Vec<UiNode> {
    vec![
        fixed_identifier(identifier),
        password("current-password"),
        sign(info(1010001, "Sign in")),
    ]
}

pub fn registration() -> Vec<UiNode> {
    vec![password("new-password"), sign(info(1040001, "Sign up"))]
}

pub fn settings() -> Vec<UiNode> {
    vec![password("new-password"), sign(info(1070003, "Save"))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::types::NodeAttributes;
    use serde_json::{Value, json};

    /// The parts of Kratos' node JSON this plugin decides, rendered the way the host does.
    fn kratos_json(n: &UiNode) -> Value {
        let NodeAttributes::Input(a) = &n.attributes else {
            panic!("only input nodes here")
        };
        let mut attrs = json!({ "name": a.name, "type": a.type_, "disabled": a.disabled });
        if let Some(v) = &a.value_json {
            attrs["value"] = serde_json::from_str(v).unwrap();
        }
        if a.required {
            attrs["required"] = json!(true);
        }
        if let Some(ac) = &a.autocomplete {
            attrs["autocomplete"] = json!(ac);
        }
        let meta = match &n.label {
            Some(l) => json!({ "label": { "id": l.id, "text": l.text, "type": "info" } }),
            None => json!({}),
        };
        json!({ "group": n.group, "attributes": attrs, "meta": meta })
    }

    /// Kratos' snapshot without the host's nodes and the fields every node has.
    fn snapshot(nodes: Value) -> Vec<Value> {
        nodes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["attributes"]["name"] != "csrf_token")
            .map(|n| {
                let mut attrs = n["attributes"].clone();
                attrs.as_object_mut().unwrap().remove("node_type");
                json!({ "group": n["group"], "attributes": attrs, "meta": n["meta"] })
            })
            .collect()
    }

    fn rendered(nodes: &[UiNode]) -> Vec<Value> {
        nodes.iter().map(kratos_json).collect()
    }

    #[test]
    fn login_matches_kratos() {
        let kratos = json!([
          { "group": "default", "attributes": { "name": "identifier", "type": "text", "value": "",
            "required": true, "disabled": false, "node_type": "input" },
            "meta": { "label": { "id": 1070004, "text": "ID", "type": "info" } } },
          { "group": "default", "attributes": { "name": "csrf_token", "type": "hidden",
            "required": true, "disabled": false, "node_type": "input" }, "meta": {} },
          { "group": "password", "attributes": { "name": "password", "type": "password",
            "required": true, "autocomplete": "current-password", "disabled": false,
            "node_type": "input" },
            "meta": { "label": { "id": 1070001, "text": "Password", "type": "info" } } },
          { "group": "password", "attributes": { "name": "method", "type": "submit",
            "value": "password", "disabled": false, "node_type": "input" },
            "meta": { "label": { "id": 1010022, "text": "Sign in with password", "type": "info" } } }
        ]);
        assert_eq!(rendered(&login()), snapshot(kratos));
    }

    #[test]
    fn refresh_matches_kratos() {
        let kratos = json!([
          { "group": "default", "attributes": { "name": "identifier", "type": "hidden",
            "value": "some@user.com", "disabled": false, "node_type": "input" }, "meta": {} },
          { "group": "password", "attributes": { "name": "password", "type": "password",
            "required": true, "autocomplete": "current-password", "disabled": false,
            "node_type": "input" },
            "meta": { "label": { "id": 1070001, "text": "Password", "type": "info" } } },
          { "group": "password", "attributes": { "name": "method", "type": "submit",
            "value": "password", "disabled": false, "node_type": "input" },
            "meta": { "label": { "id": 1010001, "text": "Sign in", "type": "info" } } }
        ]);
        assert_eq!(rendered(&login_refresh("some@user.com")), snapshot(kratos));
    }

    #[test]
    fn registration_and_settings_match_kratos() {
        let password = json!({ "group": "password", "attributes": { "name": "password",
            "type": "password", "required": true, "autocomplete": "new-password",
            "disabled": false, "node_type": "input" },
            "meta": { "label": { "id": 1070001, "text": "Password", "type": "info" } } });
        let submit = |id: u32, text: &str| {
            json!({ "group": "password", "attributes": { "name": "method", "type": "submit",
                "value": "password", "disabled": false, "node_type": "input" },
                "meta": { "label": { "id": id, "text": text, "type": "info" } } })
        };
        assert_eq!(
            rendered(&registration()),
            snapshot(json!([password, submit(1040001, "Sign up")]))
        );
        assert_eq!(
            rendered(&settings()),
            snapshot(json!([password, submit(1070003, "Save")]))
        );
    }
}
