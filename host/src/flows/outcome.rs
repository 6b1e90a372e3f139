//! What a submission ends in, before the HTTP edge shapes it for an API client, a browser or
//! an SPA (`crate::http::flow_json` writes the flows and sessions as Kratos' JSON).

use crate::model::{Flow, Identity, Session};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub enum Submitted {
    /// Login or registration started a session; `token` is shown to the client once.
    SessionStarted {
        session: Box<Session>,
        identity: Box<Identity>,
        token: String,
    },
    /// The flow moved on without a new session (settings saved, a step shown again).
    FlowUpdated { flow: Box<Flow> },
    /// Validation failed: the flow, with messages, to show again.
    Rejected { flow: Box<Flow> },
    /// A plugin sends the browser to a third party (an OpenID provider), which will come back
    /// to the method's callback URL for the flow `flow_id`.
    Redirect {
        to: String,
        flow_id: Uuid,
        expires_at: DateTime<Utc>,
    },
}
