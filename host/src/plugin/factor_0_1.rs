//! Factors built against `latchkey:factor@0.1.0`: their bindings, and their values carried to
//! and from the host's own types (the current package, [`super::bindings`]).
//!
//! 0.2.0 added one field, `rejection.credential-update`; every other type is the same in both,
//! so values cross field by field, and a 0.1.0 rejection never updates a credential.

use super::bindings::types as current;
use super::call_state::CallState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "../wit/factor@0.1.0",
    world: "latchkey:factor/plugin",
    imports: { default: trappable },
    // The capabilities are `latchkey:host@0.1.0` in both versions: one implementation.
    with: {
        "latchkey:host": super::bindings::latchkey::host,
    },
});

use self::latchkey::factor::types as old;

impl old::Host for CallState {}

/// The one interface of this version that the current world's linker lacks: the types a
/// component imports alongside its export (capabilities are shared).
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    old::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

/// A value of one version's type as the other version's type.
pub(crate) trait Adapt<T> {
    fn adapt(self) -> T;
}

macro_rules! unchanged {
    ($($t:ty),*) => {$(
        impl Adapt<$t> for $t {
            fn adapt(self) -> $t {
                self
            }
        }
    )*};
}
unchanged!(String, u32, bool);

impl<A: Adapt<B>, B> Adapt<Vec<B>> for Vec<A> {
    fn adapt(self) -> Vec<B> {
        self.into_iter().map(Adapt::adapt).collect()
    }
}

impl<A: Adapt<B>, B> Adapt<Option<B>> for Option<A> {
    fn adapt(self) -> Option<B> {
        self.map(Adapt::adapt)
    }
}

impl<A: Adapt<B>, B> Adapt<(String, B)> for (String, A) {
    fn adapt(self) -> (String, B) {
        (self.0, self.1.adapt())
    }
}

impl<A: Adapt<C>, B: Adapt<D>, C, D> Adapt<Result<C, D>> for Result<A, B> {
    fn adapt(self) -> Result<C, D> {
        self.map(Adapt::adapt).map_err(Adapt::adapt)
    }
}

/// Records with the same fields in both versions, in the direction they travel.
macro_rules! records {
    ($($from:ident => $to:ident: $name:ident { $($field:ident),* $(,)? })*) => {$(
        impl Adapt<$to::$name> for $from::$name {
            fn adapt(self) -> $to::$name {
                $to::$name { $($field: self.$field.adapt()),* }
            }
        }
    )*};
}

/// Enums with the same cases in both versions, both ways.
macro_rules! enums {
    ($($name:ident { $($case:ident),* $(,)? })*) => {$(
        impl Adapt<current::$name> for old::$name {
            fn adapt(self) -> current::$name {
                match self { $(old::$name::$case => current::$name::$case),* }
            }
        }
        impl Adapt<old::$name> for current::$name {
            fn adapt(self) -> old::$name {
                match self { $(current::$name::$case => old::$name::$case),* }
            }
        }
    )*};
}

enums! {
    Aal { Aal1, Aal2 }
    FlowKind { Login, Registration, Settings }
    FactorRole { First, Second }
    MessageType { Info, Error, Success }
}

// What the host hands a plugin.
records! {
    current => old: FlowContext {
        flow_id, kind, variant, action_url, refresh, requested_aal, identity, credential,
        looked_up, plugin_state,
    }
    current => old: Identity { id, schema_id, traits_json, marked_traits }
    current => old: Credential { identifiers, config_json, version }
}

// What a plugin answers.
records! {
    old => current: MethodInfo { id, version, role, aal, flows, node_group }
    old => current: UiText { id, text, type_, context_json }
    old => current: InputAttributes {
        name, type_, value_json, required, disabled, autocomplete, pattern, maxlength,
    }
    old => current: TextAttributes { id, text }
    old => current: ImageAttributes { id, src, width, height }
    old => current: AnchorAttributes { id, href, title }
    old => current: UiNode { group, attributes, messages, label }
    old => current: Rendering { nodes, plugin_state }
    old => current: CredentialWrite { identifiers, config_json }
    old => current: Authenticated { credential_update }
    old => current: Redirect { url, plugin_state }
    old => current: ExternalSubject { identifier, traits_json, credential }
}

