//! The UI nodes of the TOTP method, shaped after Kratos' own snapshots
//! (`totp--TestCompleteSettings-*`, `totp--TestFormHydration-*`). The host adds `csrf_token`.

use crate::messages::{info, secret};
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::UiNode;

const GROUP: &str = "totp";

/// Enrolment: the QR code (when it could be drawn), the secret for typing in by hand, the
/// first code, and the save button.
pub fn settings_enrol(qr_src: Option<String>, secret_base32: &str) -> Vec<UiNode> {
    let mut nodes = Vec::with_capacity(4);
    if let Some(src) = qr_src {
        nodes.push(
            UiNode::img(GROUP, "totp_qr", src, 256, 256)
                .label(info(1050005, "Authenticator app QR code")),
        );
    }
    nodes.push(
        UiNode::text(GROUP, "totp_secret_key", secret(secret_base32)).label(info(
            1050017,
            "This is your authenticator app secret. Use it if you can not scan the QR code.",
        )),
    );
    nodes.push(
        UiNode::input(GROUP, input("totp_code", "text").required().one_time_code())
            .label(info(1070006, "Verify code")),
    );
    nodes.push(submit(GROUP, "method", "totp", info(1070003, "Save")));
    nodes
}

/// An identity with an authenticator app can only unlink it.
pub fn settings_unlink() -> Vec<UiNode> {
    vec![
        UiNode::input(
            GROUP,
            input("totp_unlink", "submit").value("true").required(),
        )
        .label(info(1050004, "Unlink TOTP Authenticator App")),
    ]
}

/// The second factor of a login (`aal=aal2`).
pub fn login() -> Vec<UiNode> {
    vec![
        UiNode::input(
            GROUP,
            input("totp_code", "text")
                .value("")
                .required()
                .one_time_code(),
        )
        .label(info(1010006, "Authentication code")),
        submit(GROUP, "method", "totp", info(1010009, "Use Authenticator")),
    ]
}

#[cfg(test)]
pub mod tests {
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
    pub fn kratos_json(n: &UiNode) -> Value {
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
            NodeAttributes::Img(i) => (
                "img",
                json!({ "id": i.id, "src": i.src, "width": i.width, "height": i.height,
                    "node_type": "img" }),
            ),
            NodeAttributes::A(_) => panic!("no anchors here"),
        };
        let meta = match &n.label {
            Some(l) => json!({ "label": text_json(l) }),
            None => json!({}),
        };
        json!({ "type": type_, "group": n.group, "attributes": attrs, "meta": meta })
    }

    /// Kratos' snapshot without the host's CSRF node and `messages`.
    fn snapshot(nodes: Value) -> Vec<Value> {
        nodes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["attributes"]["name"] != "csrf_token")
            .map(|n| {
                json!({ "type": n["type"], "group": n["group"],
                "attributes": n["attributes"], "meta": n["meta"] })
            })
            .collect()
    }

    #[test]
    fn enrolment_matches_kratos() {
        // totp--TestCompleteSettings-case=device_setup_is_available_when_identity_has_no_totp_yet
        // (Kratos scrubs the image source and the secret from its snapshot).
        let kratos = json!([
          { "attributes": { "disabled": false, "name": "csrf_token", "node_type": "input",
              "required": true, "type": "hidden" }, "group": "default", "messages": [],
            "meta": {}, "type": "input" },
          { "attributes": { "height": 256, "id": "totp_qr", "node_type": "img", "width": 256 },
            "group": "totp", "messages": [],
            "meta": { "label": { "id": 1050005, "text": "Authenticator app QR code",
              "type": "info" } }, "type": "img" },
          { "attributes": { "id": "totp_secret_key", "node_type": "text",
              "text": { "context": {}, "id": 1050006, "type": "info" } },
            "group": "totp", "messages": [],
            "meta": { "label": { "id": 1050017, "text": "This is your authenticator app secret. Use it if you can not scan the QR code.", "type": "info" } },
            "type": "text" },
          { "attributes": { "disabled": false, "name": "totp_code", "node_type": "input",
              "required": true, "type": "text" }, "group": "totp", "messages": [],
            "meta": { "label": { "id": 1070006, "text": "Verify code", "type": "info" } },
            "type": "input" },
          { "attributes": { "disabled": false, "name": "method", "node_type": "input",
              "type": "submit", "value": "totp" }, "group": "totp", "messages": [],
            "meta": { "label": { "id": 1070003, "text": "Save", "type": "info" } },
            "type": "input" }
        ]);
        let mut ours: Vec<Value> = settings_enrol(Some("data:image/png;base64,AAAA".into()), "ABC")
            .iter()
            .map(kratos_json)
            .collect();
        assert_eq!(ours[0]["attributes"]["src"], "data:image/png;base64,AAAA");
        ours[0]["attributes"].as_object_mut().unwrap().remove("src");
        assert_eq!(
            ours[1]["attributes"]["text"],
            json!({ "id": 1050006, "text": "ABC", "type": "info",
                "context": { "secret": "ABC" } })
        );
        ours[1]["attributes"]["text"] = json!({ "context": {}, "id": 1050006, "type": "info" });
        assert_eq!(ours, snapshot(kratos));
    }

    #[test]
    fn without_a_qr_code_the_secret_still_shows() {
        let nodes = settings_enrol(None, "ABC");
        assert_eq!(nodes.len(), 3);
        assert!(
            matches!(&nodes[0].attributes, NodeAttributes::Text(t) if t.id == "totp_secret_key")
        );
    }

    #[test]
    fn unlink_matches_kratos() {
        let kratos = json!([
          { "attributes": { "disabled": false, "name": "csrf_token", "node_type": "input",
              "required": true, "type": "hidden" }, "group": "default", "messages": [],
            "meta": {}, "type": "input" },
          { "attributes": { "disabled": false, "name": "totp_unlink", "node_type": "input",
              "required": true, "type": "submit", "value": "true" },
            "group": "totp", "messages": [],
            "meta": { "label": { "id": 1050004, "text": "Unlink TOTP Authenticator App",
              "type": "info" } }, "type": "input" }
        ]);
        let ours: Vec<Value> = settings_unlink().iter().map(kratos_json).collect();
        assert_eq!(ours, snapshot(kratos));
    }

    #[test]
    fn login_matches_kratos() {
        let kratos = json!([
          { "type": "input", "group": "default", "attributes": { "name": "csrf_token",
              "type": "hidden", "required": true, "disabled": false, "node_type": "input" },
            "messages": [], "meta": {} },
          { "type": "input", "group": "totp", "attributes": { "name": "totp_code",
              "type": "text", "value": "", "required": true, "disabled": false,
              "node_type": "input" }, "messages": [],
            "meta": { "label": { "id": 1010006, "text": "Authentication code",
              "type": "info" } } },
          { "type": "input", "group": "totp", "attributes": { "name": "method",
              "type": "submit", "value": "totp", "disabled": false, "node_type": "input" },
            "messages": [],
            "meta": { "label": { "id": 1010009, "text": "Use Authenticator",
              "type": "info" } } }
        ]);
        let ours: Vec<Value> = login().iter().map(kratos_json).collect();
        assert_eq!(ours, snapshot(kratos));
    }
}
