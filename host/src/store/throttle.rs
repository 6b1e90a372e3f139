//! Failed sign-in attempts counted per key (an identifier, a client address), so that the
//! login throttle holds across restarts and, with a shared database, across nodes. Keys are
//! opaque to the store: the caller hashes what it counts.

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Failures counted under one key since the count last started over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: u32,
    pub last_failure_at: DateTime<Utc>,
}

#[async_trait]
pub trait ThrottleRepository: Send + Sync {
    /// The count under `key`, if any failure was recorded.
    async fn failure_count(&self, key: &str) -> Result<Option<FailureCount>, StoreError>;

    /// Counts one failure at `now` and returns the new count, in one statement so that
    /// failures recorded at the same time are all counted. A count whose last failure came
    /// before `forget_before` starts over at one.
    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError>;

    /// Starts the count under `key` over (a successful sign-in).
    async fn forget_failures(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes at most `limit` counts whose last failure came strictly before `before`,
    /// oldest first; returns how many.
    async fn delete_stale_failures(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError>;
}
