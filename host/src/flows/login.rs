//! Login. A first factor names the identifier it needs, the host finds that credential, the
//! plugin verifies, and the host starts a session. A second factor (a flow started with
//! `aal=aal2`) proves more about the session's own identity and upgrades that same session.
//! Any credential update the plugin returns is stored in the same write as the session; one
//! that comes with a rejection (a failed-attempt counter) is stored on its own. Attempts on one
//! credential are evaluated one at a time (see
//! [`lock_credential`](crate::store::CredentialRepository::lock_credential)).

use super::throttle::{self, Counts};
use super::{keep_rejected_update, plugin_context, plugin_input, reject_for_plugin};
use crate::aal;
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::flows::outcome::Submitted;
use crate::model::{Aal, Credential, Flow, FlowKind, FlowState, Identity, IdentityState, Session};
use crate::plugin::{CredentialWrite, Factor, FactorRole, Rejection, SubmitOutcome};
use crate::sessions::{self, ActiveSession, ClientInfo};
use crate::ui;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The plugin for the submitted `method`: it must join login flows and play the role the flow
/// asks for (a second factor for `aal=aal2`, a first factor otherwise).
fn factor_for(app: &App, flow: &Flow, input: &Map<String, Value>) -> Result<Arc<Factor>, ApiError> {
    let method = input
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("the submission has no `method` field"))?;
    let role = match flow.requested_aal {
        Aal::Aal2 => FactorRole::Second,
        Aal::Aal1 => FactorRole::First,
    };
    app.factors
        .get(method)
        .filter(|f| f.joins(FlowKind::Login) && f.info.role == role)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Could not find a strategy to handle method `{method}` in this login flow"
            ))
        })
}

pub async fn submit(
    app: &App,
    flow: Flow,
    input: Map<String, Value>,
    client: &ClientInfo,
    current: Option<ActiveSession>,
) -> Result<Submitted, DomainError> {
    let factor = factor_for(app, &flow, &input)?;
    if flow.requested_aal == Aal::Aal2 {
        let active = current
            .filter(|c| Some(c.session.id) == flow.session_id)
            .ok_or_else(|| {
                ApiError::session_inactive().with_reason(
                    "A second factor can only be added to the session that started this flow.",
                )
            })?;
        return second_factor(app, flow, input, factor, active).await;
    }
    first_factor(app, flow, input, factor, client, current).await
}

/// What a plugin's verdict leads to: go on with the flow and this credential update, or the
/// flow shown again with the plugin's messages.
enum Verdict {
    Accepted(Box<Flow>, Option<CredentialWrite>),
    Rejected(Submitted),
}

/// `given` is the credential the plugin was shown, which a rejection may update.
async fn verdict(
    app: &App,
    factor: &Factor,
    flow: Flow,
    input: &Map<String, Value>,
    outcome: Result<SubmitOutcome, Rejection>,
    given: Option<&Credential>,
) -> Result<Verdict, DomainError> {
    match outcome {
        Ok(SubmitOutcome::Authenticated(auth)) => {
            Ok(Verdict::Accepted(Box::new(flow), auth.credential_update))
        }
        Ok(_) => Err(ApiError::internal(format!(
            "plugin `{}` answered a login with an outcome login does not support",
            factor.name()
        ))
        .into()),
        Err(mut rejection) => {
            keep_rejected_update(app, factor, given, rejection.credential_update.take()).await?;
            let flow = reject_for_plugin(app, factor, flow, input, &rejection).await?;
            Ok(Verdict::Rejected(Submitted::Rejected { flow }))
        }
    }
}

fn updated_credential(
    credential: &Credential,
    write: CredentialWrite,
    now: chrono::DateTime<chrono::Utc>,
) -> (Credential, u32) {
    (
        Credential {
            identifiers: write.identifiers,
            config: write.config_json,
            updated_at: now,
            ..credential.clone()
        },
        credential.version,
    )
}

