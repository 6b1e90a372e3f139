//! Every conversion between the WIT bindings and the host's own types ([`super::model`]).
//! Values from a factor built against an older version reach here already carried to the
//! current bindings by [`super::factor_0_2`] and [`super::factor_0_1`].

use super::bindings::latchkey::host::clock;
use super::bindings::types as wit;
use super::model::{
    AnchorAttributes, Answer, Authenticated, CredentialWrite, ExternalSubject, FactorInfo,
    FactorRole, FlowContext, FlowIdentity, Hook, ImageAttributes, InputAttributes, IssuedChallenge,
    LoadError, MessageType, NodeAttributes, PolicyInfo, PolicyInput, Redirect, Rejection,
    Rendering, SubmitOutcome, TextAttributes, UiNode, UiText, Verdict,
};
use super::policy_bindings::types as policy;
use crate::model::{Aal, Credential, FlowKind};
use chrono::{DateTime, Utc};
use std::time::Duration;

use policy::Aal as PolicyAal;
use policy::Hook as WitHook;
use wit::Aal as FactorAal;
use wit::FactorRole as WitFactorRole;
use wit::FlowKind as WitFlowKind;
use wit::MessageType as WitMessageType;

/// An enum of the contract with the same cases as the host's, converted both ways. A case
/// added on one side and not the other stops the build here.
macro_rules! same_cases {
    ($($host:ident = $wit:ident { $($case:ident),* $(,)? })*) => {$(
        impl From<$wit> for $host {
            fn from(value: $wit) -> $host {
                match value { $($wit::$case => $host::$case),* }
            }
        }
        impl From<$host> for $wit {
            fn from(value: $host) -> $wit {
                match value { $($host::$case => $wit::$case),* }
            }
        }
    )*};
}

same_cases! {
    Aal = FactorAal { Aal1, Aal2 }
    Aal = PolicyAal { Aal1, Aal2 }
    FlowKind = WitFlowKind { Login, Registration, Settings, Recovery, Verification }
    FactorRole = WitFactorRole { First, Second }
    MessageType = WitMessageType { Info, Error, Success }
    Hook = WitHook { Whoami, Settings, LoginCompletion, RouteCheck }
}

/// Seconds and nanoseconds since the Unix epoch, as both the clock capability and the policy
/// input carry time.
macro_rules! instant_from {
    ($($wit:ty),*) => {$(
        impl From<DateTime<Utc>> for $wit {
            fn from(t: DateTime<Utc>) -> $wit {
                Self {
                    seconds: t.timestamp(),
                    nanoseconds: t.timestamp_subsec_nanos(),
                }
            }
        }
    )*};
}

instant_from!(clock::Instant, policy::Instant);

// ---- Factors: what the host hands a factor ----------------------------------------------------

impl From<FlowContext> for wit::FlowContext {
    fn from(ctx: FlowContext) -> wit::FlowContext {
        wit::FlowContext {
            flow_id: ctx.flow_id.to_string(),
            kind: ctx.kind.into(),
            variant: ctx.variant.as_str().to_string(),
            action_url: ctx.action_url,
            refresh: ctx.refresh,
            requested_aal: ctx.requested_aal.into(),
            identity: ctx.identity.map(Into::into),
            credential: ctx.credential.as_ref().map(Into::into),
            looked_up: ctx.looked_up,
            plugin_state: ctx.plugin_state,
        }
    }
}

impl From<FlowIdentity> for wit::Identity {
    fn from(identity: FlowIdentity) -> wit::Identity {
        wit::Identity {
            id: identity.id.to_string(),
            schema_id: identity.schema_id,
            traits_json: identity.traits_json,
            marked_traits: identity.marked_traits,
        }
    }
}

impl From<&Credential> for wit::Credential {
    fn from(credential: &Credential) -> wit::Credential {
        wit::Credential {
            identifiers: credential.identifiers.clone(),
            config_json: credential.config.clone(),
            version: credential.version,
        }
    }
}

// ---- Factors: what a factor answers -----------------------------------------------------------

impl From<wit::MethodInfo> for FactorInfo {
    fn from(info: wit::MethodInfo) -> FactorInfo {
        FactorInfo {
            id: info.id,
            version: info.version,
            role: info.role.into(),
            aal: info.aal.into(),
            flows: info.flows.into_iter().map(Into::into).collect(),
            node_group: info.node_group,
        }
    }
}

