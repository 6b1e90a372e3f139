//! `log`: a plugin's events in the host's log, tagged with the plugin's name, its fields as
//! fields of the event (see [`crate::logging::plugin_fields`]).

use super::{Call, Capability, Importer, Setup};
use crate::logging::plugin_fields;
use crate::plugin::bindings::latchkey::host::log;
use crate::plugin::call_state::CallState;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

pub(crate) struct State {
    plugin: Arc<str>,
}

impl Capability for State {
    const INTERFACE: &'static str = "log";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor, Importer::Policy];
    type Grant = ();

    fn grant(_: &Setup) {}

    fn prepare(_: &(), call: &Call<'_>) -> State {
        State {
            plugin: call.plugin.clone(),
        }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        log::add_to_linker::<_, HasSelf<State>>(linker, state)
    }
}

impl log::Host for State {
    fn emit(
        &mut self,
        level: log::Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let plugin = &*self.plugin;
        let message = plugin_fields::one_line(&message);
        // The logging formatters spread this field out into the plugin's own fields.
        let plugin_fields = plugin_fields::encode(&fields);
        let plugin_fields = plugin_fields.as_str();
        match level {
            log::Level::Trace => tracing::trace!(plugin, plugin_fields, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, plugin_fields, "{message}"),
            log::Level::Info => tracing::info!(plugin, plugin_fields, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, plugin_fields, "{message}"),
            log::Level::Error => tracing::error!(plugin, plugin_fields, "{message}"),
        }
        Ok(())
    }
}
