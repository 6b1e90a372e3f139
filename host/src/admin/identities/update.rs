//! Replacing and JSON-patching an identity, and moving its credentials' identifiers along.

use super::super::conflict;
use super::*;
use crate::store::StoreError;
use serde::Deserialize;
use serde_json::Map;

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
    let mut updated = Identity {
        schema_id: schema.id.clone(),
        state: parse_state(update.state.as_deref(), existing.state)?,
        traits,
        metadata_public: update.metadata_public,
        metadata_admin: update.metadata_admin,
        updated_at: app.now(),
        ..existing
    };
    crate::identity::addresses::sync(&mut updated, schema);
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

#[cfg(test)]
mod tests {
    use super::super::tests::schema;
    use super::*;

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
}
