//! A loaded factor plugin: one `InstancePre`, and a fresh `Store` and instance for every call.

use super::aal_cache::{self, AalCache};
use super::call_state::{CallState, PluginIdentity, limited_store};
use super::capabilities::courier::{CourierScope, PluginMessage};
use super::convert;
use super::failure::PluginFailure;
use super::model::SubmitOutcome;
use super::model::{
    CredentialWrite, FactorInfo, FactorRole, FlowContext, IssuedChallenge, Rejection, Rendering,
};
use super::versions::{FactorInstance, FactorPre};
use crate::config::CostLimits;
use crate::model::{Aal, Credential, FlowKind};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use wasmtime::{Engine, Store};

/// Resource limits applied to every call of a plugin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallLimits {
    pub memory_bytes: usize,
    pub timeout: Duration,
    /// How much password hashing a call may ask of the host (`hashers.limits`).
    pub hash_costs: CostLimits,
}

pub struct Factor {
    pub info: FactorInfo,
    /// The version of `latchkey:factor` the component was built against (`0.2.0`).
    pub wit_version: String,
    identity: PluginIdentity,
    engine: Engine,
    pre: FactorPre,
    limits: CallLimits,
    permits: Arc<Semaphore>,
    aal_answers: AalCache,
}

impl Factor {
    /// Instantiates once to ask the plugin who it is; this also proves the component links.
    pub(crate) fn new(
        engine: Engine,
        pre: FactorPre,
        wit_version: String,
        identity: PluginIdentity,
        limits: CallLimits,
        permits: Arc<Semaphore>,
    ) -> Result<Factor, PluginFailure> {
        let mut factor = Factor {
            info: FactorInfo {
                id: String::new(),
                version: String::new(),
                role: FactorRole::First,
                aal: Aal::Aal1,
                flows: Vec::new(),
                node_group: String::new(),
            },
            wit_version,
            identity,
            engine,
            pre,
            limits,
            permits,
            aal_answers: AalCache::default(),
        };
        factor.info = factor.describe_now()?;
        factor.identity.described_as(&factor.info.id);
        Ok(factor)
    }

    /// The name logs and errors give it: its method id and its file.
    pub fn name(&self) -> &str {
        &self.identity.name
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    pub fn joins(&self, kind: FlowKind) -> bool {
        self.info.flows.contains(&kind)
    }

    /// Runs one export in a fresh instance under the plugin's memory cap and deadline.
    fn call_sync<R>(
        &self,
        export: &'static str,
        f: impl FnOnce(&FactorInstance, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFailure> {
        self.call_sending_sync(export, None, f)
            .map(|(answer, _)| answer)
    }

    /// [`Factor::call_sync`] for a call that may send messages to `courier`'s recipients:
    /// its answer and the messages it asked for.
    fn call_sending_sync<R>(
        &self,
        export: &'static str,
        courier: Option<&CourierScope>,
        f: impl FnOnce(&FactorInstance, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<(R, Vec<PluginMessage>), PluginFailure> {
        let mut store = limited_store(&self.engine, &self.identity, self.limits, courier);
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        store.data().flush_output();
        let messages = store.data_mut().capabilities.take_messages();
        match result {
            Ok(answer) => Ok((answer, messages)),
            Err(err) => {
                let panic = store.data().panic_message();
                Err(PluginFailure::classify(
                    self.name(),
                    export,
                    self.limits,
                    err,
                    panic,
                ))
            }
        }
    }

    /// Runs a call on the blocking pool: plugin code is CPU-bound (argon2) and must not stall
    /// the async workers. A semaphore bounds concurrent calls, and with them memory.
    async fn call<R: Send + 'static>(
        self: &Arc<Self>,
        export: &'static str,
        f: impl FnOnce(&FactorInstance, &mut Store<CallState>) -> wasmtime::Result<R> + Send + 'static,
    ) -> Result<R, PluginFailure> {
        self.call_sending(export, None, f)
            .await
            .map(|(answer, _)| answer)
    }

    /// [`Factor::call`] for a call that may send messages to `courier`'s recipients.
    async fn call_sending<R: Send + 'static>(
        self: &Arc<Self>,
        export: &'static str,
        courier: Option<CourierScope>,
        f: impl FnOnce(&FactorInstance, &mut Store<CallState>) -> wasmtime::Result<R> + Send + 'static,
    ) -> Result<(R, Vec<PluginMessage>), PluginFailure> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PluginFailure::ShuttingDown)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.call_sending_sync(export, courier.as_ref(), f))
            .await
            .map_err(|_| PluginFailure::ShuttingDown)?
    }

