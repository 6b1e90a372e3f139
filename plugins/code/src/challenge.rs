//! Sending a code and checking it.

use crate::nodes::{CODE_LENGTH, ask_for_code};
use crate::settings::Settings;
use crate::{METHOD, texts};
use latchkey_plugin_sdk::challenge::{Pending, courier_refusal, random_digits};
use latchkey_plugin_sdk::config::to_json;
use latchkey_plugin_sdk::form::Input;
use latchkey_plugin_sdk::messages::{generic, missing};
use latchkey_plugin_sdk::types::{
    FlowContext, FlowKind, IssuedChallenge, Rejection, Rendering, SubmitOutcome,
};
use latchkey_plugin_sdk::{Env, Level, Message};
use serde_json::json;

/// A submission: an `email` (re)sends a code to it; otherwise the `code` is checked.
pub fn submit(
    ctx: &FlowContext,
    input_json: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let input = Input::parse(input_json);
    let address = input.trimmed("email");
    if !address.is_empty() {
        return send(ctx, &address, settings, env);
    }
    if ctx.plugin_state.as_deref().is_none_or(str::is_empty) {
        return Err(Rejection::on_node("email", missing("email")));
    }
    check(ctx, &input.code("code"), env)
}

fn send(
    ctx: &FlowContext,
    address: &str,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let code = new_code(env);
    let (template, variable) = match ctx.kind {
        FlowKind::Verification => ("verification_code", "VerificationCode"),
        _ => ("recovery_code", "RecoveryCode"),
    };
    let mut data = json!({ variable: code, "ExpiresInMinutes": settings.lifespan / 60 });
    if ctx.kind == FlowKind::Verification {
        // Kratos' verification mail links to the flow with the code filled in.
        data["VerificationURL"] = format!("{}&code={code}", ctx.action_url).into();
    }
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
            "the courier refused a code",
            &[("reason", &reason)],
        );
        return Err(Rejection::flow(generic(&format!(
            "The code could not be sent: {reason}."
        ))));
    }
    let pending = Pending::new(&ctx.flow_id, &code, env.now() + settings.lifespan);
    Ok(SubmitOutcome::Rerender(Rendering {
        nodes: ask_for_code(ctx.kind, address),
        plugin_state: Some(to_json(&pending)),
    }))
}

fn check(ctx: &FlowContext, code: &str, env: &dyn Env) -> Result<SubmitOutcome, Rejection> {
    if code.is_empty() {
        return Err(Rejection::on_node("code", missing("code")));
    }
    let pending = Pending::parse(ctx.plugin_state.as_deref());
    if pending.is_some_and(|p| p.accepts(&ctx.flow_id, code, env.now())) {
        Ok(SubmitOutcome::ChallengePassed)
    } else {
        Err(Rejection::flow(texts::invalid_code(ctx.kind)))
    }
}

/// A code for an administrator to hand over: the same code, kept the same way, sent nowhere.
/// It lives as long as its flow, whose expiry the administrator chose (`expires_in`).
pub fn issue(ctx: &FlowContext, env: &dyn Env) -> Result<IssuedChallenge, Rejection> {
    let code = new_code(env);
    let pending = Pending::new(&ctx.flow_id, &code, i64::MAX);
    let mut nodes = ask_for_code(ctx.kind, "");
    // No address to send a new code to: the administrator issues one.
    nodes.retain(|n| !is_resend(n));
    Ok(IssuedChallenge {
        secret: code,
        plugin_state: to_json(&pending),
        nodes,
    })
}

fn is_resend(node: &latchkey_plugin_sdk::types::UiNode) -> bool {
    matches!(&node.attributes, latchkey_plugin_sdk::types::NodeAttributes::Input(a) if a.name == "email")
}

