//! Answers of hot reads (the session behind a token, an identity's available AAL), kept in
//! memory while nothing has been written since they were read.
//!
//! An entry is tagged with [`Database::generation`](crate::store::sqlite::Database::generation)
//! read *before* the query, so any write in this process afterwards retires it: a logout, a
//! revoked or extended session, a disabled identity or a new credential is seen by the next
//! request. A short age limit bounds what another process (the import command) could leave
//! unseen.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_AGE: Duration = Duration::from_secs(1);
/// Past this the cache starts over rather than tracking recency.
const MAX_ENTRIES: usize = 16_384;

struct Entry<V> {
    generation: u64,
    read_at: Instant,
    value: V,
}

pub struct ReadCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> Default for ReadCache<K, V> {
    fn default() -> Self {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    /// The value read for `key` at `generation`, if that is still the current one.
    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.read_at.elapsed() < MAX_AGE)
            .then(|| entry.value.clone())
    }

    /// Remembers `value`, read after `generation` was observed.
    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                read_at: Instant::now(),
                value,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_only_while_the_generation_holds() {
        let cache = ReadCache::default();
        cache.put("token", 7, 42);
        assert_eq!(cache.get(&"token", 7), Some(42));
        assert_eq!(cache.get(&"token", 8), None, "a write happened since");
        assert_eq!(cache.get(&"other", 7), None);
    }
}
