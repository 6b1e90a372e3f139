//! Login: the second factor of an `aal=aal2` flow. The host hands over the session's identity
//! and its TOTP credential; an accepted code's step is stored with the session upgrade, so
//! that the same code cannot be used again. Wrong codes are counted in the credential and too
//! many in a row lock it ([`latchkey_plugin_sdk::attempts`]): six digits are a million codes,
//! and the skew window makes three of them right at any moment.

use crate::credential::Config;
use crate::form::Form;
use crate::messages;
use crate::nodes;
use crate::settings::Settings;
use crate::verify::{self, Check};
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::types::{
    Aal, Authenticated, Credential, CredentialWrite, FlowContext, Rejection, SubmitOutcome, UiNode,
};
use latchkey_plugin_sdk::{Env, Level};

pub fn render(ctx: &FlowContext) -> Vec<UiNode> {
    let usable = ctx
        .credential
        .as_ref()
        .is_some_and(|c| Config::parse(&c.config_json).is_some());
    if ctx.requested_aal == Aal::Aal2 && usable {
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
            "An authenticator app is a second factor: sign in another way first.",
        )));
    }
    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    let Some(credential) = &ctx.credential else {
        return Err(Rejection::flow(messages::no_device()));
    };
    let Some((config, key)) = Config::parse(&credential.config_json) else {
        env.log(
            Level::Warn,
            "TOTP credential has no usable otpauth URL; the login is refused",
            &[("identity_id", identity_id)],
        );
        return Err(Rejection::flow(messages::no_device()));
    };
    if form.totp_code.is_empty() {
        return Err(Rejection::on_node(
            "totp_code",
            messages::missing("totp_code"),
        ));
    }
    let now = env.now();
    if let Some(until) = config.attempts.locked_until(now) {
        env.log(
            Level::Info,
            "TOTP code refused unchecked: the authenticator app is locked",
            &[("identity_id", identity_id)],
        );
        return Err(Rejection::on_node("totp_code", messages::locked(until)));
    }
    match verify::check(
        &key,
        &form.totp_code,
        now,
        settings.skew,
        config.last_used_step,
    ) {
        Check::Accepted { step } => {
            let updated = Config {
                last_used_step: Some(step),
                attempts: Attempts::default(),
                ..config
            };
            Ok(SubmitOutcome::Authenticated(Authenticated {
                credential_update: Some(CredentialWrite {
                    identifiers: credential.identifiers.clone(),
                    config_json: updated.to_json(),
                }),
            }))
        }
        Check::Replayed => {
            env.log(
                Level::Warn,
                "a TOTP code was submitted again after it had been used",
                &[("identity_id", identity_id)],
            );
            Err(counted(config, credential, now, settings, env, identity_id))
        }
        Check::Invalid => Err(counted(config, credential, now, settings, env, identity_id)),
    }
}

