//! The self-service flow engine: creating flows, rendering their nodes from the plugins, and
//! routing submissions to the plugin that owns the submitted `method`.

pub mod challenge;
pub mod external;
pub mod login;
pub mod outcome;
pub mod registration;
pub mod settings;
pub mod submissions;
#[cfg(test)]
mod tests;
pub mod throttle;

use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::model::{Aal, Credential, Flow, FlowKind, FlowState, FlowVariant, Identity};
use crate::plugin::{CredentialWrite, Factor, FactorRole, FlowContext, FlowIdentity, Rejection};
use crate::store::StoreError;
use crate::ui;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How a flow is being started.
pub struct FlowStart {
    pub kind: FlowKind,
    pub variant: FlowVariant,
    pub request_url: String,
    pub return_to: Option<String>,
    pub requested_aal: Aal,
    pub refresh: bool,
    pub identity: Option<Identity>,
    pub session_id: Option<Uuid>,
    /// Browser flows: the CSRF token the browser's cookie carries.
    pub csrf_token: Option<String>,
    /// Registration: the identity schema to register with (`identity_schema`).
    pub schema_id: Option<String>,
}

fn lifespan(app: &App, kind: FlowKind) -> chrono::Duration {
    let span = app.config.selfservice.flows.of(kind).lifespan;
    chrono::Duration::from_std(span).unwrap_or_else(|_| chrono::Duration::hours(1))
}

/// Which factors render into a flow: first factors normally, second factors for `aal=aal2`.
fn role_for(flow: &Flow) -> Option<FactorRole> {
    match (flow.kind, flow.requested_aal) {
        (FlowKind::Login, Aal::Aal2) => Some(FactorRole::Second),
        (FlowKind::Login, Aal::Aal1) => Some(FactorRole::First),
        _ => None,
    }
}

/// What a plugin is told about a flow.
pub fn plugin_context(
    app: &App,
    flow: &Flow,
    method: &str,
    identity: Option<&Identity>,
    credential: Option<&Credential>,
) -> FlowContext {
    let schema = identity
        .and_then(|i| app.schemas.get(&i.schema_id))
        .unwrap_or_else(|| app.schemas.default_schema());
    FlowContext {
        flow_id: flow.id,
        kind: flow.kind,
        variant: flow.variant,
        action_url: action_url(app, flow),
        refresh: flow.refresh,
        requested_aal: flow.requested_aal,
        identity: identity.map(|i| FlowIdentity {
            id: i.id,
            schema_id: i.schema_id.clone(),
            traits_json: i.traits.to_string(),
            marked_traits: schema.marked_traits(method, &i.traits),
        }),
        credential: credential.cloned(),
        looked_up: None,
        plugin_state: flow.plugin_state.get(method).cloned(),
    }
}

fn action_url(app: &App, flow: &Flow) -> String {
    app.public_url(&format!(
        "/self-service/{}?flow={}",
        flow.kind.as_str(),
        flow.id
    ))
}

/// Creates a flow, asks every participating plugin for its nodes, and stores it.
pub async fn create(app: &App, start: FlowStart) -> Result<Flow, DomainError> {
    let now = app.now();
    let mut flow = Flow {
        id: Uuid::new_v4(),
        kind: start.kind,
        variant: start.variant,
        state: FlowState::initial(start.kind),
        issued_at: now,
        expires_at: now + lifespan(app, start.kind),
        request_url: start.request_url,
        return_to: start.return_to,
        requested_aal: start.requested_aal,
        refresh: start.refresh,
        identity_id: start.identity.as_ref().map(|i| i.id),
        session_id: start.session_id,
        csrf_token: start.csrf_token,
        plugin_state: BTreeMap::new(),
        ui: Value::Null,
        schema_id: start.schema_id,
    };
    render(app, &mut flow, start.identity.as_ref()).await?;
    app.store.insert_flow(&flow).await?;
    Ok(flow)
}

