//! The code method's nodes, as Kratos' code strategy lays them out.

use crate::METHOD;
use crate::texts;
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::{FlowKind, UiNode};

/// The number of digits in a code.
pub const CODE_LENGTH: u32 = 6;

/// `choose_method`: the address to send a code to.
pub fn ask_for_address(_kind: FlowKind) -> Vec<UiNode> {
    vec![
        UiNode::input(
            METHOD,
            input("email", "email").required().autocomplete("email"),
        )
        .label(texts::email_label()),
        submit(METHOD, "method", METHOD, texts::continue_label()),
    ]
}

/// `sent_email`: the code, and a button that sends a new one to the same address.
pub fn ask_for_code(kind: FlowKind, address: &str) -> Vec<UiNode> {
    vec![
        UiNode::input(
            METHOD,
            input("code", "text")
                .required()
                .pattern("[0-9]+")
                .maxlength(CODE_LENGTH)
                .one_time_code(),
        )
        .label(texts::code_label(kind)),
        UiNode::input(METHOD, input("method", "hidden").value(METHOD)),
        submit(METHOD, "method", METHOD, texts::continue_label()),
        submit(METHOD, "email", address, texts::resend_label()),
    ]
}
