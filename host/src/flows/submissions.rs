//! How many submissions one login flow takes (`selfservice.flows.login.max_submissions`).
//!
//! Each factor limits guesses at its own credential; this keeps a single flow from serving as
//! an endless loop of guesses at anything else, and makes such a loop show in the log. Past the
//! limit the flow is replaced, as an expired one is: the client is told to continue in a new
//! flow, whose messages say why. The count is the store's, so parallel submissions are all
//! counted.

use super::restart;
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::model::{Flow, FlowKind};
use crate::ui;
use serde_json::{Value, json};

/// Counts a submission of `flow`, and passes it while within the limit. Only login flows are
/// limited: a settings flow is rightly submitted again and again, one change after another.
pub async fn count(app: &App, flow: Flow) -> Result<Flow, DomainError> {
    let limit = app.config.selfservice.flows.login.max_submissions;
    if flow.kind != FlowKind::Login || limit == 0 {
        return Ok(flow);
    }
    let count = app.store.count_submission(flow.id).await?;
    if count <= limit {
        return Ok(flow);
    }
    tracing::warn!(
        flow_id = %flow.id,
        limit,
        "a login flow was submitted too often; the client is sent to a new one"
    );
    let mut fresh = restart(app, &flow).await?;
    add_flow_message(&mut fresh.ui, too_many_message(limit));
    app.store.update_flow(&fresh).await?;
    Err(ApiError::too_many_submissions(fresh.id, limit).into())
}

/// 4000001 (Kratos' message that shows its reason as it is), so that every Kratos UI can show
/// it without knowing it.
fn too_many_message(limit: u32) -> Value {
    let reason = format!(
        "The previous sign-in form was submitted {limit} times, the most one form takes. Please try again here."
    );
    ui::message(
        4000001,
        reason.clone(),
        "error",
        Some(json!({ "reason": reason })),
    )
}

/// Adds a message after those the flow shows already (1010004 for a second factor, …).
fn add_flow_message(ui: &mut Value, message: Value) {
    match ui["messages"].as_array_mut() {
        Some(messages) => messages.push(message),
        None => ui["messages"] = json!([message]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_goes_after_those_shown() {
        let mut ui = json!({ "nodes": [] });
        add_flow_message(&mut ui, too_many_message(10));
        assert_eq!(ui["messages"][0]["id"], 4000001);
        assert_eq!(
            ui["messages"][0]["context"]["reason"],
            ui["messages"][0]["text"]
        );
        let mut step_up = json!({ "messages": [{ "id": 1010004 }] });
        add_flow_message(&mut step_up, too_many_message(3));
        let ids: Vec<&Value> = step_up["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["id"])
            .collect();
        assert_eq!(ids, [1010004, 4000001]);
    }
}
