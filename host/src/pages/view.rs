//! A flow's `ui` as the templates see it: one form per method group, each node reduced to what
//! an HTML element needs, with element ids that bind labels and messages to their inputs.
//!
//! Nothing here knows a method by name, so the nodes of a new factor plugin show up as they
//! are: its group becomes a form, its inputs fields, its texts and images what they say.

use serde::Serialize;
use serde_json::Value;

/// A message shown to the user (Kratos' `ui.messages` / `node.messages` entries).
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub id: u64,
    pub text: String,
    /// `info`, `error` or `success`.
    pub kind: String,
}

impl Message {
    pub fn of(value: &Value) -> Message {
        Message {
            id: value.get("id").and_then(Value::as_u64).unwrap_or(0),
            text: value
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            kind: value
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("info")
                .to_string(),
        }
    }
}

fn messages_of(value: Option<&Value>) -> Vec<Message> {
    value
        .and_then(Value::as_array)
        .map(|list| list.iter().map(Message::of).collect())
        .unwrap_or_default()
}

/// One node, flattened for a template. `kind` says which element renders it: `hidden`,
/// `field` (a labelled input), `checkbox`, `submit`, `button`, `text`, `img`, `a`, `script`,
/// or `errors` (the flow's errors about this form, placed before its buttons).
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeView {
    pub kind: &'static str,
    /// The element id, unique on the page.
    pub id: String,
    pub name: String,
    pub input_type: String,
    pub value: String,
    pub checked: bool,
    pub label: String,
    pub required: bool,
    pub disabled: bool,
    pub autocomplete: Option<String>,
    pub pattern: Option<String>,
    pub maxlength: Option<u64>,
    pub messages: Vec<Message>,
    /// The id of the element holding `messages`.
    pub messages_id: String,
    /// `aria-describedby`: the ids of every message list about this input.
    pub describedby: String,
    /// An error message is attached (`aria-invalid`).
    pub invalid: bool,
    /// Text nodes: the text, or the list of items (recovery codes) when it carries one.
    pub text: String,
    pub items: Vec<String>,
    /// Images, links and scripts.
    pub src: String,
    pub href: String,
    pub width: Option<u64>,
    pub height: Option<u64>,
    /// Scripts: the attributes a plugin may set.
    pub integrity: Option<String>,
    pub crossorigin: Option<String>,
    pub nonce: Option<String>,
    pub script_type: Option<String>,
    pub is_async: bool,
}

/// One `<form>`: the nodes of one method group, after the default group's.
#[derive(Clone, Debug, Serialize)]
pub struct FormView {
    pub group: String,
    pub id: String,
    /// A heading for the group (settings shows each method as its own section).
    pub title: String,
    pub action: String,
    pub method: String,
    /// Messages on nodes that have no visible place of their own (hidden inputs).
    pub messages: Vec<Message>,
    pub nodes: Vec<NodeView>,
}

/// The whole `ui` of a flow.
#[derive(Clone, Debug, Serialize)]
pub struct UiView {
    pub messages: Vec<Message>,
    pub forms: Vec<FormView>,
}

/// Element ids from node names: `traits.email` in group `password` → `password-traits-email`.
fn element_id(form: &str, name: &str) -> String {
    let mut id = String::with_capacity(form.len() + name.len() + 1);
    for part in [form, name] {
        if !id.is_empty() {
            id.push('-');
        }
        id.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        }));
    }
    id
}

fn str_at<'a>(node: &'a Value, pointer: &str) -> Option<&'a str> {
    node.pointer(pointer).and_then(Value::as_str)
}

fn group_of(node: &Value) -> &str {
    node.get("group")
        .and_then(Value::as_str)
        .unwrap_or("default")
}

