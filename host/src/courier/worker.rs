//! The background sender: claims due messages, delivers them, records how each attempt went.
//!
//! Claim → send → record. A claim is a lease ([`crate::store::CourierRepository::
//! claim_due_messages`]): no other sender takes a claimed message until the lease runs out,
//! so a message is sent once by a normal run. Only a sender that dies (or loses the
//! database) between sending and recording leaves a message whose lease runs out and which is
//! sent again: delivery is at least once, never silently dropped.

use super::delivery::{Deliveries, SEND_TIMEOUT};
use crate::clock::Clock;
use crate::config::CourierWorker;
use crate::store::courier::CourierMessage;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The first retry waits this long; each further one twice as long as the one before.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// No retry waits longer.
const LONGEST_RETRY: Duration = Duration::from_secs(600);

/// What a sender needs.
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub deliveries: Arc<Deliveries>,
    pub clock: Arc<dyn Clock>,
    pub settings: CourierWorker,
    /// Failed attempts retried before a message is abandoned.
    pub message_retries: u32,
}

/// How one pass over the queue went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    pub abandoned: usize,
}

impl Pass {
    fn claimed(&self) -> usize {
        self.sent + self.failed + self.abandoned
    }
}

impl Worker {
    /// Longer than a claimed batch can take to send, one timeout after another.
    fn lease(&self) -> chrono::Duration {
        let batch = SEND_TIMEOUT * 2 * self.settings.pull_count as u32;
        chrono::Duration::from_std(batch + Duration::from_secs(60))
            .unwrap_or(chrono::Duration::minutes(10))
    }

    /// Claims up to `pull_count` due messages, sends them one by one, and records each result.
    pub async fn run_once(&self) -> Result<Pass, StoreError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_due_messages(now, self.settings.pull_count, self.lease())
            .await?;
        let mut pass = Pass::default();
        for message in claimed {
            match self.deliveries.send(&message).await {
                Ok(()) => {
                    self.store
                        .record_dispatch_success(message.id, self.clock.now())
                        .await?;
                    tracing::info!(message_id = %message.id, "sent a courier message");
                    pass.sent += 1;
                }
                Err(err) => {
                    let at = self.clock.now();
                    let retry_at = self.retry_at(&message, at);
                    let error = json!({ "message": err.0 });
                    self.store
                        .record_dispatch_failure(message.id, &error, at, retry_at)
                        .await?;
                    match retry_at {
                        Some(retry_at) => {
                            tracing::warn!(message_id = %message.id, error = %err, %retry_at,
                                "sending a courier message failed; it will be retried");
                            pass.failed += 1;
                        }
                        None => {
                            tracing::error!(message_id = %message.id, error = %err,
                                attempts = message.send_count + 1,
                                "sending a courier message failed too often; abandoned it");
                            pass.abandoned += 1;
                        }
                    }
                }
            }
        }
        Ok(pass)
    }

    /// When to try again after this failure, or `None` to give up: the first attempt and
    /// `message_retries` retries, waiting twice as long before each retry as before the last.
    fn retry_at(&self, message: &CourierMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let failures = message.send_count + 1;
        if failures > self.message_retries {
            return None;
        }
        let wait = FIRST_RETRY
            .saturating_mul(2u32.saturating_pow(failures - 1))
            .min(LONGEST_RETRY);
        Some(now + chrono::Duration::from_std(wait).unwrap_or_default())
    }

    /// Runs passes until stopped: at once again after a full batch, after `pull_wait` when the
    /// queue had less. A store failure is logged and tried again next time.
    pub fn spawn(self) -> WorkerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let busy = match self.run_once().await {
                    Ok(pass) => pass.claimed() >= self.settings.pull_count,
                    Err(err) => {
                        tracing::warn!(error = %err, "the courier could not reach the queue");
                        false
                    }
                };
                if *stopped.borrow() {
                    return;
                }
                if !busy {
                    tokio::select! {
                        _ = tokio::time::sleep(self.settings.pull_wait) => {}
                        _ = stopped.changed() => return,
                    }
                }
            }
        });
        WorkerHandle { stop, task }
    }
}

/// A running sender.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops after the message being sent, if any, is recorded.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
