//! `settings`: the operator's settings for the plugin, as one JSON document.

use super::{Call, Capability, Importer, Setup};
use crate::plugin::bindings::latchkey::host::settings;
use crate::plugin::call_state::CallState;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

pub(crate) struct State {
    json: Arc<str>,
}

impl Capability for State {
    const INTERFACE: &'static str = "settings";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor, Importer::Policy];
    type Grant = Arc<str>;

    fn grant(setup: &Setup) -> Arc<str> {
        setup.settings_json.as_str().into()
    }

    fn prepare(json: &Arc<str>, _: &Call<'_>) -> State {
        State { json: json.clone() }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        settings::add_to_linker::<_, HasSelf<State>>(linker, state)
    }
}

impl settings::Host for State {
    fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.json.to_string())
    }
}
