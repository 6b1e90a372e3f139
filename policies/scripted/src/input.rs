//! The policy input as plain Rust values, and the CEL variables made from it.
//!
//! This mirrors the WIT `input` record so that the engine runs natively in tests; the component
//! glue in `lib.rs` converts one into the other.

use crate::script::{Aal, Hook};
use serde_json::{Map, Value, json};

#[derive(Clone, Debug)]
pub struct Input {
    pub hook: Hook,
    pub session: Session,
    pub identity: Identity,
    pub request: Request,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub aal: Aal,
    pub methods: Vec<AuthMethod>,
    pub authenticated_at: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub devices: Vec<Device>,
}

#[derive(Clone, Debug)]
pub struct AuthMethod {
    pub method: String,
    pub aal: Aal,
    pub completed_at: i64,
    pub provider: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Device {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Identity {
    pub id: String,
    pub schema_id: String,
    pub traits_json: String,
    pub metadata_public_json: String,
    pub available_aal: Aal,
    pub credential_types: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub headers: Vec<(String, String)>,
    pub submitted_method: Option<String>,
}

/// The names a script may refer to.
pub const VARIABLES: [&str; 5] = ["hook", "now", "session", "identity", "request"];

impl Input {
    /// The variables `reads` names, as JSON values, in the order of [`VARIABLES`]. Returns as
    /// well the names of the JSON documents that did not parse (they become `null`). Only what
    /// the rules read is built: the identity's documents are parsed only for `identity`.
    pub fn variables(&self, reads: Reads) -> (Vec<(&'static str, Value)>, Vec<&'static str>) {
        let mut variables = Vec::with_capacity(VARIABLES.len());
        let mut unparsable = Vec::new();
        if reads.has("hook") {
            variables.push(("hook", Value::String(self.hook.name().to_string())));
        }
        if reads.has("now") {
            variables.push(("now", json!(self.now)));
        }
        if reads.has("session") {
            variables.push(("session", self.session_value()));
        }
        if reads.has("identity") {
            variables.push(("identity", self.identity_value(&mut unparsable)));
        }
        if reads.has("request") {
            variables.push(("request", self.request_value()));
        }
        (variables, unparsable)
    }

    fn identity_value(&self, unparsable: &mut Vec<&'static str>) -> Value {
        let mut parse = |name: &'static str, text: &str| {
            serde_json::from_str::<Value>(text).unwrap_or_else(|_| {
                unparsable.push(name);
                Value::Null
            })
        };
        let traits = parse("identity.traits", &self.identity.traits_json);
        let metadata_public = parse(
            "identity.metadata_public",
            &self.identity.metadata_public_json,
        );
        let i = &self.identity;
        json!({
            "id": i.id,
            "schema_id": i.schema_id,
            "traits": traits,
            "metadata_public": metadata_public,
            "available_aal": i.available_aal.name(),
            "credential_types": i.credential_types,
        })
    }

    fn session_value(&self) -> Value {
        let s = &self.session;
        json!({
            "id": s.id,
            "aal": s.aal.name(),
            "methods": s.methods.iter().map(|m| json!({
                "method": m.method,
                "aal": m.aal.name(),
                "completed_at": m.completed_at,
                "provider": m.provider,
            })).collect::<Vec<_>>(),
            "authenticated_at": s.authenticated_at,
            "issued_at": s.issued_at,
            "expires_at": s.expires_at,
            "devices": s.devices.iter().map(|d| json!({
                "ip": d.ip,
                "user_agent": d.user_agent,
            })).collect::<Vec<_>>(),
        })
    }

    fn request_value(&self) -> Value {
        // Repeated headers are joined with ", ", as HTTP allows.
        let mut headers = Map::new();
        for (name, value) in &self.request.headers {
            let name = name.to_ascii_lowercase();
            match headers.get_mut(&name) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                _ => {
                    headers.insert(name, Value::String(value.clone()));
                }
            }
        }
        let r = &self.request;
        json!({
            "method": r.method,
            "path": r.path,
            "ip": r.ip,
            "user_agent": r.user_agent,
            "headers": headers,
            "submitted_method": r.submitted_method,
        })
    }
}

/// A set of the [`VARIABLES`]: those a script's rules refer to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads(u8);

impl Reads {
    pub const ALL: Reads = Reads((1 << VARIABLES.len()) - 1);

    fn bit(name: &str) -> u8 {
        VARIABLES
            .iter()
            .position(|v| *v == name)
            .map_or(0, |i| 1 << i)
    }

    pub fn with(self, name: &str) -> Reads {
        Reads(self.0 | Reads::bit(name))
    }

    pub fn union(self, other: Reads) -> Reads {
        Reads(self.0 | other.0)
    }

    pub fn has(self, name: &str) -> bool {
        self.0 & Reads::bit(name) != 0
    }
}
