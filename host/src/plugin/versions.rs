//! The versions of the factor package this host loads, told apart by what a component
//! exports, and one way to call a factor whichever version it was built against.
//!
//! Every supported version is linked by the same linker (the capabilities of
//! `latchkey:host@0.1.1`, which also serve 0.1.0 imports); a component exports exactly one
//! `latchkey:factor/factor@x.y.z`, and that export's version picks the bindings. Older
//! versions are translated to the current types in [`super::factor_0_2`] and
//! [`super::factor_0_1`].

use super::adapt::Adapt;
use super::bindings::{self, types};
use super::call_state::CallState;
use super::{factor_0_1, factor_0_2};
use wasmtime::Store;
use wasmtime::component::InstancePre;

/// The interface a factor exports, without its version.
pub(crate) const FACTOR_INTERFACE: &str = "latchkey:factor/factor";

/// The version of the factor package the host's own types come from.
pub(crate) const CURRENT: &str = "0.3.0";

/// The factor package versions this host loads, newest first, as `major.minor` lines: any
/// patch release of a line loads.
pub(crate) const SUPPORTED: [&str; 3] = ["0.3", "0.2", "0.1"];

/// `0.3.x, 0.2.x, 0.1.x`: the supported lines as an operator reads them.
pub(crate) fn supported_list() -> String {
    SUPPORTED
        .iter()
        .map(|line| format!("{line}.x"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The supported line a version belongs to (`0.3.0` → `0.3`).
pub(crate) fn line_of(version: &str) -> Option<&'static str> {
    SUPPORTED.into_iter().find(|line| {
        version
            .strip_prefix(line)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// A linked factor of any supported version, ready to instantiate.
pub(crate) enum FactorPre {
    Current(bindings::PluginPre<CallState>),
    V0_2(factor_0_2::PluginPre<CallState>),
    V0_1(factor_0_1::PluginPre<CallState>),
}

impl FactorPre {
    /// Wraps a linked component in the bindings of `line`, the supported line of the version
    /// it exports (see [`line_of`]).
    pub(crate) fn new(pre: InstancePre<CallState>, line: &str) -> wasmtime::Result<FactorPre> {
        match line {
            "0.1" => factor_0_1::PluginPre::new(pre).map(FactorPre::V0_1),
            "0.2" => factor_0_2::PluginPre::new(pre).map(FactorPre::V0_2),
            _ => bindings::PluginPre::new(pre).map(FactorPre::Current),
        }
    }

    pub(crate) fn instantiate(
        &self,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<FactorInstance> {
        Ok(match self {
            FactorPre::Current(pre) => FactorInstance::Current(pre.instantiate(store)?),
            FactorPre::V0_2(pre) => FactorInstance::V0_2(pre.instantiate(store)?),
            FactorPre::V0_1(pre) => FactorInstance::V0_1(pre.instantiate(store)?),
        })
    }
}

/// One instance of a factor; its calls take and give the current types.
pub(crate) enum FactorInstance {
    Current(bindings::Plugin),
    V0_2(factor_0_2::Plugin),
    V0_1(factor_0_1::Plugin),
}

type Answer<T> = wasmtime::Result<Result<T, types::Rejection>>;

impl FactorInstance {
    pub(crate) fn call_describe(
        &self,
        s: &mut Store<CallState>,
    ) -> wasmtime::Result<types::MethodInfo> {
        match self {
            FactorInstance::Current(p) => p.latchkey_factor_factor().call_describe(s),
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_describe(s)
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_describe(s)
                .map(Adapt::adapt),
        }
    }

    pub(crate) fn call_render(
        &self,
        s: &mut Store<CallState>,
        ctx: &types::FlowContext,
    ) -> Answer<types::Rendering> {
        match self {
            FactorInstance::Current(p) => p.latchkey_factor_factor().call_render(s, ctx),
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_render(s, &ctx.clone().adapt())
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_render(s, &ctx.clone().adapt())
                .map(Adapt::adapt),
        }
    }

    pub(crate) fn call_submit(
        &self,
        s: &mut Store<CallState>,
        ctx: &types::FlowContext,
        input_json: &str,
    ) -> Answer<types::SubmitOutcome> {
        match self {
            FactorInstance::Current(p) => {
                p.latchkey_factor_factor().call_submit(s, ctx, input_json)
            }
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_submit(s, &ctx.clone().adapt(), input_json)
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_submit(s, &ctx.clone().adapt(), input_json)
                .map(Adapt::adapt),
        }
    }

    pub(crate) fn call_callback(
        &self,
        s: &mut Store<CallState>,
        ctx: &types::FlowContext,
        key: &str,
        query: &[(String, String)],
    ) -> Answer<types::SubmitOutcome> {
        match self {
            FactorInstance::Current(p) => {
                p.latchkey_factor_factor().call_callback(s, ctx, key, query)
            }
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_callback(s, &ctx.clone().adapt(), key, query)
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_callback(s, &ctx.clone().adapt(), key, query)
                .map(Adapt::adapt),
        }
    }

    pub(crate) fn call_credential_aal(
        &self,
        s: &mut Store<CallState>,
        credential: &types::Credential,
    ) -> wasmtime::Result<Option<types::Aal>> {
        match self {
            FactorInstance::Current(p) => p
                .latchkey_factor_factor()
                .call_credential_aal(s, credential),
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_credential_aal(s, &credential.clone().adapt())
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_credential_aal(s, &credential.clone().adapt())
                .map(Adapt::adapt),
        }
    }

    pub(crate) fn call_import_credential(
        &self,
        s: &mut Store<CallState>,
        config_json: &str,
        marked_traits: &[(String, String)],
    ) -> Answer<types::CredentialWrite> {
        match self {
            FactorInstance::Current(p) => {
                p.latchkey_factor_factor()
                    .call_import_credential(s, config_json, marked_traits)
            }
            FactorInstance::V0_2(p) => p
                .latchkey_factor_factor()
                .call_import_credential(s, config_json, marked_traits)
                .map(Adapt::adapt),
            FactorInstance::V0_1(p) => p
                .latchkey_factor_factor()
                .call_import_credential(s, config_json, marked_traits)
                .map(Adapt::adapt),
        }
    }

    /// Factors older than 0.3.0 have no such export: they answer as a 0.3.0 factor without a
    /// challenge to issue would, with a rejection.
    pub(crate) fn call_issue_challenge(
        &self,
        s: &mut Store<CallState>,
        ctx: &types::FlowContext,
    ) -> Answer<types::IssuedChallenge> {
        match self {
            FactorInstance::Current(p) => p.latchkey_factor_factor().call_issue_challenge(s, ctx),
            FactorInstance::V0_2(_) | FactorInstance::V0_1(_) => Ok(Err(types::Rejection {
                messages: Vec::new(),
                node_messages: Vec::new(),
                credential_update: None,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_their_line() {
        assert_eq!(line_of("0.3.0"), Some("0.3"));
        assert_eq!(line_of("0.2.0"), Some("0.2"));
        assert_eq!(line_of("0.2.7"), Some("0.2"));
        assert_eq!(line_of("0.1.0"), Some("0.1"));
        for unsupported in ["0.4.0", "1.0.0", "0.20.0", "0.2", ""] {
            assert_eq!(line_of(unsupported), None, "{unsupported}");
        }
        assert_eq!(supported_list(), "0.3.x, 0.2.x, 0.1.x");
    }
}