async fn first_factor(
    app: &App,
    flow: Flow,
    input: Map<String, Value>,
    factor: Arc<Factor>,
    client: &ClientInfo,
    current: Option<ActiveSession>,
) -> Result<Submitted, DomainError> {
    let mut counts = Counts::of(client);
    throttle::check_address(app, &counts).await?;
    let input_json = plugin_input(&input);
    let ctx = plugin_context(app, &flow, factor.id(), None, None);
    let mut outcome = match factor.submit(ctx, input_json.clone()).await? {
        Ok(SubmitOutcome::Redirect(to)) => {
            return super::external::redirect(app, flow, &factor, to).await;
        }
        other => other,
    };
    let mut found = None;
    let mut _turn = None;
    if let Ok(SubmitOutcome::NeedCredential(identifier)) = &outcome {
        found = app
            .store
            .find_by_identifier(factor.id(), identifier)
            .await?;
        if let Some((identity, _)) = found.take() {
            // The credential is read again in its turn: the one before may have changed it.
            _turn = Some(app.store.lock_credential(identity.id, factor.id()).await?);
            let id = identity.id;
            found = app
                .store
                .credential(id, factor.id())
                .await?
                .map(|credential| (identity, credential));
        }
        counts.add_identifier(factor.id(), identifier);
        let whose = found.as_ref().map(|(i, _)| i.id);
        throttle::check_identifier(app, &counts, whose, client).await?;
        let mut ctx = plugin_context(
            app,
            &flow,
            factor.id(),
            found.as_ref().map(|(i, _)| i),
            found.as_ref().map(|(_, c)| c),
        );
        ctx.looked_up = Some(identifier.clone());
        outcome = factor.submit(ctx, input_json).await?;
        if let Ok(SubmitOutcome::NeedCredential(_)) = outcome {
            return Err(ApiError::internal(format!(
                "plugin `{}` asked for a credential twice",
                factor.name()
            ))
            .into());
        }
    }
    let given = found.as_ref().map(|(_, c)| c);
    let (flow, update) = match verdict(app, &factor, flow, &input, outcome, given).await? {
        Verdict::Accepted(flow, update) => (*flow, update),
        Verdict::Rejected(shown) => {
            if counts.names_identifier() {
                throttle::failed(app, &counts).await?;
            }
            return Ok(shown);
        }
    };
    throttle::succeeded(app, &counts).await?;
    let Some((identity, credential)) = found else {
        return Err(ApiError::internal(format!(
            "plugin `{}` accepted a login without naming whose credential it checked",
            factor.name()
        ))
        .into());
    };
    if identity.state != IdentityState::Active {
        return Err(ApiError::identity_disabled().into());
    }
    let after = &app.config.selfservice.flows.login.after;
    if after.has_hook(factor.id(), "require_verified_address")
        && !identity.verifiable_addresses.iter().any(|a| a.verified)
    {
        let message = ui::message(
            4000010,
            "Account not active yet. Did you forget to verify your email address?",
            "error",
            None,
        );
        return Ok(Submitted::Rejected {
            flow: super::reject(app, flow, &input, vec![message], vec![]).await?,
        });
    }
    let now = app.now();
    let method_aal = factor.info.aal;
    // A refresh by the same identity renews the session it already has; anyone else gets a
    // session of their own.
    let (session, token, is_new) =
        match current.filter(|c| flow.refresh && c.identity.id == identity.id) {
            Some(active) => {
                let mut session = active.session;
                aal::record(&mut session, factor.id(), method_aal, now);
                let token = sessions::renewed_token(app, &mut session, active.token);
                (session, token, false)
            }
            None => {
                let (session, token) =
                    sessions::start(app, identity.id, factor.id(), method_aal, client);
                (session, token, true)
            }
        };
    let update = update.map(|write| updated_credential(&credential, write, now));
    commit(app, flow, update, session, identity, token, is_new).await
}

async fn second_factor(
    app: &App,
    flow: Flow,
    input: Map<String, Value>,
    factor: Arc<Factor>,
    active: ActiveSession,
) -> Result<Submitted, DomainError> {
    let _turn = app
        .store
        .lock_credential(active.identity.id, factor.id())
        .await?;
    let credential = app
        .store
        .credential(active.identity.id, factor.id())
        .await?;
    let ctx = plugin_context(
        app,
        &flow,
        factor.id(),
        Some(&active.identity),
        credential.as_ref(),
    );
    let outcome = factor.submit(ctx, plugin_input(&input)).await?;
    let given = credential.as_ref();
    let (flow, update) = match verdict(app, &factor, flow, &input, outcome, given).await? {
        Verdict::Accepted(flow, update) => (*flow, update),
        Verdict::Rejected(shown) => return Ok(shown),
    };
    let now = app.now();
    let update = match (update, &credential) {
        (Some(write), Some(c)) => Some(updated_credential(c, write, now)),
        (Some(_), None) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` updated a credential the identity does not have",
                factor.name()
            ))
            .into());
        }
        (None, _) => None,
    };
    let mut session = active.session;
    aal::record(&mut session, factor.id(), factor.info.aal, now);
    let token = sessions::renewed_token(app, &mut session, active.token);
    commit(app, flow, update, session, active.identity, token, false).await
}

pub(super) async fn commit(
    app: &App,
    flow: Flow,
    update: Option<(Credential, u32)>,
    session: Session,
    identity: Identity,
    token: String,
    is_new: bool,
) -> Result<Submitted, DomainError> {
    let mut flow = flow;
    flow.state = FlowState::PassedChallenge;
    // Stored with the session: a spent challenge (a nonce, a WebAuthn challenge) is gone
    // once the flow has done its work.
    flow.plugin_state.clear();
    let update = update.as_ref().map(|(c, v)| (c, *v));
    let session = app
        .store
        .commit_authentication(update, &session, is_new, Some(&flow))
        .await?;
    Ok(Submitted::SessionStarted {
        session: Box::new(session),
        identity: Box::new(identity),
        token,
    })
}
