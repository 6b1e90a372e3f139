//! The Kratos `uiText` messages the password method answers with, ids and texts as in Kratos'
//! catalogue so that localised UIs translate them.

use crate::bindings::latchkey::factor::types::{MessageType, Rejection, UiText};
use serde_json::json;

fn error(id: u32, text: String, context: Option<serde_json::Value>) -> UiText {
    UiText {
        id,
        text,
        type_: MessageType::Error,
        context_json: context.map(|c| c.to_string()),
    }
}

pub fn info(id: u32, text: &str) -> UiText {
    UiText {
        id,
        text: text.into(),
        type_: MessageType::Info,
        context_json: None,
    }
}

/// 4000001, Kratos' message for errors without a dedicated id; the text is the reason.
pub fn generic(reason: &str) -> UiText {
    error(4000001, reason.into(), Some(json!({ "reason": reason })))
}

/// 4000002, what Kratos' JSON-schema validation reports for an absent field.
pub fn missing(property: &str) -> UiText {
    error(
        4000002,
        format!("Property {property} is missing."),
        Some(json!({ "property": property })),
    )
}

/// 4000006, the same for an unknown identifier and a wrong password.
pub fn invalid_credentials() -> UiText {
    error(
        4000006,
        "The provided credentials are invalid, check for spelling mistakes in your password or \
         username, email address, or phone number."
            .into(),
        None,
    )
}

/// 4000009: the identity schema marks no trait as a password identifier, or the traits
/// marked are empty, so the password could never be used to sign in.
pub fn identifier_missing() -> UiText {
    error(
        4000009,
        "Could not find any login identifiers. Did you forget to set them? This could also be \
         caused by a server misconfiguration."
            .into(),
        None,
    )
}

/// 4000031. Only exact matches are refused (see `new_password`).
pub fn too_similar() -> UiText {
    error(
        4000031,
        "The password can not be used because it is too similar to the identifier.".into(),
        None,
    )
}

/// 4000032, with the lengths in the context so UIs can word it themselves.
pub fn too_short(min_length: usize, actual_length: usize) -> UiText {
    error(
        4000032,
        format!(
            "The password must be at least {min_length} characters long, but got {actual_length}."
        ),
        Some(json!({ "min_length": min_length, "actual_length": actual_length })),
    )
}

/// 4000033, used only with bcrypt, whose input is capped.
pub fn too_long(max_length: usize, actual_length: usize) -> UiText {
    error(
        4000033,
        format!(
            "The password must be at most {max_length} characters long, but got {actual_length}."
        ),
        Some(json!({ "max_length": max_length, "actual_length": actual_length })),
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
