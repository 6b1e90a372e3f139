//! The domain's nouns. Nothing here knows about HTTP, SQL or WebAssembly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Authenticator assurance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Aal {
    #[default]
    Aal1,
    Aal2,
}

impl Aal {
    pub fn as_str(self) -> &'static str {
        match self {
            Aal::Aal1 => "aal1",
            Aal::Aal2 => "aal2",
        }
    }

    pub fn parse(s: &str) -> Option<Aal> {
        match s {
            "aal1" => Some(Aal::Aal1),
            "aal2" => Some(Aal::Aal2),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityState {
    Active,
    Inactive,
}

impl IdentityState {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityState::Active => "active",
            IdentityState::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<IdentityState> {
        match s {
            "active" => Some(IdentityState::Active),
            "inactive" => Some(IdentityState::Inactive),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: Uuid,
    pub schema_id: String,
    pub state: IdentityState,
    pub traits: Value,
    pub metadata_public: Option<Value>,
    pub metadata_admin: Option<Value>,
    /// Addresses the identity can verify, from the traits the schema marks
    /// `ory.sh/kratos.verification.via` (see `identity::addresses`).
    pub verifiable_addresses: Vec<VerifiableAddress>,
    /// Addresses account recovery may be sent to, from the traits marked
    /// `ory.sh/kratos.recovery.via`.
    pub recovery_addresses: Vec<RecoveryAddress>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Kratos' `verifiableIdentityAddress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiableAddress {
    pub id: Uuid,
    /// `email` (or `sms`).
    pub via: String,
    /// Emails in lower case, as Kratos keeps them.
    pub value: String,
    pub verified: bool,
    /// `pending`, `sent` or `completed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Kratos' `recoveryIdentityAddress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryAddress {
    pub id: Uuid,
    pub via: String,
    pub value: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A credential of one method (`password`, `totp`…) belonging to one identity. `config` is
/// the owning plugin's JSON, opaque to the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub identity_id: Uuid,
    pub method: String,
    pub identifiers: Vec<String>,
    pub config: String,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One completed authentication method of a session, as Kratos' `authentication_methods[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthMethod {
    pub method: String,
    pub aal: Aal,
    pub completed_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Uuid,
    /// SHA-256 of the session token. The token itself is never stored.
    pub token_hash: [u8; 32],
    pub identity_id: Uuid,
    pub active: bool,
    pub aal: Aal,
    pub authenticated_at: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub methods: Vec<AuthMethod>,
    pub devices: Vec<Device>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowKind {
    Login,
    Registration,
    Settings,
    Recovery,
    Verification,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Settings => "settings",
            FlowKind::Recovery => "recovery",
            FlowKind::Verification => "verification",
        }
    }

    pub fn parse(s: &str) -> Option<FlowKind> {
        match s {
            "login" => Some(FlowKind::Login),
            "registration" => Some(FlowKind::Registration),
            "settings" => Some(FlowKind::Settings),
            "recovery" => Some(FlowKind::Recovery),
            "verification" => Some(FlowKind::Verification),
            _ => None,
        }
    }
}

/// Where a flow is, in Kratos' words. A flow is created in its kind's initial state
/// ([`FlowState::initial`]); a completed login or registration is `passed_challenge` and
/// cannot be submitted again; a settings flow that saved is `success` and can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowState {
    ChooseMethod,
    SentEmail,
    PassedChallenge,
    ShowForm,
    Success,
}

impl FlowState {
    pub fn initial(kind: FlowKind) -> FlowState {
        match kind {
            FlowKind::Settings => FlowState::ShowForm,
            FlowKind::Login
            | FlowKind::Registration
            | FlowKind::Recovery
            | FlowKind::Verification => FlowState::ChooseMethod,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlowState::ChooseMethod => "choose_method",
            FlowState::SentEmail => "sent_email",
            FlowState::PassedChallenge => "passed_challenge",
            FlowState::ShowForm => "show_form",
            FlowState::Success => "success",
        }
    }

    pub fn parse(s: &str) -> Option<FlowState> {
        [
            FlowState::ChooseMethod,
            FlowState::SentEmail,
            FlowState::PassedChallenge,
            FlowState::ShowForm,
            FlowState::Success,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }

    /// Login and registration end in `passed_challenge`; such a flow is spent.
    pub fn is_completed(self) -> bool {
        self == FlowState::PassedChallenge
    }
}

/// `api` flows are driven by native apps with session tokens; `browser` flows by browsers with
/// cookies and CSRF tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowVariant {
    Api,
    Browser,
}

impl FlowVariant {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowVariant::Api => "api",
            FlowVariant::Browser => "browser",
        }
    }

    pub fn parse(s: &str) -> Option<FlowVariant> {
        match s {
            "api" => Some(FlowVariant::Api),
            "browser" => Some(FlowVariant::Browser),
            _ => None,
        }
    }
}

/// A self-service flow as stored between requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub id: Uuid,
    pub kind: FlowKind,
    pub variant: FlowVariant,
    pub state: FlowState,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub request_url: String,
    pub return_to: Option<String>,
    pub requested_aal: Aal,
    pub refresh: bool,
    /// The identity the flow is about (settings, step-up, refresh), when known.
    pub identity_id: Option<Uuid>,
    /// The session that started the flow (settings, step-up, refresh), when there was one.
    pub session_id: Option<Uuid>,
    /// Browser flows: the CSRF token expected in the `csrf_token` field.
    pub csrf_token: Option<String>,
    /// Per-plugin state kept server-side (pending TOTP secret, OIDC state…), by method id.
    pub plugin_state: BTreeMap<String, String>,
    /// The Kratos `ui` object last shown for this flow.
    pub ui: Value,
    /// Registration: the identity schema chosen with `identity_schema` (else the default).
    pub schema_id: Option<String>,
}
