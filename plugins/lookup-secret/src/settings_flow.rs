//! The settings flow: generating recovery codes, confirming them, and removing them.
//!
//! `lookup_secret_regenerate` draws 12 codes and keeps them in the flow (`plugin-state`), shown
//! once; `lookup_secret_confirm` stores their digests. Codes are never stored in clear, so
//! `lookup_secret_reveal` (Kratos shows stored codes again) is answered with a message saying
//! so. The host keeps the flow's state after it stores or removes the credential; `render`
//! notices codes that were confirmed or overtaken and clears them.

use crate::codes;
use crate::credential::Config;
use crate::form::Form;
use crate::messages;
use crate::nodes;
use crate::state::Pending;
use latchkey_plugin_sdk::types::{
    CredentialWrite, FlowContext, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Level};

fn stored(ctx: &FlowContext) -> Option<Config> {
    ctx.credential
        .as_ref()
        .and_then(|c| Config::parse(&c.config_json))
}

/// The pending codes, unless they are stale.
fn pending(ctx: &FlowContext) -> Option<Pending> {
    Pending::parse(ctx.plugin_state.as_deref())
        .filter(|p| !p.is_stale(ctx.credential.is_some(), stored(ctx).as_ref()))
}

pub fn render(ctx: &FlowContext) -> Rendering {
    if let Some(pending) = pending(ctx) {
        return Rendering {
            nodes: nodes::settings_pending(&pending.codes),
            plugin_state: None,
        };
    }
    let nodes = match ctx.credential {
        Some(_) => nodes::settings_with_codes(),
        None => nodes::settings_without_codes(),
    };
    Rendering {
        nodes,
        // Whatever is left (confirmed, overtaken or unreadable codes) goes.
        plugin_state: ctx.plugin_state.is_some().then(String::new),
    }
}

