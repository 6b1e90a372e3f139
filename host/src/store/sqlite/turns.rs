//! Credential turns, SQLite's
//! [`lock_credential`](crate::store::CredentialRepository::lock_credential): why submissions
//! take turns on a credential is told there.
//!
//! One process serves the database, so an in-process lock per (identity, method) suffices; the
//! version check still guards against writers that do not take turns (the admin API).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

type Key = (Uuid, String);
type Queues = Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>;

/// The credentials being evaluated now; an entry lives as long as someone holds or awaits it.
#[derive(Default)]
pub(super) struct CredentialTurns {
    queues: Queues,
}

/// The right to evaluate and write one credential, until dropped.
pub(super) struct Turn {
    key: Key,
    queues: Queues,
    guard: Option<OwnedMutexGuard<()>>,
}

impl CredentialTurns {
    /// Waits until no other submission holds the `method` credential of `identity`.
    pub(super) async fn take(&self, identity: Uuid, method: &str) -> Turn {
        let key = (identity, method.to_string());
        let queue = lock(&self.queues).entry(key.clone()).or_default().clone();
        let guard = queue.lock_owned().await;
        Turn {
            key,
            queues: self.queues.clone(),
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.queues).len()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut queues = lock(&self.queues);
        // Only the map's own handle left: nobody holds or awaits this credential.
        if queues
            .get(&self.key)
            .is_some_and(|q| Arc::strong_count(q) == 1)
        {
            queues.remove(&self.key);
        }
    }
}

fn lock(queues: &Queues) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<tokio::sync::Mutex<()>>>> {
    // The map is only ever inserted into or removed from whole; a panic cannot tear it.
    queues.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn one_turn_per_credential_at_a_time() {
        let turns = Arc::new(CredentialTurns::default());
        let identity = Uuid::new_v4();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (turns, inside, most) = (turns.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = turns.take(identity, "pin").await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(turns.len(), 0, "no entry outlives its turns");
    }

    #[tokio::test]
    async fn other_credentials_do_not_wait() {
        let turns = CredentialTurns::default();
        let identity = Uuid::new_v4();
        let _pin = turns.take(identity, "pin").await;
        let _totp = turns.take(identity, "totp").await;
        let _other = turns.take(Uuid::new_v4(), "pin").await;
        assert_eq!(turns.len(), 3);
    }
}