impl Adapt<current::NodeAttributes> for old::NodeAttributes {
    fn adapt(self) -> current::NodeAttributes {
        use current::NodeAttributes as N;
        match self {
            old::NodeAttributes::Input(a) => N::Input(a.adapt()),
            old::NodeAttributes::Text(a) => N::Text(a.adapt()),
            old::NodeAttributes::Img(a) => N::Img(a.adapt()),
            old::NodeAttributes::A(a) => N::A(a.adapt()),
        }
    }
}

impl Adapt<current::SubmitOutcome> for old::SubmitOutcome {
    fn adapt(self) -> current::SubmitOutcome {
        use current::SubmitOutcome as S;
        match self {
            old::SubmitOutcome::NeedCredential(identifier) => S::NeedCredential(identifier),
            old::SubmitOutcome::Authenticated(a) => S::Authenticated(a.adapt()),
            old::SubmitOutcome::CredentialSet(w) => S::CredentialSet(w.adapt()),
            old::SubmitOutcome::CredentialRemoved => S::CredentialRemoved,
            old::SubmitOutcome::Rerender(r) => S::Rerender(r.adapt()),
            old::SubmitOutcome::Redirect(r) => S::Redirect(r.adapt()),
            old::SubmitOutcome::ExternalSubject(e) => S::ExternalSubject(e.adapt()),
        }
    }
}

impl Adapt<current::Rejection> for old::Rejection {
    fn adapt(self) -> current::Rejection {
        current::Rejection {
            messages: self.messages.adapt(),
            node_messages: self.node_messages.adapt(),
            credential_update: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(id: u32) -> old::UiText {
        old::UiText {
            id,
            text: format!("message {id}"),
            type_: old::MessageType::Error,
            context_json: Some("{}".into()),
        }
    }

    #[test]
    fn a_rejection_keeps_its_messages_and_updates_nothing() {
        let rejection = old::Rejection {
            messages: vec![text(1)],
            node_messages: vec![("pin".into(), text(2))],
        };
        let adapted: current::Rejection = rejection.adapt();
        assert_eq!(adapted.messages[0].id, 1);
        assert_eq!(adapted.node_messages[0].0, "pin");
        assert_eq!(adapted.node_messages[0].1.text, "message 2");
        assert!(adapted.credential_update.is_none());
    }

    #[test]
    fn outcomes_and_contexts_cross_unchanged() {
        let outcome = old::SubmitOutcome::Authenticated(old::Authenticated {
            credential_update: Some(old::CredentialWrite {
                identifiers: vec!["a".into()],
                config_json: "{}".into(),
            }),
        });
        let adapted: current::SubmitOutcome = outcome.adapt();
        let current::SubmitOutcome::Authenticated(auth) = adapted else {
            panic!("not authenticated")
        };
        assert_eq!(auth.credential_update.unwrap().identifiers, ["a"]);

        let ctx = current::FlowContext {
            flow_id: "f".into(),
            kind: current::FlowKind::Settings,
            variant: "api".into(),
            action_url: "http://x".into(),
            refresh: true,
            requested_aal: current::Aal::Aal2,
            identity: None,
            credential: Some(current::Credential {
                identifiers: vec![],
                config_json: "{\"n\":1}".into(),
                version: 7,
            }),
            looked_up: Some("x".into()),
            plugin_state: None,
        };
        let adapted: old::FlowContext = ctx.adapt();
        assert!(matches!(adapted.kind, old::FlowKind::Settings));
        assert!(matches!(adapted.requested_aal, old::Aal::Aal2));
        assert_eq!(adapted.credential.unwrap().version, 7);
        assert_eq!(adapted.looked_up.as_deref(), Some("x"));
    }
}
