//! Identities and sessions as Kratos puts them on the wire.

use crate::model::{Credential, Identity, Session};
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
        "verifiable_addresses": identity.verifiable_addresses,
        "recovery_addresses": identity.recovery_addresses,
        "metadata_public": identity.metadata_public,
        "created_at": identity.created_at,
        "updated_at": identity.updated_at,
        "organization_id": null,
    })
}

/// The admin API's view of an identity: [`identity_json`] plus `metadata_admin` and, when
/// `credentials` is given, Kratos' `credentials` object keyed by type. A credential's `config`
/// is included only for the types listed in `include_config` (Kratos' `include_credential`).
pub fn admin_identity_json(
    identity: &Identity,
    public_base: &Url,
    credentials: Option<&[Credential]>,
    include_config: &[String],
) -> Value {
    let mut out = identity_json(identity, public_base);
    out["metadata_admin"] = json!(identity.metadata_admin);
    if let Some(credentials) = credentials {
        let by_type: serde_json::Map<String, Value> = credentials
            .iter()
            .map(|c| {
                let mut entry = json!({
                    "type": c.method,
                    "identifiers": c.identifiers,
                    "version": c.version,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                });
                if include_config.contains(&c.method) {
                    entry["config"] = serde_json::from_str(&c.config).unwrap_or(Value::Null);
                }
                (c.method.clone(), entry)
            })
            .collect();
        out["credentials"] = Value::Object(by_type);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentityState;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    #[test]
    fn admin_json_adds_metadata_admin_and_credentials_with_config_only_when_asked() {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let identity = Identity {
            id: Uuid::new_v4(),
            schema_id: "default".into(),
            state: IdentityState::Active,
            traits: json!({ "email": "a@example.com" }),
            metadata_public: None,
            metadata_admin: Some(json!({ "note": "vip" })),
            verifiable_addresses: vec![],
            recovery_addresses: vec![],
            created_at: at,
            updated_at: at,
        };
        let password = Credential {
            identity_id: identity.id,
            method: "password".into(),
            identifiers: vec!["a@example.com".into()],
            config: r#"{"hashed_password":"$argon2id$x"}"#.into(),
            version: 3,
            created_at: at,
            updated_at: at,
        };
        let base = Url::parse("http://127.0.0.1:4433/").unwrap();

        let plain = admin_identity_json(&identity, &base, None, &[]);
        assert_eq!(plain["metadata_admin"], json!({ "note": "vip" }));
        assert!(plain.get("credentials").is_none());
        assert!(
            identity_json(&identity, &base)
                .get("metadata_admin")
                .is_none()
        );

        let creds = std::slice::from_ref(&password);
        let meta = admin_identity_json(&identity, &base, Some(creds), &[]);
        let entry = &meta["credentials"]["password"];
        assert_eq!(entry["type"], "password");
        assert_eq!(entry["identifiers"], json!(["a@example.com"]));
        assert_eq!(entry["version"], 3);
        assert!(entry.get("config").is_none());

        let full = admin_identity_json(&identity, &base, Some(creds), &["password".into()]);
        assert_eq!(
            full["credentials"]["password"]["config"]["hashed_password"],
            "$argon2id$x"
        );
    }
}
