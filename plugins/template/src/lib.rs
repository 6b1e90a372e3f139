//! A factor plugin to start from: it loads, joins the settings flow with one button, and
//! refuses every submission. Replace `METHOD`, then fill in `render` and `submit`.
//! `docs/plugins.md` walks through a complete one (`plugins/examples/pin`).

use latchkey_plugin_sdk::messages::{generic, info};
use latchkey_plugin_sdk::nodes::submit;
use latchkey_plugin_sdk::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, IssuedChallenge,
    MethodInfo, Rejection, Rendering, SubmitOutcome, UiNode,
};
use latchkey_plugin_sdk::{Env, Guest, Host, Level};

/// The method id (`method=<id>` in submissions) and credential type. Lowercase letters,
/// digits and `_`; no other loaded plugin may use it.
const METHOD: &str = "template";

/// The nodes of a flow. Plain Rust that takes an `Env`, so it is unit-tested natively.
fn nodes(ctx: &FlowContext, env: &dyn Env) -> Vec<UiNode> {
    env.log(Level::Debug, "rendering", &[("flow_id", &ctx.flow_id)]);
    match ctx.kind {
        FlowKind::Settings => vec![submit(METHOD, "method", METHOD, info(1070003, "Save"))],
        _ => vec![],
    }
}

struct Template;

impl Guest for Template {
    fn describe() -> MethodInfo {
        MethodInfo {
            id: METHOD.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::Second,
            aal: Aal::Aal2,
            flows: vec![FlowKind::Settings],
            node_group: METHOD.into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(Rendering {
            nodes: nodes(&ctx, &Host),
            plugin_state: None,
        })
    }

    fn submit(_ctx: FlowContext, _input_json: String) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::flow(generic("Not implemented yet.")))
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(Rejection::no_callbacks(METHOD))
    }

    fn credential_aal(_credential: Credential) -> Option<Aal> {
        None
    }

    fn import_credential(
        _config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        Err(Rejection::flow(generic(
            "This method has no credentials to import.",
        )))
    }

    fn issue_challenge(_ctx: FlowContext) -> Result<IssuedChallenge, Rejection> {
        Err(Rejection::no_challenge(METHOD))
    }
}

latchkey_plugin_sdk::factor!(Template);

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::{FakeEnv, context};
    use latchkey_plugin_sdk::types::NodeAttributes;

    #[test]
    fn settings_show_a_save_button() {
        let env = FakeEnv::default();
        let settings = nodes(&context(FlowKind::Settings).build(), &env);
        assert!(matches!(&settings[0].attributes, NodeAttributes::Input(a) if a.name == "method"));
        assert!(nodes(&context(FlowKind::Login).build(), &env).is_empty());
        assert_eq!(env.events.borrow().len(), 2);
    }
}
