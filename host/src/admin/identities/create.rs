//! Creating an identity, with the credentials it is imported with.

use super::super::conflict;
use super::*;
use crate::model::VerifiableAddress;
use crate::plugin::Rejection;
use crate::store::StoreError;
use crate::ui;
use serde::Deserialize;
use serde_json::Map;

/// `createIdentityBody`. The addresses come from the traits (see `identity::addresses`);
/// `verifiable_addresses` given here only carry over whether an address of the traits is
/// already verified, as Kratos imports them, and `recovery_addresses` add nothing the traits do
/// not. Unknown fields are refused, as Kratos' strict decoder refuses them (identity/handler.go
/// create).
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
    verifiable_addresses: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    #[allow(dead_code)]
    recovery_addresses: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    #[allow(dead_code)]
    region: Option<String>,
}

/// Imported `verifiable_addresses`: `value` (required), `via` (`email` when left out),
/// `verified` and `status` (`completed` for a verified one when left out), `verified_at`.
fn imported_verifiable(
    given: Option<Vec<Map<String, Value>>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<VerifiableAddress>, ApiError> {
    let field = |i: usize, name: &str| format!("verifiable_addresses[{i}].{name}");
    let mut out = Vec::new();
    for (i, entry) in given.unwrap_or_default().into_iter().enumerate() {
        let text = |name: &str| -> Result<Option<String>, ApiError> {
            match entry.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ApiError::bad_request(format!(
                    "`{}` must be a string",
                    field(i, name)
                ))),
            }
        };
        let via = text("via")?.unwrap_or_else(|| "email".into());
        let value = text("value")?
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("`{}` is required", field(i, "value"))))?;
        let verified = match entry.get("verified") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "`{}` must be true or false",
                    field(i, "verified")
                )));
            }
        };
        let status = text("status")?
            .unwrap_or_else(|| if verified { "completed" } else { "pending" }.to_string());
        if !["pending", "sent", "completed"].contains(&status.as_str()) {
            return Err(ApiError::bad_request(format!(
                "`{}` must be pending, sent or completed",
                field(i, "status")
            )));
        }
        let verified_at = match text("verified_at")? {
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| {
                        ApiError::bad_request(format!(
                            "`{}` must be an RFC 3339 time",
                            field(i, "verified_at")
                        ))
                    })?
                    .with_timezone(&chrono::Utc),
            ),
            None => verified.then_some(now),
        };
        out.push(VerifiableAddress {
            id: Uuid::new_v4(),
            value: crate::identity::addresses::normalise(&via, &value),
            via,
            verified,
            status,
            verified_at,
            created_at: now,
            updated_at: now,
        });
    }
    Ok(out)
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
    let mut identity = Identity {
        id: Uuid::new_v4(),
        schema_id: schema.id.clone(),
        state: parse_state(body.state.as_deref(), IdentityState::Active)?,
        traits,
        metadata_public: body.metadata_public,
        metadata_admin: body.metadata_admin,
        verifiable_addresses: imported_verifiable(body.verifiable_addresses, now)?,
        recovery_addresses: vec![],
        created_at: now,
        updated_at: now,
    };
    crate::identity::addresses::sync(&mut identity, schema);
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

#[cfg(test)]
mod tests {
    use super::*;

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
