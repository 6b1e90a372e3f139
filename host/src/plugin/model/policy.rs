//! A policy's side of a decision: where it is asked, what it sees, what it answers
//! (`latchkey:policy/types`).

use crate::model::{Aal, Identity, Session};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Where in a request's life the host asks the policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `GET /sessions/whoami`.
    Whoami,
    /// Opening or submitting a settings flow.
    Settings,
    /// A login flow just completed a method.
    LoginCompletion,
    /// A reverse proxy asks whether the session may reach a route.
    RouteCheck,
}

impl Hook {
    /// The hook's name in the contract and in `plugin check`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Whoami => "whoami",
            Hook::Settings => "settings",
            Hook::LoginCompletion => "login-completion",
            Hook::RouteCheck => "route-check",
        }
    }
}

/// What a policy tells the host about itself when it is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInfo {
    pub name: String,
    pub version: String,
    /// The hooks it wants to be asked at.
    pub hooks: Vec<Hook>,
}

/// A configuration or script error a policy found when it was loaded, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub message: String,
    /// 1-based, when the error is in a script.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// The request as the policy sees it: for a route check, the proxied method and path.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFacts {
    pub method: String,
    pub path: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub headers: Vec<(String, String)>,
    pub submitted_method: Option<String>,
}

/// Everything one decision may look at.
pub struct PolicyInput<'a> {
    pub hook: Hook,
    pub session: &'a Session,
    pub identity: &'a Identity,
    /// The highest AAL the identity could reach with the credentials it holds.
    pub available_aal: Aal,
    /// The credential types the identity holds.
    pub credential_types: &'a [String],
    pub request: &'a RequestFacts,
    pub now: DateTime<Utc>,
}

/// One policy's answer, in host terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Abstain,
    Allow,
    RequireAal(Aal),
    RequireReauthentication(Duration),
    Deny(String),
}

/// A policy's answer and the message it gives with a step-up or a denial.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub answer: Answer,
    pub message: Option<String>,
}
