//! The Kratos `uiText` messages of the TOTP method, ids and texts as in Kratos' catalogue so
//! that localised UIs translate them.

use latchkey_plugin_sdk::messages::{error, text};
use latchkey_plugin_sdk::types::{MessageType, UiText};
use serde_json::json;

pub use latchkey_plugin_sdk::messages::{generic, info, missing};

/// 1050006: the secret itself, for typing it into an app that cannot scan the QR code.
pub fn secret(secret: &str) -> UiText {
    text(
        1050006,
        secret,
        MessageType::Info,
        Some(json!({ "secret": secret })),
    )
}

/// 4000008, for a wrong code and for a code that was used already alike.
pub fn wrong_code() -> UiText {
    error(
        4000008,
        "The provided authentication code is invalid, please try again.",
    )
}

/// 4000011: a TOTP login or unlink for an identity without an authenticator app.
pub fn no_device() -> UiText {
    error(4000011, "You have no TOTP device set up.")
}
