//! Sending a link and checking the token it carries.

use crate::nodes::ask_for_address;
use crate::settings::Settings;
use crate::{METHOD, texts};
use latchkey_plugin_sdk::challenge::{Pending, courier_refusal, random_token};
use latchkey_plugin_sdk::config::to_json;
use latchkey_plugin_sdk::form::Input;
use latchkey_plugin_sdk::messages::{generic, missing};
use latchkey_plugin_sdk::types::{
    FlowContext, FlowKind, IssuedChallenge, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Level, Message};
use serde_json::json;

/// Random bytes in a token: 256 bits, so that guessing needs no attempt limit.
const TOKEN_BYTES: u32 = 32;

/// A submission: a `token` (the followed link) is checked; otherwise an `email` gets a link.
pub fn submit(
    ctx: &FlowContext,
    input_json: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let input = Input::parse(input_json);
    let token = input.trimmed("token");
    if !token.is_empty() {
        return check(ctx, &token, env);
    }
    let address = input.trimmed("email");
    if address.is_empty() {
        return Err(Rejection::on_node("email", missing("email")));
    }
    send(ctx, &address, settings, env)
}

fn send(
    ctx: &FlowContext,
    address: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let token = random_token(env, TOKEN_BYTES);
    let (template, variable) = match ctx.kind {
        FlowKind::Verification => ("verification", "VerificationURL"),
        _ => ("recovery", "RecoveryURL"),
    };
    let data = json!({
        variable: link(ctx, &token),
        "ExpiresInMinutes": settings.lifespan / 60,
    });
    let message = Message {
        channel: "email".into(),
        recipient: address.into(),
        template: template.into(),
        data_json: data.to_string(),
    };
    if let Err(err) = env.send_message(message) {
        let reason = courier_refusal(METHOD, &err);
        env.log(
            Level::Warn,
            "the courier refused a link",
            &[("reason", &reason)],
        );
        return Err(Rejection::flow(generic(&format!(
            "The link could not be sent: {reason}."
        ))));
    }
    let pending = Pending::new(&ctx.flow_id, &token, env.now() + settings.lifespan);
    // Kratos shows the same form again, so that another link can be asked for.
    Ok(SubmitOutcome::Rerender(Rendering {
        nodes: ask_for_address(address),
        plugin_state: Some(to_json(&pending)),
    }))
}

/// The flow's own URL (which carries `?flow=`) with the token: following it submits the flow.
fn link(ctx: &FlowContext, token: &str) -> String {
    format!("{}&token={token}", ctx.action_url)
}

fn check(ctx: &FlowContext, token: &str, env: &dyn Env) -> Result<SubmitOutcome, Rejection> {
    let pending = Pending::parse(ctx.plugin_state.as_deref());
    if pending.is_some_and(|p| p.accepts(&ctx.flow_id, token, env.now())) {
        Ok(SubmitOutcome::ChallengePassed)
    } else {
        Err(Rejection::flow(texts::invalid_token(ctx.kind)))
    }
}

