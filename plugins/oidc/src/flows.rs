//! What the OIDC method shows and does in each flow before the browser leaves for a provider.
//! Everything takes an [`Env`], so it runs natively in unit tests with the SDK's fake.

use crate::credential::Config;
use crate::redirect;
use crate::settings::{Provider, Settings};
use crate::ui;
use latchkey_plugin_sdk::Env;
use latchkey_plugin_sdk::form::Input;
use latchkey_plugin_sdk::types::{Aal, FlowContext, FlowKind, Rejection, SubmitOutcome, UiNode};

pub fn render(ctx: &FlowContext, settings: &Settings) -> Vec<UiNode> {
    let linked = Config::of(ctx.credential.as_ref());
    match ctx.kind {
        // A first factor has nothing to offer a step-up to aal2.
        FlowKind::Login if ctx.requested_aal != Aal::Aal1 => vec![],
        // Proving again who you are can only be done with a provider you are linked to.
        FlowKind::Login if ctx.refresh && ctx.identity.is_some() => settings
            .providers
            .iter()
            .filter(|p| linked.is_linked(&p.id))
            .map(ui::sign_in)
            .collect(),
        FlowKind::Login => settings.providers.iter().map(ui::sign_in).collect(),
        FlowKind::Registration => settings.providers.iter().map(ui::sign_up).collect(),
        FlowKind::Settings => settings
            .providers
            .iter()
            .map(|p| {
                if linked.is_linked(&p.id) {
                    ui::unlink(p)
                } else {
                    ui::link(p)
                }
            })
            .collect(),
        FlowKind::Recovery | FlowKind::Verification => vec![],
    }
}

pub fn submit(
    ctx: &FlowContext,
    input_json: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let input = Input::parse(input_json);
    match ctx.kind {
        FlowKind::Login if ctx.requested_aal != Aal::Aal1 => Err(Rejection::flow(ui::generic(
            "Signing in with a provider is a first factor; it cannot complete a second-factor step.",
        ))),
        FlowKind::Recovery | FlowKind::Verification => Err(Rejection::flow(ui::generic(
            "Signing in with a provider takes no part in recovery or verification.",
        ))),
        FlowKind::Login | FlowKind::Registration => {
            let provider = chosen(settings, "provider", &input.trimmed("provider"))?;
            redirect::start(ctx, provider, env)
        }
        FlowKind::Settings => {
            let (link, unlink) = (input.trimmed("link"), input.trimmed("unlink"));
            if !link.is_empty() {
                let provider = chosen(settings, "link", &link)?;
                if Config::of(ctx.credential.as_ref()).is_linked(&provider.id) {
                    return Err(Rejection::on_node(
                        "link",
                        ui::generic(&format!(
                            "{} is already linked to this account.",
                            provider.label
                        )),
                    ));
                }
                redirect::start(ctx, provider, env)
            } else if !unlink.is_empty() {
                remove(ctx, settings, &unlink)
            } else {
                Err(Rejection::flow(ui::generic(
                    "Choose a provider to link or unlink.",
                )))
            }
        }
    }
}

/// The configured provider the input `node` names.
fn chosen<'s>(settings: &'s Settings, node: &str, id: &str) -> Result<&'s Provider, Rejection> {
    if id.is_empty() {
        return Err(Rejection::on_node(node, ui::missing(node)));
    }
    settings.provider(id).ok_or_else(|| {
        Rejection::on_node(
            node,
            ui::generic(&format!("`{id}` is not a provider this server knows.")),
        )
    })
}

/// Unlinks a provider; the host refuses to remove the identity's last way to sign in.
fn remove(ctx: &FlowContext, settings: &Settings, id: &str) -> Result<SubmitOutcome, Rejection> {
    let mut config = Config::of(ctx.credential.as_ref());
    if !config.is_linked(id) {
        let label = settings.provider(id).map_or(id, |p| p.label.as_str());
        return Err(Rejection::on_node(
            "unlink",
            ui::generic(&format!("{label} is not linked to this account.")),
        ));
    }
    config.providers.retain(|l| l.provider != id);
    Ok(match config.write() {
        Some(remaining) => SubmitOutcome::CredentialSet(remaining),
        None => SubmitOutcome::CredentialRemoved,
    })
}
