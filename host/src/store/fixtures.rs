//! Sample model values for the store's tests, with microsecond timestamps, so round trips
//! prove the precision every backend keeps (PostgreSQL's).

use crate::model::{
    Aal, AuthMethod, Credential, Device, Flow, FlowKind, FlowVariant, Identity, IdentityState,
    Session,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + seconds, 123_456_000)
        .single()
        .expect("valid timestamp")
}

pub(crate) fn identity(email: &str) -> Identity {
    Identity {
        id: Uuid::new_v4(),
        schema_id: "default".into(),
        state: IdentityState::Active,
        traits: json!({ "email": email, "name": { "first": "Ada" } }),
        metadata_public: Some(json!({ "plan": "free" })),
        metadata_admin: None,
        verifiable_addresses: vec![],
        recovery_addresses: vec![],
        created_at: at(0),
        updated_at: at(1),
    }
}

pub(crate) fn credential(identity_id: Uuid, method: &str, identifiers: &[&str]) -> Credential {
    Credential {
        identity_id,
        method: method.into(),
        identifiers: identifiers.iter().map(|s| s.to_string()).collect(),
        config: r#"{"hashed_password":"$argon2id$v=19$..."}"#.into(),
        version: 1,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub(crate) fn session(identity_id: Uuid) -> Session {
    let mut token_hash = [0u8; 32];
    token_hash[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    Session {
        id: Uuid::new_v4(),
        token_hash,
        identity_id,
        active: true,
        aal: Aal::Aal1,
        authenticated_at: at(10),
        issued_at: at(10),
        expires_at: at(10) + Duration::hours(24),
        methods: vec![AuthMethod {
            method: "password".into(),
            aal: Aal::Aal1,
            completed_at: at(10),
            provider: None,
        }],
        devices: vec![Device {
            id: Uuid::new_v4(),
            ip_address: Some("127.0.0.1".into()),
            user_agent: Some("curl/8".into()),
            location: None,
        }],
    }
}

pub(crate) fn flow(expires_at: DateTime<Utc>) -> Flow {
    Flow {
        id: Uuid::new_v4(),
        kind: FlowKind::Login,
        variant: FlowVariant::Browser,
        state: crate::model::FlowState::ChooseMethod,
        issued_at: at(0),
        expires_at,
        request_url: "http://127.0.0.1:4433/self-service/login/browser".into(),
        return_to: Some("http://127.0.0.1:3000/welcome".into()),
        requested_aal: Aal::Aal2,
        refresh: true,
        identity_id: Some(Uuid::new_v4()),
        session_id: None,
        csrf_token: Some("csrf".into()),
        plugin_state: BTreeMap::from([("totp".to_string(), "pending-secret".to_string())]),
        ui: json!({ "action": "/self-service/login", "method": "POST", "nodes": [] }),
        schema_id: Some("default".into()),
    }
}

pub(crate) fn courier_message(
    recipient: &str,
    created_at: DateTime<Utc>,
) -> crate::store::courier::NewCourierMessage {
    crate::store::courier::NewCourierMessage {
        id: Uuid::new_v4(),
        message_type: crate::store::courier::MessageType::Email,
        channel: "email".into(),
        recipient: recipient.into(),
        subject: "Recover access to your account".into(),
        body: "Your recovery code is: 123456".into(),
        html_body: Some("<p>Your recovery code is: 123456</p>".into()),
        template_type: "recovery_code_valid".into(),
        template_data: json!({ "To": recipient, "RecoveryCode": "123456" }),
        identity_id: Some(Uuid::new_v4()),
        created_at,
    }
}
