//! Kratos `uiText` messages and the rejections that carry them. Use Kratos' ids and texts where
//! Kratos has a message for the case, so that localised UIs translate it; a custom factor's own
//! messages take ids from its own block, [`MessageIds::of`] its method id, so that two
//! factors written by two teams never give one id two meanings.

use crate::time::rfc3339;
use crate::types::{CredentialWrite, MessageType, Rejection, UiText};
use serde_json::{Value, json};

/// The first id of the blocks custom methods own: above every Kratos id (1000000 to 5999999)
/// and the shared 9000000 range that the WIT leaves to custom factors.
pub const FIRST_METHOD_ID: u32 = 1_000_000_000;
/// Ids in one method's block.
pub const BLOCK: u32 = 1_000;
/// How many blocks there are: ids run up to 3999999999, within a `u32`.
pub const BLOCKS: u32 = 3_000_000;

/// The block of message ids a custom method owns: [`BLOCK`] ids from a base derived from its
/// method id (FNV-1a, 32 bits, modulo [`BLOCKS`]). Two plugins with one method id cannot be
/// loaded together anyway, so the rule keeps message ids apart wherever method ids are, up to
/// a one-in-three-million chance that two methods' blocks coincide. A UI that knows the method
/// can compute the same block to translate its messages.
///
/// ```
/// use latchkey_plugin_sdk::messages::MessageIds;
/// const IDS: MessageIds = MessageIds::of("pin");
/// pub const LABEL: u32 = IDS.id(1);
/// assert_eq!(LABEL, IDS.base() + 1);
/// assert!(IDS.contains(LABEL));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageIds {
    base: u32,
}

impl MessageIds {
    /// The block of `method` (the id `describe` answers).
    pub const fn of(method: &str) -> MessageIds {
        let bytes = method.as_bytes();
        let mut hash: u32 = 0x811c_9dc5;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u32;
            hash = hash.wrapping_mul(0x0100_0193);
            i += 1;
        }
        MessageIds {
            base: FIRST_METHOD_ID + (hash % BLOCKS) * BLOCK,
        }
    }

    /// The block's first id; messages use `id(0)` to `id(999)`.
    pub const fn base(&self) -> u32 {
        self.base
    }

    /// The `n`th id of the block. Panics (at compile time in a `const`) when `n` is 1000 or more.
    pub const fn id(&self, n: u32) -> u32 {
        assert!(n < BLOCK, "a method's block has 1000 message ids, 0 to 999");
        self.base + n
    }

    /// Whether `id` is in this block.
    pub const fn contains(&self, id: u32) -> bool {
        id >= self.base && id - self.base < BLOCK
    }
}

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

    /// The answer to `issue-challenge` of a method an administrator cannot hand a recovery
    /// challenge out of (everything but `code` and `link`).
    pub fn no_challenge(method: &str) -> Rejection {
        Rejection::flow(generic(&format!(
            "The {method} method cannot issue a recovery challenge."
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
    fn method_blocks_are_fixed_apart_and_above_kratos() {
        // Fixed for good: a UI that translates a method's messages relies on these.
        assert_eq!(MessageIds::of("pin").base(), 1_532_500_000);
        assert_eq!(
            MessageIds::of("").base(),
            FIRST_METHOD_ID + (0x811c_9dc5 % BLOCKS) * BLOCK
        );
        let ids: Vec<MessageIds> = ["pin", "ldap", "webauthn", "sms", "risk", "acme_token"]
            .iter()
            .map(|m| MessageIds::of(m))
            .collect();
        for (i, a) in ids.iter().enumerate() {
            assert!(a.base() >= FIRST_METHOD_ID && a.id(999) <= 3_999_999_999);
            assert!(a.contains(a.id(0)) && a.contains(a.id(999)));
            assert!(!a.contains(a.base() - 1) && !a.contains(a.base() + BLOCK));
            for b in &ids[i + 1..] {
                assert!(
                    !a.contains(b.base()) && !b.contains(a.base()),
                    "{a:?} {b:?}"
                );
            }
        }
    }

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
