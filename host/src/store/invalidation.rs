//! How the caches above the store learn that what they hold may be stale.
//!
//! The host keeps the answers of its hottest reads in memory (the session behind a token, an
//! identity's available AAL; see `crate::read_cache`). Such an answer stays correct only while
//! nothing it was read from changes, so a cache subscribes to its store
//! ([`Store::subscribe`](super::Store::subscribe)) and the store tells it, through
//! [`Invalidate::invalidate`], whenever a write may have changed anything.
//!
//! What a backend must guarantee its subscribers:
//!
//! 1. Every write made through it is published after it committed and before its call
//!    returns. A cache that starts a read after the publication reads the new data, and a
//!    process sees its own writes at once: a logout is final on the next request.
//! 2. Writes made by other processes are published as soon as the backend learns of them. A
//!    cache bounds the time it may not know (`read_cache` keeps an answer for a second at
//!    most), which is all that protects it from a writer that never tells.
//! 3. Publishing too often is harmless (a write that failed, a write to a table nothing
//!    caches); publishing too rarely is a bug.
//!
//! The SQLite adapter is one process serving one file, so it publishes in process after every
//! write transaction; the `identities import` command, a second process, relies on the caches'
//! age limit. A PostgreSQL adapter serving several processes would also `NOTIFY` a channel in
//! every write transaction (PostgreSQL delivers it at commit), keep one connection per process
//! `LISTEN`ing on it that publishes each notification, and publish once more whenever that
//! connection is re-established, since notifications sent while it was down are lost. Where
//! `LISTEN` is not available (a pooler in transaction mode), short cache lifetimes are the
//! fallback, and the age limit is the knob.

use std::sync::{Arc, PoisonError, RwLock};

/// Something that keeps answers read from the store.
pub trait Invalidate: Send + Sync {
    /// Everything read before this call may be stale.
    fn invalidate(&self);
}

/// The subscribers of one store. An adapter owns one and calls [`Invalidations::publish`]
/// after every write.
#[derive(Default)]
pub struct Invalidations {
    subscribers: RwLock<Vec<Arc<dyn Invalidate>>>,
}

impl Invalidations {
    pub fn subscribe(&self, subscriber: Arc<dyn Invalidate>) {
        // Subscribing only pushes, so a panic elsewhere cannot leave the list torn.
        self.subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(subscriber);
    }

    /// Tells every subscriber that what it read so far may be stale.
    pub fn publish(&self) {
        for subscriber in self
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            subscriber.invalidate();
        }
    }
}

impl std::fmt::Debug for Invalidations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invalidations").finish_non_exhaustive()
    }
}
