//! Signing in through a third party (OpenID Connect). A plugin answers a submission with a
//! `redirect`: its state waits in the flow and the browser goes to the provider, which sends it
//! back to `/self-service/methods/<method>/callback/<key>`. The plugin then names the subject
//! the provider vouched for. On a login or registration flow a known subject signs in and an
//! unknown one signs up; on a settings flow the subject is linked to the signed-in identity.
//!
//! Nothing is merged silently: a subject whose traits name an identifier that another identity
//! already signs in with is refused, and the user is told to sign in and link instead.

use super::outcome::Submitted;
use super::registration::{self, Enrolment};
use super::{FlowStart, keep_plugin_state, plugin_context, reject, reject_for_plugin};
use crate::app::App;
use crate::browser::csrf;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::flows::{self, settings};
use crate::identity::schema::IdentitySchema;
use crate::model::{Aal, Credential, Flow, FlowKind, FlowVariant, IdentityState};
use crate::plugin::{ExternalSubject, Factor, Redirect, SubmitOutcome};
use crate::sessions::{self, ActiveSession, ClientInfo};
use crate::ui;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// A subject the provider vouched for whose traits were incomplete: kept in the registration
/// flow (never shown) until the user fills in what is missing.
#[derive(Serialize, Deserialize)]
struct Pending {
    key: String,
    identifiers: Vec<String>,
    config: String,
}

impl Pending {
    fn enrolment(self, schema: &IdentitySchema, traits: Value, factor: &Factor) -> Enrolment {
        Enrolment {
            schema_id: schema.id.clone(),
            traits,
            method: factor.id().to_string(),
            identifiers: self.identifiers,
            config: self.config,
            aal: factor.info.aal,
            provider: Some(self.key),
        }
    }
}

/// Where a pending sign-up waits: beside the plugin's own state, under a key no method id can
/// take (ids are lowercase letters, digits and `_`), so plugins never see it.
fn pending_key(method: &str) -> String {
    format!("{method}#pending")
}

/// A plugin sends the browser away. Only browsers can come back, so API flows cannot use it.
pub async fn redirect(
    app: &App,
    mut flow: Flow,
    factor: &Factor,
    redirect: Redirect,
) -> Result<Submitted, DomainError> {
    if flow.variant == FlowVariant::Api {
        return Err(ApiError::bad_request(format!(
            "The `{}` method signs in through a browser; start a browser flow (`/self-service/{}/browser`) instead of an API flow.",
            factor.id(),
            flow.kind.as_str()
        )).into());
    }
    let target = url::Url::parse(&redirect.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    let Some(target) = target else {
        return Err(ApiError::internal(format!(
            "plugin `{}` redirected to something that is not an http(s) URL",
            factor.name()
        ))
        .into());
    };
    if redirect.plugin_state.is_empty() {
        return Err(ApiError::internal(format!(
            "plugin `{}` redirected without state to check the callback against",
            factor.name()
        ))
        .into());
    }
    keep_plugin_state(&mut flow, factor.id(), Some(redirect.plugin_state));
    app.store.update_flow(&flow).await?;
    Ok(Submitted::Redirect {
        to: target.to_string(),
        flow_id: flow.id,
        expires_at: flow.expires_at,
    })
}

/// What the browser's return from the provider carries.
pub struct Callback<'a> {
    pub factor: Arc<Factor>,
    pub key: String,
    pub query: Vec<(String, String)>,
    /// The flow the continuity cookie names; `None` when the browser has no valid one.
    pub flow_id: Option<Uuid>,
    /// The browser's CSRF token: the flow must have been started by this browser.
    pub csrf_cookie: Option<String>,
    pub current: Option<ActiveSession>,
    pub client: &'a ClientInfo,
}

/// A callback's result, with the flow whose page the browser sees next (a login whose
/// subject needs more traits continues as a registration).
pub struct Completed {
    pub submitted: Submitted,
    pub kind: FlowKind,
    pub return_to: Option<String>,
    pub ui_url: String,
}

/// An expired flow sends the browser on to the fresh flow the error names.
async fn to_fresh_flow(app: &App, kind: FlowKind, err: DomainError) -> DomainError {
    let DomainError::FlowExpired { fresh, .. } = &err else {
        return err;
    };
    let fresh = app
        .store
        .get_flow(*fresh)
        .await
        .ok()
        .flatten()
        .filter(|f| f.kind == kind);
    match fresh {
        Some(flow) => {
            let to = flows::ui_url(app, &flow);
            ApiError::from(err)
                .with_extra("redirect_browser_to", to)
                .into()
        }
        None => err,
    }
}

