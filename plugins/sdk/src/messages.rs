//! Kratos `uiText` messages and the rejections that carry them. Use Kratos' ids and texts where
//! Kratos has a message for the case, so that localised UIs translate it; ids from 9000000 up
//! are free for a custom factor's own messages.

use crate::time::rfc3339;
use crate::types::{CredentialWrite, MessageType, Rejection, UiText};
use serde_json::{Value, json};

/// A message with an optional context (the values its text interpolates).
pub fn text(
    id: u32,
    text: impl Into<String>,
    type_: MessageType,
    context: Option<Value>,
) -> UiText {
    UiText {
        id,
        text: text.into(),
        type_,
        context_json: context.map(|c| c.to_string()),
    }
}

/// An info message without context: labels, hints.
pub fn info(id: u32, label: &str) -> UiText {
    text(id, label, MessageType::Info, None)
}

/// An error message without context.
pub fn error(id: u32, message: &str) -> UiText {
    text(id, message, MessageType::Error, None)
}

/// 4000001, Kratos' message for errors without a dedicated id; the text is the reason.
pub fn generic(reason: &str) -> UiText {
    text(
        4000001,
        reason,
        MessageType::Error,
        Some(json!({ "reason": reason })),
    )
}

/// 4000002, what Kratos' JSON-schema validation reports for an absent field.
pub fn missing(property: &str) -> UiText {
    text(
        4000002,
        format!("Property {property} is missing."),
        MessageType::Error,
        Some(json!({ "property": property })),
    )
}

/// A refusal while a credential is locked ([`crate::attempts`]): `what` ("Too many wrong PINs:
/// the PIN is locked") and when that ends, which the context also gives as `locked_until`
/// (RFC 3339) and `locked_until_unix`, for a UI to say when to try again.
pub fn locked(id: u32, what: &str, until: i64) -> UiText {
    let at = rfc3339(until);
    text(
        id,
        format!("{what} until {at}."),
        MessageType::Error,
        Some(json!({ "locked_until": at, "locked_until_unix": until })),
    )
}

/// A rejection is built from messages on the flow (`ui.messages`) and on named input nodes,
/// and may carry a credential write that is stored although the submission fails (a
/// failed-attempt counter):
///
/// ```ignore
/// Rejection::on_node("identifier", missing("identifier")).and_on_node("password", missing("password"))
/// Rejection::on_node("pin", wrong_pin()).with_credential_update(counted.write())
/// ```
impl Rejection {
    /// A rejection with one flow-level message.
    pub fn flow(message: UiText) -> Rejection {
        Rejection {
            messages: vec![message],
            node_messages: vec![],
            credential_update: None,
        }
    }

    /// A rejection with one message on the named input node.
    pub fn on_node(node: &str, message: UiText) -> Rejection {
        Rejection {
            messages: vec![],
            node_messages: vec![(node.into(), message)],
            credential_update: None,
        }
    }

    /// Messages on named input nodes, none on the flow.
    pub fn on_nodes(node_messages: Vec<(String, UiText)>) -> Rejection {
        Rejection {
            messages: vec![],
            node_messages,
            credential_update: None,
        }
    }

    /// The answer to `callback` of a method that never redirects.
    pub fn no_callbacks(method: &str) -> Rejection {
        Rejection::flow(generic(&format!(
            "The {method} method does not accept callbacks."
        )))
    }

    /// One more message on the named input node.
    pub fn and_on_node(mut self, node: &str, message: UiText) -> Rejection {
        self.node_messages.push((node.into(), message));
        self
    }

    /// Stores `write` as the credential the call was given, although the submission fails:
    /// counters and lockouts. The host stores it only in second-factor login, in first-factor
    /// login after `need-credential` found an identity, and in settings, and only if the
    /// credential did not change since the call (see `rejection` in the WIT).
    pub fn with_credential_update(mut self, write: CredentialWrite) -> Rejection {
        self.credential_update = Some(write);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kratos_shapes() {
        let m = missing("pin");
        assert_eq!(
            (m.id, m.text.as_str()),
            (4000002, "Property pin is missing.")
        );
        assert_eq!(m.context_json.as_deref(), Some(r#"{"property":"pin"}"#));
        let g = generic("no");
        assert_eq!(g.context_json.as_deref(), Some(r#"{"reason":"no"}"#));
        let r = Rejection::on_node("a", error(1, "x")).and_on_node("b", error(2, "y"));
        assert!(r.messages.is_empty());
        assert_eq!(r.node_messages.len(), 2);
        assert_eq!(r.node_messages[1].0, "b");
        assert!(r.credential_update.is_none());
        let l = locked(9, "Locked", 86_400);
        assert_eq!(l.text, "Locked until 1970-01-02T00:00:00Z.");
        assert_eq!(
            l.context_json.as_deref(),
            Some(r#"{"locked_until":"1970-01-02T00:00:00Z","locked_until_unix":86400}"#)
        );
        let counted = Rejection::flow(g).with_credential_update(CredentialWrite {
            identifiers: vec![],
            config_json: r#"{"failed":1}"#.into(),
        });
        assert_eq!(
            counted.credential_update.map(|w| w.config_json).as_deref(),
            Some(r#"{"failed":1}"#)
        );
    }
}
