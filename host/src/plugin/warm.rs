//! Warm policy instances. A scripted policy parses and compiles its rules when it is
//! instantiated, which costs far more than the decision itself (0.3 ms and more against a few
//! microseconds), so an instance that answered cleanly is kept for the next decision.
//!
//! Policies are pure decisions by contract, and only an instance that returned normally and
//! printed nothing goes back; one that trapped, ran out of time or memory is dropped. Each
//! store keeps its memory cap, and its deadline is set anew for every call. Instances are
//! retired after `MAX_USES` decisions so that nothing a policy accumulates lives long.

use super::call_state::CallState;
use super::engine::WARM_POLICY_INSTANCES;
use super::policy_bindings::PolicyComponent;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use wasmtime::Store;

const MAX_USES: u32 = 1_000;

/// Idle instances one policy keeps: as many as threads can decide inline at once. A burst of
/// first decisions on the blocking pool instantiates more, but keeping them all would hold
/// their grown linear memories for nothing.
static PER_POLICY: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2)
});

/// Warm instances held by all policies together; bounded by the slots reserved for them.
static HELD: AtomicUsize = AtomicUsize::new(0);

pub(crate) struct Warm {
    pub store: Store<CallState>,
    pub instance: PolicyComponent,
    pub uses: u32,
}

#[derive(Default)]
pub(crate) struct WarmInstances {
    idle: Mutex<Vec<Warm>>,
}

impl WarmInstances {
    pub(crate) fn take(&self) -> Option<Warm> {
        let warm = self.lock().pop()?;
        HELD.fetch_sub(1, Ordering::AcqRel);
        Some(warm)
    }

    /// Keeps `warm` for the next decision if it is still fit and there is room.
    pub(crate) fn give_back(&self, mut warm: Warm) {
        warm.uses += 1;
        if warm.uses >= MAX_USES || warm.store.data().printed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() >= *PER_POLICY {
            return;
        }
        if HELD.fetch_add(1, Ordering::AcqRel) >= WARM_POLICY_INSTANCES {
            HELD.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        idle.push(warm);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Warm>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for WarmInstances {
    fn drop(&mut self) {
        let n = self.lock().len();
        HELD.fetch_sub(n, Ordering::AcqRel);
    }
}
