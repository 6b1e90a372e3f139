//! Login: the second factor of an `aal=aal2` flow. The host hands over the session's identity
//! and its TOTP credential; an accepted code's step is stored with the session upgrade, so
//! that the same code cannot be used again.

use crate::credential::Config;
use crate::form::Form;
use crate::messages;
use crate::nodes;
use crate::settings::Settings;
use crate::verify::{self, Check};
use latchkey_plugin_sdk::types::{
    Aal, Authenticated, CredentialWrite, FlowContext, Rejection, SubmitOutcome, UiNode,
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
    match verify::check(
        &key,
        &form.totp_code,
        env.now(),
        settings.skew,
        config.last_used_step,
    ) {
        Check::Accepted { step } => {
            let updated = Config {
                last_used_step: Some(step),
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
            Err(Rejection::on_node("totp_code", messages::wrong_code()))
        }
        Check::Invalid => Err(Rejection::on_node("totp_code", messages::wrong_code())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otpauth::Key;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{Credential, FlowKind, Identity};

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
        }
        .to_json()
    }

    fn code(step: u64) -> String {
        Key::parse(URL).unwrap().code(step)
    }

    fn login(c: &FlowContext, code: &str, env: &FakeEnv) -> Result<SubmitOutcome, Rejection> {
        let form = Form::parse(&format!(r#"{{"method":"totp","totp_code":"{code}"}}"#));
        submit(c, &form, &Settings::default(), env)
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
}
