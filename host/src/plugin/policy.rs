//! A loaded policy component: asked to describe itself once, then called for every decision
//! in a warm instance (see [`super::warm`]), inline when it can be (see [`super::inline`]).

use super::call_state::{CallState, PluginIdentity, limited_store};
use super::decision_cache::{DecisionCache, DecisionKey};
use super::engine::deadline_ticks;
use super::factor::CallLimits;
use super::failure::{PluginFailure, is_deadline};
use super::inline::{INLINE_DEADLINE_TICKS, SlowMark};
use super::model::{Hook, LoadError, PolicyInfo, PolicyInput, Verdict};
use super::policy_bindings::{PolicyComponentPre, guest, types};
use super::warm::{Warm, WarmInstances};
use std::sync::Arc;
use tokio::sync::Semaphore;
use wasmtime::{Engine, Store};

pub struct Policy {
    pub info: PolicyInfo,
    identity: PluginIdentity,
    engine: Engine,
    pre: PolicyComponentPre<CallState>,
    limits: CallLimits,
    permits: Arc<Semaphore>,
    warm: WarmInstances,
    slow: SlowMark,
    decisions: DecisionCache,
}

/// A decision's input in the component's own types, converted once and shared by every
/// policy asked about it. `now` is given to the whole second, so that a verdict holds for the
/// rest of that second (see [`super::decision_cache`]).
#[derive(Clone)]
pub struct PreparedInput {
    input: Arc<types::Input>,
    key: Arc<DecisionKey>,
}

impl From<&PolicyInput<'_>> for PreparedInput {
    fn from(input: &PolicyInput<'_>) -> PreparedInput {
        let mut input = types::Input::from(input);
        input.now.nanoseconds = 0;
        let key = Arc::new(DecisionKey::of(&input));
        PreparedInput {
            input: Arc::new(input),
            key,
        }
    }
}

/// Why a policy did not load: its own report (a script error with its position) or a failure
/// of the component itself.
#[derive(Debug)]
pub(crate) enum PolicyLoadError {
    Rejected(LoadError),
    Failed(PluginFailure),
}

