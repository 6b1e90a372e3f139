//! The Kratos `uiText` messages of the TOTP method, ids and texts as in Kratos' catalogue so
//! that localised UIs translate them.

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

pub fn info(id: u32, label: &str) -> UiText {
    text(id, label.into(), MessageType::Info, None)
}

/// 1050006: the secret itself, for typing it into an app that cannot scan the QR code.
pub fn secret(secret: &str) -> UiText {
    text(
        1050006,
        secret.into(),
        MessageType::Info,
        Some(json!({ "secret": secret })),
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

/// 4000008, for a wrong code and for a code that was used already alike.
pub fn wrong_code() -> UiText {
    text(
        4000008,
        "The provided authentication code is invalid, please try again.".into(),
        MessageType::Error,
        None,
    )
}

/// 4000011: a TOTP login or unlink for an identity without an authenticator app.
pub fn no_device() -> UiText {
    text(
        4000011,
        "You have no TOTP device set up.".into(),
        MessageType::Error,
        None,
    )
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
