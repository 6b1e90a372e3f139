//! The link method's nodes, as Kratos' link strategy lays them out: one form, shown again
//! after a mail went out so that another can be sent.

use crate::METHOD;
use crate::texts;
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::UiNode;

/// The address to send a link to (`address` prefilled after a mail went out).
pub fn ask_for_address(address: &str) -> Vec<UiNode> {
    let mut email = input("email", "email").required().autocomplete("email");
    if !address.is_empty() {
        email = email.value(address);
    }
    vec![
        UiNode::input(METHOD, email).label(texts::email_label()),
        submit(METHOD, "method", METHOD, texts::submit_label()),
    ]
}
