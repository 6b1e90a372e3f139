//! The provider buttons and the messages, with Kratos' ids and texts so that Kratos UIs show and
//! translate them as they do Kratos' own.

use crate::METHOD;
use crate::settings::Provider;
use latchkey_plugin_sdk::messages::text;
use latchkey_plugin_sdk::nodes::submit;
use latchkey_plugin_sdk::types::{MessageType, UiNode};
use serde_json::json;

pub use latchkey_plugin_sdk::messages::{generic, missing};

const SIGN_IN: u32 = 1010002;
const SIGN_UP: u32 = 1040002;
const LINK: u32 = 1050002;
const UNLINK: u32 = 1050003;

/// "Sign in with {provider}", a `provider` button.
pub fn sign_in(p: &Provider) -> UiNode {
    chooser(p, SIGN_IN, "Sign in with")
}

/// "Sign up with {provider}", a `provider` button.
pub fn sign_up(p: &Provider) -> UiNode {
    chooser(p, SIGN_UP, "Sign up with")
}

fn chooser(p: &Provider, id: u32, verb: &str) -> UiNode {
    let label = text(
        id,
        format!("{verb} {}", p.label),
        MessageType::Info,
        Some(json!({ "provider": p.label, "provider_id": p.id })),
    );
    submit(METHOD, "provider", &p.id, label)
}

/// "Link {provider}" in settings.
pub fn link(p: &Provider) -> UiNode {
    action(p, "link", LINK, "Link")
}

/// "Unlink {provider}" in settings.
pub fn unlink(p: &Provider) -> UiNode {
    action(p, "unlink", UNLINK, "Unlink")
}

fn action(p: &Provider, name: &str, id: u32, verb: &str) -> UiNode {
    let label = text(
        id,
        format!("{verb} {}", p.label),
        MessageType::Info,
        Some(json!({ "provider": p.label })),
    );
    submit(METHOD, name, &p.id, label)
}
