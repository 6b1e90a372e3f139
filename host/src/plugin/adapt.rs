//! Values of an older factor package carried to and from the current one's types
//! ([`super::bindings`]). Each older version has a module of its own (`factor_0_1`,
//! `factor_0_2`) with its bindings and what differs; what the versions share is here.
//!
//! Every record and case of 0.1.0 and 0.2.0 exists unchanged in 0.3.0, which only adds:
//! two flow kinds (`recovery`, `verification`), the outcome `challenge-passed`, the export
//! `issue-challenge` and the `courier` capability. An older factor cannot list the new flow
//! kinds in `describe`, so the host never calls it in one of those flows.

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
        impl $crate::plugin::adapt::Adapt<$to::$name> for $from::$name {
            fn adapt(self) -> $to::$name {
                $to::$name { $($field: $crate::plugin::adapt::Adapt::adapt(self.$field)),* }
            }
        }
    )*};
}

/// Enums with the same cases in both versions, both ways.
macro_rules! enums {
    ($($name:ident { $($case:ident),* $(,)? })*) => {$(
        impl $crate::plugin::adapt::Adapt<current::$name> for old::$name {
            fn adapt(self) -> current::$name {
                match self { $(old::$name::$case => current::$name::$case),* }
            }
        }
        impl $crate::plugin::adapt::Adapt<old::$name> for current::$name {
            fn adapt(self) -> old::$name {
                match self { $(current::$name::$case => old::$name::$case),* }
            }
        }
    )*};
}

/// Everything an older version (`old`) shares with the current one (`current`), for a module
/// that names both: all but the rejection, which the module adapts itself.
macro_rules! shared_with_current {
    () => {
        use $crate::plugin::adapt::Adapt;

        $crate::plugin::adapt::enums! {
            Aal { Aal1, Aal2 }
            FactorRole { First, Second }
            MessageType { Info, Error, Success }
        }

        impl Adapt<current::FlowKind> for old::FlowKind {
            fn adapt(self) -> current::FlowKind {
                match self {
                    old::FlowKind::Login => current::FlowKind::Login,
                    old::FlowKind::Registration => current::FlowKind::Registration,
                    old::FlowKind::Settings => current::FlowKind::Settings,
                }
            }
        }

        impl Adapt<old::FlowKind> for current::FlowKind {
            fn adapt(self) -> old::FlowKind {
                match self {
                    current::FlowKind::Login => old::FlowKind::Login,
                    current::FlowKind::Registration => old::FlowKind::Registration,
                    current::FlowKind::Settings => old::FlowKind::Settings,
                    // The host calls a factor only in flows its `describe` listed, and an
                    // older version has no way to list these.
                    current::FlowKind::Recovery | current::FlowKind::Verification => {
                        unreachable!("a factor older than 0.3.0 is never called in this flow")
                    }
                }
            }
        }

        // What the host hands a plugin.
        $crate::plugin::adapt::records! {
            current => old: FlowContext {
                flow_id, kind, variant, action_url, refresh, requested_aal, identity,
                credential, looked_up, plugin_state,
            }
            current => old: Identity { id, schema_id, traits_json, marked_traits }
            current => old: Credential { identifiers, config_json, version }
        }

        // What a plugin answers.
        $crate::plugin::adapt::records! {
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
    };
}

pub(crate) use {enums, records, shared_with_current};
