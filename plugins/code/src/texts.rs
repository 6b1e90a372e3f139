//! Kratos' messages for the code method, by id.

use latchkey_plugin_sdk::messages::{error, info};
use latchkey_plugin_sdk::types::{FlowKind, UiText};

pub fn email_label() -> UiText {
    info(1070007, "Email")
}

pub fn continue_label() -> UiText {
    info(1070009, "Continue")
}

pub fn resend_label() -> UiText {
    info(1070008, "Resend code")
}

pub fn code_label(kind: FlowKind) -> UiText {
    match kind {
        FlowKind::Verification => info(1070011, "Verification code"),
        _ => info(1070010, "Recovery code"),
    }
}

/// A wrong, used, expired or foreign code: Kratos does not tell them apart.
pub fn invalid_code(kind: FlowKind) -> UiText {
    match kind {
        FlowKind::Verification => error(
            4070006,
            "The verification code is invalid or has already been used. Please try again.",
        ),
        _ => error(
            4060006,
            "The recovery code is invalid or has already been used. Please try again.",
        ),
    }
}
