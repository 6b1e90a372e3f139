//! [`FlowContext`]s for unit tests, built from what a test cares about.

use crate::types::{Aal, Credential, CredentialWrite, FlowContext, FlowKind, Identity};

/// A context for a flow of `kind`, as the host would hand it before anything is known: an
/// `api` flow `flow-1` at aal1, no identity, no credential, no plugin-state. Chain what the
/// test needs, then [`ContextBuilder::build`]:
///
/// ```
/// use latchkey_plugin_sdk::testing::context;
/// use latchkey_plugin_sdk::types::{Aal, FlowKind};
/// let ctx = context(FlowKind::Login).aal2().identity("id-1").credential_json(r#"{"k":1}"#).build();
/// assert_eq!(ctx.requested_aal, Aal::Aal2);
/// assert_eq!(ctx.credential.unwrap().version, 1);
/// ```
pub fn context(kind: FlowKind) -> ContextBuilder {
    let path = match kind {
        FlowKind::Login => "login",
        FlowKind::Registration => "registration",
        FlowKind::Settings => "settings",
        FlowKind::Recovery => "recovery",
        FlowKind::Verification => "verification",
    };
    ContextBuilder(FlowContext {
        flow_id: "flow-1".into(),
        kind,
        variant: "api".into(),
        action_url: format!("http://127.0.0.1:4433/self-service/{path}?flow=flow-1"),
        refresh: false,
        requested_aal: Aal::Aal1,
        identity: None,
        credential: None,
        looked_up: None,
        plugin_state: None,
    })
}

/// See [`context`].
#[derive(Debug, Clone)]
pub struct ContextBuilder(FlowContext);

impl ContextBuilder {
    /// A step-up: `requested-aal: aal2`.
    pub fn aal2(mut self) -> Self {
        self.0.requested_aal = Aal::Aal2;
        self
    }

    /// A login started with `refresh=true`.
    pub fn refresh(mut self) -> Self {
        self.0.refresh = true;
        self
    }

    /// A browser flow rather than an api one.
    pub fn browser(mut self) -> Self {
        self.0.variant = "browser".into();
        self
    }

    /// The flow's id (and the `flow` of its action URL).
    pub fn flow_id(mut self, id: &str) -> Self {
        self.0.action_url = self.0.action_url.replace(&self.0.flow_id, id);
        self.0.flow_id = id.into();
        self
    }

    /// The identity the flow is about, with the default schema and no traits.
    pub fn identity(mut self, id: &str) -> Self {
        self.0.identity = Some(Identity {
            id: id.into(),
            schema_id: "default".into(),
            traits_json: "{}".into(),
            marked_traits: vec![],
        });
        self
    }

    /// The identity's traits (an identity `id-1` is added if there is none yet).
    pub fn traits(mut self, traits: serde_json::Value) -> Self {
        self.ensure_identity().traits_json = traits.to_string();
        self
    }

    /// One trait the schema marks for this method: `("identifier", "a@b.c")`.
    pub fn marked(mut self, key: &str, value: &str) -> Self {
        self.ensure_identity()
            .marked_traits
            .push((key.into(), value.into()));
        self
    }

    /// The identity's credential of this method, version 1.
    pub fn credential(mut self, write: &CredentialWrite) -> Self {
        self.0.credential = Some(Credential {
            identifiers: write.identifiers.clone(),
            config_json: write.config_json.clone(),
            version: 1,
        });
        self
    }

    /// A credential with this config and no identifiers.
    pub fn credential_json(self, config_json: &str) -> Self {
        self.credential(&CredentialWrite {
            identifiers: vec![],
            config_json: config_json.into(),
        })
    }

    /// The second `submit` after `need-credential(x)`.
    pub fn looked_up(mut self, identifier: &str) -> Self {
        self.0.looked_up = Some(identifier.into());
        self
    }

    /// What the plugin stored in the flow earlier.
    pub fn plugin_state(mut self, state: &str) -> Self {
        self.0.plugin_state = Some(state.into());
        self
    }

    pub fn build(self) -> FlowContext {
        self.0
    }

    fn ensure_identity(&mut self) -> &mut Identity {
        self.0.identity.get_or_insert_with(|| Identity {
            id: "id-1".into(),
            schema_id: "default".into(),
            traits_json: "{}".into(),
            marked_traits: vec![],
        })
    }
}

impl From<ContextBuilder> for FlowContext {
    fn from(builder: ContextBuilder) -> FlowContext {
        builder.0
    }
}
