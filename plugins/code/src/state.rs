//! The pending code, kept in the flow: its digest, bound to the flow, and its expiry.

use latchkey_plugin_sdk::compare::constant_time_eq;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    /// Hex SHA-256 of `<flow id>:<code>`: a code from another flow never matches.
    pub digest: String,
    /// Unix seconds after which the code no longer works.
    pub expires_at: i64,
}

impl Pending {
    pub fn new(flow_id: &str, code: &str, expires_at: i64) -> Pending {
        Pending {
            digest: digest(flow_id, code),
            expires_at,
        }
    }

    pub fn parse(state: Option<&str>) -> Option<Pending> {
        serde_json::from_str(state?).ok()
    }

    /// Whether `code` is this one and still works at `now`.
    pub fn accepts(&self, flow_id: &str, code: &str, now: i64) -> bool {
        let matches = constant_time_eq(digest(flow_id, code).as_bytes(), self.digest.as_bytes());
        matches && now <= self.expires_at
    }
}

fn digest(flow_id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{flow_id}:{code}")))
}