/// Builds `flow.ui` from the host's nodes and the plugins' nodes, in Kratos' order: default
/// group nodes of the plugins, the CSRF token, the traits, then each method's group.
pub async fn render(
    app: &App,
    flow: &mut Flow,
    identity: Option<&Identity>,
) -> Result<(), DomainError> {
    let kind = flow.kind;
    let mut leading = Vec::new();
    let mut method_nodes = Vec::new();
    // Recovery and verification show the one method they use; the others, every factor
    // that takes part.
    let factors = match kind {
        FlowKind::Recovery | FlowKind::Verification => {
            challenge::method(app, kind).into_iter().collect()
        }
        _ => app.factors.for_flow(kind, role_for(flow)),
    };
    for factor in factors {
        let credential = match identity {
            Some(i) => app.store.credential(i.id, factor.id()).await?,
            None => None,
        };
        let ctx = plugin_context(app, flow, factor.id(), identity, credential.as_ref());
        match factor.render(ctx).await? {
            Ok(rendering) => {
                keep_plugin_state(flow, factor.id(), rendering.plugin_state);
                for node in &rendering.nodes {
                    let json = ui::node_json(node);
                    if node.group == "default" {
                        leading.push(json);
                    } else {
                        method_nodes.push(json);
                    }
                }
            }
            Err(rejection) => tracing::warn!(
                plugin = factor.name(),
                messages = rejection.messages.len(),
                "plugin declined to render"
            ),
        }
    }
    let mut nodes = leading;
    nodes.push(ui::csrf_node(flow.csrf_token.as_deref().unwrap_or("")));
    match (flow.kind, identity) {
        (FlowKind::Registration, _) => {
            nodes.extend(registration_schema(app, flow).trait_nodes(None));
        }
        (FlowKind::Settings, Some(identity)) => {
            let schema = app
                .schemas
                .get(&identity.schema_id)
                .unwrap_or_else(|| app.schemas.default_schema());
            nodes.extend(settings::profile_nodes(schema, &identity.traits));
        }
        _ => {}
    }
    nodes.extend(method_nodes);
    flow.ui = json!({
        "action": action_url(app, flow),
        "method": "POST",
        "nodes": nodes,
    });
    if flow.kind == FlowKind::Login {
        let message = match (flow.requested_aal, flow.refresh) {
            (Aal::Aal2, _) => Some(ui::message(
                1010004,
                "Please complete the second authentication challenge.",
                "info",
                None,
            )),
            (Aal::Aal1, true) => Some(ui::message(
                1010003,
                "Please confirm this action by verifying that it is you.",
                "info",
                None,
            )),
            _ => None,
        };
        if let Some(m) = message {
            flow.ui["messages"] = json!([m]);
        }
    }
    Ok(())
}

/// The schema a registration flow registers with.
pub fn registration_schema<'a>(
    app: &'a App,
    flow: &Flow,
) -> &'a crate::identity::schema::IdentitySchema {
    flow.schema_id
        .as_deref()
        .and_then(|id| app.schemas.get(id))
        .unwrap_or_else(|| app.schemas.default_schema())
}

pub fn keep_plugin_state(flow: &mut Flow, method: &str, state: Option<String>) {
    match state {
        Some(s) if s.is_empty() => {
            flow.plugin_state.remove(method);
        }
        Some(s) => {
            flow.plugin_state.insert(method.to_string(), s);
        }
        None => {}
    }
}

/// Finds a flow by id: unknown, malformed or of another kind → 404.
pub async fn find(app: &App, id: &str, kind: FlowKind) -> Result<Flow, DomainError> {
    let not_found = || ApiError::not_found(format!("no {} flow with id `{id}`", kind.as_str()));
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    app.store
        .get_flow(uuid)
        .await?
        .filter(|f| f.kind == kind)
        .ok_or_else(|| not_found().into())
}

/// Passes a flow that has not expired; an expired one gives 410 with the id of a fresh flow
/// to continue with.
pub async fn ensure_fresh(app: &App, flow: Flow) -> Result<Flow, DomainError> {
    let now = app.now();
    if flow.expires_at > now {
        return Ok(flow);
    }
    let fresh = restart(app, &flow).await?;
    Err(DomainError::FlowExpired {
        fresh: fresh.id,
        expired_at: flow.expires_at,
        now,
    })
}

