//! A factor's side of a flow: who it is, what it is told, what it answers
//! (`latchkey:factor/types`).

use super::ui::{UiNode, UiText};
use crate::model::{Aal, Credential, FlowKind, FlowVariant};
use uuid::Uuid;

/// Whether a factor proves who someone is (first) or adds assurance to a session that already
/// has a first factor (second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorRole {
    First,
    Second,
}

impl FactorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorRole::First => "first",
            FactorRole::Second => "second",
        }
    }
}

/// What a factor tells the host about itself, once, when it is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorInfo {
    /// The Kratos method id and credential type (`password`, `totp`, `pin`…).
    pub id: String,
    /// The plugin's own version.
    pub version: String,
    pub role: FactorRole,
    /// The AAL a successful use of this method contributes to a session.
    pub aal: Aal,
    /// The flows it renders nodes for and accepts submissions in.
    pub flows: Vec<FlowKind>,
    /// The Kratos UI node group of its nodes.
    pub node_group: String,
}

/// The identity a flow is about, as a factor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowIdentity {
    pub id: Uuid,
    pub schema_id: String,
    pub traits_json: String,
    /// The traits the identity schema marks for the called method.
    pub marked_traits: Vec<(String, String)>,
}

/// Everything the host tells a factor about the flow a call is made for.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowContext {
    pub flow_id: Uuid,
    pub kind: FlowKind,
    pub variant: FlowVariant,
    /// The public URL of the flow's submit endpoint.
    pub action_url: String,
    pub refresh: bool,
    pub requested_aal: Aal,
    pub identity: Option<FlowIdentity>,
    /// The identity's credential of the called method; a factor sees its identifiers, its
    /// config and its version, never another method's credentials.
    pub credential: Option<Credential>,
    /// Set on the second `submit` after the factor answered `NeedCredential(x)`: the `x`.
    pub looked_up: Option<String>,
    /// What the factor kept in the flow on an earlier call.
    pub plugin_state: Option<String>,
}

/// A credential to create or replace for the flow's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialWrite {
    pub identifiers: Vec<String>,
    pub config_json: String,
}

/// A validation failure, with messages for the flow and for named input nodes. It is an
/// expected outcome (a wrong password), not an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub messages: Vec<UiText>,
    pub node_messages: Vec<(String, UiText)>,
    /// A write to the credential the call was given, stored although the submission fails
    /// (a failed-attempt counter). Factors built against 0.1.0 never send one.
    pub credential_update: Option<CredentialWrite>,
}

/// Nodes to show, and state to keep in the flow: `None` keeps the earlier state, `Some("")`
/// clears it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendering {
    pub nodes: Vec<UiNode>,
    pub plugin_state: Option<String>,
}

/// A successful proof of identity, with a credential update to store along with the session.
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticated {
    pub credential_update: Option<CredentialWrite>,
}

/// The browser must visit a third party, and come back with `plugin_state` kept in the flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    pub url: String,
    pub plugin_state: String,
}

/// A third party vouched for a subject: the credential identifier it is known by, the traits
/// to register it with, and the credential to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalSubject {
    pub identifier: String,
    pub traits_json: String,
    pub credential: CredentialWrite,
}

/// What a factor answers a submission or a callback with.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitOutcome {
    /// First-factor login: find the credential with this identifier and call again.
    NeedCredential(String),
    Authenticated(Authenticated),
    CredentialSet(CredentialWrite),
    CredentialRemoved,
    Rerender(Rendering),
    Redirect(Redirect),
    ExternalSubject(ExternalSubject),
    /// Recovery and verification: the user proved they read what the factor sent earlier in
    /// the flow.
    ChallengePassed,
}

/// A recovery challenge an administrator hands over: the secret (a code, a link), the state
/// to keep in the flow, and the nodes the flow shows.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedChallenge {
    pub secret: String,
    pub plugin_state: String,
    pub nodes: Vec<UiNode>,
}
