//! The settings flow: linking an authenticator app (QR code, then a first code) and unlinking
//! it.
//!
//! Linking takes two calls. `render` draws a fresh secret and keeps it in the flow
//! (`plugin-state`); the submit with the first code turns it into the credential. The host
//! re-renders the flow after the credential is stored, and that render (which now sees the
//! credential) clears the pending secret, so a later unlink in the same flow starts over with
//! a new secret instead of reviving the old one.

use crate::credential::Config;
use crate::form::Form;
use crate::messages;
use crate::nodes;
use crate::otpauth::Key;
use crate::qr;
use crate::settings::Settings;
use crate::state::Pending;
use crate::verify::{self, Check};
use latchkey_plugin_sdk::attempts::Attempts;
use latchkey_plugin_sdk::types::{
    CredentialWrite, FlowContext, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Level};

pub fn render(ctx: &FlowContext, settings: &Settings, env: &dyn Env) -> Rendering {
    if ctx.credential.is_some() {
        return Rendering {
            nodes: nodes::settings_unlink(),
            // Clear a pending secret left from before the credential existed.
            plugin_state: ctx.plugin_state.is_some().then(String::new),
        };
    }
    let (pending, new_state) = match Pending::parse(ctx.plugin_state.as_deref()) {
        // Shown again (after a wrong code, a profile change…): the same secret, so the app
        // the user already scanned it into keeps working.
        Some(pending) => (pending, None),
        None => {
            let pending = Pending::generate(env);
            let state = pending.to_json();
            (pending, Some(state))
        }
    };
    let key = key_for(ctx, &pending, settings);
    let qr = match qr::data_url(&key.url()) {
        Ok(src) => Some(src),
        Err(reason) => {
            env.log(
                Level::Warn,
                "the otpauth URL is too long for a QR code; showing only the secret",
                &[("reason", &reason)],
            );
            None
        }
    };
    Rendering {
        nodes: nodes::settings_enrol(qr, &key.secret_base32()),
        plugin_state: new_state,
    }
}

pub fn submit(
    ctx: &FlowContext,
    form: &Form,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    if form.totp_unlink {
        return match ctx.credential {
            Some(_) => {
                env.log(
                    Level::Info,
                    "authenticator app unlinked",
                    &[("identity_id", identity_id)],
                );
                Ok(SubmitOutcome::CredentialRemoved)
            }
            None => Err(Rejection::flow(messages::no_device())),
        };
    }
    if ctx.credential.is_some() {
        return Err(Rejection::flow(messages::generic(
            "An authenticator app is linked already. Unlink it before linking another one.",
        )));
    }
    let Some(pending) = Pending::parse(ctx.plugin_state.as_deref()) else {
        return Err(Rejection::flow(messages::generic(
            "This settings flow has no authenticator app set-up in progress. Start a new \
             settings flow and scan its QR code.",
        )));
    };
    if form.totp_code.is_empty() {
        return Err(Rejection::on_node(
            "totp_code",
            messages::missing("totp_code"),
        ));
    }
    let key = key_for(ctx, &pending, settings);
    match verify::check(&key, &form.totp_code, env.now(), settings.skew, None) {
        Check::Accepted { step } => {
            env.log(
                Level::Info,
                "authenticator app linked",
                &[("identity_id", identity_id)],
            );
            let config = Config {
                totp_url: key.url(),
                // The code that proved the app is used: it cannot sign in again.
                last_used_step: Some(step),
                attempts: Attempts::default(),
            };
            Ok(SubmitOutcome::CredentialSet(CredentialWrite {
                identifiers: vec![],
                config_json: config.to_json(),
            }))
        }
        Check::Replayed | Check::Invalid => {
            Err(Rejection::on_node("totp_code", messages::wrong_code()))
        }
    }
}

/// The account name authenticator apps show: the trait the identity schema marks
/// `credentials.totp.account_name`, else the identity's id, as in Kratos.
fn account_name(ctx: &FlowContext) -> String {
    let Some(identity) = &ctx.identity else {
        return String::new();
    };
    identity
        .marked_traits
        .iter()
        .filter(|(k, _)| k == "account_name")
        .map(|(_, v)| v.trim())
        .find(|v| !v.is_empty())
        .unwrap_or(&identity.id)
        .to_string()
}