/// A new flow in place of `flow`, started as it was: same kind, AAL, return address, session.
pub async fn restart(app: &App, flow: &Flow) -> Result<Flow, DomainError> {
    let identity = match flow.identity_id {
        Some(id) => app.store.get_identity(id).await?,
        None => None,
    };
    create(
        app,
        FlowStart {
            kind: flow.kind,
            variant: flow.variant,
            request_url: flow.request_url.clone(),
            return_to: flow.return_to.clone(),
            requested_aal: flow.requested_aal,
            refresh: flow.refresh,
            identity,
            session_id: flow.session_id,
            csrf_token: flow.csrf_token.clone(),
            schema_id: flow.schema_id.clone(),
        },
    )
    .await
}

/// Loads a flow for a fetch: [`find`], then [`ensure_fresh`].
pub async fn load(app: &App, id: &str, kind: FlowKind) -> Result<Flow, DomainError> {
    let flow = find(app, id, kind).await?;
    ensure_fresh(app, flow).await
}

/// A flow about to be submitted must be fresh and not completed already.
pub async fn ensure_submittable(app: &App, flow: Flow) -> Result<Flow, DomainError> {
    let flow = ensure_fresh(app, flow).await?;
    if flow.state.is_completed() {
        return Err(ApiError::bad_request(format!(
            "This {} flow was completed already; initialize a new one.",
            flow.kind.as_str()
        ))
        .with_id("self_service_flow_completed")
        .into());
    }
    Ok(flow)
}

/// Shows the flow again with the host's messages, keeping what the user typed (but no
/// secrets), and stores it. Kratos answers such a submission with 400 and the flow.
pub async fn reject(
    app: &App,
    flow: Flow,
    input: &serde_json::Map<String, Value>,
    flow_messages: Vec<Value>,
    node_messages: Vec<(String, Value)>,
) -> Result<Box<Flow>, DomainError> {
    let (flow, _) = show_again(app, flow, input, flow_messages, node_messages).await?;
    Ok(flow)
}

/// [`reject`] with a plugin's rejection. A message for a node the form does not have still
/// reaches the user, with the flow's messages, and a warning tells the plugin's author.
pub async fn reject_for_plugin(
    app: &App,
    factor: &Factor,
    flow: Flow,
    input: &serde_json::Map<String, Value>,
    rejection: &Rejection,
) -> Result<Box<Flow>, DomainError> {
    let (flow_messages, node_messages) = rejection_messages(rejection);
    let (flow, moved) = show_again(app, flow, input, flow_messages, node_messages).await?;
    warn_moved(factor.name(), &moved);
    Ok(flow)
}

async fn show_again(
    app: &App,
    mut flow: Flow,
    input: &serde_json::Map<String, Value>,
    flow_messages: Vec<Value>,
    node_messages: Vec<(String, Value)>,
) -> Result<(Box<Flow>, Vec<(String, Value)>), DomainError> {
    ui::fill_values(&mut flow.ui, input);
    let moved = ui::set_messages(&mut flow.ui, flow_messages, node_messages);
    app.store.update_flow(&flow).await?;
    Ok((Box::new(flow), moved))
}

fn rejection_messages(rejection: &Rejection) -> (Vec<Value>, Vec<(String, Value)>) {
    (
        rejection.messages.iter().map(ui::text_json).collect(),
        rejection
            .node_messages
            .iter()
            .map(|(name, text)| (name.clone(), ui::text_json(text)))
            .collect(),
    )
}

