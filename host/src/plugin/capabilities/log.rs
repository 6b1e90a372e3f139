//! `log`: a plugin's events in the host's log, tagged with the plugin's name.

use super::{Call, Capability, Importer, Setup};
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
        let fields = render_fields(&fields);
        match level {
            log::Level::Trace => tracing::trace!(plugin, fields, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, fields, "{message}"),
            log::Level::Info => tracing::info!(plugin, fields, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, fields, "{message}"),
            log::Level::Error => tracing::error!(plugin, fields, "{message}"),
        }
        Ok(())
    }
}

fn render_fields(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}