fn scalar_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The heading of a method's section: the group name in words (`lookup_secret` → "Lookup
/// secret"), with better names for the groups every deployment has.
pub fn group_title(group: &str) -> String {
    match group {
        "profile" => "Profile".into(),
        "password" => "Password".into(),
        "totp" => "Authenticator app".into(),
        "lookup_secret" => "Backup recovery codes".into(),
        "oidc" => "Sign in with another account".into(),
        other => {
            let words = other.replace(['_', '-'], " ");
            let mut chars = words.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

fn node_view(node: &Value, form: &str) -> NodeView {
    let attrs = node.get("attributes").cloned().unwrap_or(Value::Null);
    let label = str_at(node, "/meta/label/text")
        .unwrap_or_default()
        .to_string();
    let messages = messages_of(node.get("messages"));
    let invalid = messages.iter().any(|m| m.kind == "error");
    let node_type = node.get("type").and_then(Value::as_str).unwrap_or("input");
    let attr_str = |key: &str| attrs.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut view = NodeView {
        label,
        messages,
        invalid,
        ..NodeView::default()
    };
    match node_type {
        "input" => {
            let name = attr_str("name").unwrap_or_default();
            let input_type = attr_str("type").unwrap_or_else(|| "text".into());
            view.id = element_id(form, &name);
            view.messages_id = format!("{}-messages", view.id);
            if !view.messages.is_empty() {
                view.describedby = view.messages_id.clone();
            }
            view.kind = match input_type.as_str() {
                "hidden" => "hidden",
                "submit" => "submit",
                "button" => "button",
                "checkbox" => "checkbox",
                _ => "field",
            };
            if view.label.is_empty() && view.kind != "hidden" {
                view.label = name.clone();
            }
            view.checked = attrs.get("value") == Some(&Value::Bool(true));
            view.value = match (view.kind, attrs.get("value")) {
                // A checkbox posts "true" when ticked; its stored value says whether it is.
                ("checkbox", _) => "true".into(),
                (_, value) => scalar_text(value),
            };
            view.name = name;
            view.input_type = input_type;
            view.required = attrs.get("required").and_then(Value::as_bool) == Some(true);
            view.disabled = attrs.get("disabled").and_then(Value::as_bool) == Some(true);
            view.autocomplete = attr_str("autocomplete");
            view.pattern = attr_str("pattern");
            view.maxlength = attrs.get("maxlength").and_then(Value::as_u64);
        }
        "text" => {
            view.kind = "text";
            view.id = attr_str("id").unwrap_or_else(|| element_id(form, "text"));
            view.text = str_at(&attrs, "/text/text").unwrap_or_default().to_string();
            if let Some(items) = attrs
                .pointer("/text/context/secrets")
                .and_then(Value::as_array)
            {
                view.items = items
                    .iter()
                    .map(|item| match item.get("text") {
                        Some(text) => scalar_text(Some(text)),
                        None => scalar_text(Some(item)),
                    })
                    .collect();
            }
        }
        "img" => {
            view.kind = "img";
            view.id = attr_str("id").unwrap_or_else(|| element_id(form, "img"));
            view.src = attr_str("src").unwrap_or_default();
            view.width = attrs.get("width").and_then(Value::as_u64);
            view.height = attrs.get("height").and_then(Value::as_u64);
        }
        "a" => {
            view.kind = "a";
            view.id = attr_str("id").unwrap_or_else(|| element_id(form, "a"));
            view.href = attr_str("href").unwrap_or_default();
            view.text = str_at(&attrs, "/title/text")
                .unwrap_or_default()
                .to_string();
        }
        "script" => {
            view.kind = "script";
            view.id = attr_str("id").unwrap_or_else(|| element_id(form, "script"));
            view.src = attr_str("src").unwrap_or_default();
            view.integrity = attr_str("integrity").filter(|s| !s.is_empty());
            view.crossorigin = attr_str("crossorigin").filter(|s| !s.is_empty());
            view.nonce = attr_str("nonce").filter(|s| !s.is_empty());
            view.script_type = attr_str("type").filter(|s| !s.is_empty());
            view.is_async = attrs.get("async").and_then(Value::as_bool) == Some(true);
        }
        // A node type this page does not know is left out rather than guessed at.
        _ => view.kind = "",
    }
    view
}

/// Whether a group's form submits the default group's fields (the identifier, the traits):
/// it collects typed input, or it has a `method` button, which submits the flow as a whole
/// (an OpenID sign-up that asks for missing traits has only that button). A row of other
/// buttons (providers to choose, "generate codes") does not.
fn takes_default_fields(nodes: &[&Value]) -> bool {
    nodes.iter().any(|n| {
        let is_input = n.get("type").and_then(Value::as_str) == Some("input");
        let kind = str_at(n, "/attributes/type");
        let typed = !matches!(kind, Some("submit" | "button" | "hidden"));
        let method_button =
            kind == Some("submit") && str_at(n, "/attributes/name") == Some("method");
        is_input && (typed || method_button)
    })
}

/// Splits a flow's `ui` into forms. Each method group is its own form, so the required fields
/// of one method never block submitting another; each form carries the default group's hidden
/// inputs (the CSRF token), and the forms that collect input also its visible fields.
pub fn ui_view(ui: &Value) -> UiView {
    let action = ui
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let method = ui
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("POST")
        .to_string();
    let nodes: Vec<&Value> = ui
        .get("nodes")
        .and_then(Value::as_array)
        .map(|n| n.iter().collect())
        .unwrap_or_default();
    let defaults: Vec<&Value> = nodes
        .iter()
        .copied()
        .filter(|n| group_of(n) == "default")
        .collect();
    let mut groups: Vec<&str> = Vec::new();
    for node in &nodes {
        let group = group_of(node);
        if group != "default" && !groups.contains(&group) {
            groups.push(group);
        }
    }
    if groups.is_empty() && !defaults.is_empty() {
        groups.push("default");
    }
    let mut forms: Vec<FormView> = groups
        .into_iter()
        .map(|group| {
            let own: Vec<&Value> = nodes
                .iter()
                .copied()
                .filter(|n| group_of(n) == group && group != "default")
                .collect();
            let with_fields = group == "default" || takes_default_fields(&own);
            let shared = defaults.iter().copied().filter(|n| {
                let is_input = n.get("type").and_then(Value::as_str) == Some("input");
                let hidden = str_at(n, "/attributes/type") == Some("hidden");
                with_fields || hidden || !is_input
            });
            let mut form = FormView {
                group: group.to_string(),
                id: format!("form-{}", element_id("", group).trim_start_matches('-')),
                title: group_title(group),
                action: action.clone(),
                method: method.clone(),
                messages: Vec::new(),
                nodes: Vec::new(),
            };
            // Kratos' method endpoints need `method`; buttons other than a `method` button
            // (a provider, "unlink", "generate codes") do not send one. The group is the
            // method, first in the form so that a clicked `method` button still decides.
            if group != "default" {
                form.nodes.push(NodeView {
                    kind: "hidden",
                    name: "method".into(),
                    value: group.to_string(),
                    ..NodeView::default()
                });
            }
            for node in shared.chain(own) {
                let view = node_view(node, group);
                match view.kind {
                    "" => {}
                    "hidden" | "submit" | "button" if !view.messages.is_empty() => {
                        form.messages.extend(view.messages.iter().cloned());
                        form.nodes.push(NodeView {
                            messages: Vec::new(),
                            invalid: false,
                            ..view
                        });
                    }
                    _ => form.nodes.push(view),
                }
            }
            form
        })
        .collect();
    let mut messages = messages_of(ui.get("messages"));
    attach_flow_errors(&mut messages, &mut forms);
    UiView { messages, forms }
}

fn has_fields(form: &FormView) -> bool {
    form.nodes
        .iter()
        .any(|n| matches!(n.kind, "field" | "checkbox"))
}

/// A flow-level error (Kratos puts "invalid credentials" there, not on a node) is about the
/// form that was submitted. When only one form takes input, that is the one: the errors move
/// there, before its buttons, and describe its fields, so they are read with the fields they
/// concern. With several such forms they stay on top of the page.
fn attach_flow_errors(messages: &mut Vec<Message>, forms: &mut [FormView]) {
    if !messages.iter().any(|m| m.kind == "error") {
        return;
    }
    let mut with_fields = forms.iter_mut().filter(|f| has_fields(f));
    let (Some(form), None) = (with_fields.next(), with_fields.next()) else {
        return;
    };
    let (errors, rest): (Vec<Message>, Vec<Message>) =
        messages.drain(..).partition(|m| m.kind == "error");
    *messages = rest;
    let errors_id = format!("{}-errors", form.id);
    for node in &mut form.nodes {
        if matches!(node.kind, "field" | "checkbox") {
            node.invalid = true;
            node.describedby = if node.describedby.is_empty() {
                errors_id.clone()
            } else {
                format!("{} {errors_id}", node.describedby)
            };
        }
    }
    let at = form
        .nodes
        .iter()
        .position(|n| matches!(n.kind, "submit" | "button"))
        .unwrap_or(form.nodes.len());
    form.nodes.insert(
        at,
        NodeView {
            kind: "errors",
            id: errors_id.clone(),
            messages_id: errors_id,
            messages: errors,
            ..NodeView::default()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(group: &str, name: &str, kind: &str, label: Option<&str>) -> Value {
        let mut node = json!({
            "type": "input", "group": group,
            "attributes": { "name": name, "type": kind, "required": true, "disabled": false,
                            "node_type": "input" },
            "messages": [], "meta": {},
        });
        if let Some(l) = label {
            node["meta"]["label"] = json!({ "id": 1, "text": l, "type": "info" });
        }
        node
    }

    fn login_ui() -> Value {
        let mut password = input("password", "password", "password", Some("Password"));
        password["messages"] = json!([{ "id": 4000006, "type": "error",
            "text": "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number." }]);
        let mut submit = input("password", "method", "submit", Some("Sign in"));
        submit["attributes"]["value"] = json!("password");
        json!({
            "action": "http://127.0.0.1:4433/self-service/login?flow=f",
            "method": "POST",
            "messages": [{ "id": 1010004, "type": "info", "text": "Please complete…" }],
            "nodes": [
                input("default", "identifier", "text", Some("ID")),
                input("default", "csrf_token", "hidden", None),
                password,
                submit,
                input("oidc", "provider", "submit", Some("Sign in with Example")),
            ],
        })
    }

    #[test]
    fn each_method_group_is_a_form_with_the_csrf_token() {
        let view = ui_view(&login_ui());
        assert_eq!(view.messages[0].id, 1010004);
        let groups: Vec<&str> = view.forms.iter().map(|f| f.group.as_str()).collect();
        assert_eq!(groups, ["password", "oidc"]);
        for form in &view.forms {
            assert!(form.nodes.iter().any(|n| n.name == "csrf_token"));
            assert_eq!(
                form.action,
                "http://127.0.0.1:4433/self-service/login?flow=f"
            );
        }
        let names = |i: usize| -> Vec<String> {
            view.forms[i].nodes.iter().map(|n| n.name.clone()).collect()
        };
        assert_eq!(
            names(0),
            ["method", "identifier", "csrf_token", "password", "method"]
        );
        assert_eq!(view.forms[0].nodes[0].value, "password");
        assert_eq!(
            names(1),
            ["method", "csrf_token", "provider"],
            "a row of buttons does not repeat the identifier"
        );
        assert_eq!(
            view.forms[1].nodes[0].value, "oidc",
            "a provider button names its method"
        );
    }

    #[test]
    fn a_method_button_alone_takes_the_default_fields_with_it() {
        let mut finish = input("oidc", "method", "submit", Some("Sign up"));
        finish["attributes"]["value"] = json!("oidc");
        let ui = json!({ "action": "a", "method": "POST", "nodes": [
            input("default", "traits.email", "email", Some("E-Mail")),
            input("default", "csrf_token", "hidden", None),
            input("oidc", "provider", "submit", Some("Sign up with Example")),
            finish,
        ]});
        let view = ui_view(&ui);
        let names: Vec<&str> = view.forms[0]
            .nodes
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["method", "traits.email", "csrf_token", "provider", "method"]
        );
    }

    #[test]
    fn fields_get_ids_labels_and_their_messages() {
        let view = ui_view(&login_ui());
        let password = &view.forms[0].nodes[3];
        assert_eq!(password.kind, "field");
        assert_eq!(password.id, "password-password");
        assert_eq!(password.label, "Password");
        assert_eq!(password.messages_id, "password-password-messages");
        assert_eq!(password.describedby, "password-password-messages");
        assert!(password.invalid);
        assert_eq!(password.messages[0].id, 4000006);
        let identifier = &view.forms[0].nodes[1];
        assert_eq!(identifier.id, "password-identifier");
        assert!(!identifier.invalid);
        assert_eq!(view.forms[0].nodes[4].kind, "submit");
        assert_eq!(view.forms[0].nodes[4].value, "password");
    }

    #[test]
    fn texts_with_items_images_and_unknown_groups_render_generically() {
        let ui = json!({ "action": "a", "method": "POST", "nodes": [
            input("default", "csrf_token", "hidden", None),
            { "type": "img", "group": "totp", "messages": [],
              "attributes": { "id": "totp_qr", "src": "data:image/png;base64,AA", "width": 256,
                              "height": 256, "node_type": "img" },
              "meta": { "label": { "id": 1050005, "text": "Authenticator app QR code", "type": "info" } } },
            { "type": "text", "group": "lookup_secret", "messages": [], "meta": {},
              "attributes": { "id": "lookup_secret_codes", "node_type": "text",
                "text": { "id": 1050015, "type": "info", "text": "a, b",
                          "context": { "secrets": [{ "text": "a" }, { "text": "b" }] } } } },
            input("hardware_key", "hardware_key_pin", "password", Some("Key PIN")),
        ]});
        let view = ui_view(&ui);
        let groups: Vec<&str> = view.forms.iter().map(|f| f.group.as_str()).collect();
        assert_eq!(groups, ["totp", "lookup_secret", "hardware_key"]);
        assert_eq!(view.forms[0].nodes[2].kind, "img");
        assert_eq!(view.forms[0].nodes[2].label, "Authenticator app QR code");
        assert_eq!(view.forms[1].nodes[2].items, ["a", "b"]);
        assert_eq!(view.forms[2].title, "Hardware key");
        assert_eq!(view.forms[2].nodes[2].id, "hardware_key-hardware_key_pin");
    }

    #[test]
    fn flow_errors_describe_the_fields_of_the_only_form_that_takes_input() {
        let mut ui = login_ui();
        ui["nodes"][2]["messages"] = json!([]);
        ui["messages"] = json!([
            { "id": 4000006, "type": "error", "text": "The provided credentials are invalid" },
            { "id": 1010003, "type": "info", "text": "Please confirm" },
        ]);
        let view = ui_view(&ui);
        assert_eq!(view.messages.len(), 1, "the info stays on top");
        let form = &view.forms[0];
        let kinds: Vec<&str> = form.nodes.iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            ["hidden", "field", "hidden", "field", "errors", "submit"]
        );
        assert_eq!(form.nodes[4].id, "form-password-errors");
        assert_eq!(form.nodes[4].messages[0].id, 4000006);
        for field in [&form.nodes[1], &form.nodes[3]] {
            assert_eq!(field.describedby, "form-password-errors");
            assert!(field.invalid);
        }
        assert!(view.forms[1].nodes.iter().all(|n| n.kind != "errors"));
    }

    #[test]
    fn with_two_forms_that_take_input_flow_errors_stay_on_top() {
        let ui = json!({ "action": "a", "method": "POST",
        "messages": [{ "id": 4000001, "type": "error", "text": "no" }],
        "nodes": [
            input("totp", "totp_code", "text", Some("Authentication code")),
            input("lookup_secret", "lookup_secret", "text", Some("Backup recovery code")),
        ]});
        let view = ui_view(&ui);
        assert_eq!(view.messages.len(), 1);
        assert!(
            view.forms
                .iter()
                .all(|f| f.nodes.iter().all(|n| n.kind != "errors"))
        );
    }

    #[test]
    fn a_message_on_a_hidden_input_is_shown_on_its_form() {
        let mut csrf = input("default", "csrf_token", "hidden", None);
        csrf["messages"] = json!([{ "id": 4000001, "type": "error", "text": "bad token" }]);
        let ui = json!({ "action": "a", "method": "POST", "nodes": [
            csrf, input("password", "password", "password", Some("Password")),
        ]});
        let view = ui_view(&ui);
        assert_eq!(view.forms[0].messages[0].text, "bad token");
        assert!(view.forms[0].nodes[1].messages.is_empty());
    }
}
