//! The capabilities the host offers components (`latchkey:host@0.1.1`), one module each, as
//! Spin composes its host factors. A capability's module holds all of it:
//!
//! - its WIT `Host` implementation, on its own per-call state, so that it sees only what it
//!   was given for the call (the state is the type that implements [`Capability`]);
//! - its grant: what it takes from one plugin's configuration ([`Setup`]) when the plugin is
//!   loaded, shared by all its calls;
//! - the kinds of component that may import it, which the linkers and `plugin check` both
//!   read, and what `plugin check` says about its grant.
//!
//! [`capabilities!`] below assembles them into the grants of a plugin, the state of a call,
//! the linker and the list `plugin check` allows. WASI, which every component gets locked
//! down, is in [`wasi`].
//!
//! Adding a capability: its interface in a new version of the `latchkey:host` package (a
//! released package never changes; see `wit/README.md`) imported by the worlds that may use
//! it; a module here; one line in `capabilities!`; and its wrapper in the plugin SDK.

mod clock;
pub(crate) mod courier;
mod log;
mod outbound_http;
mod password_hashing;
mod random;
mod settings;
pub(crate) mod wasi;

use super::call_state::CallState;
use crate::config::{Config, CostLimits, OutboundHttp};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::Linker;

/// The version of `latchkey:host` the capabilities implement.
const HOST_VERSION: &str = "0.1.1";

/// The kinds of component, told apart by the world they target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Importer {
    Factor,
    Policy,
}

/// What the configuration gives one plugin, from which each capability takes its grant.
pub(crate) struct Setup {
    /// The document `settings.get` returns (see `load`).
    pub settings_json: String,
    pub clock: Arc<dyn crate::clock::Clock>,
    pub outbound_http: OutboundHttp,
    /// `hashers.limits`: what checking one stored password hash may cost.
    pub hash_costs: CostLimits,
    /// `courier: true` on the plugin's entry.
    pub courier: bool,
}

/// One call of one plugin, as the capabilities see it.
pub(crate) struct Call<'a> {
    /// The name logs and errors give the plugin.
    pub plugin: &'a Arc<str>,
    /// When the call runs out of time: capabilities that block (outbound HTTP) stop waiting
    /// by then.
    pub deadline: Option<Instant>,
    /// Whom the call may send messages to; `None` outside flows that send any.
    pub courier: Option<&'a courier::CourierScope>,
}

/// One host capability; implemented by its per-call state.
pub(crate) trait Capability: Sized + Send + 'static {
    /// Its interface in `latchkey:host` (`outbound-http`).
    const INTERFACE: &'static str;
    /// The kinds of component that may import it.
    const IMPORTERS: &'static [Importer];
    /// What one loaded plugin is granted.
    type Grant: Send + Sync;

    fn grant(setup: &Setup) -> Self::Grant;

    /// Its state for one call.
    fn prepare(grant: &Self::Grant, call: &Call<'_>) -> Self;

    /// Links its interface; `state` finds its state in a call's store data.
    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut Self,
    ) -> wasmtime::Result<()>;

    /// For `plugin check` of the factor in `path` (method `method`), which imports the
    /// capability as `import`: a line on what the configuration grants it, or why that grant
    /// is unusable.
    fn check_grant(
        _config: &Config,
        _path: &Path,
        _method: &str,
        _import: &str,
    ) -> anyhow::Result<Option<String>> {
        Ok(None)
    }
}

macro_rules! capabilities {
    ($($field:ident: $capability:ty,)*) => {
        /// What one loaded plugin is granted, capability by capability.
        pub(crate) struct Grants {
            $($field: <$capability as Capability>::Grant,)*
        }

        /// The capabilities' part of one call's store data.
        pub(crate) struct States {
            $($field: $capability,)*
        }

        impl Grants {
            pub(crate) fn new(setup: &Setup) -> Grants {
                Grants {
                    $($field: <$capability>::grant(setup),)*
                }
            }

            /// Each capability's state for one call.
            pub(crate) fn prepare(&self, call: &Call<'_>) -> States {
                States {
                    $($field: <$capability>::prepare(&self.$field, call),)*
                }
            }
        }

        /// Links WASI and every capability that `importer` may import.
        pub(crate) fn add_to_linker(
            linker: &mut Linker<CallState>,
            importer: Importer,
        ) -> wasmtime::Result<()> {
            wasi::add_to_linker(linker)?;
            $(
                if <$capability>::IMPORTERS.contains(&importer) {
                    <$capability>::add_to_linker(linker, |s| &mut s.capabilities.$field)?;
                }
            )*
            Ok(())
        }

        /// The interfaces `importer` may import (`latchkey:host/random@0.1.0`…), in order.
        pub(crate) fn importable_by(importer: Importer) -> Vec<String> {
            let mut names = Vec::new();
            $(
                if <$capability>::IMPORTERS.contains(&importer) {
                    names.push(interface_name(<$capability>::INTERFACE));
                }
            )*
            names
        }

        /// What `plugin check` says about the grants of the factor in `path`, for the
        /// capabilities it imports.
        pub(crate) fn check_grants(
            config: &Config,
            path: &Path,
            method: &str,
            imports: &[String],
        ) -> anyhow::Result<Vec<String>> {
            let mut lines = Vec::new();
            $(
                let prefix = format!("latchkey:host/{}@", <$capability>::INTERFACE);
                for import in imports.iter().filter(|i| i.starts_with(&prefix)) {
                    lines.extend(<$capability>::check_grant(config, path, method, import)?);
                }
            )*
            Ok(lines)
        }
    };
}

capabilities! {
    random: random::State,
    clock: clock::State,
    log: log::State,
    settings: settings::State,
    outbound_http: outbound_http::State,
    password_hashing: password_hashing::State,
    courier: courier::State,
}

impl States {
    /// The messages the call asked the courier to send.
    pub(crate) fn take_messages(&mut self) -> Vec<courier::PluginMessage> {
        self.courier.take()
    }
}

fn interface_name(interface: &str) -> String {
    format!("latchkey:host/{interface}@{HOST_VERSION}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_may_import_every_capability_and_policies_log_and_settings() {
        assert_eq!(
            importable_by(Importer::Factor),
            [
                "latchkey:host/random@0.1.1",
                "latchkey:host/clock@0.1.1",
                "latchkey:host/log@0.1.1",
                "latchkey:host/settings@0.1.1",
                "latchkey:host/outbound-http@0.1.1",
                "latchkey:host/password-hashing@0.1.1",
                "latchkey:host/courier@0.1.1",
            ]
        );
        assert_eq!(
            importable_by(Importer::Policy),
            ["latchkey:host/log@0.1.1", "latchkey:host/settings@0.1.1"]
        );
    }
}
