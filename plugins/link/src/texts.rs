//! Kratos' messages for the link method, by id.

use latchkey_plugin_sdk::messages::{error, info};
use latchkey_plugin_sdk::types::{FlowKind, UiText};

pub fn email_label() -> UiText {
    info(1070007, "Email")
}

pub fn submit_label() -> UiText {
    info(1070005, "Submit")
}

/// A wrong, used, expired or foreign token: Kratos does not tell them apart.
pub fn invalid_token(kind: FlowKind) -> UiText {
    match kind {
        FlowKind::Verification => error(
            4070001,
            "The verification token is invalid or has already been used. Please retry the flow.",
        ),
        _ => error(
            4060004,
            "The recovery token is invalid or has already been used. Please retry the flow.",
        ),
    }
}
