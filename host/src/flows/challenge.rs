//! Recovery and verification (`selfservice.flows.{recovery,verification}`): flows in which
//! someone proves they read what was sent to an address. The method that sends and checks
//! the challenge is a plugin (`use: code`, `use: link`); the host decides who may be written
//! to, which template a message gets, and what passing the challenge does.
//!
//! No enumeration: the plugin is told nothing about the address it was given, and the
//! answer is the same whether it belongs to an identity or not. Only the courier learns: a
//! known address gets the template's `valid` message, an unknown one the `invalid` message
//! when `notify_unknown_recipients` is set, else nothing.
//!
//! Messages are queued in the same transaction as the flow change that caused them.

use super::{keep_plugin_state, plugin_context, plugin_input, reject, reject_for_plugin, restart};
use crate::app::App;
use crate::courier::{Outgoing, TemplateType};
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::identity::addresses::normalise;
use crate::identity::wire::identity_json;
use crate::model::{Aal, Flow, FlowKind, FlowState, Identity, IdentityState};
use crate::plugin::{CourierScope, Factor, PluginMessage, Rejection, SubmitOutcome};
use crate::sessions::{self, ClientInfo};
use crate::store::AddressPurpose;
use crate::ui;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Where the host keeps, in the flow, whom the challenge is for: the address it was sent to,
/// or the identity an administrator issued it for. Plugins never see it (plugin state is
/// handed out by method id, and `#` is no part of one).
const CHALLENGE_TARGET: &str = "#challenge";

/// The least time a request to send a challenge takes, whatever the address (bench row 15
/// measures both sides); far above what the work itself takes.
const SEND_FLOOR: std::time::Duration = std::time::Duration::from_millis(10);

/// Kratos' default `selfservice.methods.code.config.max_submissions`.
const DEFAULT_MAX_SUBMISSIONS: u32 = 5;

/// What a submission of a recovery or verification flow ends in.
pub enum Challenged {
    /// A message went out (or would have, to a known address), or the plugin showed another
    /// step.
    Updated(Box<Flow>),
    /// Validation failed: the flow, with messages, to show again.
    Rejected(Box<Flow>),
    /// Verification passed: the address is verified.
    Verified(Box<Flow>),
    /// Recovery passed: a privileged session, and a settings flow to set a new password in.
    Recovered(Box<Recovered>),
}

pub struct Recovered {
    pub flow: Flow,
    pub identity: Identity,
    pub token: String,
    pub settings: Flow,
}

/// `selfservice.flows.<kind>.enabled: false` answers as Kratos does.
pub fn ensure_enabled(app: &App, kind: FlowKind) -> Result<(), ApiError> {
    let enabled = app
        .config
        .selfservice
        .flows
        .challenge(kind)
        .is_some_and(|f| f.enabled);
    if enabled {
        return Ok(());
    }
    let name = match kind {
        FlowKind::Recovery => "Recovery",
        _ => "Verification",
    };
    Err(
        ApiError::bad_request(format!("{name} is not allowed because it was disabled."))
            .with_id("self_service_flow_disabled"),
    )
}

/// The method the flow uses (`selfservice.flows.<kind>.use`).
pub fn method(app: &App, kind: FlowKind) -> Result<Arc<Factor>, ApiError> {
    let wanted = app
        .config
        .selfservice
        .flows
        .challenge(kind)
        .map(|f| f.method.as_str())
        .unwrap_or_default();
    app.factors
        .get(wanted)
        .filter(|f| f.joins(kind))
        .ok_or_else(|| {
            ApiError::internal(format!(
                "selfservice.flows.{}.use names `{wanted}`, and no loaded method by that id takes part in {} flows",
                kind.as_str(),
                kind.as_str()
            ))
        })
}

fn purpose(kind: FlowKind) -> AddressPurpose {
    match kind {
        FlowKind::Recovery => AddressPurpose::Recovery,
        _ => AddressPurpose::Verification,
    }
}

