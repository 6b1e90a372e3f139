//! Flows and the sessions they start, as Kratos' JSON.

use crate::app::App;
use crate::domain_error::DomainError;
use crate::identity::wire::{identity_json, session_json};
use crate::model::{Flow, FlowKind, FlowState, Identity, Session};
use serde_json::{Value, json};

/// The flow as Kratos serialises it; settings flows carry their identity.
pub async fn flow_json(app: &App, flow: &Flow) -> Result<Value, DomainError> {
    let mut json = base_flow_json(app, flow);
    if flow.kind == FlowKind::Settings
        && let Some(id) = flow.identity_id
        && let Some(identity) = app.store.get_identity(id).await?
    {
        json["identity"] = crate::identity::wire::identity_json(&identity, &app.public_base);
    }
    Ok(json)
}

/// A recovery or verification flow as Kratos serialises it, for answers that add to it
/// (`continue_with`).
pub fn base_challenge_json(app: &App, flow: &Flow) -> Value {
    base_flow_json(app, flow)
}

fn base_flow_json(app: &App, flow: &Flow) -> Value {
    let mut out = json!({
        "id": flow.id,
        "type": flow.variant.as_str(),
        "expires_at": flow.expires_at,
        "issued_at": flow.issued_at,
        "created_at": flow.issued_at,
        "updated_at": flow.issued_at,
        "request_url": flow.request_url,
        "ui": flow.ui,
        "state": flow.state.as_str(),
        "organization_id": null,
    });
    if let Some(rt) = &flow.return_to {
        out["return_to"] = json!(rt);
    }
    if flow.kind == FlowKind::Login {
        out["refresh"] = json!(flow.refresh);
        out["requested_aal"] = json!(flow.requested_aal.as_str());
    }
    // The method a recovery or verification flow runs, once one has been submitted.
    if let Some(challenge) = app.config.selfservice.flows.challenge(flow.kind)
        && flow.state != FlowState::ChooseMethod
    {
        out["active"] = json!(challenge.method);
    }
    out
}

/// The body of a submission that started a session, as Kratos answers it: a login gives the
/// session, a registration the identity too.
pub fn session_started(app: &App, kind: FlowKind, session: &Session, identity: &Identity) -> Value {
    let public = &app.public_base;
    let session = session_json(session, identity, public, app.now());
    match kind {
        FlowKind::Registration => json!({
            "identity": identity_json(identity, public),
            "session": session,
        }),
        _ => json!({ "session": session }),
    }
}
