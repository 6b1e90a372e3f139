//! Identities over the admin API: create (with credential import), read, list, replace,
//! JSON-Patch and delete.
//!
//! Credentials are only ever created by [`create`], through the plugin that owns their type.
//! Replacing or patching an identity never creates or changes a credential's secret; it only
//! moves a credential's login identifiers along when the traits they come from change.

use super::pagination::PageRequest;
use super::query::QueryParams;
use super::{conflict, identity_not_found};
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::identity::schema::{IdentitySchema, TraitError};
use crate::identity::wire::admin_identity_json;
use crate::model::{Credential, Identity, IdentityState};
use crate::plugin::Rejection;
use crate::store::StoreError;
use crate::ui;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

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

/// `createIdentityBody`. `verifiable_addresses` and `recovery_addresses` are accepted (when
/// they are lists of objects) and ignored: Latchkey keeps no addresses yet. Unknown fields are
/// refused, as Kratos' strict decoder refuses them (identity/handler.go create).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    schema_id: Option<String>,
    #[serde(default)]
    traits: Option<Value>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    metadata_public: Option<Value>,
    #[serde(default)]
    metadata_admin: Option<Value>,
    #[serde(default)]
    credentials: Option<Map<String, Value>>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    verifiable_addresses: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    #[allow(dead_code)]
    recovery_addresses: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    #[allow(dead_code)]
    region: Option<String>,
}

