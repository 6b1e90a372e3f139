//! A small host for unit tests: it keeps plugin-state and the credential across calls as the
//! real host does (see "Plugin-state and the credential across calls" in docs/plugins.md).

use super::FakeEnv;
use crate::types::{
    Credential, CredentialWrite, FlowContext, FlowKind, Rejection, Rendering, SubmitOutcome,
    UiNode, UiText,
};

/// What tests read from a rejection.
pub trait RejectionExt {
    /// The first message: the first node's, else the first of the flow's.
    fn first_message(&self) -> &UiText;
    /// The node the first node message is on, `None` when there are only flow messages.
    fn first_node(&self) -> Option<&str>;
    /// `first_message().id`.
    fn message_id(&self) -> u32 {
        self.first_message().id
    }
}

impl RejectionExt for Rejection {
    fn first_message(&self) -> &UiText {
        self.node_messages
            .first()
            .map(|(_, m)| m)
            .or(self.messages.first())
            .expect("a rejection without messages")
    }

    fn first_node(&self) -> Option<&str> {
        self.node_messages.first().map(|(n, _)| n.as_str())
    }
}

type RenderFn<'a> = Box<dyn Fn(&FlowContext, &FakeEnv) -> Result<Rendering, Rejection> + 'a>;
type SubmitFn<'a> =
    Box<dyn Fn(&FlowContext, &str, &FakeEnv) -> Result<SubmitOutcome, Rejection> + 'a>;

/// One flow of one plugin, run as the host runs it. Give it the context the flow starts with
/// ([`super::context`]) and the plugin's logic, then `render` and `submit`:
///
/// * a rendering's `plugin-state` is stored (`some("")` clears it, `none` keeps what is there),
///   and every later call sees it;
/// * credential writes are stored, with the version bumped: `authenticated.credential-update`,
///   `credential-set`, `credential-removed`, and a rejection's `credential-update` where the
///   host stores it (login and settings, when the call was given a credential);
/// * after a settings change (`credential-set`, `credential-removed`, `rerender`) the flow is
///   rendered again, as the host does; after a rejection it is not, and the state is unchanged;
/// * `need-credential(x)` is answered with a second `submit` whose `looked-up` is `x`, with
///   the harness's identity and credential as what the host found;
/// * a login that authenticates, or a registration that sets a credential, completes the
///   flow: its plugin-state is dropped and a further `submit` panics.
///
/// ```ignore
/// let mut h = Harness::new(context(FlowKind::Login).aal2().identity("id-1").credential(&pin), env)
///     .on_render(|ctx, _| Ok(Rendering { nodes: flows::login_nodes(ctx), plugin_state: None }))
///     .on_submit(|ctx, input, env| flows::login(ctx, input, &settings, env));
/// h.render().unwrap();
/// assert_eq!(h.submit(json!({"pin": "0000"})).unwrap_err().message_id(), ui::WRONG);
/// ```
pub struct Harness<'a> {
    /// The capabilities every call gets.
    pub env: FakeEnv,
    /// The flow as the next call sees it: the stored credential and plugin-state included.
    pub flow: FlowContext,
    /// The nodes of the last rendering.
    pub nodes: Vec<UiNode>,
    /// Every credential write stored, in order (`None` for a removal).
    pub writes: Vec<Option<CredentialWrite>>,
    /// Calls to `render` so far.
    pub renders: usize,
    /// The flow completed (a login authenticated, a registration set its credential).
    pub completed: bool,
    render: RenderFn<'a>,
    submit: SubmitFn<'a>,
}