impl From<wit::CredentialWrite> for CredentialWrite {
    fn from(write: wit::CredentialWrite) -> CredentialWrite {
        CredentialWrite {
            identifiers: write.identifiers,
            config_json: write.config_json,
        }
    }
}

impl From<wit::Rejection> for Rejection {
    fn from(rejection: wit::Rejection) -> Rejection {
        Rejection {
            messages: rejection.messages.into_iter().map(Into::into).collect(),
            node_messages: rejection
                .node_messages
                .into_iter()
                .map(|(node, text)| (node, text.into()))
                .collect(),
            credential_update: rejection.credential_update.map(Into::into),
        }
    }
}

impl From<wit::Rendering> for Rendering {
    fn from(rendering: wit::Rendering) -> Rendering {
        Rendering {
            nodes: rendering.nodes.into_iter().map(Into::into).collect(),
            plugin_state: rendering.plugin_state,
        }
    }
}

impl From<wit::SubmitOutcome> for SubmitOutcome {
    fn from(outcome: wit::SubmitOutcome) -> SubmitOutcome {
        use wit::SubmitOutcome as W;
        match outcome {
            W::NeedCredential(identifier) => SubmitOutcome::NeedCredential(identifier),
            W::Authenticated(auth) => SubmitOutcome::Authenticated(Authenticated {
                credential_update: auth.credential_update.map(Into::into),
            }),
            W::CredentialSet(write) => SubmitOutcome::CredentialSet(write.into()),
            W::CredentialRemoved => SubmitOutcome::CredentialRemoved,
            W::Rerender(rendering) => SubmitOutcome::Rerender(rendering.into()),
            W::Redirect(r) => SubmitOutcome::Redirect(Redirect {
                url: r.url,
                plugin_state: r.plugin_state,
            }),
            W::ExternalSubject(s) => SubmitOutcome::ExternalSubject(ExternalSubject {
                identifier: s.identifier,
                traits_json: s.traits_json,
                credential: s.credential.into(),
            }),
            W::ChallengePassed => SubmitOutcome::ChallengePassed,
        }
    }
}