fn new_code(env: &dyn Env) -> String {
    random_digits(env, CODE_LENGTH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::Aal;

    fn ctx(kind: FlowKind, state: Option<String>) -> FlowContext {
        FlowContext {
            flow_id: "flow-1".into(),
            kind,
            variant: "api".into(),
            action_url: "http://127.0.0.1:4433/self-service/verification?flow=flow-1".into(),
            refresh: false,
            requested_aal: Aal::Aal1,
            identity: None,
            credential: None,
            looked_up: None,
            plugin_state: state,
        }
    }

    fn settings() -> Settings {
        Settings { lifespan: 900 }
    }

    /// Sends a code and returns it (read from the message) with the state to keep.
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
        let data: serde_json::Value = serde_json::from_str(&message.data_json).unwrap();
        let variable = match kind {
            FlowKind::Verification => "VerificationCode",
            _ => "RecoveryCode",
        };
        (
            data[variable].as_str().unwrap().to_string(),
            rendering.plugin_state.unwrap(),
        )
    }

    #[test]
    fn the_mailed_code_passes_the_challenge_until_it_expires() {
        let env = FakeEnv::at(1_000).with_seed(7);
        let (code, state) = sent(FlowKind::Recovery, &env);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert!(!state.contains(&code), "the code is kept hashed");
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(state.clone())),
            &format!(r#"{{"code":"{code}"}}"#),
            &settings(),
            &env,
        );
        assert_eq!(answer, Ok(SubmitOutcome::ChallengePassed));
        env.advance(901);
        let late = submit(
            &ctx(FlowKind::Recovery, Some(state)),
            &format!(r#"{{"code":"{code}"}}"#),
            &settings(),
            &env,
        );
        assert_eq!(late.unwrap_err().messages[0].id, 4060006);
    }

    #[test]
    fn a_wrong_code_or_one_from_another_flow_fails() {
        let env = FakeEnv::at(0).with_seed(1);
        let (code, state) = sent(FlowKind::Verification, &env);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let answer = submit(
            &ctx(FlowKind::Verification, Some(state.clone())),
            &format!(r#"{{"code":"{wrong}"}}"#),
            &settings(),
            &env,
        );
        assert_eq!(answer.unwrap_err().messages[0].id, 4070006);
        let mut other = ctx(FlowKind::Verification, Some(state));
        other.flow_id = "flow-2".into();
        let answer = submit(
            &other,
            &format!(r#"{{"code":"{code}"}}"#),
            &settings(),
            &env,
        );
        assert!(answer.is_err());
    }

    #[test]
    fn a_resend_replaces_the_code() {
        let env = FakeEnv::at(0).with_seed(3);
        let (first, _) = sent(FlowKind::Recovery, &env);
        let (second, state) = sent(FlowKind::Recovery, &env);
        assert_ne!(first, second);
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(state)),
            &format!(r#"{{"code":"{first}"}}"#),
            &settings(),
            &env,
        );
        assert!(answer.is_err());
    }

    #[test]
    fn verification_mail_links_to_the_flow_with_the_code() {
        let env = FakeEnv::at(0).with_seed(9);
        let (code, _) = sent(FlowKind::Verification, &env);
        let message = env.messages.borrow().last().cloned().unwrap();
        assert_eq!(message.template, "verification_code");
        let data: serde_json::Value = serde_json::from_str(&message.data_json).unwrap();
        assert_eq!(
            data["VerificationURL"],
            format!("http://127.0.0.1:4433/self-service/verification?flow=flow-1&code={code}")
        );
    }

    #[test]
    fn nothing_to_check_before_a_code_was_sent() {
        let env = FakeEnv::at(0);
        let answer = submit(
            &ctx(FlowKind::Recovery, None),
            r#"{"code":"123456"}"#,
            &settings(),
            &env,
        );
        assert_eq!(answer.unwrap_err().node_messages[0].0, "email");
    }

    #[test]
    fn an_issued_code_works_once_kept() {
        let env = FakeEnv::at(0).with_seed(5);
        let issued = issue(&ctx(FlowKind::Recovery, None), &env).unwrap();
        assert!(
            env.messages.borrow().is_empty(),
            "an issued code is not mailed"
        );
        let answer = submit(
            &ctx(FlowKind::Recovery, Some(issued.plugin_state)),
            &format!(r#"{{"code":"{}"}}"#, issued.secret),
            &settings(),
            &env,
        );
        assert_eq!(answer, Ok(SubmitOutcome::ChallengePassed));
    }
}
