//! `clock`: the host's time, so that the host (and its tests) decides what "now" is.

use super::{Call, Capability, Importer, Setup};
use crate::clock::Clock;
use crate::plugin::bindings::latchkey::host::clock;
use crate::plugin::call_state::CallState;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

pub(crate) struct State {
    clock: Arc<dyn Clock>,
}

impl Capability for State {
    const INTERFACE: &'static str = "clock";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    type Grant = Arc<dyn Clock>;

    fn grant(setup: &Setup) -> Arc<dyn Clock> {
        setup.clock.clone()
    }

    fn prepare(clock: &Arc<dyn Clock>, _: &Call<'_>) -> State {
        State {
            clock: clock.clone(),
        }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        clock::add_to_linker::<_, HasSelf<State>>(linker, state)
    }
}

impl clock::Host for State {
    fn now(&mut self) -> wasmtime::Result<clock::Instant> {
        Ok(self.clock.now().into())
    }
}