impl From<wit::IssuedChallenge> for IssuedChallenge {
    fn from(issued: wit::IssuedChallenge) -> IssuedChallenge {
        IssuedChallenge {
            secret: issued.secret,
            plugin_state: issued.plugin_state,
            nodes: issued.nodes.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::UiText> for UiText {
    fn from(text: wit::UiText) -> UiText {
        UiText {
            id: text.id,
            text: text.text,
            type_: text.type_.into(),
            context_json: text.context_json,
        }
    }
}

impl From<wit::UiNode> for UiNode {
    fn from(node: wit::UiNode) -> UiNode {
        use wit::NodeAttributes as W;
        let attributes = match node.attributes {
            W::Input(a) => NodeAttributes::Input(InputAttributes {
                name: a.name,
                type_: a.type_,
                value_json: a.value_json,
                required: a.required,
                disabled: a.disabled,
                autocomplete: a.autocomplete,
                pattern: a.pattern,
                maxlength: a.maxlength,
            }),
            W::Text(t) => NodeAttributes::Text(TextAttributes {
                id: t.id,
                text: t.text.into(),
            }),
            W::Img(i) => NodeAttributes::Img(ImageAttributes {
                id: i.id,
                src: i.src,
                width: i.width,
                height: i.height,
            }),
            W::A(a) => NodeAttributes::A(AnchorAttributes {
                id: a.id,
                href: a.href,
                title: a.title.into(),
            }),
        };
        UiNode {
            group: node.group,
            attributes,
            messages: node.messages.into_iter().map(Into::into).collect(),
            label: node.label.map(Into::into),
        }
    }
}

/// A factor's answer: the outcome or its rejection, both in host terms.
pub(crate) fn answer<W, H: From<W>>(answer: Result<W, wit::Rejection>) -> Result<H, Rejection> {
    answer.map(Into::into).map_err(Into::into)
}

// ---- Policies ---------------------------------------------------------------------------------

impl From<&PolicyInput<'_>> for policy::Input {
    fn from(input: &PolicyInput<'_>) -> policy::Input {
        let session = input.session;
        let identity = input.identity;
        let request = input.request;
        policy::Input {
            hook: input.hook.into(),
            session: policy::Session {
                id: session.id.to_string(),
                aal: session.aal.into(),
                methods: session
                    .methods
                    .iter()
                    .map(|m| policy::AuthMethod {
                        method: m.method.clone(),
                        aal: m.aal.into(),
                        completed_at: m.completed_at.into(),
                        provider: m.provider.clone(),
                    })
                    .collect(),
                authenticated_at: session.authenticated_at.into(),
                issued_at: session.issued_at.into(),
                expires_at: session.expires_at.into(),
                devices: session
                    .devices
                    .iter()
                    .map(|d| policy::Device {
                        ip: d.ip_address.clone(),
                        user_agent: d.user_agent.clone(),
                    })
                    .collect(),
            },
            identity: policy::Identity {
                id: identity.id.to_string(),
                schema_id: identity.schema_id.clone(),
                traits_json: identity.traits.to_string(),
                metadata_public_json: identity
                    .metadata_public
                    .as_ref()
                    .map_or_else(|| "null".to_string(), |m| m.to_string()),
                available_aal: input.available_aal.into(),
                credential_types: input.credential_types.to_vec(),
            },
            request: policy::Request {
                method: request.method.clone(),
                path: request.path.clone(),
                ip: request.ip.clone(),
                user_agent: request.user_agent.clone(),
                headers: request.headers.clone(),
                submitted_method: request.submitted_method.clone(),
            },
            now: input.now.into(),
        }
    }
}

impl From<policy::PolicyInfo> for PolicyInfo {
    fn from(info: policy::PolicyInfo) -> PolicyInfo {
        PolicyInfo {
            name: info.name,
            version: info.version,
            hooks: info.hooks.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<policy::LoadError> for LoadError {
    fn from(error: policy::LoadError) -> LoadError {
        LoadError {
            message: error.message,
            line: error.line,
            column: error.column,
        }
    }
}

impl From<policy::Verdict> for Verdict {
    fn from(verdict: policy::Verdict) -> Verdict {
        use policy::Decision as D;
        let answer = match verdict.decision {
            D::Abstain => Answer::Abstain,
            D::Allow => Answer::Allow,
            D::RequireAal(aal) => Answer::RequireAal(aal.into()),
            D::RequireReauthentication(secs) => {
                Answer::RequireReauthentication(Duration::from_secs(secs))
            }
            D::Deny(reason) => Answer::Deny(reason),
        };
        Verdict {
            answer,
            message: verdict.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlowVariant;
    use uuid::Uuid;

    #[test]
    fn a_flow_context_crosses_with_its_ids_and_names_as_text() {
        let flow_id = Uuid::new_v4();
        let now = Utc::now();
        let ctx = FlowContext {
            flow_id,
            kind: FlowKind::Settings,
            variant: FlowVariant::Browser,
            action_url: "http://x/self-service/settings".into(),
            refresh: true,
            requested_aal: Aal::Aal2,
            identity: None,
            credential: Some(Credential {
                identity_id: Uuid::new_v4(),
                method: "pin".into(),
                identifiers: vec!["a".into()],
                config: "{\"n\":1}".into(),
                version: 7,
                created_at: now,
                updated_at: now,
            }),
            looked_up: Some("a".into()),
            plugin_state: None,
        };
        let crossed: wit::FlowContext = ctx.into();
        assert_eq!(crossed.flow_id, flow_id.to_string());
        assert_eq!(crossed.variant, "browser");
        assert!(matches!(crossed.kind, WitFlowKind::Settings));
        assert!(matches!(crossed.requested_aal, FactorAal::Aal2));
        let credential = crossed.credential.unwrap();
        assert_eq!(credential.config_json, "{\"n\":1}");
        assert_eq!(credential.version, 7);
    }

    #[test]
    fn verdicts_carry_their_requirements() {
        let verdict: Verdict = policy::Verdict {
            decision: policy::Decision::RequireReauthentication(300),
            message: Some("sign in again".into()),
        }
        .into();
        assert_eq!(
            verdict.answer,
            Answer::RequireReauthentication(Duration::from_secs(300))
        );
        assert_eq!(verdict.message.as_deref(), Some("sign in again"));
        let verdict: Verdict = policy::Verdict {
            decision: policy::Decision::RequireAal(PolicyAal::Aal2),
            message: None,
        }
        .into();
        assert_eq!(verdict.answer, Answer::RequireAal(Aal::Aal2));
    }
}
