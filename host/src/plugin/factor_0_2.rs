//! Factors built against `latchkey:factor@0.2.0`: their bindings, and their values carried to
//! and from the host's own types (the current package, [`super::bindings`]).
//!
//! Every value crosses field by field, as [`super::adapt`] describes.

use super::bindings::types as current;
use super::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "../wit/factor@0.2.0",
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
            credential_update: self.credential_update.adapt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_keeps_its_credential_update() {
        let rejection = old::Rejection {
            messages: vec![],
            node_messages: vec![],
            credential_update: Some(old::CredentialWrite {
                identifiers: vec![],
                config_json: "{\"failed\":1}".into(),
            }),
        };
        let adapted: current::Rejection = rejection.adapt();
        assert_eq!(
            adapted.credential_update.unwrap().config_json,
            "{\"failed\":1}"
        );
    }
}
