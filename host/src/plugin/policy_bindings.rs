//! Host side of the policy world. Its capabilities (log, settings) are the factor world's own,
//! implemented once in [`super::capabilities`].

use super::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "../wit/policy@0.1.0",
    world: "latchkey:policy/policy-component",
    imports: { default: trappable },
    with: {
        "latchkey:host/log": super::bindings::latchkey::host::log,
        "latchkey:host/settings": super::bindings::latchkey::host::settings,
    },
});

pub(crate) use self::latchkey::policy::types;
pub(crate) use exports::latchkey::policy::policy as guest;

impl types::Host for CallState {}

/// Adds the policy world's types interface to `linker`; capabilities are linked by
/// [`super::capabilities::add_to_linker`].
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}