fn key_for(ctx: &FlowContext, pending: &Pending, settings: &Settings) -> Key {
    Key::new(
        pending.secret(),
        &settings.issuer,
        &account_name(ctx),
        settings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{Aal, Credential, FlowKind, Identity, NodeAttributes};

    const NOW: i64 = 1_700_000_000;

    fn ctx(credential: Option<&str>, state: Option<String>) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Settings,
            variant: "api".into(),
            action_url: "http://x/self-service/settings?flow=f".into(),
            refresh: false,
            requested_aal: Aal::Aal1,
            identity: Some(Identity {
                id: "0000-id".into(),
                schema_id: "default".into(),
                traits_json: r#"{"email":"a@b.c"}"#.into(),
                marked_traits: vec![("account_name".into(), "a@b.c".into())],
            }),
            credential: credential.map(|c| Credential {
                identifiers: vec![],
                config_json: c.into(),
                version: 1,
            }),
            looked_up: None,
            plugin_state: state,
        }
    }

    fn form(json: &str) -> Form {
        Form::parse(json)
    }

    fn enrol(env: &FakeEnv) -> (Rendering, String) {
        let r = render(&ctx(None, None), &Settings::default(), env);
        let state = r.plugin_state.clone().expect("a new secret is kept");
        (r, state)
    }

    fn code_now(state: &str) -> String {
        let pending = Pending::parse(Some(state)).unwrap();
        let key = Key::new(pending.secret(), "Latchkey", "a@b.c", &Settings::default());
        key.code((NOW / 30) as u64)
    }

    #[test]
    fn enrolment_shows_a_qr_code_of_the_pending_secret() {
        let env = FakeEnv::at(NOW);
        let (r, state) = enrol(&env);
        let pending = Pending::parse(Some(&state)).unwrap();
        assert_eq!(r.nodes.len(), 4);
        let NodeAttributes::Img(img) = &r.nodes[0].attributes else {
            panic!("QR code first")
        };
        assert!(img.src.starts_with("data:image/png;base64,iVBORw0KGgo"));
        let NodeAttributes::Text(t) = &r.nodes[1].attributes else {
            panic!("secret second")
        };
        assert_eq!(t.text.text, pending.pending_secret);

        // Shown again: the same secret, and the state left alone.
        let again = render(&ctx(None, Some(state.clone())), &Settings::default(), &env);
        assert_eq!(again.plugin_state, None);
        let NodeAttributes::Text(t) = &again.nodes[1].attributes else {
            panic!()
        };
        assert_eq!(t.text.text, pending.pending_secret);
    }

    #[test]
    fn the_right_code_links_the_app_and_uses_its_step() {
        let env = FakeEnv::at(NOW);
        let (_, state) = enrol(&env);
        let code = code_now(&state);
        let outcome = submit(
            &ctx(None, Some(state)),
            &form(&format!(r#"{{"method":"totp","totp_code":"{code}"}}"#)),
            &Settings::default(),
            &env,
        )
        .unwrap();
        let SubmitOutcome::CredentialSet(write) = outcome else {
            panic!("credential expected")
        };
        assert!(write.identifiers.is_empty());
        let (config, key) = Config::parse(&write.config_json).unwrap();
        assert_eq!(config.last_used_step, Some((NOW / 30) as u64));
        assert!(config.totp_url.starts_with("otpauth://totp/Latchkey:a@b.c?algorithm=SHA1&digits=6&issuer=Latchkey&period=30&secret="));
        assert_eq!(key.code(1), code_of(&config.totp_url, 1));
        assert!(env.events.borrow().iter().any(|e| e.contains("linked")));
        assert!(!env.events.borrow().iter().any(|e| e.contains(&code)));
    }

    fn code_of(url: &str, step: u64) -> String {
        Key::parse(url).unwrap().code(step)
    }

    #[test]
    fn wrong_missing_and_stateless_submissions_are_refused() {
        let env = FakeEnv::at(NOW);
        let (_, state) = enrol(&env);
        let wrong = submit(
            &ctx(None, Some(state.clone())),
            &form(r#"{"totp_code":"000000"}"#),
            &Settings::default(),
            &env,
        );
        let wrong = wrong.err().unwrap();
        assert_eq!(wrong.node_messages[0].0, "totp_code");
        assert_eq!(wrong.node_messages[0].1.id, 4000008);

        let missing = submit(
            &ctx(None, Some(state)),
            &form("{}"),
            &Settings::default(),
            &env,
        )
        .err()
        .unwrap();
        assert_eq!(missing.node_messages[0].1.id, 4000002);

        let stateless = submit(
            &ctx(None, None),
            &form(r#"{"totp_code":"123456"}"#),
            &Settings::default(),
            &env,
        )
        .err()
        .unwrap();
        assert_eq!(stateless.messages[0].id, 4000001);
    }

    #[test]
    fn a_linked_app_can_be_unlinked_and_not_replaced() {
        let env = FakeEnv::at(NOW);
        let config = r#"{"totp_url":"otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}"#;
        let r = render(
            &ctx(Some(config), Some("{}".into())),
            &Settings::default(),
            &env,
        );
        assert_eq!(r.nodes.len(), 1);
        assert_eq!(
            r.plugin_state.as_deref(),
            Some(""),
            "stale state is cleared"
        );
        let r = render(&ctx(Some(config), None), &Settings::default(), &env);
        assert_eq!(r.plugin_state, None);

        let unlinked = submit(
            &ctx(Some(config), None),
            &form(r#"{"method":"totp","totp_unlink":"true"}"#),
            &Settings::default(),
            &env,
        );
        assert!(matches!(unlinked, Ok(SubmitOutcome::CredentialRemoved)));

        let relink = submit(
            &ctx(Some(config), None),
            &form(r#"{"totp_code":"123456"}"#),
            &Settings::default(),
            &env,
        );
        assert_eq!(relink.err().unwrap().messages[0].id, 4000001);

        let nothing = submit(
            &ctx(None, None),
            &form(r#"{"totp_unlink":true}"#),
            &Settings::default(),
            &env,
        );
        assert_eq!(nothing.err().unwrap().messages[0].id, 4000011);
    }

    #[test]
    fn the_account_name_falls_back_to_the_identity_id() {
        let mut c = ctx(None, None);
        c.identity.as_mut().unwrap().marked_traits = vec![("account_name".into(), " ".into())];
        assert_eq!(account_name(&c), "0000-id");
        assert_eq!(account_name(&ctx(None, None)), "a@b.c");
    }
}