/// `updateIdentityBody`, and what a JSON Patch leaves of an identity.
#[derive(Deserialize)]
struct UpdateBody {
    #[serde(default)]
    schema_id: Option<String>,
    #[serde(default)]
    traits: Option<Value>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    metadata_public: Option<Value>,
    #[serde(default)]
    metadata_admin: Option<Value>,
    /// Never applied (see [`replace`]), but it must be what Kratos would decode: an object.
    #[serde(default)]
    credentials: Option<Map<String, Value>>,
    #[serde(default)]
    external_id: Option<String>,
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

/// The texts of a plugin's rejection, flow messages first, then node messages.
pub fn rejection_reason(rejection: &Rejection) -> String {
    let texts: Vec<String> = rejection
        .messages
        .iter()
        .map(|m| m.text.clone())
        .chain(
            rejection
                .node_messages
                .iter()
                .map(|(node, m)| format!("{node}: {}", m.text)),
        )
        .collect();
    if texts.is_empty() {
        "the credential was rejected".to_string()
    } else {
        texts.join("; ")
    }
}

fn rejection_details(kind: &str, rejection: &Rejection) -> Value {
    let messages: Vec<Value> = rejection
        .messages
        .iter()
        .map(ui::text_json)
        .chain(
            rejection
                .node_messages
                .iter()
                .map(|(_, m)| ui::text_json(m)),
        )
        .collect();
    json!({ "credential_type": kind, "messages": messages })
}

/// Hands every imported credential to the plugin that owns its type.
async fn import_credentials(
    app: &App,
    schema: &IdentitySchema,
    identity: &Identity,
    imports: Map<String, Value>,
) -> Result<Vec<Credential>, DomainError> {
    let mut credentials = Vec::with_capacity(imports.len());
    for (kind, import) in imports {
        if import.is_null() {
            continue;
        }
        let factor = app.factors.get(&kind).ok_or_else(|| {
            ApiError::bad_request(format!("no plugin is loaded for credential type {kind}"))
        })?;
        let config = import
            .get("config")
            .filter(|c| !c.is_null())
            .ok_or_else(|| {
                ApiError::bad_request(format!("`credentials.{kind}.config` is required"))
            })?;
        let marked = schema.marked_traits(&kind, &identity.traits);
        match factor.import_credential(config.to_string(), marked).await? {
            Ok(write) => credentials.push(Credential {
                identity_id: identity.id,
                method: kind,
                identifiers: write.identifiers,
                config: write.config_json,
                version: 1,
                created_at: identity.created_at,
                updated_at: identity.created_at,
            }),
            Err(rejection) => {
                return Err(ApiError::bad_request(rejection_reason(&rejection))
                    .with_details(rejection_details(&kind, &rejection))
                    .into());
            }
        }
    }
    Ok(credentials)
}

/// `POST /admin/identities` and each record of `latchkey identities import`: validates the
/// traits, imports the credentials through their plugins, and stores everything in one
/// transaction.
pub async fn create(app: &App, body: Value) -> Result<IdentityView, DomainError> {
    if !body.is_object() {
        return Err(
            ApiError::bad_request("Unable to decode JSON payload: expected a JSON object").into(),
        );
    }
    let body: CreateBody = decode(body)?;
    if body.external_id.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(unsupported_field("external_id").into());
    }
    if body
        .organization_id
        .as_deref()
        .is_some_and(|s| !s.is_empty())
    {
        return Err(unsupported_field("organization_id").into());
    }
    let schema = schema(app, body.schema_id.as_deref())?;
    let traits = validate_traits(schema, body.traits)?;
    let now = app.now();
    let identity = Identity {
        id: Uuid::new_v4(),
        schema_id: schema.id.clone(),
        state: parse_state(body.state.as_deref(), IdentityState::Active)?,
        traits,
        metadata_public: body.metadata_public,
        metadata_admin: body.metadata_admin,
        created_at: now,
        updated_at: now,
    };
    let credentials =
        import_credentials(app, schema, &identity, body.credentials.unwrap_or_default()).await?;
    match app.store.create_identity(&identity, &credentials).await {
        Ok(()) => {}
        Err(StoreError::DuplicateIdentifier { .. }) => return Err(conflict().into()),
        Err(err) => return Err(err.into()),
    }
    Ok(IdentityView {
        identity,
        credentials: Some(credentials),
    })
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

/// A page of identities, and the id the next page starts after. `credentials_identifier`
/// and `ids` select identities directly and are not paginated.
pub async fn list(
    app: &App,
    query: &QueryParams,
    page: PageRequest,
) -> Result<(Vec<IdentityView>, Option<Uuid>), DomainError> {
    let with_credentials = !included_credentials(app, query)?.is_empty();
    let identifier = query.get("credentials_identifier").map(str::to_owned);
    let ids = query
        .list("ids")
        .iter()
        .map(|s| {
            Uuid::parse_str(s).map_err(|_| {
                ApiError::bad_request(format!("Invalid UUID value `{s}` for parameter `ids`."))
            })
        })
        .collect::<Result<Vec<Uuid>, ApiError>>()?;
    // Latchkey has no organizations: a valid organization id selects nobody.
    let organization = query
        .get("organization_id")
        .map(|s| {
            Uuid::parse_str(s).map_err(|_| {
                ApiError::bad_request(format!(
                    "Invalid UUID value `{s}` for parameter `organization_id`."
                ))
            })
        })
        .transpose()?;
    let filters = [
        !ids.is_empty(),
        organization.is_some(),
        identifier.is_some(),
        query
            .get("preview_credentials_identifier_similar")
            .is_some(),
    ];
    if filters.iter().filter(|f| **f).count() > 1 {
        return Err(
            ApiError::bad_request("You cannot combine multiple filters in this API").into(),
        );
    }
    if organization.is_some() {
        return Ok((Vec::new(), None));
    }
    let selected = identifier.is_some() || !ids.is_empty();
    let identities = if let Some(identifier) = identifier {
        let lowered = identifier.trim().to_lowercase();
        let mut found = app.store.identities_by_identifier(&lowered).await?;
        if lowered != identifier {
            for extra in app.store.identities_by_identifier(&identifier).await? {
                if !found.iter().any(|i| i.id == extra.id) {
                    found.push(extra);
                }
            }
        }
        found
    } else if selected {
        let mut found = Vec::new();
        for id in ids {
            if let Some(identity) = app.store.get_identity(id).await?
                && !found.iter().any(|i: &Identity| i.id == identity.id)
            {
                found.push(identity);
            }
        }
        found
    } else {
        app.store
            .list_identities(page.fetch_size(), page.after)
            .await?
    };
    let (identities, next) = if selected {
        (identities, None)
    } else {
        page.cut(identities, |i| i.id)
    };
    let mut views = Vec::with_capacity(identities.len());
    for identity in identities {
        let credentials = if with_credentials {
            Some(app.store.credentials_of(identity.id).await?)
        } else {
            None
        };
        views.push(IdentityView {
            identity,
            credentials,
        });
    }
    Ok((views, next))
}

/// The credential types `include_credential` asks for. Each must be a type Kratos knows
/// (identity/credentials.go ParseCredentialsType) or a loaded factor's; anything else is the
/// 400 Kratos answers.
pub fn included_credentials(app: &App, query: &QueryParams) -> Result<Vec<String>, ApiError> {
    const KRATOS_TYPES: &[&str] = &[
        "password",
        "oidc",
        "saml",
        "totp",
        "lookup_secret",
        "webauthn",
        "code",
        "link_recovery",
        "code_recovery",
        "deviceauthn",
        "passkey",
    ];
    let types = query.list("include_credential");
    match types
        .iter()
        .find(|t| !KRATOS_TYPES.contains(&t.as_str()) && app.factors.get(t).is_none())
    {
        Some(bad) => Err(ApiError::bad_request(format!(
            "Invalid value `{bad}` for parameter `include_credential`."
        ))),
        None => Ok(types),
    }
}

/// The fields an update sets; everything else is kept.
struct Update {
    schema_id: Option<String>,
    traits: Option<Value>,
    state: Option<String>,
    metadata_public: Option<Value>,
    metadata_admin: Option<Value>,
}

/// `PUT /admin/identities/{id}`: replaces `schema_id` (kept when absent), `traits`, `state`
/// (kept when absent), `metadata_public` and `metadata_admin`. `credentials` in the body are
/// ignored: a PUT never creates or changes credentials.
pub async fn replace(app: &App, id: Uuid, body: Value) -> Result<IdentityView, DomainError> {
    if !body.is_object() {
        return Err(
            ApiError::bad_request("Unable to decode JSON payload: expected a JSON object").into(),
        );
    }
    let body: UpdateBody = decode(body)?;
    if body.external_id.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(unsupported_field("external_id").into());
    }
    if body.credentials.is_some() {
        tracing::info!(identity = %id, "ignored `credentials` in an identity update: updates never create or change credentials");
    }
    let existing = load(app, id).await?;
    apply(
        app,
        existing,
        Update {
            schema_id: body.schema_id,
            traits: body.traits,
            state: body.state,
            metadata_public: body.metadata_public,
            metadata_admin: body.metadata_admin,
        },
    )
    .await
}

