//! The loaded policies, as the engine asks for them: those that want a hook.

use super::model::Hook;
use super::policy::Policy;
use std::sync::Arc;

/// The loaded policies, in configuration order.
#[derive(Default)]
pub struct Policies {
    pub all: Vec<Arc<Policy>>,
    /// Request headers policies may see (their `headers` settings), lower-cased.
    pub header_names: Vec<String>,
}

impl Policies {
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Whether any policy asked to decide at `hook` (then the built-in rules stand aside).
    pub fn want(&self, hook: Hook) -> bool {
        self.for_hook(hook).next().is_some()
    }

    pub fn for_hook(&self, hook: Hook) -> impl Iterator<Item = &Arc<Policy>> {
        self.all.iter().filter(move |p| p.wants(hook))
    }
}