/// The refusal of a wrong code (a replayed one too): one more failure in the credential, which
/// the rejection carries for the host to store, and a lock when that makes `max_attempts`.
fn counted(
    config: Config,
    credential: &Credential,
    now: i64,
    settings: &Settings,
    env: &dyn Env,
    identity_id: &str,
) -> Rejection {
    let attempts = config.attempts.after_failure(now, &settings.limits);
    let message = match attempts.locked_until(now) {
        Some(until) => {
            env.log(
                Level::Warn,
                "wrong TOTP code; the authenticator app is locked",
                &[("identity_id", identity_id)],
            );
            messages::locked(until)
        }
        None => messages::wrong_code_counted(attempts.attempts_left(&settings.limits)),
    };
    let counted = Config { attempts, ..config };
    Rejection::on_node("totp_code", message).with_credential_update(CredentialWrite {
        identifiers: credential.identifiers.clone(),
        config_json: counted.to_json(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otpauth::Key;
    use latchkey_plugin_sdk::attempts::Limits;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::UiText;
    use latchkey_plugin_sdk::types::{FlowKind, Identity};

    const URL: &str = "otpauth://totp/Latchkey:a@b.c?algorithm=SHA1&digits=6&issuer=Latchkey\
                       &period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const NOW: i64 = 1_111_111_111;
    const STEP: u64 = 37_037_037;

    fn ctx(aal: Aal, config: Option<String>) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Login,
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
                identifiers: vec!["id-1".into()],
                config_json: c,
                version: 3,
            }),
            looked_up: None,
            plugin_state: None,
        }
    }

    fn config(last: Option<u64>) -> String {
        Config {
            totp_url: URL.into(),
            last_used_step: last,
            attempts: Attempts::default(),
        }
        .to_json()
    }

    fn code(step: u64) -> String {
        Key::parse(URL).unwrap().code(step)
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
        let form = Form::parse(&format!(r#"{{"method":"totp","totp_code":"{code}"}}"#));
        submit(c, &form, settings, env)
    }

    /// One login with the credential `stored`, and the credential the host keeps after it.
    fn attempt(
        stored: &str,
        code: &str,
        settings: &Settings,
        env: &FakeEnv,
    ) -> (Result<SubmitOutcome, Rejection>, String) {
        let outcome = login_with(&ctx(Aal::Aal2, Some(stored.into())), code, settings, env);
        let written = match &outcome {
            Ok(SubmitOutcome::Authenticated(a)) => a.credential_update.as_ref(),
            Err(r) => r.credential_update.as_ref(),
            Ok(_) => None,
        };
        let kept = written.map_or(stored.to_string(), |w| w.config_json.clone());
        (outcome, kept)
    }

    fn node_message(outcome: &Result<SubmitOutcome, Rejection>) -> &UiText {
        let rejection = outcome.as_ref().expect_err("a refusal");
        assert_eq!(rejection.node_messages[0].0, "totp_code");
        &rejection.node_messages[0].1
    }

    fn attempts_of(stored: &str) -> Attempts {
        Config::parse(stored).unwrap().0.attempts
    }

    #[test]
    fn nodes_only_for_aal2_with_a_credential() {
        assert_eq!(render(&ctx(Aal::Aal2, Some(config(None)))).len(), 2);
        assert!(render(&ctx(Aal::Aal1, Some(config(None)))).is_empty());
        assert!(render(&ctx(Aal::Aal2, None)).is_empty());
        assert!(render(&ctx(Aal::Aal2, Some("{}".into()))).is_empty());
    }

    #[test]
    fn a_fresh_code_signs_in_once() {
        let env = FakeEnv::at(NOW);
        let first = ctx(Aal::Aal2, Some(config(None)));
        let Ok(SubmitOutcome::Authenticated(auth)) = login(&first, &code(STEP), &env) else {
            panic!("accepted expected")
        };
        let write = auth.credential_update.expect("the used step is stored");
        assert_eq!(write.identifiers, ["id-1"]);
        let (stored, _) = Config::parse(&write.config_json).unwrap();
        assert_eq!(stored.last_used_step, Some(STEP));
        assert_eq!(stored.totp_url, URL);

        // The same code again, with the updated credential: refused (Kratos would accept it).
        let again = ctx(Aal::Aal2, Some(write.config_json));
        let replay = login(&again, &code(STEP), &env).err().unwrap();
        assert_eq!(replay.node_messages[0].0, "totp_code");
        assert_eq!(replay.node_messages[0].1.id, 4000008);
        assert!(env.events.borrow().iter().any(|e| e.contains("again")));

        // The next step's code is fine.
        env.now.set(NOW + 30);
        assert!(matches!(
            login(&again, &code(STEP + 1), &env),
            Ok(SubmitOutcome::Authenticated(_))
        ));
    }

    #[test]
    fn the_enrolment_code_cannot_sign_in() {
        let env = FakeEnv::at(NOW);
        let c = ctx(Aal::Aal2, Some(config(Some(STEP))));
        assert!(login(&c, &code(STEP), &env).is_err());
        assert!(login(&c, &code(STEP - 1), &env).is_err());
    }

    #[test]
    fn refusals() {
        let env = FakeEnv::at(NOW);
        let wrong = login(&ctx(Aal::Aal2, Some(config(None))), "000000", &env);
        assert_eq!(wrong.err().unwrap().node_messages[0].1.id, 4000008);
        let missing = login(&ctx(Aal::Aal2, Some(config(None))), "", &env);
        assert_eq!(missing.err().unwrap().node_messages[0].1.id, 4000002);
        let none = login(&ctx(Aal::Aal2, None), &code(STEP), &env);
        assert_eq!(none.err().unwrap().messages[0].id, 4000011);
        let broken = login(&ctx(Aal::Aal2, Some("{}".into())), &code(STEP), &env);
        assert_eq!(broken.err().unwrap().messages[0].id, 4000011);
        let first_factor = login(&ctx(Aal::Aal1, Some(config(None))), &code(STEP), &env);
        assert_eq!(first_factor.err().unwrap().messages[0].id, 4000001);
    }

    #[test]
    fn wrong_codes_lock_the_app_and_the_lock_ends_on_time() {
        let env = FakeEnv::at(NOW);
        let s = Settings::default();
        let mut stored = config(None);
        for left in [4, 3, 2, 1] {
            let (outcome, kept) = attempt(&stored, "000000", &s, &env);
            let message = node_message(&outcome);
            assert_eq!(message.id, 4000008);
            assert_eq!(
                message.context_json.as_deref(),
                Some(format!(r#"{{"attempts_left":{left}}}"#).as_str())
            );
            stored = kept;
        }
        let (fifth, locked) = attempt(&stored, "000000", &s, &env);
        let message = node_message(&fifth);
        assert_eq!(message.id, messages::LOCKED);
        assert_eq!(
            message.text,
            "Too many wrong codes: the authenticator app is locked until 2005-03-18T02:13:31Z."
        );
        assert_eq!(attempts_of(&locked).locked_until, Some(NOW + 900));
        assert!(env.events.borrow().last().unwrap().contains("locked"));

        // While locked the right code is refused unchecked, and nothing is written.
        env.now.set(NOW + 899);
        let step = STEP + 30; // NOW + 899 falls in it, and so does NOW + 900
        let right = code(step);
        let (refused, unchanged) = attempt(&locked, &right, &s, &env);
        assert_eq!(node_message(&refused).id, messages::LOCKED);
        assert!(refused.unwrap_err().credential_update.is_none());
        assert_eq!(unchanged, locked);

        // After the lock the right code signs in and the counters start over.
        env.now.set(NOW + 900);
        let (ok, reset) = attempt(&locked, &right, &s, &env);
        assert!(matches!(ok, Ok(SubmitOutcome::Authenticated(_))));
        assert!(attempts_of(&reset).is_clear());
        assert_eq!(Config::parse(&reset).unwrap().0.last_used_step, Some(step));
    }

    #[test]
    fn replays_count_and_a_right_code_resets_the_count() {
        let env = FakeEnv::at(NOW);
        let s = Settings {
            limits: Limits {
                max_attempts: 2,
                lock_seconds: 60,
            },
            ..Settings::default()
        };
        let (replay, counted) = attempt(&config(Some(STEP)), &code(STEP), &s, &env);
        assert_eq!(node_message(&replay).id, 4000008);
        assert_eq!(attempts_of(&counted).failed_attempts, 1);

        env.now.set(NOW + 30);
        let (ok, reset) = attempt(&counted, &code(STEP + 1), &s, &env);
        assert!(matches!(ok, Ok(SubmitOutcome::Authenticated(_))));
        assert!(attempts_of(&reset).is_clear());

        // Two wrong codes in a row lock for a minute, two more after it for two.
        let (_, once) = attempt(&reset, "000000", &s, &env);
        let (_, locked) = attempt(&once, "000000", &s, &env);
        assert_eq!(attempts_of(&locked).locked_until, Some(NOW + 30 + 60));
        env.now.set(NOW + 90);
        let (_, once) = attempt(&locked, "000000", &s, &env);
        let (_, again) = attempt(&once, "000000", &s, &env);
        assert_eq!(attempts_of(&again).locked_until, Some(NOW + 90 + 120));
    }

    #[test]
    fn no_guess_no_count() {
        let env = FakeEnv::at(NOW);
        let (missing, kept) = attempt(&config(None), "", &Settings::default(), &env);
        assert_eq!(node_message(&missing).id, 4000002);
        assert!(attempts_of(&kept).is_clear());
    }
}
