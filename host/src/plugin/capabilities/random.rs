//! `random`: bytes from the host's CSPRNG.

use super::{Call, Capability, Importer, Setup};
use crate::plugin::bindings::latchkey::host::random;
use crate::plugin::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

/// The largest `random.bytes` request; larger ones trap, as the WIT promises.
const MAX_RANDOM_BYTES: u32 = 65_536;

pub(crate) struct State;

impl Capability for State {
    const INTERFACE: &'static str = "random";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    type Grant = ();

    fn grant(_: &Setup) {}

    fn prepare(_: &(), _: &Call<'_>) -> State {
        State
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        random::add_to_linker::<_, HasSelf<State>>(linker, state)
    }
}

impl random::Host for State {
    fn bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        if len > MAX_RANDOM_BYTES {
            wasmtime::bail!("random.bytes: {len} bytes requested, at most {MAX_RANDOM_BYTES}");
        }
        let mut buf = vec![0u8; len as usize];
        rand::fill(&mut buf[..]);
        Ok(buf)
    }
}
