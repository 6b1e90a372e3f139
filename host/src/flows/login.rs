//! Login: the plugin names the identifier it needs, the host finds that credential, the plugin
//! verifies, and the host starts a session — storing any credential update in the same write.

use super::registration::finish_flow;
use super::{plugin_context, plugin_input, reject, rejection_messages, submitted_method};
use crate::app::App;
use crate::error::ApiError;
use crate::flows::host_aal;
use crate::flows::outcome::Submitted;
use crate::identity::wire::session_json;
use crate::model::{Credential, Flow, FlowKind, IdentityState};
use crate::plugin::types::SubmitOutcome;
use crate::sessions::{self, ClientInfo};
use serde_json::{Map, Value, json};

pub async fn submit(
    app: &App,
    flow: Flow,
    input: Map<String, Value>,
    client: &ClientInfo,
) -> Result<Submitted, ApiError> {
    let factor = submitted_method(app, &input, FlowKind::Login)?.clone();
    let input_json = plugin_input(&input);
    let ctx = plugin_context(app, &flow, factor.id(), None, None);
    let mut outcome = factor.submit(ctx, input_json.clone()).await?;
    let mut found = None;

    if let Ok(SubmitOutcome::NeedCredential(identifier)) = &outcome {
        let (method, identifier) = (factor.id().to_string(), identifier.clone());
        let lookup = identifier.clone();
        found = app
            .db(move |s| s.find_by_identifier(&method, &lookup))
            .await?;
        let mut ctx = plugin_context(
            app,
            &flow,
            factor.id(),
            found.as_ref().map(|(i, _)| i),
            found.as_ref().map(|(_, c)| c),
        );
        ctx.looked_up = Some(identifier);
        outcome = factor.submit(ctx, input_json).await?;
    }

    let update = match outcome {
        Ok(SubmitOutcome::Authenticated(auth)) => auth.credential_update,
        Ok(SubmitOutcome::NeedCredential(_)) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` asked for a credential twice",
                factor.name()
            )));
        }
        Ok(_) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` answered a login with an outcome login does not support",
                factor.name()
            )));
        }
        Err(rejection) => {
            let (flow_msgs, node_msgs) = rejection_messages(&rejection);
            return Ok(Submitted::Rejected {
                flow: reject(app, flow, &input, flow_msgs, node_msgs).await?,
            });
        }
    };
    let Some((identity, credential)) = found else {
        return Err(ApiError::internal(format!(
            "plugin `{}` accepted a login without naming whose credential it checked",
            factor.name()
        )));
    };
    if identity.state != IdentityState::Active {
        return Err(
            ApiError::forbidden("The identity is disabled and can not sign in.")
                .with_id("session_identity_disabled"),
        );
    }

    let (session, token) = sessions::start(
        app,
        identity.id,
        factor.id(),
        host_aal(factor.info.aal),
        client,
    );
    let now = app.now();
    let credential_update = update.map(|write| {
        let expected = credential.version;
        (
            Credential {
                identifiers: write.identifiers,
                config: write.config_json,
                updated_at: now,
                ..credential
            },
            expected,
        )
    });
    let stored = session.clone();
    app.db(move |s| {
        s.commit_authentication(
            credential_update.as_ref().map(|(c, v)| (c, *v)),
            &stored,
            true,
        )
    })
    .await?;
    finish_flow(app, flow).await?;
    let body = json!({ "session": session_json(&session, &identity, &app.public_base, now) });
    Ok(Submitted::SessionStarted {
        session,
        identity,
        token,
        body,
    })
}