fn no_flow() -> ApiError {
    ApiError::bad_request(
        "This sign-in cannot be matched to a flow in this browser: it was started elsewhere, finished already, or its cookie expired. Please start again.",
    )
    .with_id("self_service_flow_missing")
}

pub async fn callback(app: &App, cb: Callback<'_>) -> Result<Completed, DomainError> {
    let method = cb.factor.id().to_string();
    let flow_id = cb.flow_id.ok_or_else(no_flow)?;
    let flow = app
        .store
        .get_flow(flow_id)
        .await?
        .filter(|f| f.variant == FlowVariant::Browser)
        .filter(|f| {
            let cookie = cb.csrf_cookie.as_deref();
            csrf::matches(cookie, f.csrf_token.as_deref(), cookie)
        })
        .ok_or_else(no_flow)?;
    let kind = flow.kind;
    let mut flow = match flows::ensure_submittable(app, flow).await {
        Ok(flow) => flow,
        Err(err) => return Err(to_fresh_flow(app, kind, err).await),
    };
    // The state is spent by this callback whatever it leads to: a replay finds none.
    let state = flow.plugin_state.remove(&method);
    app.store.update_flow(&flow).await?;

    let active = match flow.kind {
        FlowKind::Settings => {
            let active = cb.current.clone().ok_or_else(ApiError::session_inactive)?;
            if flow.identity_id != Some(active.identity.id) {
                return Err(ApiError::forbidden(
                    "This settings flow belongs to another identity; initialize a new one.",
                )
                .with_id("security_identity_mismatch")
                .into());
            }
            Some(active)
        }
        _ => None,
    };
    let identity = active.as_ref().map(|a| a.identity.clone());
    let credential = match &identity {
        Some(i) => app.store.credential(i.id, &method).await?,
        None => None,
    };
    let mut ctx = plugin_context(app, &flow, &method, identity.as_ref(), credential.as_ref());
    ctx.plugin_state = state;
    let outcome = cb
        .factor
        .callback(ctx, cb.key.clone(), cb.query.clone())
        .await?;
    let subject = match outcome {
        Ok(SubmitOutcome::ExternalSubject(subject)) => subject,
        Ok(SubmitOutcome::Redirect(next)) => {
            let submitted = redirect(app, flow.clone(), &cb.factor, next).await?;
            return Ok(completed(app, &flow, submitted));
        }
        Ok(_) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` answered a callback with an outcome callbacks do not support",
                cb.factor.name()
            ))
            .into());
        }
        Err(rejection) => {
            let shown =
                reject_for_plugin(app, &cb.factor, flow.clone(), &Map::new(), &rejection).await?;
            return Ok(completed(app, &flow, Submitted::Rejected { flow: shown }));
        }
    };
    match (flow.kind, active) {
        (FlowKind::Settings, Some(active)) => {
            link(app, flow, &cb.factor, subject, credential, &active).await
        }
        _ => sign_in_or_up(app, flow, &cb, subject).await,
    }
}

/// The flow shown again with one message, and no session.
async fn refuse(app: &App, flow: Flow, message: Value) -> Result<Completed, DomainError> {
    let shown = reject(app, flow.clone(), &Map::new(), vec![message], vec![]).await?;
    Ok(completed(app, &flow, Submitted::Rejected { flow: shown }))
}

fn completed(app: &App, flow: &Flow, submitted: Submitted) -> Completed {
    Completed {
        submitted,
        kind: flow.kind,
        return_to: flow.return_to.clone(),
        ui_url: flows::ui_url(app, flow),
    }
}

async fn sign_in_or_up(
    app: &App,
    flow: Flow,
    cb: &Callback<'_>,
    subject: ExternalSubject,
) -> Result<Completed, DomainError> {
    let method = cb.factor.id();
    let known = app
        .store
        .find_by_identifier(method, &subject.identifier)
        .await?;
    let Some((identity, _)) = known else {
        return sign_up(app, flow, cb, subject).await;
    };
    if identity.state != IdentityState::Active {
        return Err(ApiError::identity_disabled().into());
    }
    let now = app.now();
    let aal = cb.factor.info.aal;
    // A refresh by the same identity renews the session it has; otherwise a new one starts.
    let renewing = cb
        .current
        .clone()
        .filter(|c| flow.refresh && c.identity.id == identity.id);
    let (session, token, is_new) = match renewing {
        Some(active) => {
            let mut session = active.session;
            crate::aal::record(&mut session, method, aal, now);
            (session, active.token, false)
        }
        None => {
            let (session, token) = sessions::start(app, identity.id, method, aal, cb.client);
            (session, token, true)
        }
    };
    let session = with_provider(session, &cb.key);
    let submitted =
        super::login::commit(app, flow.clone(), None, session, identity, token, is_new).await?;
    Ok(completed(app, &flow, submitted))
}

/// Names the provider on the method just completed, as Kratos' `authentication_methods` do.
fn with_provider(mut session: crate::model::Session, key: &str) -> crate::model::Session {
    if let Some(last) = session.methods.last_mut() {
        last.provider = Some(key.to_string());
    }
    session
}

async fn sign_up(
    app: &App,
    flow: Flow,
    cb: &Callback<'_>,
    subject: ExternalSubject,
) -> Result<Completed, DomainError> {
    let method = cb.factor.id();
    if !app.config.selfservice.flows.registration.enabled {
        let message = ui::message(
            4000001,
            "No account is linked to this sign-in, and signing up is disabled.",
            "error",
            None,
        );
        return refuse(app, flow, message).await;
    }
    let traits: Value = serde_json::from_str(&subject.traits_json)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let pending = Pending {
        key: cb.key.clone(),
        identifiers: subject.credential.identifiers,
        config: subject.credential.config_json,
    };
    let schema = flows::registration_schema(app, &flow);
    if let Some(message) = identifier_taken(app, schema, method, &traits, &cb.key).await? {
        return refuse(app, flow, message).await;
    }
    let errors = schema.validate(&traits);
    if !errors.is_empty() {
        let node_messages = errors.into_iter().map(|e| (e.node, e.message)).collect();
        return ask_for_traits(app, flow, method, pending, &traits, node_messages).await;
    }
    let submitted = match registration::enrol(
        app,
        pending.enrolment(schema, traits, &cb.factor),
        cb.client,
    )
    .await?
    {
        Some(submitted) => submitted,
        None => {
            return refuse(app, flow, ui::duplicate_identifier()).await;
        }
    };
    registration::finish_flow(app, flow.clone()).await?;
    Ok(Completed {
        submitted,
        kind: FlowKind::Registration,
        return_to: flow.return_to.clone(),
        ui_url: flows::ui_url(app, &flow),
    })
}

/// The provider did not give everything the identity schema requires: the user sees a
/// registration flow with what the provider gave filled in and the rest marked, and finishes
/// it with `method=<method>`.
async fn ask_for_traits(
    app: &App,
    flow: Flow,
    method: &str,
    pending: Pending,
    traits: &Value,
    node_messages: Vec<(String, Value)>,
) -> Result<Completed, DomainError> {
    let mut registration = match flow.kind {
        FlowKind::Registration => flow,
        _ => {
            flows::create(
                app,
                FlowStart {
                    kind: FlowKind::Registration,
                    variant: FlowVariant::Browser,
                    request_url: flow.request_url.clone(),
                    return_to: flow.return_to.clone(),
                    requested_aal: Aal::Aal1,
                    refresh: false,
                    identity: None,
                    session_id: None,
                    csrf_token: flow.csrf_token.clone(),
                    schema_id: None,
                },
            )
            .await?
        }
    };
    registration.plugin_state.insert(
        pending_key(method),
        serde_json::to_string(&pending).expect("pending sign-ups serialise"),
    );
    if let Some(nodes) = registration.ui["nodes"].as_array_mut() {
        nodes.push(continue_node(method));
    }
    let mut input = Map::new();
    input.insert("traits".into(), traits.clone());
    let review = ui::message(
        1040009,
        "Please review the following information to finish signing up.",
        "info",
        None,
    );
    let shown = reject(
        app,
        registration.clone(),
        &input,
        vec![review],
        node_messages,
    )
    .await?;
    Ok(completed(
        app,
        &registration,
        Submitted::Rejected { flow: shown },
    ))
}

/// The button that finishes a pending sign-up with the subject the provider vouched for.
fn continue_node(method: &str) -> Value {
    json!({
        "type": "input",
        "group": method,
        "attributes": {
            "name": "method", "type": "submit", "value": method,
            "disabled": false, "node_type": "input",
        },
        "messages": [],
        "meta": { "label": ui::message(1040001, "Sign up", "info", None) },
    })
}

/// Finishes a pending sign-up: `input` carries the traits the user completed.
pub async fn finish_pending(
    app: &App,
    mut flow: Flow,
    input: &Map<String, Value>,
    factor: &Factor,
    client: &ClientInfo,
) -> Result<Option<Submitted>, DomainError> {
    let Some(pending) = flow
        .plugin_state
        .get(&pending_key(factor.id()))
        .and_then(|p| serde_json::from_str::<Pending>(p).ok())
    else {
        return Ok(None);
    };
    let schema = flows::registration_schema(app, &flow);
    let traits = crate::identity::schema::traits_from_input(input);
    let errors = schema.validate(&traits);
    if !errors.is_empty() {
        let node_messages = errors.into_iter().map(|e| (e.node, e.message)).collect();
        let shown = reject(app, flow, input, vec![], node_messages).await?;
        return Ok(Some(Submitted::Rejected { flow: shown }));
    }
    if let Some(message) = identifier_taken(app, schema, factor.id(), &traits, &pending.key).await?
    {
        let shown = reject(app, flow, input, vec![message], vec![]).await?;
        return Ok(Some(Submitted::Rejected { flow: shown }));
    }
    let enrolment = pending.enrolment(schema, traits, factor);
    let Some(submitted) = registration::enrol(app, enrolment, client).await? else {
        let shown = reject(app, flow, input, vec![ui::duplicate_identifier()], vec![]).await?;
        return Ok(Some(Submitted::Rejected { flow: shown }));
    };
    flow.plugin_state.remove(&pending_key(factor.id()));
    registration::finish_flow(app, flow).await?;
    Ok(Some(submitted))
}

/// Whether the new identity's traits name a login identifier another identity already has
/// (the email of a password account): then the two are not merged, and the user is told to
/// sign in the way they did before and link the provider in settings.
async fn identifier_taken(
    app: &App,
    schema: &IdentitySchema,
    method: &str,
    traits: &Value,
    key: &str,
) -> Result<Option<Value>, DomainError> {
    for other in &app.factors.current().all {
        if other.id() == method {
            continue;
        }
        for (kind, value) in schema.marked_traits(other.id(), traits) {
            if kind != "identifier" {
                continue;
            }
            let identifier = value.trim().to_lowercase();
            if app
                .store
                .find_by_identifier(other.id(), &identifier)
                .await?
                .is_some()
            {
                return Ok(Some(ui::message(
                    4000027,
                    format!(
                        "An account with the same identifier ({value}) exists already. Please sign in to your existing account and link {key} in your account settings."
                    ),
                    "error",
                    Some(json!({ "duplicateIdentifier": value, "provider": key })),
                )));
            }
        }
    }
    Ok(None)
}

/// Links the subject to the signed-in identity. The plugin merged it into the identity's
/// credential; a subject another identity signs in with is refused.
async fn link(
    app: &App,
    flow: Flow,
    factor: &Factor,
    subject: ExternalSubject,
    credential: Option<Credential>,
    active: &ActiveSession,
) -> Result<Completed, DomainError> {
    let method = factor.id().to_string();
    let identity_id = active.identity.id;
    let owner = app
        .store
        .find_by_identifier(&method, &subject.identifier)
        .await?;
    if owner.is_some_and(|(i, _)| i.id != identity_id) {
        let message = ui::message(
            4000027,
            "This account at the provider is already linked to another identity.",
            "error",
            None,
        );
        return refuse(app, flow, message).await;
    }
    let stored = settings::replace_credential(
        app,
        identity_id,
        &method,
        subject.credential,
        credential.as_ref(),
    )
    .await?;
    if !stored {
        let message = ui::duplicate_identifier();
        return refuse(app, flow, message).await;
    }
    let submitted = settings::show_saved(app, flow.clone(), &active.identity).await?;
    Ok(completed(app, &flow, submitted))
}
