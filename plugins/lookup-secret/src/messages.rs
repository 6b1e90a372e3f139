//! The Kratos `uiText` messages of the lookup-secret method, ids and texts as in Kratos'
//! catalogue so that localised UIs translate them. Kratos has no attempt limit, so the lock
//! message takes an id of Latchkey's own.

use latchkey_plugin_sdk::messages::{self, error, text};
use latchkey_plugin_sdk::types::{MessageType, UiText};
use serde_json::json;

pub use latchkey_plugin_sdk::messages::{generic, info, missing};

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

pub const LOCKED: u32 = 9_020_001;

/// Too many wrong codes: every code is refused until `until` (Unix seconds).
pub fn locked(until: i64) -> UiText {
    messages::locked(
        LOCKED,
        "Too many wrong codes: backup recovery codes are locked",
        until,
    )
}