impl std::fmt::Display for PolicyLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyLoadError::Rejected(e) => match (e.line, e.column) {
                (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", e.message),
                (Some(line), None) => write!(f, "{line}: {}", e.message),
                _ => f.write_str(&e.message),
            },
            PolicyLoadError::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PolicyLoadError {}

impl Policy {
    pub(super) fn new(
        engine: Engine,
        pre: PolicyComponentPre<CallState>,
        identity: PluginIdentity,
        limits: CallLimits,
        permits: Arc<Semaphore>,
    ) -> Result<Policy, PolicyLoadError> {
        let mut policy = Policy {
            info: PolicyInfo {
                name: String::new(),
                version: String::new(),
                hooks: Vec::new(),
            },
            identity,
            engine,
            pre,
            limits,
            permits,
            warm: WarmInstances::default(),
            slow: SlowMark::default(),
            decisions: DecisionCache::default(),
        };
        policy.info = policy
            .call_sync("describe", |g, s| g.call_describe(s))
            .map_err(PolicyLoadError::Failed)?
            .map(PolicyInfo::from)
            .map_err(|e| PolicyLoadError::Rejected(e.into()))?;
        policy.identity.described_as(&policy.info.name);
        Ok(policy)
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The name logs and errors give it: its own name and its file.
    pub fn plugin_name(&self) -> &str {
        &self.identity.name
    }

    pub fn wants(&self, hook: Hook) -> bool {
        self.info.hooks.contains(&hook)
    }

    fn call_sync<R>(
        &self,
        export: &'static str,
        f: impl FnOnce(&guest::Guest, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFailure> {
        let mut store = limited_store(&self.engine, &self.identity, self.limits, None);
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|policy| f(policy.latchkey_policy_policy(), &mut store));
        store.data().flush_output();
        result.map_err(|err| {
            let panic = store.data().panic_message();
            PluginFailure::classify(&self.identity.name, export, self.limits, err, panic)
        })
    }

    /// One decision: the verdict already given for this input within this second, else asked
    /// inline when a warm instance and a call permit are at hand, else on the blocking pool
    /// under the shared call permits.
    pub async fn evaluate(
        self: &Arc<Self>,
        input: &PreparedInput,
    ) -> Result<Verdict, PluginFailure> {
        if let Some(verdict) = self.decisions.get(&input.key) {
            return Ok(verdict.into());
        }
        let verdict = self.ask(input).await?;
        self.decisions.put((*input.key).clone(), verdict.clone());
        Ok(verdict.into())
    }

    async fn ask(self: &Arc<Self>, input: &PreparedInput) -> Result<types::Verdict, PluginFailure> {
        if let Some(result) = self.evaluate_inline(&input.input) {
            return result;
        }
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PluginFailure::ShuttingDown)?;
        let this = self.clone();
        let input = input.input.clone();
        tokio::task::spawn_blocking(move || this.evaluate_warm(&input))
            .await
            .map_err(|_| PluginFailure::ShuttingDown)?
    }

    /// The decision on the caller's thread under a short deadline, or `None` to make it on the
    /// blocking pool: no warm instance (instantiating is slow), no free permit, a policy
    /// recently too slow for this, or a call cut off by the short deadline. That instance is
    /// dropped, and since policies are pure the blocking pool simply asks again. Any other
    /// failure is the decision's outcome, as it would be on the blocking pool.
    fn evaluate_inline(
        &self,
        input: &types::Input,
    ) -> Option<Result<types::Verdict, PluginFailure>> {
        if self.slow.is_set() {
            return None;
        }
        let _permit = self.permits.try_acquire().ok()?;
        let mut warm = self.warm.take()?;
        match self.call_evaluate(&mut warm, INLINE_DEADLINE_TICKS, input) {
            Ok(verdict) => {
                self.warm.give_back(warm);
                Some(Ok(verdict))
            }
            Err(err) if is_deadline(&err) => {
                self.slow.set();
                tracing::debug!(
                    plugin = %self.identity.name,
                    "policy overran its inline deadline; deciding on the blocking pool"
                );
                None
            }
            Err(err) => Some(Err(self.failure(err, &warm.store))),
        }
    }

    /// Evaluates in a warm instance, or a fresh one when none is idle; see [`super::warm`].
    fn evaluate_warm(&self, input: &types::Input) -> Result<types::Verdict, PluginFailure> {
        let mut warm = match self.warm.take() {
            Some(warm) => warm,
            None => {
                let mut store = limited_store(&self.engine, &self.identity, self.limits, None);
                let instance = match self.pre.instantiate(&mut store) {
                    Ok(instance) => instance,
                    Err(err) => return Err(self.failure(err, &store)),
                };
                Warm {
                    store,
                    instance,
                    uses: 0,
                }
            }
        };
        let ticks = deadline_ticks(self.limits.timeout);
        match self.call_evaluate(&mut warm, ticks, input) {
            Ok(verdict) => {
                self.warm.give_back(warm);
                Ok(verdict)
            }
            Err(err) => Err(self.failure(err, &warm.store)),
        }
    }

    /// One `evaluate` call in `warm`, cut off after `ticks` epoch ticks.
    fn call_evaluate(
        &self,
        warm: &mut Warm,
        ticks: u64,
        input: &types::Input,
    ) -> wasmtime::Result<types::Verdict> {
        warm.store.set_epoch_deadline(ticks);
        let result = warm
            .instance
            .latchkey_policy_policy()
            .call_evaluate(&mut warm.store, input);
        warm.store.data().flush_output();
        result
    }

    /// What a failed `evaluate` (or instantiation for it) means, with the policy's panic
    /// message when it left one.
    fn failure(&self, err: wasmtime::Error, store: &Store<CallState>) -> PluginFailure {
        let panic = store.data().panic_message();
        PluginFailure::classify(&self.identity.name, "evaluate", self.limits, err, panic)
    }
}
