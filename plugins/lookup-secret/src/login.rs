//! Login: the second factor of an `aal=aal2` flow. The host hands over the session's identity
//! and its lookup-secret credential; the code used is marked with the host's time and stored
//! with the session upgrade, so it cannot be used again.
//!
//! As in Kratos, the login's messages are flow-level (`ui.messages`). Wrong codes are counted
//! in the credential and too many in a row lock it ([`latchkey_plugin_sdk::attempts`]); the
//! codes are long enough that this mostly matters for short codes imported from elsewhere.

use crate::credential::{Config, Lookup};
use crate::form::Form;
use crate::messages;
use crate::nodes;
use crate::settings::Settings;
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::time::rfc3339;
use latchkey_plugin_sdk::types::{
    Aal, Authenticated, CredentialWrite, FlowContext, Rejection, SubmitOutcome, UiNode,
};
use latchkey_plugin_sdk::{Env, Level};

pub fn render(ctx: &FlowContext) -> Vec<UiNode> {
    if ctx.requested_aal == Aal::Aal2 && ctx.credential.is_some() {
        nodes::login()
    } else {
        vec![]
    }
}

pub fn submit(
    ctx: &FlowContext,
    form: &Form,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    if ctx.requested_aal != Aal::Aal2 {
        return Err(Rejection::flow(messages::generic(
            "Backup recovery codes are a second factor: sign in another way first.",
        )));
    }
    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    let Some(credential) = &ctx.credential else {
        return Err(Rejection::flow(messages::no_codes()));
    };
    let Some(mut config) = Config::parse(&credential.config_json) else {
        env.log(
            Level::Warn,
            "lookup_secret credential is unreadable; the login is refused",
            &[("identity_id", identity_id)],
        );
        return Err(Rejection::flow(messages::no_codes()));
    };
    if form.lookup_secret.is_empty() {
        return Err(Rejection::on_node(
            "lookup_secret",
            messages::missing("lookup_secret"),
        ));
    }
    let now = env.now();
    if let Some(until) = config.attempts.locked_until(now) {
        env.log(
            Level::Info,
            "recovery code refused unchecked: the codes are locked",
            &[("identity_id", identity_id)],
        );
        return Err(Rejection::flow(messages::locked(until)));
    }
    let refusal = match config.find(&form.lookup_secret) {
        Lookup::Unused(index) => {
            config.mark_used(index, rfc3339(now));
            config.attempts = Attempts::default();
            if !config.has_unused() {
                env.log(
                    Level::Info,
                    "the last unused recovery code was used",
                    &[("identity_id", identity_id)],
                );
            }
            return Ok(SubmitOutcome::Authenticated(Authenticated {
                credential_update: Some(CredentialWrite {
                    identifiers: credential.identifiers.clone(),
                    config_json: config.to_json(),
                }),
            }));
        }
        Lookup::Used => messages::already_used(),
        Lookup::NoMatch => messages::invalid(),
    };
    // A used code counts as a wrong one: it does not sign in, and telling it apart would let
    // a guesser try it for free.
    config.attempts = config.attempts.after_failure(now, &settings.limits);
    let message = match config.attempts.locked_until(now) {
        Some(until) => {
            env.log(
                Level::Warn,
                "wrong recovery code; the codes are locked",
                &[("identity_id", identity_id)],
            );
            messages::locked(until)
        }
        None => refusal,
    };
    Err(
        Rejection::flow(message).with_credential_update(CredentialWrite {
            identifiers: credential.identifiers.clone(),
            config_json: config.to_json(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::attempts::Limits;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{Credential, FlowKind};

    fn ctx(aal: Aal, config: Option<String>) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Login,
            variant: "api".into(),
            action_url: "http://x/self-service/login?flow=f".into(),
            refresh: false,
            requested_aal: aal,
            identity: None,
            credential: config.map(|c| Credential {
                identifiers: vec![],
                config_json: c,
                version: 2,
            }),
            looked_up: None,
            plugin_state: None,
        }
    }

    fn stored(codes: &[&str]) -> String {
        let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        Config::from_codes(&codes).to_json()
    }

    fn login(c: &FlowContext, code: &str, env: &FakeEnv) -> Result<SubmitOutcome, Rejection> {
        login_with(c, code, &Settings::default(), env)
    }

    fn login_with(
        c: &FlowContext,
        code: &str,
        settings: &Settings,
        env: &FakeEnv,
    ) -> Result<SubmitOutcome, Rejection> {
        submit(
            c,
            &Form::parse(&format!(
                r#"{{"method":"lookup_secret","lookup_secret":"{code}"}}"#
            )),
            settings,
            env,
        )
    }

    /// One login with the credential `stored`: the outcome's message id (0 when accepted) and
    /// the credential the host keeps after it.
    fn attempt(stored: &str, code: &str, settings: &Settings, env: &FakeEnv) -> (u32, Config) {
        let outcome = login_with(&ctx(Aal::Aal2, Some(stored.into())), code, settings, env);
        let (id, written) = match &outcome {
            Ok(SubmitOutcome::Authenticated(a)) => (0, a.credential_update.as_ref()),
            Err(r) => (r.messages[0].id, r.credential_update.as_ref()),
            Ok(_) => panic!("unexpected outcome"),
        };
        let kept = written.map_or(stored, |w| w.config_json.as_str());
        (id, Config::parse(kept).unwrap())
    }

    #[test]
    fn nodes_only_for_aal2_with_a_credential() {
        assert_eq!(render(&ctx(Aal::Aal2, Some(stored(&["a"])))).len(), 2);
        assert!(render(&ctx(Aal::Aal1, Some(stored(&["a"])))).is_empty());
        assert!(render(&ctx(Aal::Aal2, None)).is_empty());
    }

    #[test]
    fn a_code_works_once() {
        let env = FakeEnv::at(1_629_199_959);
        let first = ctx(Aal::Aal2, Some(stored(&["abcd2345wxyz", "npqrstuvwxyz"])));
        let Ok(SubmitOutcome::Authenticated(auth)) = login(&first, "ABCD-2345-WXYZ", &env) else {
            panic!("accepted expected")
        };
        let update = auth.credential_update.unwrap();
        let config = Config::parse(&update.config_json).unwrap();
        assert_eq!(
            config.recovery_codes[0].used_at.as_deref(),
            Some("2021-08-17T11:32:39Z")
        );
        assert_eq!(config.recovery_codes[1].used_at, None);

        let again = ctx(Aal::Aal2, Some(update.config_json));
        let used = login(&again, "abcd2345wxyz", &env).err().unwrap();
        assert_eq!(used.messages[0].id, 4000012);
        assert!(matches!(
            login(&again, "npqrstuvwxyz", &env),
            Ok(SubmitOutcome::Authenticated(_))
        ));
        assert!(
            env.events
                .borrow()
                .iter()
                .any(|e| e.contains("last unused"))
        );
    }

    #[test]
    fn refusals() {
        let env = FakeEnv::at(0);
        let c = ctx(Aal::Aal2, Some(stored(&["abcd"])));
        assert_eq!(
            login(&c, "wxyz", &env).err().unwrap().messages[0].id,
            4000016
        );
        let missing = login(&c, "", &env).err().unwrap();
        assert_eq!(missing.node_messages[0].0, "lookup_secret");
        assert_eq!(missing.node_messages[0].1.id, 4000002);
        let none = login(&ctx(Aal::Aal2, None), "abcd", &env).err().unwrap();
        assert_eq!(none.messages[0].id, 4000014);
        let broken = login(&ctx(Aal::Aal2, Some("[]".into())), "abcd", &env)
            .err()
            .unwrap();
        assert_eq!(broken.messages[0].id, 4000014);
        let first = login(&ctx(Aal::Aal1, Some(stored(&["abcd"]))), "abcd", &env);
        assert_eq!(first.err().unwrap().messages[0].id, 4000001);
    }

    #[test]
    fn wrong_codes_lock_the_codes_until_the_lock_ends() {
        let env = FakeEnv::at(1_000_000);
        let s = Settings {
            limits: Limits {
                max_attempts: 3,
                lock_seconds: 600,
            },
        };
        let mut config = Config::from_codes(&["abcd".to_string(), "efgh".to_string()]);
        config.mark_used(1, "2021-08-17T11:32:39Z".into());
        for (code, expected) in [("wxyz", 4000016), ("efgh", 4000012)] {
            let (id, kept) = attempt(&config.to_json(), code, &s, &env);
            assert_eq!(id, expected);
            config = kept;
        }
        assert_eq!(config.attempts.failed_attempts, 2, "a used code counts");
        let (id, locked) = attempt(&config.to_json(), "wxyz", &s, &env);
        assert_eq!(id, messages::LOCKED);
        assert_eq!(locked.attempts.locked_until, Some(1_000_600));

        // While locked the right code is refused unchecked and stays unused.
        env.now.set(1_000_599);
        let (id, unchanged) = attempt(&locked.to_json(), "abcd", &s, &env);
        assert_eq!(id, messages::LOCKED);
        assert_eq!(unchanged, locked);

        env.now.set(1_000_600);
        let (id, used) = attempt(&locked.to_json(), "abcd", &s, &env);
        assert_eq!(id, 0);
        assert!(used.attempts.is_clear());
        assert!(!used.has_unused());
    }

    #[test]
    fn the_lock_message_says_when_to_retry() {
        let env = FakeEnv::at(1_629_199_959);
        let s = Settings {
            limits: Limits {
                max_attempts: 1,
                lock_seconds: 60,
            },
        };
        let c = ctx(Aal::Aal2, Some(stored(&["abcd"])));
        let refused = login_with(&c, "wxyz", &s, &env).unwrap_err();
        let message = &refused.messages[0];
        assert_eq!(
            message.text,
            "Too many wrong codes: backup recovery codes are locked until 2021-08-17T11:33:39Z."
        );
        assert_eq!(
            message.context_json.as_deref(),
            Some(r#"{"locked_until":"2021-08-17T11:33:39Z","locked_until_unix":1629200019}"#)
        );
        let missing = login_with(&c, "", &s, &env).unwrap_err();
        assert!(missing.credential_update.is_none(), "no guess, no count");
    }
}
