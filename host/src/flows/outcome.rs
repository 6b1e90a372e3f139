//! What a submission ends in, before it is shaped for an API client, a browser or an SPA.

use crate::model::{Identity, Session};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub enum Submitted {
    /// Login or registration started a session. `body` is the API response without the token.
    SessionStarted {
        session: Box<Session>,
        identity: Box<Identity>,
        token: String,
        body: Value,
    },
    /// The flow finished or moved on without a new session (settings saved). `flow` is its
    /// JSON; `return_to` where a browser goes next when the flow says so.
    FlowUpdated { flow: Value },
    /// Validation failed: the flow, with messages, to show again.
    Rejected { flow: Value },
    /// A plugin sends the browser to a third party (an OpenID provider), which will come back
    /// to the method's callback URL for the flow `flow_id`.
    Redirect {
        to: String,
        flow_id: Uuid,
        expires_at: DateTime<Utc>,
    },
}
