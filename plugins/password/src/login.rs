//! Login: identifier and password, checked against the identity's stored hash.
//!
//! The host's two-step protocol: the first `submit` (`looked-up: none`) only names the
//! identifier it needs (`need-credential`); the host finds the credential of this type with that
//! identifier and calls `submit` again with the same input, `looked-up: some(identifier)` and
//! `identity`/`credential` set — or both `none` when nobody has it.

use crate::credential::{Config, identifiers, normalise};
use crate::form::Form;
use crate::hashing::{self, Verdict};
use crate::messages;
use crate::nodes;
use crate::settings::Settings;
use latchkey_plugin_sdk::types::{
    Aal, Authenticated, Credential, CredentialWrite, FlowContext, Identity, Rejection,
    SubmitOutcome, UiNode,
};
use latchkey_plugin_sdk::{Env, Level};

pub fn render(ctx: &FlowContext) -> Vec<UiNode> {
    // A password never adds a second factor.
    if ctx.requested_aal == Aal::Aal2 {
        return vec![];
    }
    match (&ctx.identity, ctx.refresh) {
        (Some(identity), true) => match refresh_identifier(identity, ctx.credential.as_ref()) {
            Some(identifier) => nodes::login_refresh(&identifier),
            // As in Kratos: an identity without a password re-authenticates another way.
            None => vec![],
        },
        _ => nodes::login(),
    }
}

fn refresh_identifier(identity: &Identity, credential: Option<&Credential>) -> Option<String> {
    let credential = credential.filter(|c| Config::parse(&c.config_json).is_some())?;
    credential
        .identifiers
        .first()
        .cloned()
        .or_else(|| identifiers(&identity.marked_traits).into_iter().next())
}

pub fn submit(
    ctx: &FlowContext,
    form: &Form,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    check_present(form)?;
    if ctx.looked_up.is_none() {
        return Ok(SubmitOutcome::NeedCredential(normalise(&form.identifier)));
    }

    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    let stored = ctx
        .credential
        .as_ref()
        .and_then(|c| Config::parse(&c.config_json));
    if ctx.credential.is_some() && stored.is_none() {
        env.log(
            Level::Warn,
            "password credential has no hash; the login is refused",
            &[("identity_id", identity_id)],
        );
    }
    // Unknown identifier or no usable hash: verify against the decoy all the same, so the
    // answer takes as long as for a wrong password and does not reveal who has an account.
    // A hash stored before hashers.limits were lowered would cost every attempt more than the
    // operator allows (and past the call's deadline, a server error): checked as the decoy.
    let affordable = stored.as_ref().filter(|c| {
        let over = hashing::scheme(&c.hashed_password).is_some()
            && hashing::within(&c.hashed_password, &settings.limits).is_err();
        if over {
            env.log(
                Level::Warn,
                "stored password hash costs more than hashers.limits allow; the login is refused",
                &[("identity_id", identity_id)],
            );
        }
        !over
    });
    let target = affordable.map_or_else(
        || hashing::decoy(&settings.hasher),
        |c| c.hashed_password.clone(),
    );
    let verdict = hashing::verify(env, &form.password, &target, &settings.hasher);

    match (verdict, &ctx.credential, &stored) {
        (Verdict::Match { needs_rehash }, Some(credential), Some(config)) => {
            let credential_update = needs_rehash
                .then(|| upgrade(form, credential, config, settings, env, identity_id))
                .flatten();
            Ok(SubmitOutcome::Authenticated(Authenticated {
                credential_update,
            }))
        }
        (verdict, _, Some(_)) => {
            if verdict == Verdict::Unreadable {
                env.log(
                    Level::Warn,
                    "stored password hash could not be checked; the login is refused",
                    &[("identity_id", identity_id)],
                );
            }
            Err(Rejection::flow(messages::invalid_credentials()))
        }
        _ => Err(Rejection::flow(messages::invalid_credentials())),
    }
}

/// Both fields at once, as Kratos' schema validation reports them.
fn check_present(form: &Form) -> Result<(), Rejection> {
    let mut node_messages = Vec::new();
    for field in &form.not_strings {
        let reason = format!("expected string, but got another type for {field}");
        node_messages.push(((*field).into(), messages::generic(&reason)));
    }
    if form.identifier.trim().is_empty() {
        node_messages.push(("identifier".into(), messages::missing("identifier")));
    }
    if form.password.is_empty() {
        node_messages.push(("password".into(), messages::missing("password")));
    }
    if node_messages.is_empty() {
        Ok(())
    } else {
        Err(Rejection::on_nodes(node_messages))
    }
}

