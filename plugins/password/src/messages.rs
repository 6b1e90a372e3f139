//! The Kratos `uiText` messages the password method answers with, ids and texts as in Kratos'
//! catalogue so that localised UIs translate them.

use latchkey_plugin_sdk::messages::{error, text};
use latchkey_plugin_sdk::types::{MessageType, UiText};
use serde_json::json;

pub use latchkey_plugin_sdk::messages::{generic, info, missing};

/// 4000006, the same for an unknown identifier and a wrong password.
pub fn invalid_credentials() -> UiText {
    error(
        4000006,
        "The provided credentials are invalid, check for spelling mistakes in your password or \
         username, email address, or phone number.",
    )
}

/// 4000009: the identity schema marks no trait as a password identifier, or the traits
/// marked are empty, so the password could never be used to sign in.
pub fn identifier_missing() -> UiText {
    error(
        4000009,
        "Could not find any login identifiers. Did you forget to set them? This could also be \
         caused by a server misconfiguration.",
    )
}

/// 4000031, by Kratos' measures (see `similarity`).
pub fn too_similar() -> UiText {
    error(
        4000031,
        "The password can not be used because it is too similar to the identifier.",
    )
}

/// 4000032, with the lengths in the context so UIs can word it themselves.
pub fn too_short(min_length: usize, actual_length: usize) -> UiText {
    text(
        4000032,
        format!(
            "The password must be at least {min_length} characters long, but got {actual_length}."
        ),
        MessageType::Error,
        Some(json!({ "min_length": min_length, "actual_length": actual_length })),
    )
}

/// 4000033, used only with bcrypt, whose input is capped.
pub fn too_long(max_length: usize, actual_length: usize) -> UiText {
    text(
        4000033,
        format!(
            "The password must be at most {max_length} characters long, but got {actual_length}."
        ),
        MessageType::Error,
        Some(json!({ "max_length": max_length, "actual_length": actual_length })),
    )
}

/// 4000034, with the count in the context when it is known: the range API gives one, the
/// offline list of the most common passwords does not.
pub fn breached(breaches: Option<u64>) -> UiText {
    text(
        4000034,
        "The password has been found in data breaches and must no longer be used.",
        MessageType::Error,
        breaches.map(|breaches| json!({ "breaches": breaches })),
    )
}

/// 4000005 (Kratos' generic policy refusal) when the breach lookup failed and
/// `ignore_network_errors` is off.
pub fn breach_check_unavailable() -> UiText {
    let reason = "it could not be checked against known data breaches, please try again later";
    text(
        4000005,
        format!("The password can not be used because {reason}."),
        MessageType::Error,
        Some(json!({ "reason": reason })),
    )
}
