//! Remembered `credential-aal` answers. The contract makes the answer a function of the
//! credential's identifiers and config alone, so it can be cached by their digest: whoami
//! under `highest_available` then costs no plugin instance per credential.

use crate::model::{Aal, Credential};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Enough for the credentials of every recently active identity; beyond it the cache starts
/// over rather than tracking recency.
const MAX_ENTRIES: usize = 65_536;

#[derive(Default)]
pub(crate) struct AalCache {
    answers: Mutex<HashMap<[u8; 32], Option<Aal>>>,
}

pub(crate) fn key(credential: &Credential) -> [u8; 32] {
    let mut digest = Sha256::new();
    for identifier in &credential.identifiers {
        // Length-prefixed so that ["ab", "c"] and ["a", "bc"] differ.
        digest.update((identifier.len() as u64).to_le_bytes());
        digest.update(identifier.as_bytes());
    }
    digest.update(u64::MAX.to_le_bytes());
    digest.update(credential.config.as_bytes());
    digest.finalize().into()
}

impl AalCache {
    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<Option<Aal>> {
        self.lock().get(key).copied()
    }

    pub(crate) fn put(&self, key: [u8; 32], answer: Option<Aal>) {
        let mut answers = self.lock();
        if answers.len() >= MAX_ENTRIES {
            answers.clear();
        }
        answers.insert(key, answer);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Option<Aal>>> {
        // A panic while holding the lock cannot leave a half-written map entry.
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(identifiers: &[&str], config: &str) -> Credential {
        let now = chrono::Utc::now();
        Credential {
            identity_id: uuid::Uuid::nil(),
            method: "pin".into(),
            identifiers: identifiers.iter().map(|s| s.to_string()).collect(),
            config: config.into(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn keys_separate_identifiers_from_config() {
        assert_ne!(
            key(&cred(&["ab", "c"], "{}")),
            key(&cred(&["a", "bc"], "{}"))
        );
        assert_ne!(key(&cred(&["a"], "{}")), key(&cred(&[], "a{}")));
        let mut newer = cred(&["a"], "{}");
        newer.version = 2;
        assert_eq!(key(&cred(&["a"], "{}")), key(&newer));
    }

    #[test]
    fn remembers_answers_including_none() {
        let cache = AalCache::default();
        let k = key(&cred(&["a"], "{}"));
        assert_eq!(cache.get(&k), None);
        cache.put(k, None);
        assert_eq!(cache.get(&k), Some(None));
        cache.put(k, Some(Aal::Aal2));
        assert_eq!(cache.get(&k), Some(Some(Aal::Aal2)));
    }
}