    pub async fn render(
        self: &Arc<Self>,
        ctx: FlowContext,
    ) -> Result<Result<Rendering, Rejection>, PluginFailure> {
        let ctx = ctx.into();
        let answer = self
            .call("render", move |g, s| g.call_render(s, &ctx))
            .await?;
        Ok(convert::answer(answer))
    }

    pub async fn submit(
        self: &Arc<Self>,
        ctx: FlowContext,
        input_json: String,
    ) -> Result<Result<SubmitOutcome, Rejection>, PluginFailure> {
        let ctx = ctx.into();
        let answer = self
            .call("submit", move |g, s| g.call_submit(s, &ctx, &input_json))
            .await?;
        Ok(convert::answer(answer))
    }

    /// A submission in a recovery or verification flow, which may send messages to
    /// `courier`'s recipients: the plugin's answer and the messages it asked for.
    pub(crate) async fn submit_sending(
        self: &Arc<Self>,
        ctx: FlowContext,
        input_json: String,
        courier: CourierScope,
    ) -> Result<(Result<SubmitOutcome, Rejection>, Vec<PluginMessage>), PluginFailure> {
        let ctx = ctx.into();
        let (answer, messages) = self
            .call_sending("submit", Some(courier), move |g, s| {
                g.call_submit(s, &ctx, &input_json)
            })
            .await?;
        Ok((convert::answer(answer), messages))
    }

    /// A recovery challenge for an administrator to hand over (`POST /admin/recovery/*`).
    pub async fn issue_challenge(
        self: &Arc<Self>,
        ctx: FlowContext,
    ) -> Result<Result<IssuedChallenge, Rejection>, PluginFailure> {
        let ctx = ctx.into();
        let answer = self
            .call("issue-challenge", move |g, s| {
                g.call_issue_challenge(s, &ctx)
            })
            .await?;
        Ok(convert::answer(answer))
    }

    /// The browser came back from a third party to this method's callback URL.
    pub async fn callback(
        self: &Arc<Self>,
        ctx: FlowContext,
        key: String,
        query: Vec<(String, String)>,
    ) -> Result<Result<SubmitOutcome, Rejection>, PluginFailure> {
        let ctx = ctx.into();
        let answer = self
            .call("callback", move |g, s| {
                g.call_callback(s, &ctx, &key, &query)
            })
            .await?;
        Ok(convert::answer(answer))
    }

    /// Asked once per distinct credential content; see [`aal_cache`].
    pub async fn credential_aal(
        self: &Arc<Self>,
        credential: &Credential,
    ) -> Result<Option<Aal>, PluginFailure> {
        let key = aal_cache::key(credential);
        if let Some(answer) = self.aal_answers.get(&key) {
            return Ok(answer);
        }
        let credential = credential.into();
        let answer = self
            .call("credential-aal", move |g, s| {
                g.call_credential_aal(s, &credential)
            })
            .await?
            .map(Aal::from);
        self.aal_answers.put(key, answer);
        Ok(answer)
    }

    pub async fn import_credential(
        self: &Arc<Self>,
        config_json: String,
        marked_traits: Vec<(String, String)>,
    ) -> Result<Result<CredentialWrite, Rejection>, PluginFailure> {
        let answer = self
            .call("import-credential", move |g, s| {
                g.call_import_credential(s, &config_json, &marked_traits)
            })
            .await?;
        Ok(convert::answer(answer))
    }

    /// Instantiates and calls `describe`, for measuring the per-call overhead.
    pub fn describe_now(&self) -> Result<FactorInfo, PluginFailure> {
        self.call_sync("describe", |g, s| g.call_describe(s))
            .map(FactorInfo::from)
    }
}
