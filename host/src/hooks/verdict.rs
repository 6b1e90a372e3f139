//! What a hook answers, whatever runs it: a web hook's response or an action component's
//! return value. The flow applies it the same way for both.

use serde_json::Value;

/// A hook's answer about the flow it ran in.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Go on unchanged.
    Continue,
    /// Go on, with these parts of the identity replaced before it is saved. Only pre-persist
    /// positions (registration and settings `after` hooks that parse the response) can change
    /// the identity; elsewhere a patch is logged and ignored, as in Kratos.
    Patch(IdentityPatch),
    /// Stop the flow: nothing is stored and the form shows these messages.
    Interrupt(Vec<HookMessage>),
}

/// The identity fields a hook may replace; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityPatch {
    pub traits: Option<Value>,
    pub metadata_public: Option<Value>,
    pub metadata_admin: Option<Value>,
}

impl IdentityPatch {
    pub fn is_empty(&self) -> bool {
        self.traits.is_none() && self.metadata_public.is_none() && self.metadata_admin.is_none()
    }
}

/// A message for the form, as Kratos' web hook response carries it: `instance_ptr` names the
/// field (`#/traits/email`) or is empty / `#` for the whole form.
#[derive(Clone, Debug, PartialEq)]
pub struct HookMessage {
    pub instance_ptr: String,
    pub id: u64,
    pub text: String,
    /// `error` or `info`.
    pub kind: String,
    pub context: Option<Value>,
}

/// Where in which flow a hook runs; given to action components so one component can serve
/// several places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookPoint {
    /// `login`, `registration`, `settings`, `recovery` or `verification`.
    pub flow: &'static str,
    pub phase: Phase,
    /// The method that completed the flow (`password`, `oidc`…); `None` before a flow and for
    /// flow-wide `after` hooks run for no particular method.
    pub method: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// When the flow is created.
    Before,
    /// After the flow succeeded, before anything is stored (may change or stop it).
    PrePersist,
    /// After the flow's result is stored (may still interrupt the response).
    PostPersist,
}