fn via_of(channel: &str) -> &'static str {
    match channel {
        "sms" => "sms",
        _ => "email",
    }
}

/// Handles one submission of a recovery or verification flow. `browser_csrf` is the CSRF token
/// of the browser that followed a mailed link, which may not be the one that started the flow
/// (or, for an administrator's link, none did): a recovery that passes gives that browser its
/// settings flow.
pub async fn submit(
    app: &App,
    mut flow: Flow,
    input: Map<String, Value>,
    client: &ClientInfo,
    browser_csrf: Option<String>,
) -> Result<Challenged, DomainError> {
    let factor = method(app, flow.kind)?;
    let mistyped = mistyped_fields(flow.kind, &input);
    if !mistyped.is_empty() {
        let flow = reject(app, flow, &input, vec![], mistyped).await?;
        return Ok(Challenged::Rejected(flow));
    }
    if input.get("method").and_then(Value::as_str) != Some(factor.id()) {
        let message = no_strategy(flow.kind);
        let flow = reject(app, flow, &input, vec![message], vec![]).await?;
        return Ok(Challenged::Rejected(flow));
    }
    let sends = input
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|e| !e.trim().is_empty());
    // A request to send is answered no sooner than `SEND_FLOOR` after it arrived, known
    // address or not: the work differs (a known address's message is written with the flow),
    // and its time must not say whether an account exists.
    let answer_not_before = sends.then(|| tokio::time::Instant::now() + SEND_FLOOR);
    if !sends && flow.state == FlowState::SentEmail {
        flow = count_attempt(app, flow, factor.id()).await?;
    }
    let identity = match flow.identity_id {
        Some(id) => app.store.get_identity(id).await?,
        None => None,
    };
    let scope = scope_of(&input, identity.as_ref());
    let ctx = plugin_context(app, &flow, factor.id(), identity.as_ref(), None);
    let (answer, messages) = factor
        .submit_sending(ctx, plugin_input(&input), scope)
        .await?;
    match answer {
        Err(rejection) => rejected(app, &factor, flow, &input, &rejection).await,
        Ok(SubmitOutcome::Rerender(rendering)) => {
            keep_plugin_state(&mut flow, factor.id(), rendering.plugin_state);
            let nodes: Vec<Value> = rendering.nodes.iter().map(ui::node_json).collect();
            show(app, &mut flow, nodes);
            if messages.is_empty() {
                app.store.update_flow(&flow).await?;
            } else {
                sent(app, &mut flow, messages).await?;
            }
            if let Some(deadline) = answer_not_before {
                tokio::time::sleep_until(deadline).await;
            }
            Ok(Challenged::Updated(Box::new(flow)))
        }
        Ok(SubmitOutcome::ChallengePassed) => {
            if let Some(token) = browser_csrf {
                flow.csrf_token = Some(token);
            }
            passed(app, &factor, flow, &input, client).await
        }
        Ok(_) => Err(ApiError::internal(format!(
            "plugin `{}` answered a {} submission with an outcome that belongs to another flow",
            factor.name(),
            flow.kind.as_str()
        ))
        .into()),
    }
}

