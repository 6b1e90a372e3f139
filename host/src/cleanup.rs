//! Deleting what has expired: flows, sessions, stored errors and the login throttle's stale
//! failure counts, in batches.
//!
//! Anyone can make the server store a flow or an error, and every sign-in stores a session, so
//! rows that nobody can use any more must go or they pile up without bound. Each batch is one
//! short write transaction (at most `batch_size` rows, oldest first), so a sweep never holds
//! the database long enough to stall requests. The server sweeps by itself every
//! `database.cleanup.interval`; `latchkey cleanup sql` sweeps by hand, as `kratos cleanup sql`
//! does.

use crate::config::Cleanup;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// How much one sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub flows: usize,
    pub errors: usize,
    pub failure_counts: usize,
}

/// How far a sweep goes in each table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// One batch per table, as `kratos cleanup sql` deletes.
    OneBatch,
    /// Batches until nothing expired is left.
    Everything,
}

/// The pause between two batches of one table: long enough for waiting writers to get in.
const BETWEEN_BATCHES: Duration = Duration::from_millis(5);

/// Deletes the sessions, flows and stored errors that expired before `now` less
/// `settings.older_than`, and failure counts that would start over anyway (no failure for
/// `forget_failures_after`), pausing `settings.sleep.tables` between tables.
pub async fn sweep(
    store: &dyn Store,
    now: DateTime<Utc>,
    settings: &Cleanup,
    forget_failures_after: Duration,
    reach: Reach,
) -> Result<Swept, StoreError> {
    let older_than = chrono::Duration::from_std(settings.older_than).unwrap_or_default();
    let before = now - older_than;
    let limit = settings.batch_size;
    let sessions = drain(
        reach,
        || store.delete_expired_sessions(before, limit),
        limit,
    )
    .await?;
    tokio::time::sleep(settings.sleep.tables).await;
    let flows = drain(reach, || store.delete_expired_flows(before, limit), limit).await?;
    tokio::time::sleep(settings.sleep.tables).await;
    let errors = drain(reach, || store.delete_expired_errors(before, limit), limit).await?;
    tokio::time::sleep(settings.sleep.tables).await;
    let stale = now - chrono::Duration::from_std(forget_failures_after).unwrap_or_default();
    let failure_counts = drain(reach, || store.delete_stale_failures(stale, limit), limit).await?;
    Ok(Swept {
        sessions,
        flows,
        errors,
        failure_counts,
    })
}

async fn drain<F, Fut>(reach: Reach, mut batch: F, limit: usize) -> Result<usize, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, StoreError>>,
{
    let mut total = 0;
    loop {
        let deleted = batch().await?;
        total += deleted;
        if reach == Reach::OneBatch || deleted < limit {
            return Ok(total);
        }
        tokio::time::sleep(BETWEEN_BATCHES).await;
    }
}

/// Sweeps every `settings.interval` for as long as the server runs; an interval of zero turns
/// the sweep off. A failed sweep is logged and tried again next time.
pub fn spawn_sweeper(
    store: Arc<dyn Store>,
    clock: Arc<dyn crate::clock::Clock>,
    settings: Cleanup,
    forget_failures_after: Duration,
) {
    if settings.interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(settings.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: a restarted server cleans up what expired meanwhile.
        loop {
            ticks.tick().await;
            let now = clock.now();
            let reach = Reach::Everything;
            match sweep(store.as_ref(), now, &settings, forget_failures_after, reach).await {
                Ok(swept) if swept != Swept::default() => tracing::info!(
                    sessions = swept.sessions,
                    flows = swept.flows,
                    errors = swept.errors,
                    failure_counts = swept.failure_counts,
                    "deleted expired data"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sweeping expired data failed"),
            }
        }
    });
}
