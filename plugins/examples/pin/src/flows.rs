//! What the PIN method does in each flow. Everything takes an [`Env`], so these run natively in
//! unit tests with the SDK's fake.

use crate::credential::{self, Config};
use crate::{Settings, ui};
use latchkey_plugin_sdk::form::Input;
use latchkey_plugin_sdk::types::{
    Aal, Authenticated, FlowContext, Rejection, SubmitOutcome, UiNode,
};
use latchkey_plugin_sdk::{Env, Level};

/// The stored PIN, if the flow's identity has a usable one.
fn stored(ctx: &FlowContext) -> Option<Config> {
    Config::parse(&ctx.credential.as_ref()?.config_json)
}

/// Only a second-factor login (`aal=aal2`) of an identity with a PIN asks for it.
pub fn login_nodes(ctx: &FlowContext) -> Vec<UiNode> {
    if ctx.requested_aal == Aal::Aal2 && stored(ctx).is_some() {
        ui::login()
    } else {
        vec![]
    }
}

pub fn settings_nodes(ctx: &FlowContext, _settings: &Settings) -> Vec<UiNode> {
    match stored(ctx) {
        Some(_) => ui::settings_remove(),
        None => ui::settings_set(),
    }
}

pub fn login(
    ctx: &FlowContext,
    input_json: &str,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    if ctx.requested_aal != Aal::Aal2 {
        return Err(Rejection::flow(ui::generic(
            "A PIN is a second factor: sign in with a first factor, then use it with aal=aal2.",
        )));
    }
    let Some(config) = stored(ctx) else {
        return Err(Rejection::flow(ui::no_pin()));
    };
    let pin = Input::parse(input_json).code("pin");
    if pin.is_empty() {
        return Err(Rejection::on_node("pin", ui::missing("pin")));
    }
    if config.matches(&pin, env) {
        Ok(SubmitOutcome::Authenticated(Authenticated {
            credential_update: None,
        }))
    } else {
        let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
        env.log(Level::Info, "wrong PIN", &[("identity_id", identity_id)]);
        Err(Rejection::on_node("pin", ui::wrong_pin()))
    }
}