pub fn submit(ctx: &FlowContext, form: &Form, env: &dyn Env) -> Result<SubmitOutcome, Rejection> {
    let identity_id = ctx.identity.as_ref().map_or("", |i| i.id.as_str());
    // Kratos' order of precedence when a client sends several.
    if form.confirm {
        let Some(pending) = pending(ctx) else {
            return Err(Rejection::flow(messages::generic(
                "You must (re-)generate recovery backup codes before you can save them.",
            )));
        };
        env.log(
            Level::Info,
            "recovery codes confirmed",
            &[("identity_id", identity_id)],
        );
        return Ok(SubmitOutcome::CredentialSet(CredentialWrite {
            identifiers: vec![],
            config_json: Config::from_codes(&pending.codes).to_json(),
        }));
    }
    if form.reveal {
        return Err(Rejection::flow(messages::generic(
            "Backup recovery codes are shown only once, when they are generated, because only \
             their hashes are stored. Generate new codes if you no longer have them.",
        )));
    }
    if form.disable {
        return match ctx.credential {
            Some(_) => {
                env.log(
                    Level::Info,
                    "recovery codes removed",
                    &[("identity_id", identity_id)],
                );
                Ok(SubmitOutcome::CredentialRemoved)
            }
            None => Err(Rejection::flow(messages::no_codes())),
        };
    }
    if form.regenerate {
        let pending = Pending {
            codes: codes::generate(env),
            had_credential: ctx.credential.is_some(),
        };
        return Ok(SubmitOutcome::Rerender(Rendering {
            nodes: nodes::settings_pending(&pending.codes),
            plugin_state: Some(pending.to_json()),
        }));
    }
    Err(Rejection::flow(messages::generic(
        "Choose an action: lookup_secret_regenerate, lookup_secret_confirm or \
         lookup_secret_disable.",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::Lookup;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{Aal, Credential, FlowKind, Identity, NodeAttributes};

    fn ctx(credential: Option<String>, state: Option<String>) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Settings,
            variant: "browser".into(),
            action_url: "http://x/self-service/settings?flow=f".into(),
            refresh: false,
            requested_aal: Aal::Aal1,
            identity: Some(Identity {
                id: "id-1".into(),
                schema_id: "default".into(),
                traits_json: "{}".into(),
                marked_traits: vec![],
            }),
            credential: credential.map(|c| Credential {
                identifiers: vec![],
                config_json: c,
                version: 1,
            }),
            looked_up: None,
            plugin_state: state,
        }
    }

    fn names(r: &Rendering) -> Vec<String> {
        r.nodes
            .iter()
            .map(|n| match &n.attributes {
                NodeAttributes::Input(a) => a.name.clone(),
                NodeAttributes::Text(t) => t.id.clone(),
                _ => String::new(),
            })
            .collect()
    }

    fn submit_json(c: &FlowContext, json: &str, env: &FakeEnv) -> Result<SubmitOutcome, Rejection> {
        submit(c, &Form::parse(json), env)
    }

    #[test]
    fn generate_show_once_confirm() {
        let env = FakeEnv::at(0);
        let empty = ctx(None, None);
        assert_eq!(names(&render(&empty)), ["lookup_secret_regenerate"]);

        let Ok(SubmitOutcome::Rerender(shown)) = submit_json(
            &empty,
            r#"{"method":"lookup_secret","lookup_secret_regenerate":"true"}"#,
            &env,
        ) else {
            panic!("rerender expected")
        };
        assert_eq!(
            names(&shown),
            ["lookup_secret_codes", "lookup_secret_confirm"]
        );
        let state = shown.plugin_state.clone().unwrap();
        let pending = Pending::parse(Some(&state)).unwrap();
        assert_eq!(pending.codes.len(), 12);

        // Rendered again from the state, the same codes.
        let again = render(&ctx(None, Some(state.clone())));
        assert_eq!(again.plugin_state, None);
        assert_eq!(names(&again), names(&shown));
        let NodeAttributes::Text(t) = &again.nodes[0].attributes else {
            panic!()
        };
        assert_eq!(t.text.text, pending.codes.join(", "));

        let Ok(SubmitOutcome::CredentialSet(write)) = submit_json(
            &ctx(None, Some(state.clone())),
            r#"{"lookup_secret_confirm":"true"}"#,
            &env,
        ) else {
            panic!("credential expected")
        };
        assert!(write.identifiers.is_empty());
        for code in &pending.codes {
            assert!(
                !write.config_json.contains(code.as_str()),
                "stored in clear"
            );
        }
        let config = Config::parse(&write.config_json).unwrap();
        assert_eq!(config.find(&pending.codes[5]), Lookup::Unused(5));

        // The host renders again with the new credential and the old state: cleared.
        let after = render(&ctx(Some(write.config_json.clone()), Some(state)));
        assert_eq!(after.plugin_state.as_deref(), Some(""));
        assert_eq!(
            names(&after),
            ["lookup_secret_disable", "lookup_secret_regenerate"]
        );
        // And confirming again is refused.
        let twice = submit_json(
            &ctx(Some(write.config_json), Some(Pending::to_json(&pending))),
            r#"{"lookup_secret_confirm":true}"#,
            &env,
        );
        assert_eq!(twice.err().unwrap().messages[0].id, 4000001);
    }

    #[test]
    fn regenerating_replaces_codes_only_when_confirmed() {
        let env = FakeEnv::at(0);
        let old = Config::from_codes(&["old".to_string()]).to_json();
        let Ok(SubmitOutcome::Rerender(shown)) = submit_json(
            &ctx(Some(old.clone()), None),
            r#"{"lookup_secret_regenerate":true}"#,
            &env,
        ) else {
            panic!()
        };
        let state = shown.plugin_state.unwrap();
        assert!(Pending::parse(Some(&state)).unwrap().had_credential);
        assert_eq!(
            names(&render(&ctx(Some(old.clone()), Some(state.clone())))),
            ["lookup_secret_codes", "lookup_secret_confirm"]
        );
        // Removed meanwhile: the replacement codes are dropped.
        let removed = render(&ctx(None, Some(state)));
        assert_eq!(removed.plugin_state.as_deref(), Some(""));
        assert_eq!(names(&removed), ["lookup_secret_regenerate"]);
    }

    #[test]
    fn disable_reveal_and_nothing() {
        let env = FakeEnv::at(0);
        let stored = Config::from_codes(&["a".to_string()]).to_json();
        assert!(matches!(
            submit_json(
                &ctx(Some(stored.clone()), None),
                r#"{"lookup_secret_disable":"true"}"#,
                &env
            ),
            Ok(SubmitOutcome::CredentialRemoved)
        ));
        let none = submit_json(
            &ctx(None, None),
            r#"{"lookup_secret_disable":"true"}"#,
            &env,
        );
        assert_eq!(none.err().unwrap().messages[0].id, 4000014);
        let reveal = submit_json(
            &ctx(Some(stored), None),
            r#"{"lookup_secret_reveal":"true"}"#,
            &env,
        );
        assert!(reveal.err().unwrap().messages[0].text.contains("only once"));
        let nothing = submit_json(&ctx(None, None), r#"{"method":"lookup_secret"}"#, &env);
        assert_eq!(nothing.err().unwrap().messages[0].id, 4000001);
        let unconfirmable = submit_json(
            &ctx(None, None),
            r#"{"lookup_secret_confirm":"true"}"#,
            &env,
        );
        assert_eq!(unconfirmable.err().unwrap().messages[0].id, 4000001);
        assert!(!env.events.borrow().iter().any(|e| e.contains("code_hash")));
    }
}