/// The stored hash verified but is not what the configuration asks for today: replace it while
/// the cleartext is at hand. A failure here must not fail the login; the old hash stays.
fn upgrade(
    form: &Form,
    credential: &Credential,
    config: &Config,
    settings: &Settings,
    env: &dyn Env,
    identity_id: &str,
) -> Option<CredentialWrite> {
    let from = hashing::scheme(&config.hashed_password).map_or("unknown", |s| s.name());
    let salt = env.random(hashing::salt_length(&settings.hasher));
    match hashing::hash(env, &form.password, &settings.hasher, &salt) {
        Ok(hashed_password) => {
            env.log(
                Level::Info,
                "password hash upgraded to the configured hasher",
                &[("identity_id", identity_id), ("from", from)],
            );
            Some(CredentialWrite {
                identifiers: credential.identifiers.clone(),
                config_json: Config { hashed_password }.to_json(),
            })
        }
        Err(_) => {
            // The reason is left out on purpose: bcrypt's names the password's length.
            env.log(
                Level::Warn,
                "password hash could not be upgraded; the old one stays",
                &[("identity_id", identity_id), ("from", from)],
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Argon2Params, Hasher};
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{FlowKind, NodeAttributes, SubmitOutcome};

    fn cheap(iterations: u32) -> Settings {
        Settings {
            hasher: Hasher::Argon2id(Argon2Params {
                memory_kib: 64,
                iterations,
                parallelism: 1,
                salt_length: 16,
                key_length: 32,
            }),
            ..Settings::default()
        }
    }

    fn ctx() -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Login,
            variant: "api".into(),
            action_url: "http://localhost/self-service/login?flow=f".into(),
            refresh: false,
            requested_aal: Aal::Aal1,
            identity: None,
            credential: None,
            looked_up: None,
            plugin_state: None,
        }
    }

    fn identity() -> Identity {
        Identity {
            id: "identity-1".into(),
            schema_id: "default".into(),
            traits_json: r#"{"email":"ann@example.com"}"#.into(),
            marked_traits: vec![("identifier".into(), "Ann@Example.com".into())],
        }
    }

    fn credential(hashed_password: &str) -> Credential {
        Credential {
            identifiers: vec!["ann@example.com".into()],
            config_json: Config {
                hashed_password: hashed_password.into(),
            }
            .to_json(),
            version: 1,
        }
    }

    /// The host's second call: same input, the lookup's result filled in.
    fn looked_up(hash: Option<&str>) -> FlowContext {
        FlowContext {
            looked_up: Some("ann@example.com".into()),
            identity: hash.map(|_| identity()),
            credential: hash.map(credential),
            ..ctx()
        }
    }

    fn form(identifier: &str, password: &str) -> Form {
        Form {
            identifier: identifier.into(),
            password: password.into(),
            not_strings: Vec::new(),
        }
    }

    fn hash_with(settings: &Settings, password: &str) -> String {
        hashing::hash(&FakeEnv::default(), password, &settings.hasher, &[5; 16]).unwrap()
    }

    fn assert_invalid(outcome: Result<SubmitOutcome, Rejection>) {
        let rejection = outcome.expect_err("a rejection");
        assert_eq!(rejection.messages.len(), 1);
        assert_eq!(rejection.messages[0].id, 4000006);
        assert!(rejection.node_messages.is_empty());
    }

    #[test]
    fn first_call_names_the_normalised_identifier() {
        let out = submit(
            &ctx(),
            &form("  Ann@Example.COM ", "pw"),
            &cheap(1),
            &FakeEnv::default(),
        );
        assert!(matches!(out, Ok(SubmitOutcome::NeedCredential(id)) if id == "ann@example.com"));
    }

    #[test]
    fn missing_fields_are_reported_on_their_nodes() {
        let rejection = submit(&ctx(), &form(" ", ""), &cheap(1), &FakeEnv::default())
            .err()
            .unwrap();
        let ids: Vec<(&str, u32, Option<&str>)> = rejection
            .node_messages
            .iter()
            .map(|(n, m)| (n.as_str(), m.id, m.context_json.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                ("identifier", 4000002, Some(r#"{"property":"identifier"}"#)),
                ("password", 4000002, Some(r#"{"property":"password"}"#)),
            ]
        );
        assert_eq!(
            rejection.node_messages[0].1.text,
            "Property identifier is missing."
        );
    }

    #[test]
    fn right_password_authenticates_without_update() {
        let s = cheap(1);
        let hash = hash_with(&s, "correct horse");
        let out = submit(
            &looked_up(Some(&hash)),
            &form("ann@example.com", "correct horse"),
            &s,
            &FakeEnv::default(),
        );
        match out {
            Ok(SubmitOutcome::Authenticated(a)) => assert!(a.credential_update.is_none()),
            _ => panic!("expected authenticated"),
        }
    }

    #[test]
    fn wrong_password_and_unknown_identifier_look_the_same() {
        let s = cheap(1);
        let hash = hash_with(&s, "correct horse");
        let env = FakeEnv::default();
        assert_invalid(submit(
            &looked_up(Some(&hash)),
            &form("ann@example.com", "wrong horse"),
            &s,
            &env,
        ));
        assert_invalid(submit(
            &looked_up(None),
            &form("ann@example.com", "correct horse"),
            &s,
            &env,
        ));
        assert!(env.events.borrow().is_empty(), "{:?}", env.events);
    }

    #[test]
    fn a_decoy_looking_hash_is_never_enough() {
        let s = cheap(1);
        let mut c = looked_up(None);
        c.identity = Some(identity());
        assert_invalid(submit(
            &c,
            &form("ann@example.com", "x"),
            &s,
            &FakeEnv::default(),
        ));
    }

    #[test]
    fn unreadable_credentials_refuse_and_are_logged() {
        let env = FakeEnv::default();
        for stored in ["", "not-a-hash"] {
            assert_invalid(submit(
                &looked_up(Some(stored)),
                &form("ann@example.com", "pw"),
                &cheap(1),
                &env,
            ));
        }
        let events = env.events.borrow();
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events.iter().all(|e| e.contains("identity_id=identity-1")));
        assert!(events.iter().all(|e| !e.contains("not-a-hash")));
    }

    #[test]
    fn a_hash_above_the_cost_limits_is_never_checked() {
        let env = FakeEnv::default();
        let mut settings = cheap(1);
        let stored = hash_with(&settings, "correct horse");
        settings.limits.argon2_memory_kib = 32;
        assert_invalid(submit(
            &looked_up(Some(&stored)),
            &form("ann@example.com", "correct horse"),
            &settings,
            &env,
        ));
        let events = env.events.borrow();
        assert!(
            events
                .iter()
                .any(|e| e.contains("costs more than hashers.limits")),
            "{events:?}"
        );
    }

    #[test]
    fn outdated_hash_is_replaced_on_login() {
        let old = cheap(1);
        let new = cheap(2);
        let env = FakeEnv::default();
        for stored in [
            hash_with(&old, "correct horse"),
            bcrypt::hash_with_salt("correct horse", 4, [1; 16])
                .unwrap()
                .to_string(),
        ] {
            let out = submit(
                &looked_up(Some(&stored)),
                &form("ann@example.com", "correct horse"),
                &new,
                &env,
            );
            let Ok(SubmitOutcome::Authenticated(a)) = out else {
                panic!("expected authenticated")
            };
            let update = a.credential_update.expect("a rehashed credential");
            assert_eq!(update.identifiers, ["ann@example.com"]);
            let config = Config::parse(&update.config_json).unwrap();
            assert!(hashing::is_current(&config.hashed_password, &new.hasher));
            assert_eq!(
                hashing::verify(
                    &FakeEnv::default(),
                    "correct horse",
                    &config.hashed_password,
                    &new.hasher
                ),
                Verdict::Match {
                    needs_rehash: false
                }
            );
        }
        let events = env.events.borrow();
        assert!(events[0].contains("from=argon2id"), "{events:?}");
        assert!(events[1].contains("from=bcrypt"), "{events:?}");
        assert!(events.iter().all(|e| !e.contains("horse")));
    }

    fn input_names(nodes: &[UiNode]) -> Vec<(String, String)> {
        nodes
            .iter()
            .map(|n| match &n.attributes {
                NodeAttributes::Input(a) => (a.name.clone(), a.type_.clone()),
                _ => panic!("inputs only"),
            })
            .collect()
    }

    #[test]
    fn render_by_flow_shape() {
        let names = |c: &FlowContext| input_names(&render(c));
        assert_eq!(names(&ctx())[0], ("identifier".into(), "text".into()));
        assert!(
            render(&FlowContext {
                requested_aal: Aal::Aal2,
                ..ctx()
            })
            .is_empty()
        );

        let stored = hash_with(&cheap(1), "pw");
        let refresh = FlowContext {
            refresh: true,
            identity: Some(identity()),
            credential: Some(credential(&stored)),
            ..ctx()
        };
        let nodes = render(&refresh);
        assert_eq!(names(&refresh)[0], ("identifier".into(), "hidden".into()));
        let NodeAttributes::Input(a) = &nodes[0].attributes else {
            unreachable!()
        };
        assert_eq!(a.value_json.as_deref(), Some(r#""ann@example.com""#));

        // Refresh for an identity that has no password: nothing to offer.
        let no_password = FlowContext {
            credential: None,
            ..refresh
        };
        assert!(render(&no_password).is_empty());
    }
}