impl<'a> Harness<'a> {
    /// A flow starting from `ctx`. Until `on_render` and `on_submit` are given, rendering
    /// contributes no nodes and every submission is rejected.
    pub fn new(ctx: impl Into<FlowContext>, env: FakeEnv) -> Harness<'a> {
        Harness {
            env,
            flow: ctx.into(),
            nodes: vec![],
            writes: vec![],
            renders: 0,
            completed: false,
            render: Box::new(|_, _| {
                Ok(Rendering {
                    nodes: vec![],
                    plugin_state: None,
                })
            }),
            submit: Box::new(|_, _, _| {
                Err(Rejection::flow(crate::messages::generic(
                    "the harness was given no submit",
                )))
            }),
        }
    }

    /// The plugin's `render`.
    pub fn on_render(
        mut self,
        render: impl Fn(&FlowContext, &FakeEnv) -> Result<Rendering, Rejection> + 'a,
    ) -> Self {
        self.render = Box::new(render);
        self
    }

    /// The plugin's `submit`, given the body as JSON text.
    pub fn on_submit(
        mut self,
        submit: impl Fn(&FlowContext, &str, &FakeEnv) -> Result<SubmitOutcome, Rejection> + 'a,
    ) -> Self {
        self.submit = Box::new(submit);
        self
    }

    /// The stored credential.
    pub fn credential(&self) -> Option<&Credential> {
        self.flow.credential.as_ref()
    }

    /// The stored plugin-state.
    pub fn plugin_state(&self) -> Option<&str> {
        self.flow.plugin_state.as_deref()
    }

    /// Renders the flow, keeping the state the plugin returns; the nodes are in
    /// [`Harness::nodes`].
    pub fn render(&mut self) -> Result<&[UiNode], Rejection> {
        self.renders += 1;
        let rendering = (self.render)(&self.flow, &self.env)?;
        self.keep_state(rendering.plugin_state);
        self.nodes = rendering.nodes;
        Ok(&self.nodes)
    }

    /// Submits `input` (a JSON object) and applies the outcome as the host would.
    pub fn submit(&mut self, input: serde_json::Value) -> Result<SubmitOutcome, Rejection> {
        assert!(
            !self.completed,
            "the flow was completed already; the host refuses further submissions"
        );
        let input = input.to_string();
        let mut outcome = (self.submit)(&self.flow, &input, &self.env);
        if let Ok(SubmitOutcome::NeedCredential(identifier)) = &outcome {
            let mut again = self.flow.clone();
            again.looked_up = Some(identifier.clone());
            outcome = (self.submit)(&again, &input, &self.env);
        }
        match &outcome {
            Ok(SubmitOutcome::Authenticated(done)) => {
                if let Some(write) = &done.credential_update {
                    self.store(Some(write.clone()));
                }
                self.complete();
            }
            Ok(SubmitOutcome::CredentialSet(write)) => {
                self.store(Some(write.clone()));
                if self.flow.kind == FlowKind::Registration {
                    self.complete();
                } else {
                    self.render()?;
                }
            }
            Ok(SubmitOutcome::CredentialRemoved) => {
                self.store(None);
                self.render()?;
            }
            Ok(SubmitOutcome::Rerender(rendering)) => {
                self.keep_state(rendering.plugin_state.clone());
                self.render()?;
            }
            Ok(SubmitOutcome::Redirect(to)) => {
                self.flow.plugin_state = Some(to.plugin_state.clone());
            }
            Ok(SubmitOutcome::ChallengePassed) => self.complete(),
            Ok(SubmitOutcome::NeedCredential(_) | SubmitOutcome::ExternalSubject(_)) => {}
            Err(rejection) => {
                let stored_here =
                    self.flow.kind != FlowKind::Registration && self.flow.credential.is_some();
                if let (Some(write), true) = (&rejection.credential_update, stored_here) {
                    self.store(Some(write.clone()));
                }
            }
        }
        outcome
    }

    fn keep_state(&mut self, state: Option<String>) {
        match state {
            Some(s) if s.is_empty() => self.flow.plugin_state = None,
            Some(s) => self.flow.plugin_state = Some(s),
            None => {}
        }
    }

    fn store(&mut self, write: Option<CredentialWrite>) {
        let version = self.flow.credential.as_ref().map_or(0, |c| c.version) + 1;
        self.flow.credential = write.clone().map(|w| Credential {
            identifiers: w.identifiers,
            config_json: w.config_json,
            version,
        });
        self.writes.push(write);
    }

    fn complete(&mut self) {
        self.completed = true;
        self.flow.plugin_state = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Env;
    use crate::messages::error;
    use crate::testing::context;
    use crate::types::{Authenticated, FlowKind};

    /// A two-step factor: render issues a challenge (the random bytes, hex) into the state; a
    /// submit must echo it; a wrong echo is counted in the credential.
    fn two_step(h: Harness<'_>) -> Harness<'_> {
        h.on_render(|ctx, env| {
            let state = match &ctx.plugin_state {
                Some(s) => s.clone(),
                None => env.random(4).iter().map(|b| format!("{b:02x}")).collect(),
            };
            Ok(Rendering {
                nodes: vec![],
                plugin_state: Some(state),
            })
        })
        .on_submit(|ctx, input, _| {
            let echo: serde_json::Value = serde_json::from_str(input).unwrap();
            if Some(echo["echo"].as_str().unwrap_or("")) == ctx.plugin_state.as_deref() {
                return Ok(SubmitOutcome::Authenticated(Authenticated {
                    credential_update: None,
                }));
            }
            let failed = ctx.credential.as_ref().map_or(0, |c| c.config_json.len());
            Err(
                Rejection::on_node("echo", error(7, "wrong")).with_credential_update(
                    CredentialWrite {
                        identifiers: vec![],
                        config_json: "x".repeat(failed + 1),
                    },
                ),
            )
        })
    }

    #[test]
    fn state_and_writes_carry_over_as_the_host_keeps_them() {
        let env = FakeEnv::default().with_seed(1);
        let ctx = context(FlowKind::Login)
            .aal2()
            .identity("id-1")
            .credential_json("");
        let mut h = two_step(Harness::new(ctx, env));
        h.render().unwrap();
        let challenge = h.plugin_state().unwrap().to_string();
        assert_eq!(challenge.len(), 8);
        for n in 1..=2 {
            let r = h.submit(serde_json::json!({"echo": "nope"})).unwrap_err();
            assert_eq!((r.message_id(), r.first_node()), (7, Some("echo")));
            assert_eq!(h.credential().unwrap().config_json.len(), n, "counted");
            assert_eq!(h.credential().unwrap().version, 1 + n as u32);
            assert_eq!(h.plugin_state(), Some(challenge.as_str()), "unchanged");
        }
        assert_eq!(h.renders, 1, "a rejection does not render again");
        assert!(h.submit(serde_json::json!({"echo": challenge})).is_ok());
        assert!(h.completed);
        assert_eq!(h.plugin_state(), None, "dropped with the completed flow");
        assert_eq!(h.writes.len(), 2);
    }

    #[test]
    fn a_rejection_without_a_credential_writes_nothing() {
        let ctx = context(FlowKind::Login).aal2().identity("id-1");
        let mut h = two_step(Harness::new(ctx, FakeEnv::default()));
        h.render().unwrap();
        assert!(h.submit(serde_json::json!({"echo": "no"})).is_err());
        assert!(h.writes.is_empty() && h.credential().is_none());
        let flow_message = Rejection::flow(error(3, "flow"));
        assert_eq!(
            (flow_message.message_id(), flow_message.first_node()),
            (3, None)
        );
    }
}
