//! The password method's Kratos UI nodes and messages, matching Kratos' own snapshots.

use crate::bindings::latchkey::factor::types::{
    InputAttributes, MessageType, NodeAttributes, UiNode, UiText,
};

pub fn text(
    id: u32,
    text: impl Into<String>,
    kind: MessageType,
    context: Option<String>,
) -> UiText {
    UiText {
        id,
        text: text.into(),
        type_: kind,
        context_json: context,
    }
}

fn label(id: u32, s: &str) -> Option<UiText> {
    Some(text(id, s, MessageType::Info, None))
}

fn input(name: &str, kind: &str, value: Option<String>, required: bool) -> InputAttributes {
    InputAttributes {
        name: name.into(),
        type_: kind.into(),
        value_json: value,
        required,
        disabled: false,
        autocomplete: None,
        pattern: None,
        maxlength: None,
    }
}

fn node(group: &str, attrs: InputAttributes, label: Option<UiText>) -> UiNode {
    UiNode {
        group: group.into(),
        attributes: NodeAttributes::Input(attrs),
        messages: vec![],
        label,
    }
}

/// `identifier` (group default), prefilled on refresh.
pub fn identifier(prefill: Option<&str>) -> UiNode {
    let value = Some(serde_json::to_string(prefill.unwrap_or("")).expect("a string serialises"));
    node(
        "default",
        input("identifier", "text", value, true),
        label(1070004, "ID"),
    )
}

pub fn password(autocomplete: &str) -> UiNode {
    let mut attrs = input("password", "password", None, true);
    attrs.autocomplete = Some(autocomplete.into());
    node("password", attrs, label(1070001, "Password"))
}

pub fn submit(label_id: u32, label_text: &str) -> UiNode {
    node(
        "password",
        input("method", "submit", Some("\"password\"".into()), false),
        label(label_id, label_text),
    )
}

pub fn invalid_credentials() -> UiText {
    text(
        4000006,
        "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
        MessageType::Error,
        None,
    )
}

pub fn missing(property: &str) -> UiText {
    text(
        4000002,
        format!("Property {property} is missing."),
        MessageType::Error,
        Some(serde_json::json!({ "property": property }).to_string()),
    )
}

pub fn too_short(min: usize, actual: usize) -> UiText {
    text(
        4000032,
        format!("The password must be at least {min} characters long, but got {actual}."),
        MessageType::Error,
        Some(serde_json::json!({ "min_length": min, "actual_length": actual }).to_string()),
    )
}

pub fn similar_to_identifier() -> UiText {
    text(
        4000031,
        "The password can not be used because it is too similar to the identifier.",
        MessageType::Error,
        None,
    )
}

pub fn generic(reason: impl Into<String>) -> UiText {
    let reason = reason.into();
    text(
        4000001,
        reason.clone(),
        MessageType::Error,
        Some(serde_json::json!({ "reason": reason }).to_string()),
    )
}
