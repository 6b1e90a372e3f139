//! Host side of the factor world, current version (`latchkey:factor@0.3.0`): the generated
//! bindings, which [`super::convert`] carries to and from the host's types. The capabilities
//! a factor imports are implemented in [`super::capabilities`].

use super::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "../wit/factor@0.3.0",
    world: "latchkey:factor/plugin",
    imports: { default: trappable },
});

pub(crate) use self::latchkey::factor::types;

impl types::Host for CallState {}

/// Adds the types interface of every supported factor version to `linker`: a factor imports
/// its own version's alongside its export. Capabilities are linked by
/// [`super::capabilities::add_to_linker`].
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    super::factor_0_2::add_to_linker(linker)?;
    super::factor_0_1::add_to_linker(linker)?;
    Ok(())
}
