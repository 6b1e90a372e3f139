//! The Kratos `uiText` messages of the TOTP method, ids and texts as in Kratos' catalogue so
//! that localised UIs translate them. Kratos has no attempt limit, so the lock message takes an
//! id of Latchkey's own.

use latchkey_plugin_sdk::messages::{self, error, text};
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

/// 4000008 at login, with the wrong codes left before a lock in the context (`attempts_left`);
/// the text stays Kratos' so that translations still apply.
pub fn wrong_code_counted(attempts_left: u32) -> UiText {
    UiText {
        context_json: Some(json!({ "attempts_left": attempts_left }).to_string()),
        ..wrong_code()
    }
}

pub const LOCKED: u32 = 9_010_001;

/// Too many wrong codes: every code is refused until `until` (Unix seconds).
pub fn locked(until: i64) -> UiText {
    messages::locked(
        LOCKED,
        "Too many wrong codes: the authenticator app is locked",
        until,
    )
}

/// 4000011: a TOTP login or unlink for an identity without an authenticator app.
pub fn no_device() -> UiText {
    error(4000011, "You have no TOTP device set up.")
}
