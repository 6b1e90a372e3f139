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
        Some(_) => ui::settings_change(),
        None => ui::settings_set(),
    }
}

/// A second-factor login. A wrong PIN is counted in the credential (the rejection carries the
/// update), a locked PIN is refused unchecked; see [`crate::attempts`].
pub fn login(
    ctx: &FlowContext,
    input_json: &str,
    settings: &Settings,
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
    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    let now = env.now();
    if let Some(until) = config.locked_until(now) {
        env.log(
            Level::Info,
            "PIN refused: locked",
            &[("identity_id", identity_id)],
        );
        return Err(Rejection::on_node("pin", ui::locked(until)));
    }
    if config.matches(&pin, env) {
        return Ok(SubmitOutcome::Authenticated(Authenticated {
            credential_update: config.after_correct_pin().map(|c| c.write()),
        }));
    }
    let counted = config.after_wrong_pin(now, settings);
    let message = match counted.locked_until(now) {
        Some(until) => {
            env.log(
                Level::Warn,
                "wrong PIN; PIN locked",
                &[("identity_id", identity_id)],
            );
            ui::locked(until)
        }
        None => {
            env.log(Level::Info, "wrong PIN", &[("identity_id", identity_id)]);
            ui::wrong_pin(counted.attempts_left(settings))
        }
    };
    Err(Rejection::on_node("pin", message).with_credential_update(counted.write()))
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
    use latchkey_plugin_sdk::testing::{FakeEnv, Harness, RejectionExt, context};
    use latchkey_plugin_sdk::types::{FlowKind, InputAttributes, NodeAttributes, Rendering};
    use serde_json::json;

    /// A flow of `kind` for identity `id-1`, at `aal`, with this PIN credential.
    fn ctx(kind: FlowKind, aal: Aal, config: Option<&Config>) -> FlowContext {
        let mut ctx = context(kind).identity("id-1");
        if aal == Aal::Aal2 {
            ctx = ctx.aal2();
        }
        if let Some(config) = config {
            ctx = ctx.credential(&config.write());
        }
        ctx.build()
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
        assert_eq!(names(&with), ["pin", "method", "pin_remove"]);
        assert_eq!(
            inputs(&with)[0].autocomplete.as_deref(),
            Some("new-password")
        );
    }

    #[test]
    fn a_pin_is_checked_before_it_is_stored() {
        let env = FakeEnv::default();
        assert_eq!(set("", &env).unwrap_err().message_id(), 4000002);
        assert_eq!(set("12", &env).unwrap_err().message_id(), ui::BAD_FORMAT);
        assert_eq!(set("12ab", &env).unwrap_err().message_id(), ui::BAD_FORMAT);
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
        assert_eq!(r.message_id(), ui::NO_PIN);
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

    fn pin(pin: &str) -> String {
        format!(r#"{{"method":"pin","pin":"{pin}"}}"#)
    }

    /// A login attempt against `config`; the config the host would store afterwards.
    fn attempt(
        config: &Config,
        guess: &str,
        settings: &Settings,
        env: &FakeEnv,
    ) -> (Result<SubmitOutcome, Rejection>, Config) {
        let c = ctx(FlowKind::Login, Aal::Aal2, Some(config));
        let outcome = login(&c, &pin(guess), settings, env);
        let update = match &outcome {
            Ok(SubmitOutcome::Authenticated(a)) => a.credential_update.clone(),
            Err(r) => r.credential_update.clone(),
            Ok(_) => panic!("unexpected outcome"),
        };
        let next = update.map_or(config.clone(), |w| Config::parse(&w.config_json).unwrap());
        (outcome, next)
    }

    #[test]
    fn login_checks_the_pin() {
        let env = FakeEnv::default();
        let s = Settings::default();
        let config = config_of(set("1357", &env).unwrap());
        let c = ctx(FlowKind::Login, Aal::Aal2, Some(&config));
        let ok = login(&c, &pin("1357"), &s, &env).unwrap();
        assert!(
            matches!(
                ok,
                SubmitOutcome::Authenticated(Authenticated {
                    credential_update: None
                })
            ),
            "nothing to reset, nothing written"
        );

        let wrong = login(&c, &pin("7531"), &s, &env).unwrap_err();
        assert_eq!(wrong.node_messages[0].0, "pin");
        assert_eq!(wrong.message_id(), ui::WRONG);
        assert_eq!(
            wrong.node_messages[0].1.text,
            "The PIN is not correct. 4 attempts left."
        );
        let counted = Config::parse(&wrong.credential_update.unwrap().config_json).unwrap();
        assert_eq!(counted.attempts.failed_attempts, 1);
        assert_eq!(counted.hashed_pin, config.hashed_pin);
        assert!(env.events.borrow()[0].contains("wrong PIN identity_id=id-1"));
        assert!(
            !env.events.borrow()[0].contains("7531"),
            "the guess is never logged"
        );

        let missing = login(&c, r#"{"method":"pin"}"#, &s, &env).unwrap_err();
        assert_eq!(missing.message_id(), 4000002);
        assert!(missing.credential_update.is_none(), "no guess, no count");
        let no_pin = ctx(FlowKind::Login, Aal::Aal2, None);
        assert_eq!(
            login(&no_pin, r#"{"pin":"1357"}"#, &s, &env)
                .unwrap_err()
                .message_id(),
            ui::NO_PIN
        );
        let first = ctx(FlowKind::Login, Aal::Aal1, Some(&config));
        assert_eq!(
            login(&first, r#"{"pin":"1357"}"#, &s, &env)
                .unwrap_err()
                .message_id(),
            4000001
        );
    }

    #[test]
    fn wrong_pins_lock_it_and_the_lock_ends_on_time() {
        let env = FakeEnv::at(1_000_000);
        let s = Settings::default();
        let mut config = config_of(set("1357", &env).unwrap());
        for left in [4, 3, 2, 1] {
            let (outcome, next) = attempt(&config, "0000", &s, &env);
            let r = outcome.unwrap_err();
            assert_eq!(r.message_id(), ui::WRONG);
            assert_eq!(
                r.node_messages[0].1.context_json.as_deref(),
                Some(format!(r#"{{"attempts_left":{left}}}"#).as_str())
            );
            config = next;
        }
        let (fifth, locked) = attempt(&config, "0000", &s, &env);
        let r = fifth.unwrap_err();
        assert_eq!(r.message_id(), ui::LOCKED);
        assert_eq!(
            r.node_messages[0].1.text,
            "Too many wrong PINs: the PIN is locked until 1970-01-12T14:01:40Z."
        );
        assert_eq!(locked.attempts.locked_until, Some(1_000_000 + 900));
        assert!(env.events.borrow().last().unwrap().contains("PIN locked"));

        // While locked, the right PIN is refused too, and nothing is counted or written.
        env.advance(899);
        let (refused, unchanged) = attempt(&locked, "1357", &s, &env);
        let r = refused.unwrap_err();
        assert_eq!(r.message_id(), ui::LOCKED);
        assert!(r.credential_update.is_none());
        assert_eq!(unchanged, locked);

        // Once the lock is over, the right PIN signs in and starts the count over.
        env.advance(1);
        let (ok, reset) = attempt(&locked, "1357", &s, &env);
        assert!(matches!(ok, Ok(SubmitOutcome::Authenticated(_))));
        assert_eq!(
            (
                reset.attempts.failed_attempts,
                reset.attempts.locks,
                reset.attempts.locked_until
            ),
            (0, 0, None)
        );
    }

    #[test]
    fn a_second_lock_in_a_row_lasts_twice_as_long() {
        let env = FakeEnv::at(0);
        let s = Settings {
            max_attempts: 2,
            lock_seconds: 60,
            ..Settings::default()
        };
        let mut config = config_of(set("1357", &env).unwrap());
        for _ in 0..2 {
            config = attempt(&config, "0000", &s, &env).1;
        }
        assert_eq!(config.attempts.locked_until, Some(60));
        env.advance(60);
        for _ in 0..2 {
            config = attempt(&config, "0000", &s, &env).1;
        }
        assert_eq!(config.attempts.locked_until, Some(60 + 120));
    }

    #[test]
    fn a_correct_pin_before_the_lock_resets_the_count() {
        let env = FakeEnv::default();
        let s = Settings::default();
        let mut config = config_of(set("1357", &env).unwrap());
        for _ in 0..4 {
            config = attempt(&config, "0000", &s, &env).1;
        }
        let (ok, reset) = attempt(&config, "1357", &s, &env);
        assert!(matches!(ok, Ok(SubmitOutcome::Authenticated(_))));
        assert_eq!(reset.attempts.failed_attempts, 0);
        let (wrong, _) = attempt(&reset, "0000", &s, &env);
        assert_eq!(wrong.unwrap_err().message_id(), ui::WRONG, "not locked");
    }

    #[test]
    fn a_new_pin_in_settings_lifts_the_lock() {
        let env = FakeEnv::default();
        let s = Settings {
            max_attempts: 1,
            ..Settings::default()
        };
        let config = config_of(set("1357", &env).unwrap());
        let locked = attempt(&config, "0000", &s, &env).1;
        assert!(locked.locked_until(env.now()).is_some());

        let c = ctx(FlowKind::Settings, Aal::Aal2, Some(&locked));
        let renewed = config_of(settings(&c, &pin("8642"), &s, &env).unwrap());
        assert_eq!(renewed.locked_until(env.now()), None);
        assert!(renewed.attempts.is_clear());
        let (ok, _) = attempt(&renewed, "8642", &s, &env);
        assert!(matches!(ok, Ok(SubmitOutcome::Authenticated(_))));
    }

    /// The PIN's settings and login run as the host runs them: the harness keeps the
    /// credential each call writes (the PIN set, each counted guess) and renders again after a
    /// settings change.
    fn settings_harness(env: FakeEnv, s: Settings) -> Harness<'static> {
        Harness::new(context(FlowKind::Settings).aal2().identity("id-1"), env)
            .on_render(move |ctx, _| {
                Ok(Rendering {
                    nodes: settings_nodes(ctx, &s),
                    plugin_state: None,
                })
            })
            .on_submit(move |ctx, input, env| settings(ctx, input, &s, env))
    }

    fn login_harness(env: FakeEnv, s: Settings, pin: &Config) -> Harness<'static> {
        let ctx = context(FlowKind::Login)
            .aal2()
            .identity("id-1")
            .credential(&pin.write());
        Harness::new(ctx, env)
            .on_render(|ctx, _| {
                Ok(Rendering {
                    nodes: login_nodes(ctx),
                    plugin_state: None,
                })
            })
            .on_submit(move |ctx, input, env| login(ctx, input, &s, env))
    }

    #[test]
    fn set_then_locked_then_unlocked_as_the_host_runs_it() {
        let s = Settings::default();
        let mut set = settings_harness(FakeEnv::at(1_000_000).with_seed(3), s);
        assert_eq!(set.render().unwrap(), ui::settings_set().as_slice());
        set.submit(json!({"method": "pin", "pin": "1357"})).unwrap();
        assert_eq!(
            set.nodes,
            ui::settings_change(),
            "rendered again with the PIN"
        );
        let stored = Config::parse(&set.credential().unwrap().config_json).unwrap();

        let mut login = login_harness(FakeEnv::at(1_000_000), s, &stored);
        assert_eq!(login.render().unwrap(), ui::login().as_slice());
        for left in ["4 attempts", "3 attempts", "2 attempts", "1 attempt"] {
            let r = login.submit(json!({"pin": "0000"})).unwrap_err();
            assert_eq!((r.message_id(), r.first_node()), (ui::WRONG, Some("pin")));
            assert_eq!(
                r.first_message().text,
                format!("The PIN is not correct. {left} left.")
            );
        }
        let locked = login.submit(json!({"pin": "0000"})).unwrap_err();
        assert_eq!(locked.message_id(), ui::LOCKED);
        assert_eq!(login.writes.len(), 5, "every wrong PIN was stored");
        assert_eq!(
            login
                .submit(json!({"pin": "1357"}))
                .unwrap_err()
                .message_id(),
            ui::LOCKED,
            "the right PIN is refused while locked"
        );
        assert_eq!(login.writes.len(), 5, "and not counted");

        login.env.advance(900);
        assert!(matches!(
            login.submit(json!({"pin": "1357"})),
            Ok(SubmitOutcome::Authenticated(_))
        ));
        let reset = Config::parse(&login.credential().unwrap().config_json).unwrap();
        assert!(reset.attempts.is_clear(), "the count starts over");
        assert!(login.completed);
    }

    #[test]
    fn removing_the_pin_renders_the_form_to_set_one() {
        let mut h = settings_harness(FakeEnv::default(), Settings::default());
        h.render().unwrap();
        h.submit(json!({"pin": "2468"})).unwrap();
        h.submit(json!({"pin_remove": "true"})).unwrap();
        assert_eq!(h.credential(), None);
        assert_eq!(h.nodes, ui::settings_set());
        assert_eq!(h.renders, 3);
        assert_eq!(h.writes.len(), 2);
    }
}
