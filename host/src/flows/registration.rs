//! Registration: traits validated against the identity schema, a credential from the plugin,
//! then the identity, its credential and its first session.

use super::external;
use super::{plugin_context, plugin_input, reject, reject_for_plugin, submitted_method};
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::flows;
use crate::flows::outcome::Submitted;
use crate::identity::schema::traits_from_input;
use crate::model::{Aal, Credential, Flow, FlowKind, FlowState, Identity, IdentityState};
use crate::plugin::SubmitOutcome;
use crate::sessions::{self, ClientInfo};
use crate::store::StoreError;
use crate::ui;
use serde_json::{Map, Value};
use uuid::Uuid;

pub async fn submit(
    app: &App,
    flow: Flow,
    input: Map<String, Value>,
    client: &ClientInfo,
) -> Result<Submitted, DomainError> {
    if !app.config.selfservice.flows.registration.enabled {
        return Err(disabled().into());
    }
    let factor = submitted_method(app, &input, FlowKind::Registration)?;
    if let Some(done) = external::finish_pending(app, flow.clone(), &input, &factor, client).await?
    {
        return Ok(done);
    }
    let schema = flows::registration_schema(app, &flow);
    let schema_id = schema.id.clone();
    let traits = traits_from_input(&input);

    let errors = schema.validate(&traits);
    let ctx_identity = Identity {
        id: Uuid::new_v4(),
        schema_id: schema_id.clone(),
        state: IdentityState::Active,
        traits: traits.clone(),
        metadata_public: None,
        metadata_admin: None,
        verifiable_addresses: vec![],
        recovery_addresses: vec![],
        created_at: app.now(),
        updated_at: app.now(),
    };
    let ctx = plugin_context(app, &flow, factor.id(), Some(&ctx_identity), None);
    let outcome = factor.submit(ctx, plugin_input(&input)).await?;
    // A method that signs up through a third party gets its traits from there, so the form's
    // traits do not stop it; any other answer waits for traits that validate.
    if let Ok(SubmitOutcome::Redirect(to)) = outcome {
        return external::redirect(app, flow, &factor, to).await;
    }
    if !errors.is_empty() {
        let node_messages = errors.into_iter().map(|e| (e.node, e.message)).collect();
        return Ok(Submitted::Rejected {
            flow: reject(app, flow, &input, vec![], node_messages).await?,
        });
    }
    let write = match outcome {
        Ok(SubmitOutcome::CredentialSet(write)) => write,
        Ok(_) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` answered a registration with an outcome that does not create a credential",
                factor.name()
            )).into());
        }
        Err(rejection) => {
            return Ok(Submitted::Rejected {
                flow: reject_for_plugin(app, &factor, flow, &input, &rejection).await?,
            });
        }
    };
    let enrolment = Enrolment {
        schema_id,
        traits,
        method: factor.id().to_string(),
        identifiers: write.identifiers,
        config: write.config_json,
        aal: factor.info.aal,
        provider: None,
    };
    match enrol_as(app, ctx_identity.id, enrolment, client).await? {
        Some(submitted) => {
            finish_flow(app, flow).await?;
            Ok(submitted)
        }
        None => Ok(Submitted::Rejected {
            flow: reject(app, flow, &input, vec![ui::duplicate_identifier()], vec![]).await?,
        }),
    }
}

/// A new identity about to be created with its first credential.
pub struct Enrolment {
    pub schema_id: String,
    pub traits: Value,
    pub method: String,
    pub identifiers: Vec<String>,
    pub config: String,
    pub aal: Aal,
    /// The third party that vouched for the identity (OIDC), recorded on the session.
    pub provider: Option<String>,
}

/// Creates the identity, its credential and its first session in one write. `None` when one
/// of the credential's identifiers belongs to another identity already.
pub async fn enrol(
    app: &App,
    enrolment: Enrolment,
    client: &ClientInfo,
) -> Result<Option<Submitted>, DomainError> {
    enrol_as(app, Uuid::new_v4(), enrolment, client).await
}

async fn enrol_as(
    app: &App,
    id: Uuid,
    enrolment: Enrolment,
    client: &ClientInfo,
) -> Result<Option<Submitted>, DomainError> {
    let now = app.now();
    let mut identity = Identity {
        id,
        schema_id: enrolment.schema_id,
        state: IdentityState::Active,
        traits: enrolment.traits,
        metadata_public: None,
        metadata_admin: None,
        verifiable_addresses: vec![],
        recovery_addresses: vec![],
        created_at: now,
        updated_at: now,
    };
    if let Some(schema) = app.schemas.get(&identity.schema_id) {
        crate::identity::addresses::sync(&mut identity, schema);
    }
    let credential = Credential {
        identity_id: identity.id,
        method: enrolment.method.clone(),
        identifiers: enrolment.identifiers,
        config: enrolment.config,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let (mut session, token) =
        sessions::start(app, identity.id, &enrolment.method, enrolment.aal, client);
    if let Some(method) = session.methods.last_mut() {
        method.provider = enrolment.provider;
    }
    match app.store.create_identity(&identity, &[credential]).await {
        Ok(()) => {}
        Err(StoreError::DuplicateIdentifier { .. }) => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    app.store.create_session(&session).await?;
    Ok(Some(Submitted::SessionStarted {
        session: Box::new(session),
        identity: Box::new(identity),
        token,
    }))
}

/// `selfservice.flows.registration.enabled: false`: nobody signs up on their own.
pub fn disabled() -> ApiError {
    ApiError::bad_request("Registration is not allowed because it was disabled.")
        .with_id("self_service_flow_disabled")
}

/// A completed flow stays readable but cannot be submitted again. Its plugin-state goes: a
/// spent challenge must not outlive the flow it was issued for.
pub async fn finish_flow(app: &App, mut flow: Flow) -> Result<(), DomainError> {
    flow.state = FlowState::PassedChallenge;
    flow.plugin_state.clear();
    app.store.update_flow(&flow).await?;
    Ok(())
}