/// A plugin's node messages that went to the flow because no node of the form has their name:
/// most often a typo, or a node the plugin did not render in this flow.
fn warn_moved(plugin: &str, moved: &[(String, Value)]) {
    for (node, message) in moved {
        let message_id = message
            .get("id")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        tracing::warn!(
            plugin,
            node = node.as_str(),
            message_id,
            "a rejection's message names a node the form does not have; it is shown with the flow's messages instead"
        );
    }
}
/// Stores what a rejection asks to keep (a failed-attempt counter, a lockout) in place of
/// `given`, the credential the plugin was shown, unless it changed since. Called with that
/// credential's turn held. Without a given credential the update is dropped: in a login for an
/// unknown identifier, storing it (or failing) would tell that the account does not exist.
pub async fn keep_rejected_update(
    app: &App,
    factor: &Factor,
    given: Option<&Credential>,
    update: Option<CredentialWrite>,
) -> Result<(), DomainError> {
    let Some(write) = update else {
        return Ok(());
    };
    let Some(given) = given else {
        tracing::debug!(
            plugin = factor.name(),
            "a rejection's credential update was dropped: the call was given no credential"
        );
        return Ok(());
    };
    let expected = given.version;
    let credential = Credential {
        identifiers: write.identifiers,
        config: write.config_json,
        updated_at: app.now(),
        ..given.clone()
    };
    match app.store.put_credential(&credential, Some(expected)).await {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict) => Err(ApiError::conflict(
            "The credential changed while this submission was checked; submit it again.",
        )
        .into()),
        Err(StoreError::DuplicateIdentifier { .. }) => Err(ApiError::internal(format!(
            "plugin `{}` answered a rejection with identifiers another identity holds",
            factor.name()
        ))
        .into()),
        Err(err) => Err(err.into()),
    }
}

/// The `method` a submission names, which must be a loaded plugin joining this flow.
pub fn submitted_method(
    app: &App,
    input: &serde_json::Map<String, Value>,
    kind: FlowKind,
) -> Result<std::sync::Arc<crate::plugin::Factor>, ApiError> {
    let method = input
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("the submission has no `method` field"))?;
    app.factors
        .get(method)
        .filter(|f| f.joins(kind))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Could not find a strategy to handle method `{method}` in a {} flow",
                kind.as_str()
            ))
        })
}

/// The submitted fields a plugin sees: everything but the CSRF token.
pub fn plugin_input(input: &serde_json::Map<String, Value>) -> String {
    let mut input = input.clone();
    input.remove("csrf_token");
    Value::Object(input).to_string()
}

/// Where a browser is sent to see a flow: `selfservice.flows.<kind>.ui_url?flow=<id>`, or,
/// without a configured UI, the flow's JSON.
pub fn ui_url(app: &App, flow: &Flow) -> String {
    ui_url_of(app, flow.kind, &flow.id.to_string())
}

/// [`ui_url`] for the flow of `kind` with the id `id`.
pub fn ui_url_of(app: &App, kind: FlowKind, id: &str) -> String {
    match app.config.selfservice.flows.of(kind).ui_url {
        Some(url) => {
            let mut url = url.clone();
            url.query_pairs_mut().append_pair("flow", id);
            url.to_string()
        }
        None => app.public_url(&format!("/self-service/{}/flows?id={id}", kind.as_str(),)),
    }
}

/// HTML forms name the method by the button pressed: usually `method=password`, but a provider
/// button submits `provider=<id>` (`link=`/`unlink=` in settings). Without a `method` field, the
/// pressed button's node group in the flow says whose it is, as Kratos' own UIs rely on.
pub fn infer_method(app: &App, flow: &Flow, input: &mut serde_json::Map<String, Value>) {
    if input.contains_key("method") {
        return;
    }
    let nodes = flow.ui["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let pressed_group = nodes.iter().find_map(|node| {
        let attributes = &node["attributes"];
        if attributes["type"] != "submit" {
            return None;
        }
        let pressed = input.get(attributes["name"].as_str()?)?;
        (pressed.as_str() == attributes["value"].as_str()).then(|| node["group"].as_str())?
    });
    let method = pressed_group.and_then(|group| {
        app.factors
            .current()
            .all
            .iter()
            .find(|f| f.info.node_group == group)
            .map(|f| f.id().to_string())
    });
    if let Some(method) = method {
        input.insert("method".into(), Value::String(method));
    }
}