/// A link for an administrator to hand over: a token kept like a mailed one, sent nowhere.
/// It lives as long as its flow, whose expiry the administrator chose (`expires_in`).
pub fn issue(ctx: &FlowContext, env: &dyn Env) -> Result<IssuedChallenge, Rejection> {
    let token = random_token(env, TOKEN_BYTES);
    let pending = Pending::new(&ctx.flow_id, &token, i64::MAX);
    Ok(IssuedChallenge {
        secret: link(ctx, &token),
        plugin_state: to_json(&pending),
        nodes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::{FakeEnv, context};

    fn settings() -> Settings {
        Settings { lifespan: 3600 }
    }

    fn ctx(kind: FlowKind, state: Option<&str>) -> FlowContext {
        let mut ctx = context(kind).build();
        ctx.plugin_state = state.map(str::to_string);
        ctx
    }

    /// Sends a link and returns its URL (read from the message) with the state to keep.
    fn sent(kind: FlowKind, env: &FakeEnv) -> (String, String) {
        let outcome = submit(
            &ctx(kind, None),
            r#"{"email":" A@example.com "}"#,
            &settings(),
            env,
        )
        .unwrap();
        let SubmitOutcome::Rerender(rendering) = outcome else {
            panic!("not a rerender: {outcome:?}")
        };
        let message = env.messages.borrow().last().cloned().unwrap();
        assert_eq!(message.recipient, "A@example.com");
        assert_eq!(message.channel, "email");
        let data: serde_json::Value = serde_json::from_str(&message.data_json).unwrap();
        assert_eq!(data["ExpiresInMinutes"], 60);
        let (template, variable) = match kind {
            FlowKind::Verification => ("verification", "VerificationURL"),
            _ => ("recovery", "RecoveryURL"),
        };
        assert_eq!(message.template, template);
        (
            data[variable].as_str().unwrap().to_string(),
            rendering.plugin_state.unwrap(),
        )
    }

    fn token_of(url: &str) -> &str {
        url.split_once("&token=").unwrap().1
    }

    fn with_token(token: &str) -> String {
        json!({ "method": "link", "token": token }).to_string()
    }

    #[test]
    fn the_mailed_link_passes_the_challenge_until_it_expires() {
        let env = FakeEnv::at(1_000).with_seed(7);
        let (url, state) = sent(FlowKind::Recovery, &env);
        assert!(
            url.starts_with("http://127.0.0.1:4433/self-service/recovery?flow=flow-1&token="),
            "{url}"
        );
        let token = token_of(&url);
        assert_eq!(token.len(), 64, "32 random bytes in hex");
        assert!(!state.contains(token), "the token is kept hashed");
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(&state)),
            &with_token(token),
            &settings(),
            &env,
        );
        assert_eq!(answer, Ok(SubmitOutcome::ChallengePassed));
        env.advance(3601);
        let late = submit(
            &ctx(FlowKind::Recovery, Some(&state)),
            &with_token(token),
            &settings(),
            &env,
        );
        assert_eq!(late.unwrap_err().messages[0].id, 4060004);
    }

    #[test]
    fn a_wrong_token_or_one_from_another_flow_fails() {
        let env = FakeEnv::at(0).with_seed(1);
        let (url, state) = sent(FlowKind::Verification, &env);
        let wrong = submit(
            &ctx(FlowKind::Verification, Some(&state)),
            &with_token(&"0".repeat(64)),
            &settings(),
            &env,
        );
        assert_eq!(wrong.unwrap_err().messages[0].id, 4070001);
        let mut other = ctx(FlowKind::Verification, Some(&state));
        other.flow_id = "flow-2".into();
        let foreign = submit(&other, &with_token(token_of(&url)), &settings(), &env);
        assert_eq!(foreign.unwrap_err().messages[0].id, 4070001);
        let nothing_sent = submit(
            &ctx(FlowKind::Verification, None),
            &with_token(token_of(&url)),
            &settings(),
            &env,
        );
        assert!(nothing_sent.is_err());
    }

    #[test]
    fn a_new_mail_replaces_the_link() {
        let env = FakeEnv::at(0).with_seed(3);
        let (first, _) = sent(FlowKind::Recovery, &env);
        let (second, state) = sent(FlowKind::Recovery, &env);
        assert_ne!(first, second);
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(&state)),
            &with_token(token_of(&first)),
            &settings(),
            &env,
        );
        assert!(answer.is_err());
    }

    #[test]
    fn the_form_is_shown_again_with_the_address() {
        let env = FakeEnv::at(0).with_seed(2);
        let outcome = submit(
            &ctx(FlowKind::Recovery, None),
            r#"{"method":"link","email":"a@example.com"}"#,
            &settings(),
            &env,
        );
        let Ok(SubmitOutcome::Rerender(rendering)) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(rendering.nodes, ask_for_address("a@example.com"));
    }

    #[test]
    fn an_empty_submission_asks_for_the_address() {
        let env = FakeEnv::at(0);
        let answer = submit(
            &ctx(FlowKind::Recovery, None),
            r#"{"method":"link"}"#,
            &settings(),
            &env,
        );
        let rejection = answer.unwrap_err();
        assert_eq!(rejection.node_messages[0].0, "email");
        assert_eq!(rejection.node_messages[0].1.id, 4000002);
        assert!(env.messages.borrow().is_empty());
    }

    #[test]
    fn without_a_courier_grant_nothing_is_kept() {
        struct NoCourier(FakeEnv);
        impl Env for NoCourier {
            fn random(&self, len: u32) -> Vec<u8> {
                self.0.random(len)
            }
            fn now(&self) -> i64 {
                self.0.now()
            }
            fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
                self.0.log(level, message, fields)
            }
            fn settings(&self) -> String {
                self.0.settings()
            }
        }
        let env = NoCourier(FakeEnv::at(0));
        let answer = submit(
            &ctx(FlowKind::Recovery, None),
            r#"{"email":"a@example.com"}"#,
            &settings(),
            &env,
        );
        let rejection = answer.unwrap_err();
        assert!(rejection.messages[0].text.contains("courier grant"));
        let logged = env.0.events.borrow().join("\n");
        assert!(logged.contains("courier grant"), "{logged}");
    }

    #[test]
    fn an_issued_link_is_the_whole_url_and_works_kept() {
        let env = FakeEnv::at(0).with_seed(5);
        let issued = issue(&ctx(FlowKind::Recovery, None), &env).unwrap();
        assert!(
            env.messages.borrow().is_empty(),
            "an issued link is not mailed"
        );
        assert!(
            issued
                .secret
                .starts_with("http://127.0.0.1:4433/self-service/recovery?flow=flow-1&token="),
            "{}",
            issued.secret
        );
        assert!(issued.nodes.is_empty());
        let token = token_of(&issued.secret);
        assert!(!issued.plugin_state.contains(token));
        env.advance(10 * 365 * 24 * 3600);
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(&issued.plugin_state)),
            &with_token(token),
            &settings(),
            &env,
        );
        assert_eq!(answer, Ok(SubmitOutcome::ChallengePassed));
    }
}