/// The fields Kratos' recovery and verification body schemas declare
/// (selfservice/strategy/code/.schema/{recovery,verification}.schema.json): Kratos validates a
/// submission against them before any method looks at it, so a value of another type is a 400
/// with the flow, whatever else the body says.
fn mistyped_fields(kind: FlowKind, input: &Map<String, Value>) -> Vec<(String, Value)> {
    const BOTH: &[&str] = &["method", "code", "email", "flow", "csrf_token"];
    const RECOVERY: &[&str] = &[
        "recovery_address",
        "recovery_select_address",
        "recovery_confirm_address",
        "screen",
    ];
    let strings = BOTH
        .iter()
        .chain(if kind == FlowKind::Recovery {
            RECOVERY
        } else {
            &[]
        })
        .map(|name| (*name, "string"));
    let expected = strings.chain([("transient_payload", "object")]);
    expected
        .filter_map(|(name, wanted)| {
            let got = match input.get(name)? {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            (got != wanted).then(|| {
                let text = format!("expected {wanted}, but got {got}");
                (
                    name.to_string(),
                    ui::message(4000001, &text, "error", Some(json!({ "reason": text }))),
                )
            })
        })
        .collect()
}

/// Kratos' answer to a submission no method of the flow takes (schema/errors.go
/// NewNoRecoveryStrategyResponsible, NewNoVerificationStrategyResponsible).
fn no_strategy(kind: FlowKind) -> Value {
    match kind {
        FlowKind::Recovery => ui::message(
            4010005,
            "Could not find a strategy to recover your account with. Did you fill out the form correctly?",
            "error",
            None,
        ),
        _ => ui::message(
            4010006,
            "Could not find a strategy to verify your account with. Did you fill out the form correctly?",
            "error",
            None,
        ),
    }
}

/// The addresses a call may write to: what the user typed, and the flow identity's own.
fn scope_of(input: &Map<String, Value>, identity: Option<&Identity>) -> CourierScope {
    let mut recipients: Vec<String> = input
        .iter()
        .filter(|(key, _)| key.as_str() != "csrf_token")
        .filter_map(|(_, value)| value.as_str().map(str::to_string))
        .collect();
    if let Some(identity) = identity {
        recipients.extend(
            identity
                .verifiable_addresses
                .iter()
                .map(|a| a.value.clone()),
        );
        recipients.extend(identity.recovery_addresses.iter().map(|a| a.value.clone()));
    }
    CourierScope { recipients }
}

/// Counts a code attempt; past `max_submissions` the flow is spent and the client sent to a
/// new one, as Kratos retries the flow with "submitted too often".
async fn count_attempt(app: &App, flow: Flow, method: &str) -> Result<Flow, DomainError> {
    let limit = app
        .config
        .selfservice
        .methods
        .get(method)
        .and_then(|m| m.config.get("max_submissions"))
        .and_then(Value::as_u64)
        .map_or(DEFAULT_MAX_SUBMISSIONS, |n| n as u32);
    let count = app.store.count_submission(flow.id).await?;
    if count <= limit {
        return Ok(flow);
    }
    let mut spent = flow.clone();
    spent.expires_at = app.now();
    spent.plugin_state.clear();
    app.store.update_flow(&spent).await?;
    let mut fresh = restart(app, &flow).await?;
    let reason = "The request was submitted too often. Please request another code.";
    ui::set_messages(
        &mut fresh.ui,
        vec![ui::message(
            4000001,
            reason,
            "error",
            Some(json!({ "reason": reason })),
        )],
        vec![],
    );
    app.store.update_flow(&fresh).await?;
    Err(ApiError::too_many_submissions(fresh.id, limit).into())
}

async fn rejected(
    app: &App,
    factor: &Factor,
    flow: Flow,
    input: &Map<String, Value>,
    rejection: &Rejection,
) -> Result<Challenged, DomainError> {
    let flow = reject_for_plugin(app, factor, flow, input, rejection).await?;
    Ok(Challenged::Rejected(flow))
}

/// Replaces the flow's nodes with the CSRF token and `nodes`, and clears its messages.
fn show(app: &App, flow: &mut Flow, nodes: Vec<Value>) {
    let mut all = vec![ui::csrf_node(flow.csrf_token.as_deref().unwrap_or(""))];
    all.extend(nodes);
    flow.ui = json!({
        "action": super::action_url(app, flow),
        "method": "POST",
        "nodes": all,
    });
}

/// The flow moves to `sent_email`, remembering where the challenge went, and its messages are
/// queued with it in one transaction.
async fn sent(app: &App, flow: &mut Flow, messages: Vec<PluginMessage>) -> Result<(), DomainError> {
    let last = messages.last().expect("at least one message");
    let target = json!({ "via": via_of(&last.channel), "value": last.recipient });
    let notice = sent_notice(flow.kind, &last.template);
    flow.plugin_state
        .insert(CHALLENGE_TARGET.into(), target.to_string());
    flow.state = FlowState::SentEmail;
    ui::set_messages(&mut flow.ui, vec![notice], vec![]);
    let outgoing = addressed(app, flow.kind, messages).await?;
    app.courier
        .enqueue(app.store.as_ref(), outgoing, Some(flow))
        .await?;
    Ok(())
}

/// Kratos' "an email … has been sent" message for what was sent.
fn sent_notice(kind: FlowKind, template: &str) -> Value {
    let (id, what) = match (kind, template.ends_with("_code")) {
        (FlowKind::Recovery, true) => (1060003, "a recovery code"),
        (FlowKind::Recovery, false) => (1060002, "a recovery link"),
        (_, true) => (1080003, "a verification code"),
        (_, false) => (1080001, "a verification link"),
    };
    ui::message(
        id,
        format!(
            "An email containing {what} has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."
        ),
        "info",
        None,
    )
}

/// The plugin's messages as the courier sends them: `valid` to an address of an identity,
/// `invalid` (without the plugin's variables, which hold the secret) to an unknown one when
/// the flow notifies unknown recipients, and nothing otherwise.
async fn addressed(
    app: &App,
    kind: FlowKind,
    messages: Vec<PluginMessage>,
) -> Result<Vec<Outgoing>, DomainError> {
    let notify_unknown = app
        .config
        .selfservice
        .flows
        .challenge(kind)
        .is_some_and(|f| f.notify_unknown_recipients);
    let mut outgoing = Vec::with_capacity(messages.len());
    for message in messages {
        let via = via_of(&message.channel);
        let address = normalise(via, &message.recipient);
        let owner = app
            .store
            .identity_by_address(purpose(kind), via, &address)
            .await?;
        let (variant, data, identity_id) = match owner {
            Some(identity) => {
                let mut data = message.data;
                data.insert("To".into(), json!(address));
                data.insert(
                    "Identity".into(),
                    identity_json(&identity, &app.public_base),
                );
                ("valid", data, Some(identity.id))
            }
            None if notify_unknown => {
                let mut data = Map::new();
                data.insert("To".into(), json!(address));
                ("invalid", data, None)
            }
            None => continue,
        };
        let name = format!("{}.{variant}", message.template);
        let template = TemplateType::from_kratos_name(&name)
            .ok_or_else(|| ApiError::internal(format!("the courier has no template `{name}`")))?;
        outgoing.push(Outgoing {
            channel: message.channel,
            recipient: address,
            template,
            data: Value::Object(data),
            identity_id,
        });
    }
    Ok(outgoing)
}

/// Whom a flow's challenge is for.
enum Target {
    /// The address it was sent to.
    Address { via: String, value: String },
    /// The identity an administrator issued it for.
    Identity(Uuid),
}

fn challenge_target(flow: &Flow) -> Option<Target> {
    let stored: Value = serde_json::from_str(flow.plugin_state.get(CHALLENGE_TARGET)?).ok()?;
    if let Some(id) = stored["identity_id"].as_str() {
        return Uuid::parse_str(id).ok().map(Target::Identity);
    }
    Some(Target::Address {
        via: stored["via"].as_str()?.to_string(),
        value: stored["value"].as_str()?.to_string(),
    })
}

/// The plugin vouches that the user read the challenge: the address it went to now proves
/// something.
async fn passed(
    app: &App,
    factor: &Factor,
    flow: Flow,
    input: &Map<String, Value>,
    client: &ClientInfo,
) -> Result<Challenged, DomainError> {
    let Some(target) = challenge_target(&flow) else {
        return Err(ApiError::internal(format!(
            "plugin `{}` passed a challenge it never sent",
            factor.name()
        ))
        .into());
    };
    let owner = match &target {
        Target::Address { via, value } => {
            app.store
                .identity_by_address(purpose(flow.kind), via, value)
                .await?
        }
        Target::Identity(id) => app.store.get_identity(*id).await?,
    };
    let Some(identity) = owner.filter(|i| i.state == IdentityState::Active) else {
        // Only a guessed secret gets here: nobody was sent one.
        let message = invalid_secret(factor.id(), flow.kind);
        let flow = reject(app, flow, input, vec![message], vec![]).await?;
        return Ok(Challenged::Rejected(flow));
    };
    let identity = match &target {
        Target::Address { via, value } => mark_verified(app, identity, via, value).await?,
        Target::Identity(_) => identity,
    };
    match flow.kind {
        FlowKind::Recovery => recovered(app, factor, flow, identity, client).await,
        _ => verified(app, factor, flow).await,
    }
}

/// Kratos' refusal of a wrong secret: the link method's names a token, the others a code.
fn invalid_secret(method: &str, kind: FlowKind) -> Value {
    match (method, kind) {
        ("link", FlowKind::Recovery) => ui::message(
            4060004,
            "The recovery token is invalid or has already been used. Please retry the flow.",
            "error",
            None,
        ),
        ("link", _) => ui::message(
            4070001,
            "The verification token is invalid or has already been used. Please retry the flow.",
            "error",
            None,
        ),
        (_, FlowKind::Recovery) => ui::message(
            4060006,
            "The recovery code is invalid or has already been used. Please try again.",
            "error",
            None,
        ),
        (_, _) => ui::message(
            4070006,
            "The verification code is invalid or has already been used. Please try again.",
            "error",
            None,
        ),
    }
}

/// Marks the identity's verifiable address `address` verified (recovery proves it too, as in
/// Kratos).
async fn mark_verified(
    app: &App,
    mut identity: Identity,
    via: &str,
    address: &str,
) -> Result<Identity, DomainError> {
    let now = app.now();
    let mut changed = false;
    for a in &mut identity.verifiable_addresses {
        if a.via == via && a.value == address && !a.verified {
            a.verified = true;
            a.status = "completed".into();
            a.verified_at = Some(now);
            a.updated_at = now;
            changed = true;
        }
    }
    if changed {
        app.store.update_identity(&identity).await?;
    }
    Ok(identity)
}

/// A spent flow: `passed_challenge`, no plugin state, no secrets left to guess at.
fn spend(flow: &mut Flow) {
    flow.state = FlowState::PassedChallenge;
    flow.plugin_state.clear();
}

async fn verified(app: &App, factor: &Factor, mut flow: Flow) -> Result<Challenged, DomainError> {
    spend(&mut flow);
    let continue_to = flow
        .return_to
        .clone()
        .or_else(|| {
            app.config
                .selfservice
                .flows
                .verification
                .after
                .default_browser_return_url
                .as_ref()
                .map(|u| u.to_string())
        })
        .unwrap_or_else(|| {
            app.config
                .selfservice
                .default_browser_return_url
                .to_string()
        });
    let label = ui::message(1070009, "Continue", "info", None);
    flow.ui = json!({
        "action": continue_to,
        "method": "GET",
        "nodes": [{
            "type": "a",
            "group": factor.info.node_group,
            "attributes": {
                "id": "continue", "href": continue_to, "title": label, "node_type": "a",
            },
            "messages": [],
            "meta": { "label": label },
        }],
        "messages": [ui::message(1080002, "You successfully verified your email address.", "success", None)],
    });
    app.store.update_flow(&flow).await?;
    Ok(Challenged::Verified(Box::new(flow)))
}

async fn recovered(
    app: &App,
    factor: &Factor,
    mut flow: Flow,
    identity: Identity,
    client: &ClientInfo,
) -> Result<Challenged, DomainError> {
    if revokes_sessions(app, factor.id()) {
        app.store.delete_sessions_of(identity.id).await?;
    }
    let method = format!("{}_recovery", factor.id());
    let (session, token) = sessions::start(app, identity.id, &method, Aal::Aal1, client);
    app.store.create_session(&session).await?;
    let mut settings = super::create(
        app,
        super::FlowStart {
            kind: FlowKind::Settings,
            variant: flow.variant,
            request_url: app.public_url("/self-service/settings/browser"),
            return_to: flow.return_to.clone(),
            requested_aal: Aal::Aal1,
            refresh: false,
            identity: Some(identity.clone()),
            session_id: Some(session.id),
            csrf_token: flow.csrf_token.clone(),
            schema_id: None,
        },
    )
    .await?;
    let max_age = app
        .config
        .selfservice
        .flows
        .settings
        .privileged_session_max_age;
    let until = session.authenticated_at
        + chrono::Duration::from_std(max_age).unwrap_or_else(|_| chrono::Duration::hours(1));
    let minutes = (until - app.now()).num_seconds() as f64 / 60.0;
    ui::set_messages(
        &mut settings.ui,
        vec![ui::message(
            1060001,
            format!(
                "You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next {minutes:.2} minutes."
            ),
            "success",
            Some(json!({
                "privileged_session_expires_at": until,
                "privileged_session_expires_at_unix": until.timestamp(),
            })),
        )],
        vec![],
    );
    app.store.update_flow(&settings).await?;
    spend(&mut flow);
    flow.ui["messages"] = json!([]);
    app.store.update_flow(&flow).await?;
    Ok(Challenged::Recovered(Box::new(Recovered {
        flow,
        identity,
        token,
        settings,
    })))
}

/// A recovery challenge an administrator hands to `identity` (`POST /admin/recovery/code`
/// with `method` `code`, `/link` with `link`): a flow (of `variant`, Kratos' `flow_type`) bound
/// to the identity, in `sent_email`, expiring at `expires_at`, and the secret to pass on.
/// Nothing is sent.
pub async fn issue_for_identity(
    app: &App,
    identity: &Identity,
    method: &str,
    variant: crate::model::FlowVariant,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<(Flow, String), DomainError> {
    let factor = app
        .factors
        .get(method)
        .filter(|f| f.joins(FlowKind::Recovery))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "The `{method}` recovery method is not enabled, so no recovery {method} can be issued."
            ))
        })?;
    let now = app.now();
    let mut flow = Flow {
        id: Uuid::new_v4(),
        kind: FlowKind::Recovery,
        variant,
        state: FlowState::SentEmail,
        issued_at: now,
        expires_at,
        request_url: app.public_url(match variant {
            crate::model::FlowVariant::Api => "/self-service/recovery/api",
            crate::model::FlowVariant::Browser => "/self-service/recovery/browser",
        }),
        return_to: None,
        requested_aal: Aal::Aal1,
        refresh: false,
        identity_id: None,
        session_id: None,
        // Bound to the first browser that follows the recovery link (`adopt`).
        csrf_token: None,
        plugin_state: Default::default(),
        ui: Value::Null,
        schema_id: None,
    };
    let ctx = plugin_context(app, &flow, factor.id(), Some(identity), None);
    let issued = match factor.issue_challenge(ctx).await? {
        Ok(issued) => issued,
        Err(rejection) => {
            let reason = rejection
                .messages
                .first()
                .map(|m| m.text.clone())
                .unwrap_or_else(|| format!("`{method}` issued no challenge"));
            return Err(ApiError::bad_request(reason).into());
        }
    };
    keep_plugin_state(&mut flow, factor.id(), Some(issued.plugin_state));
    flow.plugin_state.insert(
        CHALLENGE_TARGET.into(),
        json!({ "identity_id": identity.id }).to_string(),
    );
    let nodes: Vec<Value> = issued.nodes.iter().map(ui::node_json).collect();
    show(app, &mut flow, nodes);
    app.store.insert_flow(&flow).await?;
    Ok((flow, issued.secret))
}

