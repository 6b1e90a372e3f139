//! What the engine and a plugin say to each other, in the host's own types. The WIT bindings
//! stay inside `plugin/`: a factor or policy call takes and gives these, and
//! [`super::convert`] carries them across the boundary. They follow the WIT records field by
//! field, with the host's [`Aal`](crate::model::Aal) and [`FlowKind`](crate::model::FlowKind)
//! where the contract has its own enums, so the contract's documentation is theirs too.

mod factor;
mod policy;
mod ui;

pub use factor::{
    Authenticated, CredentialWrite, ExternalSubject, FactorInfo, FactorRole, FlowContext,
    FlowIdentity, IssuedChallenge, Redirect, Rejection, Rendering, SubmitOutcome,
};
pub use policy::{Answer, Hook, LoadError, PolicyInfo, PolicyInput, RequestFacts, Verdict};
pub use ui::{
    AnchorAttributes, ImageAttributes, InputAttributes, MessageType, NodeAttributes,
    TextAttributes, UiNode, UiText,
};
