//! Answers of hot reads (the session behind a token, an identity's available AAL), kept in
//! memory while nothing has been written since they were read.
//!
//! A cache subscribes to the store ([`Store::subscribe`](crate::store::Store::subscribe)),
//! which tells it after every write; that retires every answer read before, so a logout, a
//! revoked or extended session, a disabled identity or a new credential is seen by the next
//! request. A reader takes a [`ReadTicket`] *before* its query, so an answer read while a
//! write was committing is never kept past the write's notice. A short age limit bounds what
//! a writer that does not notify (another process, such as the import command) could leave
//! unseen.

use crate::store::Invalidate;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MAX_AGE: Duration = Duration::from_secs(1);
/// Past this the cache starts over rather than tracking recency.
const MAX_ENTRIES: usize = 16_384;

struct Entry<V> {
    epoch: u64,
    read_at: Instant,
    value: V,
}

pub struct ReadCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// Moves on at every invalidation; an entry read in an earlier epoch is stale.
    epoch: AtomicU64,
}

/// When a read began, as the cache counts: taken before the query whose answer is kept.
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket(u64);

impl<K: Eq + Hash, V: Clone> Default for ReadCache<K, V> {
    fn default() -> Self {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    /// Take before querying the store for an answer to [`ReadCache::put`].
    pub fn ticket(&self) -> ReadTicket {
        ReadTicket(self.epoch.load(Ordering::Acquire))
    }

    /// The value read for `key`, if no write has been notified since and it is young enough.
    pub fn get(&self, key: &K) -> Option<V> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.epoch == epoch && entry.read_at.elapsed() < MAX_AGE).then(|| entry.value.clone())
    }

    /// Remembers `value`, read by a query that began at `ticket`.
    pub fn put(&self, key: K, ticket: ReadTicket, value: V) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                epoch: ticket.0,
                read_at: Instant::now(),
                value,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Eq + Hash + Send, V: Clone + Send> Invalidate for ReadCache<K, V> {
    fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_until_a_write_is_notified() {
        let cache = ReadCache::default();
        let ticket = cache.ticket();
        cache.put("token", ticket, 42);
        assert_eq!(cache.get(&"token"), Some(42));
        assert_eq!(cache.get(&"other"), None);
        cache.invalidate();
        assert_eq!(cache.get(&"token"), None, "a write happened since");
    }

    #[test]
    fn an_answer_read_across_a_write_is_not_kept() {
        let cache = ReadCache::default();
        let ticket = cache.ticket();
        // The write commits and is notified while the query is still running.
        cache.invalidate();
        cache.put("token", ticket, 42);
        assert_eq!(cache.get(&"token"), None);
    }
}