/// An administrator's recovery flow is bound to no browser until one follows its link: that
/// browser's CSRF token becomes the flow's. Returns false, changing nothing, for a flow that
/// is bound already (or not a browser flow).
pub async fn adopt(app: &App, mut flow: Flow, csrf_token: String) -> Result<bool, DomainError> {
    if flow.variant != crate::model::FlowVariant::Browser || flow.csrf_token.is_some() {
        return Ok(false);
    }
    flow.csrf_token = Some(csrf_token);
    let nodes: Vec<Value> = flow.ui["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| ui::node_name(n) != Some("csrf_token"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    show(app, &mut flow, nodes);
    app.store.update_flow(&flow).await?;
    Ok(true)
}

/// `selfservice.flows.recovery.after.hooks: [{hook: revoke_active_sessions}]`.
fn revokes_sessions(app: &App, method: &str) -> bool {
    app.config
        .selfservice
        .flows
        .recovery
        .after
        .has_hook(method, "revoke_active_sessions")
}

/// After a sign-up with verification on: one verification flow per unverified email address
/// of the new identity, each sending its challenge as if the user had typed the address there.
/// Returns Kratos' `continue_with` items (`show_verification_ui`). A challenge that cannot be
/// sent is logged and skipped: the account exists, and the user can ask for another.
pub async fn verify_after_sign_up(
    app: &App,
    identity: &Identity,
    variant: crate::model::FlowVariant,
    csrf_token: Option<String>,
    client: &ClientInfo,
) -> Result<Vec<Value>, DomainError> {
    if !app.config.selfservice.flows.verification.enabled {
        return Ok(Vec::new());
    }
    let factor = method(app, FlowKind::Verification)?;
    let mut continue_with = Vec::new();
    for address in identity
        .verifiable_addresses
        .iter()
        .filter(|a| !a.verified && a.via == "email")
    {
        let flow = super::create(
            app,
            super::FlowStart {
                kind: FlowKind::Verification,
                variant,
                request_url: app.public_url("/self-service/verification/browser"),
                return_to: None,
                requested_aal: Aal::Aal1,
                refresh: false,
                identity: Some(identity.clone()),
                session_id: None,
                csrf_token: csrf_token.clone(),
                schema_id: None,
            },
        )
        .await?;
        let flow_id = flow.id;
        let mut input = Map::new();
        input.insert("method".into(), json!(factor.id()));
        input.insert("email".into(), json!(address.value));
        match submit(app, flow, input, client, None).await {
            Ok(Challenged::Updated(flow)) => continue_with.push(json!({
                "action": "show_verification_ui",
                "flow": {
                    "id": flow_id,
                    "verifiable_address": address.value,
                    "url": super::ui_url(app, &flow),
                },
            })),
            Ok(_) => tracing::warn!(%flow_id, "the verification method sent nothing after sign-up"),
            Err(err) => tracing::warn!(
                %flow_id,
                error = %ApiError::from(err),
                "the verification challenge after sign-up could not be sent"
            ),
        }
    }
    Ok(continue_with)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_is_what_was_typed_and_the_identity_addresses() {
        let input: Map<String, Value> = serde_json::from_value(json!({
            "email": "a@example.com", "csrf_token": "secret", "n": 3
        }))
        .unwrap();
        let scope = scope_of(&input, None);
        assert_eq!(scope.recipients, ["a@example.com"]);
    }

    #[test]
    fn a_refused_guess_names_the_secret_of_the_method() {
        let id = |method, kind| invalid_secret(method, kind)["id"].clone();
        assert_eq!(id("link", FlowKind::Recovery), 4060004);
        assert_eq!(id("link", FlowKind::Verification), 4070001);
        assert_eq!(id("code", FlowKind::Recovery), 4060006);
        assert_eq!(id("code", FlowKind::Verification), 4070006);
    }

    #[test]
    fn the_notice_names_what_was_sent() {
        assert_eq!(
            sent_notice(FlowKind::Recovery, "recovery_code")["id"],
            1060003
        );
        assert_eq!(sent_notice(FlowKind::Recovery, "recovery")["id"], 1060002);
        assert_eq!(
            sent_notice(FlowKind::Verification, "verification_code")["id"],
            1080003
        );
        assert_eq!(
            sent_notice(FlowKind::Verification, "verification")["id"],
            1080001
        );
    }
}