/// Top-level identity fields a JSON Patch may change.
const PATCHABLE: &[&str] = &[
    "schema_id",
    "traits",
    "state",
    "metadata_public",
    "metadata_admin",
];

/// The top-level field a JSON Pointer points into (`/traits/email` → `traits`), unescaped.
fn top_level_field(pointer: &str) -> Option<String> {
    let rest = pointer.strip_prefix('/')?;
    let first = rest.split('/').next().unwrap_or("");
    Some(first.replace("~1", "/").replace("~0", "~"))
}

/// Refuses operations that would touch anything but [`PATCHABLE`] fields: `id`,
/// `credentials`, timestamps and the other read-only fields. `test` and `copy` only read
/// their source, so they may name any field there.
fn check_patch(ops: &[Value]) -> Result<(), ApiError> {
    for (index, op) in ops.iter().enumerate() {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
        let writes_path = kind != "test";
        let mut pointers: Vec<&str> = Vec::new();
        if writes_path && let Some(path) = op.get("path").and_then(Value::as_str) {
            pointers.push(path);
        }
        if kind == "move"
            && let Some(from) = op.get("from").and_then(Value::as_str)
        {
            pointers.push(from);
        }
        for pointer in pointers {
            match top_level_field(pointer) {
                Some(field) if PATCHABLE.contains(&field.as_str()) => {}
                Some(field) if field.is_empty() => {
                    return Err(ApiError::bad_request(format!(
                        "patch operation {index} replaces the whole identity; patch its fields instead"
                    )));
                }
                Some(field) => {
                    return Err(ApiError::bad_request(format!(
                        "patch operation {index} targets `/{field}`, which cannot be changed; patchable fields are {}",
                        PATCHABLE.join(", ")
                    )));
                }
                None => {
                    return Err(ApiError::bad_request(format!(
                        "patch operation {index} has an invalid path `{pointer}`"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// `PATCH /admin/identities/{id}`: an RFC 6902 JSON Patch applied to the identity's JSON,
/// then validated and stored like a PUT.
pub async fn patch(app: &App, id: Uuid, body: Value) -> Result<IdentityView, DomainError> {
    let Value::Array(ops) = &body else {
        return Err(ApiError::bad_request(
            "Unable to decode JSON payload: a JSON Patch document is an array of operations",
        )
        .into());
    };
    check_patch(ops)?;
    let patch: json_patch::Patch = decode(body)?;
    let existing = load(app, id).await?;
    let mut doc = admin_identity_json(&existing, &app.public_base, None, &[]);
    json_patch::patch(&mut doc, &patch)
        .map_err(|e| ApiError::bad_request(format!("Unable to apply the JSON Patch: {e}")))?;
    let field = |name: &str| doc.get(name).cloned().filter(|v| !v.is_null());
    let schema_id = match field("schema_id") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(ApiError::bad_request("`schema_id` must be a string").into()),
    };
    let state = match field("state") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(ApiError::bad_request("`state` must be a string").into()),
    };
    let update = Update {
        schema_id,
        traits: field("traits"),
        state,
        metadata_public: field("metadata_public"),
        metadata_admin: field("metadata_admin"),
    };
    apply(app, existing, update).await
}

async fn load(app: &App, id: Uuid) -> Result<Identity, DomainError> {
    app.store
        .get_identity(id)
        .await?
        .ok_or_else(|| identity_not_found(id).into())
}

/// Whether the schema marks any trait as a `<method>` login identifier.
fn schema_marks_identifier(schema: &Value, method: &str) -> bool {
    fn walk(props: &Value, method: &str) -> bool {
        let Some(props) = props.as_object() else {
            return false;
        };
        props.values().any(|prop| {
            let marked = prop
                .get("ory.sh/kratos")
                .and_then(|ext| ext.pointer(&format!("/credentials/{method}/identifier")))
                .and_then(Value::as_bool)
                == Some(true);
            marked
                || prop.get("properties").is_some_and(|p| walk(p, method))
                || prop
                    .pointer("/items/properties")
                    .is_some_and(|p| walk(p, method))
        })
    }
    schema
        .pointer("/properties/traits/properties")
        .is_some_and(|p| walk(p, method))
}

/// Login identifiers as the host indexes them: trimmed, lower case, no duplicates.
fn identifiers_from(schema: &IdentitySchema, method: &str, traits: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (key, value) in schema.marked_traits(method, traits) {
        let value = value.trim().to_lowercase();
        if key == "identifier" && !value.is_empty() && !ids.contains(&value) {
            ids.push(value);
        }
    }
    ids
}

/// Validates and stores an update. A credential whose identifiers come from the schema's
/// marked traits (and whose plugin is loaded) gets its identifiers recomputed from the new
/// traits, in the same transaction as the identity; a clash with another identity is a 409.
async fn apply(app: &App, existing: Identity, update: Update) -> Result<IdentityView, DomainError> {
    let schema = match update.schema_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => schema(app, Some(id))?,
        None => app.schemas.get(&existing.schema_id).ok_or_else(|| {
            ApiError::internal(format!(
                "the identity's schema `{}` is not configured",
                existing.schema_id
            ))
        })?,
    };
    let traits = validate_traits(schema, update.traits)?;
    let updated = Identity {
        schema_id: schema.id.clone(),
        state: parse_state(update.state.as_deref(), existing.state)?,
        traits,
        metadata_public: update.metadata_public,
        metadata_admin: update.metadata_admin,
        updated_at: app.now(),
        ..existing
    };
    let id = updated.id;
    let credentials = app.store.credentials_of(id).await?;
    let mut moved = Vec::new();
    for credential in &credentials {
        let method = credential.method.as_str();
        if app.factors.get(method).is_none() || !schema_marks_identifier(&schema.raw, method) {
            continue;
        }
        let ids = identifiers_from(schema, method, &updated.traits);
        if ids.is_empty() {
            return Err(ApiError::bad_request(format!(
                "The traits hold no identifier for the identity's {method} credential."
            ))
            .into());
        }
        if ids != credential.identifiers {
            let expected = credential.version;
            moved.push((
                Credential {
                    identifiers: ids,
                    updated_at: updated.updated_at,
                    ..credential.clone()
                },
                expected,
            ));
        }
    }
    match app
        .store
        .update_identity_with_credentials(&updated, &moved)
        .await
    {
        Ok(()) => {}
        Err(StoreError::DuplicateIdentifier { .. } | StoreError::Conflict) => {
            return Err(conflict().into());
        }
        Err(StoreError::NotFound) => return Err(identity_not_found(updated.id).into()),
        Err(err) => return Err(err.into()),
    }
    let credentials = app.store.credentials_of(updated.id).await?;
    Ok(IdentityView {
        identity: updated,
        credentials: Some(credentials),
    })
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
mod tests {
    use super::*;

    fn schema() -> IdentitySchema {
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
    fn identifier_marks_are_found_at_any_depth() {
        let s = schema();
        assert!(schema_marks_identifier(&s.raw, "password"));
        assert!(!schema_marks_identifier(&s.raw, "totp"));
        assert!(!schema_marks_identifier(&s.raw, "oidc"));
    }

    #[test]
    fn identifiers_are_trimmed_lowercased_and_distinct() {
        let s = schema();
        let traits = json!({ "email": " Ada@Example.com", "name": { "nick": "ada@example.com" } });
        assert_eq!(
            identifiers_from(&s, "password", &traits),
            ["ada@example.com"]
        );
        assert!(identifiers_from(&s, "totp", &traits).is_empty());
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

    #[test]
    fn patches_may_only_touch_writable_fields() {
        let ok = json!([
            { "op": "replace", "path": "/traits/email", "value": "b@example.com" },
            { "op": "add", "path": "/metadata_public", "value": { "a": 1 } },
            { "op": "test", "path": "/id", "value": "x" },
            { "op": "copy", "from": "/id", "path": "/metadata_admin" },
        ]);
        check_patch(ok.as_array().unwrap()).unwrap();
        for bad in [
            json!([{ "op": "replace", "path": "/id", "value": "x" }]),
            json!([{ "op": "add", "path": "/credentials/password", "value": {} }]),
            json!([{ "op": "remove", "path": "/created_at" }]),
            json!([{ "op": "move", "from": "/schema_url", "path": "/traits/url" }]),
            json!([{ "op": "replace", "path": "", "value": {} }]),
            json!([{ "op": "replace", "path": "traits", "value": {} }]),
        ] {
            let err = check_patch(bad.as_array().unwrap()).unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{bad}");
        }
    }

    #[test]
    fn rejections_read_as_their_texts() {
        use crate::plugin::{MessageType, UiText};
        let text = |t: &str| UiText {
            id: 4000001,
            text: t.into(),
            type_: MessageType::Error,
            context_json: None,
        };
        let rejection = Rejection {
            messages: vec![text("bad hash")],
            node_messages: vec![("password".into(), text("too short"))],
            credential_update: None,
        };
        assert_eq!(
            rejection_reason(&rejection),
            "bad hash; password: too short"
        );
        let details = rejection_details("password", &rejection);
        assert_eq!(details["credential_type"], "password");
        assert_eq!(details["messages"].as_array().unwrap().len(), 2);
    }
}