pub fn settings(
    ctx: &FlowContext,
    input_json: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let input = Input::parse(input_json);
    if input.flag("pin_remove") {
        return match ctx.credential {
            Some(_) => Ok(SubmitOutcome::CredentialRemoved),
            None => Err(Rejection::flow(ui::no_pin())),
        };
    }
    let pin = input.code("pin");
    if pin.is_empty() {
        return Err(Rejection::on_node("pin", ui::missing("pin")));
    }
    credential::check(&pin, settings)?;
    let config = Config::new(&pin, env).map_err(|reason| {
        // Only a host refusing the fixed parameters gets here: an operator's problem.
        env.log(
            Level::Error,
            "hashing the PIN failed",
            &[("reason", &reason)],
        );
        Rejection::flow(ui::generic("The PIN could not be saved."))
    })?;
    Ok(SubmitOutcome::CredentialSet(config.write()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{
        Credential, FlowKind, Identity, InputAttributes, NodeAttributes,
    };

    fn ctx(kind: FlowKind, aal: Aal, config: Option<&Config>) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind,
            variant: "api".into(),
            action_url: "http://x/self-service/login?flow=f".into(),
            refresh: false,
            requested_aal: aal,
            identity: Some(Identity {
                id: "id-1".into(),
                schema_id: "default".into(),
                traits_json: "{}".into(),
                marked_traits: vec![],
            }),
            credential: config.map(|c| Credential {
                identifiers: vec![],
                config_json: c.write().config_json,
                version: 1,
            }),
            looked_up: None,
            plugin_state: None,
        }
    }

    fn inputs(nodes: &[UiNode]) -> Vec<&InputAttributes> {
        nodes
            .iter()
            .filter_map(|n| match &n.attributes {
                NodeAttributes::Input(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    fn names(nodes: &[UiNode]) -> Vec<&str> {
        inputs(nodes).iter().map(|a| a.name.as_str()).collect()
    }

    fn set(pin: &str, env: &FakeEnv) -> Result<SubmitOutcome, Rejection> {
        let c = ctx(FlowKind::Settings, Aal::Aal1, None);
        settings(
            &c,
            &format!(r#"{{"method":"pin","pin":"{pin}"}}"#),
            &Settings::default(),
            env,
        )
    }

    fn config_of(outcome: SubmitOutcome) -> Config {
        match outcome {
            SubmitOutcome::CredentialSet(w) => {
                assert!(w.identifiers.is_empty());
                Config::parse(&w.config_json).unwrap()
            }
            _ => panic!("expected a credential"),
        }
    }

    fn message_id(r: &Rejection) -> u32 {
        r.node_messages
            .first()
            .map(|(_, m)| m.id)
            .or(r.messages.first().map(|m| m.id))
            .unwrap()
    }

    #[test]
    fn settings_offer_to_set_then_to_remove() {
        let env = FakeEnv::default();
        let without = settings_nodes(
            &ctx(FlowKind::Settings, Aal::Aal1, None),
            &Settings::default(),
        );
        assert_eq!(names(&without), ["pin", "method"]);
        let pin = inputs(&without)[0];
        assert_eq!((pin.type_.as_str(), pin.required), ("password", true));
        assert_eq!(pin.pattern.as_deref(), Some("[0-9]*"));
        assert!(without.iter().all(|n| n.group == "pin"));

        let config = config_of(set("1357", &env).unwrap());
        let with = settings_nodes(
            &ctx(FlowKind::Settings, Aal::Aal1, Some(&config)),
            &Settings::default(),
        );
        assert_eq!(names(&with), ["pin_remove"]);
    }

    #[test]
    fn a_pin_is_checked_before_it_is_stored() {
        let env = FakeEnv::default();
        assert_eq!(message_id(&set("", &env).unwrap_err()), 4000002);
        assert_eq!(message_id(&set("12", &env).unwrap_err()), ui::BAD_FORMAT);
        assert_eq!(message_id(&set("12ab", &env).unwrap_err()), ui::BAD_FORMAT);
        assert!(config_of(set(" 0042 ", &env).unwrap()).matches("0042", &env));
    }

    #[test]
    fn removal() {
        let env = FakeEnv::default();
        let config = config_of(set("1357", &env).unwrap());
        let remove = r#"{"method":"pin","pin_remove":"true"}"#;
        let c = ctx(FlowKind::Settings, Aal::Aal1, Some(&config));
        assert!(matches!(
            settings(&c, remove, &Settings::default(), &env),
            Ok(SubmitOutcome::CredentialRemoved)
        ));
        let none = ctx(FlowKind::Settings, Aal::Aal1, None);
        let r = settings(&none, remove, &Settings::default(), &env).unwrap_err();
        assert_eq!(message_id(&r), ui::NO_PIN);
    }

    #[test]
    fn login_asks_for_the_pin_only_at_aal2() {
        let env = FakeEnv::default();
        let config = config_of(set("1357", &env).unwrap());
        assert_eq!(
            names(&login_nodes(&ctx(
                FlowKind::Login,
                Aal::Aal2,
                Some(&config)
            ))),
            ["pin", "method"]
        );
        assert!(login_nodes(&ctx(FlowKind::Login, Aal::Aal1, Some(&config))).is_empty());
        assert!(login_nodes(&ctx(FlowKind::Login, Aal::Aal2, None)).is_empty());
    }

    #[test]
    fn login_checks_the_pin() {
        let env = FakeEnv::default();
        let config = config_of(set("1357", &env).unwrap());
        let c = ctx(FlowKind::Login, Aal::Aal2, Some(&config));
        let ok = login(&c, r#"{"method":"pin","pin":"1357"}"#, &env).unwrap();
        assert!(matches!(
            ok,
            SubmitOutcome::Authenticated(Authenticated {
                credential_update: None
            })
        ));

        let wrong = login(&c, r#"{"method":"pin","pin":"7531"}"#, &env).unwrap_err();
        assert_eq!(wrong.node_messages[0].0, "pin");
        assert_eq!(message_id(&wrong), ui::WRONG);
        assert!(env.events.borrow()[0].contains("wrong PIN identity_id=id-1"));
        assert!(
            !env.events.borrow()[0].contains("7531"),
            "the guess is never logged"
        );

        assert_eq!(
            message_id(&login(&c, r#"{"method":"pin"}"#, &env).unwrap_err()),
            4000002
        );
        let no_pin = ctx(FlowKind::Login, Aal::Aal2, None);
        assert_eq!(
            message_id(&login(&no_pin, r#"{"pin":"1357"}"#, &env).unwrap_err()),
            ui::NO_PIN
        );
        let first = ctx(FlowKind::Login, Aal::Aal1, Some(&config));
        assert_eq!(
            message_id(&login(&first, r#"{"pin":"1357"}"#, &env).unwrap_err()),
            4000001
        );
    }
}
