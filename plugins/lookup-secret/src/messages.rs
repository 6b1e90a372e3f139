//! The Kratos `uiText` messages of the lookup-secret method, ids and texts as in Kratos'
//! catalogue so that localised UIs translate them.

use crate::bindings::latchkey::factor::types::{MessageType, Rejection, UiText};
use serde_json::json;

fn text(id: u32, text: String, type_: MessageType, context: Option<serde_json::Value>) -> UiText {
    UiText {
        id,
        text,
        type_,
        context_json: context.map(|c| c.to_string()),
    }
}

fn error(id: u32, message: &str) -> UiText {
    text(id, message.into(), MessageType::Error, None)
}

pub fn info(id: u32, label: &str) -> UiText {
    text(id, label.into(), MessageType::Info, None)
}

/// 1050015: the list of codes, each one also as its own message (1050009) in the context, as
/// Kratos renders it.
pub fn code_list(codes: &[String]) -> UiText {
    let secrets: Vec<serde_json::Value> = codes
        .iter()
        .map(|code| {
            json!({ "id": 1050009, "text": code, "type": "info",
                "context": { "secret": code } })
        })
        .collect();
    text(
        1050015,
        codes.join(", "),
        MessageType::Info,
        Some(json!({ "secrets": secrets })),
    )
}

/// 4000001, Kratos' message for errors without a dedicated id; the text is the reason.
pub fn generic(reason: &str) -> UiText {
    text(
        4000001,
        reason.into(),
        MessageType::Error,
        Some(json!({ "reason": reason })),
    )
}

/// 4000002, what Kratos' JSON-schema validation reports for an absent field.
pub fn missing(property: &str) -> UiText {
    text(
        4000002,
        format!("Property {property} is missing."),
        MessageType::Error,
        Some(json!({ "property": property })),
    )
}

/// 4000012.
pub fn already_used() -> UiText {
    error(4000012, "This backup recovery code has already been used.")
}

/// 4000014: a login or a disable for an identity without recovery codes.
pub fn no_codes() -> UiText {
    error(4000014, "You have no backup recovery codes set up.")
}

/// 4000016.
pub fn invalid() -> UiText {
    error(4000016, "The backup recovery code is not valid.")
}

/// A rejection with one flow-level message.
pub fn rejection(message: UiText) -> Rejection {
    Rejection {
        messages: vec![message],
        node_messages: vec![],
    }
}

/// A rejection with one message on the named input node.
pub fn on_node(node: &str, message: UiText) -> Rejection {
    Rejection {
        messages: vec![],
        node_messages: vec![(node.into(), message)],
    }
}
