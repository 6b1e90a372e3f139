//! Factors built against `latchkey:factor@0.1.0`: their bindings, and their values carried to
//! and from the host's own types (the current package, [`super::bindings`]).
//!
//! 0.2.0 added one field, `rejection.credential-update`, so a 0.1.0 rejection never updates a
//! credential; everything else crosses as [`super::adapt`] describes.

use super::bindings::types as current;
use super::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "../wit/factor@0.1.0",
    world: "latchkey:factor/plugin",
    imports: { default: trappable },
    // The capabilities of `latchkey:host@0.1.0` are those of 0.1.1 less `courier`: one
    // implementation.
    with: {
        "latchkey:host": super::bindings::latchkey::host,
    },
});

use self::latchkey::factor::types as old;

impl old::Host for CallState {}

/// The one interface of this version that the current world's linker lacks: the types a
/// component imports alongside its export (capabilities are shared).
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    old::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

crate::plugin::adapt::shared_with_current!();

impl Adapt<current::Rejection> for old::Rejection {
    fn adapt(self) -> current::Rejection {
        current::Rejection {
            messages: self.messages.adapt(),
            node_messages: self.node_messages.adapt(),
            credential_update: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(id: u32) -> old::UiText {
        old::UiText {
            id,
            text: format!("message {id}"),
            type_: old::MessageType::Error,
            context_json: Some("{}".into()),
        }
    }

    #[test]
    fn a_rejection_keeps_its_messages_and_updates_nothing() {
        let rejection = old::Rejection {
            messages: vec![text(1)],
            node_messages: vec![("pin".into(), text(2))],
        };
        let adapted: current::Rejection = rejection.adapt();
        assert_eq!(adapted.messages[0].id, 1);
        assert_eq!(adapted.node_messages[0].0, "pin");
        assert_eq!(adapted.node_messages[0].1.text, "message 2");
        assert!(adapted.credential_update.is_none());
    }

    #[test]
    fn outcomes_and_contexts_cross_unchanged() {
        let outcome = old::SubmitOutcome::Authenticated(old::Authenticated {
            credential_update: Some(old::CredentialWrite {
                identifiers: vec!["a".into()],
                config_json: "{}".into(),
            }),
        });
        let adapted: current::SubmitOutcome = outcome.adapt();
        let current::SubmitOutcome::Authenticated(auth) = adapted else {
            panic!("not authenticated")
        };
        assert_eq!(auth.credential_update.unwrap().identifiers, ["a"]);

        let ctx = current::FlowContext {
            flow_id: "f".into(),
            kind: current::FlowKind::Settings,
            variant: "api".into(),
            action_url: "http://x".into(),
            refresh: true,
            requested_aal: current::Aal::Aal2,
            identity: None,
            credential: Some(current::Credential {
                identifiers: vec![],
                config_json: "{\"n\":1}".into(),
                version: 7,
            }),
            looked_up: Some("x".into()),
            plugin_state: None,
        };
        let adapted: old::FlowContext = ctx.adapt();
        assert!(matches!(adapted.kind, old::FlowKind::Settings));
        assert!(matches!(adapted.requested_aal, old::Aal::Aal2));
        assert_eq!(adapted.credential.unwrap().version, 7);
        assert_eq!(adapted.looked_up.as_deref(), Some("x"));
    }
}
