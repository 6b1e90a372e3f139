//! Host side of the policy world. Its capabilities (log, settings) are the factor world's own,
//! implemented once on [`CallState`](super::call_state::CallState).

use super::call_state::CallState;
use wasmtime::component::HasSelf;

wasmtime::component::bindgen!({
    path: "../wit/policy",
    world: "latchkey:policy/policy-component",
    imports: { default: trappable },
    with: {
        "latchkey:host/log": super::bindings::latchkey::host::log,
        "latchkey:host/settings": super::bindings::latchkey::host::settings,
    },
});

pub use self::latchkey::policy::types;
pub use exports::latchkey::policy::policy as guest;

impl types::Host for CallState {}

pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    PolicyComponent::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    Ok(())
}
