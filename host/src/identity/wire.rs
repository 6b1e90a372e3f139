//! Identities and sessions as Kratos puts them on the wire.

use crate::model::{Identity, Session};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use url::Url;

/// Kratos names a schema by the base64url of its id under the public `/schemas/` path.
pub fn schema_url(public_base: &Url, schema_id: &str) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(schema_id.as_bytes());
    public_base
        .join(&format!("schemas/{encoded}"))
        .map(|u| u.to_string())
        .unwrap_or_default()
}

pub fn identity_json(identity: &Identity, public_base: &Url) -> Value {
    json!({
        "id": identity.id,
        "schema_id": identity.schema_id,
        "schema_url": schema_url(public_base, &identity.schema_id),
        "state": identity.state.as_str(),
        "traits": identity.traits,
        "verifiable_addresses": [],
        "recovery_addresses": [],
        "metadata_public": identity.metadata_public,
        "created_at": identity.created_at,
        "updated_at": identity.updated_at,
        "organization_id": null,
    })
}

pub fn session_json(
    session: &Session,
    identity: &Identity,
    public_base: &Url,
    now: chrono::DateTime<chrono::Utc>,
) -> Value {
    json!({
        "id": session.id,
        "active": session.active && session.expires_at > now,
        "expires_at": session.expires_at,
        "authenticated_at": session.authenticated_at,
        "authenticator_assurance_level": session.aal.as_str(),
        "authentication_methods": session.methods,
        "issued_at": session.issued_at,
        "identity": identity_json(identity, public_base),
        "devices": session.devices,
    })
}
