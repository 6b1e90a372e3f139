//! Identities over the admin API: create (with credential import), read, list, replace,
//! JSON-Patch and delete.
//!
//! Credentials are only ever created by [`create`], through the plugin that owns their type.
//! Replacing or patching an identity never creates or changes a credential's secret; it only
//! moves a credential's login identifiers along when the traits they come from change.

use super::identity_not_found;
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::identity::schema::{IdentitySchema, TraitError};
use crate::identity::wire::admin_identity_json;
use crate::model::{Credential, Identity, IdentityState};
use serde_json::{Value, json};
use uuid::Uuid;

mod create;
mod list;
mod update;

pub use create::{create, rejection_reason};
pub use list::{included_credentials, list};
pub use update::{patch, replace};

/// An identity with the credentials it holds, as the admin API shows it.
#[derive(Debug, Clone)]
pub struct IdentityView {
    pub identity: Identity,
    /// `None` when the response leaves credentials out (lists without `include_credential`).
    pub credentials: Option<Vec<Credential>>,
}

impl IdentityView {
    /// Kratos' identity JSON with `config` for the credential types in `include_config`.
    pub fn to_json(&self, app: &App, include_config: &[String]) -> Value {
        admin_identity_json(
            &self.identity,
            &app.public_base,
            self.credentials.as_deref(),
            include_config,
        )
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))
}

fn unsupported_field(name: &str) -> ApiError {
    ApiError::bad_request(format!("`{name}` is not supported by Latchkey"))
}

fn parse_state(state: Option<&str>, default: IdentityState) -> Result<IdentityState, ApiError> {
    match state {
        None | Some("") => Ok(default),
        Some(s) => IdentityState::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("`state` must be `active` or `inactive`, got `{s}`"))
        }),
    }
}

fn schema<'a>(app: &'a App, id: Option<&str>) -> Result<&'a IdentitySchema, ApiError> {
    match id.filter(|s| !s.is_empty()) {
        None => Ok(app.schemas.default_schema()),
        Some(id) => app
            .schemas
            .get(id)
            .ok_or_else(|| ApiError::bad_request(format!("There is no identity schema `{id}`."))),
    }
}

/// Traits must be an object that the schema accepts; every failure is listed in the error's
/// details with the Kratos message it would show on the `traits.*` node.
fn validate_traits(schema: &IdentitySchema, traits: Option<Value>) -> Result<Value, ApiError> {
    let traits = traits.ok_or_else(|| ApiError::bad_request("`traits` is required"))?;
    if !traits.is_object() {
        return Err(ApiError::bad_request("`traits` must be a JSON object"));
    }
    let errors = schema.validate(&traits);
    if errors.is_empty() {
        Ok(traits)
    } else {
        Err(invalid_traits(errors))
    }
}

fn invalid_traits(errors: Vec<TraitError>) -> ApiError {
    let reason = errors
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.node,
                e.message["text"].as_str().unwrap_or("is invalid")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let messages: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({ "path": e.node, "message": e.message }))
        .collect();
    ApiError::bad_request(format!("The identity's traits are invalid: {reason}"))
        .with_details(json!({ "messages": messages }))
}

/// One identity with all its credentials; 404 when there is none.
pub async fn get(app: &App, id: Uuid) -> Result<IdentityView, DomainError> {
    let Some(identity) = app.store.get_identity(id).await? else {
        return Err(identity_not_found(id).into());
    };
    let credentials = app.store.credentials_of(id).await?;
    Ok(IdentityView {
        identity,
        credentials: Some(credentials),
    })
}

async fn load(app: &App, id: Uuid) -> Result<Identity, DomainError> {
    app.store
        .get_identity(id)
        .await?
        .ok_or_else(|| identity_not_found(id).into())
}

/// `DELETE /admin/identities/{id}`: the identity, its credentials and its sessions.
pub async fn delete(app: &App, id: Uuid) -> Result<(), DomainError> {
    if app.store.delete_identity(id).await? {
        Ok(())
    } else {
        Err(identity_not_found(id).into())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn schema() -> IdentitySchema {
        IdentitySchema::compile(
            "default",
            json!({
                "type": "object",
                "properties": { "traits": {
                    "type": "object",
                    "properties": {
                        "email": { "type": "string", "format": "email",
                            "ory.sh/kratos": { "credentials": {
                                "password": { "identifier": true },
                                "totp": { "account_name": true } } } },
                        "name": { "type": "object", "properties": {
                            "nick": { "type": "string",
                                "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } } } }
                    },
                    "required": ["email"]
                } }
            }),
        )
        .unwrap()
    }

    #[test]
    fn invalid_traits_list_every_message() {
        let err = validate_traits(&schema(), Some(json!({ "email": "nope" }))).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.reason.contains("traits.email"), "{}", err.reason);
        let details = err.details.clone().unwrap();
        assert_eq!(details["messages"][0]["path"], "traits.email");
        assert_eq!(details["messages"][0]["message"]["id"], 4000001);
        assert!(validate_traits(&schema(), None).is_err());
        assert!(validate_traits(&schema(), Some(json!("a"))).is_err());
    }
}
