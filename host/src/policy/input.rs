//! The policy input, built from what the host knows about a request.

use crate::model::{Aal, Identity, Session};
use crate::plugin::policy_types as wit;
use chrono::{DateTime, Utc};

/// The request as the policy sees it: for a route check, the proxied method and path.
pub struct RequestFacts {
    pub method: String,
    pub path: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub headers: Vec<(String, String)>,
    pub submitted_method: Option<String>,
}

pub fn instant(t: DateTime<Utc>) -> wit::Instant {
    wit::Instant {
        seconds: t.timestamp(),
        nanoseconds: t.timestamp_subsec_nanos(),
    }
}

pub fn aal(a: Aal) -> wit::Aal {
    match a {
        Aal::Aal1 => wit::Aal::Aal1,
        Aal::Aal2 => wit::Aal::Aal2,
    }
}

pub fn host_aal(a: wit::Aal) -> Aal {
    match a {
        wit::Aal::Aal1 => Aal::Aal1,
        wit::Aal::Aal2 => Aal::Aal2,
    }
}

pub fn session(s: &Session) -> wit::Session {
    wit::Session {
        id: s.id.to_string(),
        aal: aal(s.aal),
        methods: s
            .methods
            .iter()
            .map(|m| wit::AuthMethod {
                method: m.method.clone(),
                aal: aal(m.aal),
                completed_at: instant(m.completed_at),
                provider: m.provider.clone(),
            })
            .collect(),
        authenticated_at: instant(s.authenticated_at),
        issued_at: instant(s.issued_at),
        expires_at: instant(s.expires_at),
        devices: s
            .devices
            .iter()
            .map(|d| wit::Device {
                ip: d.ip_address.clone(),
                user_agent: d.user_agent.clone(),
            })
            .collect(),
    }
}

pub fn identity(i: &Identity, available: Aal, credential_types: Vec<String>) -> wit::Identity {
    wit::Identity {
        id: i.id.to_string(),
        schema_id: i.schema_id.clone(),
        traits_json: i.traits.to_string(),
        metadata_public_json: i
            .metadata_public
            .as_ref()
            .map_or_else(|| "null".to_string(), |m| m.to_string()),
        available_aal: aal(available),
        credential_types,
    }
}

pub fn request(r: &RequestFacts) -> wit::Request {
    wit::Request {
        method: r.method.clone(),
        path: r.path.clone(),
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        headers: r.headers.clone(),
        submitted_method: r.submitted_method.clone(),
    }
}
