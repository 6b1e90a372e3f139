//! Credentials, versioned, and the `(method, identifier)` index that login looks identities
//! up by.
//!
//! Every write stores the credential under the next version, which is how concurrent logins
//! and settings changes detect that the credential changed under them: a write that names the
//! version it read fails with [`StoreError::Conflict`] if another got there first.

use super::StoreError;
use crate::model::{Credential, Identity};
use async_trait::async_trait;
use uuid::Uuid;

/// What [`CredentialRepository::delete_credential_keeping`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialDeletion {
    Deleted,
    /// The identity has no credential of that method.
    NotFound,
    /// Nothing was deleted: no credential of the methods to keep would remain.
    WouldLeaveNone,
}

/// The right to evaluate and write one credential, held until dropped; see
/// [`CredentialRepository::lock_credential`].
#[must_use = "the credential is released as soon as its lock is dropped"]
pub struct CredentialLock {
    _held: Box<dyn Send + Sync>,
}

impl CredentialLock {
    /// Wraps what keeps a backend's lock held (a mutex guard, a connection holding an
    /// advisory lock); dropping it must release the lock.
    pub fn new(held: impl Send + Sync + 'static) -> CredentialLock {
        CredentialLock {
            _held: Box::new(held),
        }
    }
}

#[async_trait]
pub trait CredentialRepository: Send + Sync {
    /// The identity's credentials, ordered by method.
    async fn credentials_of(&self, identity_id: Uuid) -> Result<Vec<Credential>, StoreError>;

    async fn credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<Option<Credential>, StoreError>;

    /// The identity holding `identifier` for `method`, with that credential, read together;
    /// identifiers compare exactly as stored.
    async fn find_by_identifier(
        &self,
        method: &str,
        identifier: &str,
    ) -> Result<Option<(Identity, Credential)>, StoreError>;

    /// Every identity holding `identifier` under any method, compared exactly as stored, in
    /// id order.
    async fn identities_by_identifier(&self, identifier: &str)
    -> Result<Vec<Identity>, StoreError>;

    /// Inserts or replaces the identity's credential of `credential.method`, with its
    /// identifiers, and returns it as stored: version old + 1 (1 when new), `created_at` kept
    /// from the stored row. With `expected_version`, a stored version that differs (0 when
    /// there is none) fails with [`StoreError::Conflict`] and changes nothing. An identifier
    /// another credential holds fails with [`StoreError::DuplicateIdentifier`]; a missing
    /// identity with [`StoreError::NotFound`].
    async fn put_credential(
        &self,
        credential: &Credential,
        expected_version: Option<u32>,
    ) -> Result<Credential, StoreError>;

    /// Deletes the identity's `method` credential unless that would leave it without any of
    /// the `keep_one_of` methods: with `keep_one_of` non-empty, one credential of those
    /// methods other than `method` must remain. The check and the delete are one transaction.
    async fn delete_credential_keeping(
        &self,
        identity_id: Uuid,
        method: &str,
        keep_one_of: &[String],
    ) -> Result<CredentialDeletion, StoreError>;

    /// Deletes the credential and its identifiers. Returns whether it existed.
    async fn delete_credential(&self, identity_id: Uuid, method: &str) -> Result<bool, StoreError>;

    /// Waits until no other holder has the identity's `method` credential, and holds it until
    /// the returned lock is dropped; other credentials do not wait.
    ///
    /// Submissions that may write one credential take turns. A plugin reads the credential,
    /// decides, and the host stores what it answers under a version check. Evaluated side by
    /// side, parallel guesses would all read the same failed-attempt counter: the version
    /// check would store one and refuse the rest, whose senders would still have learned that
    /// their guess was wrong without it being counted. Taking turns, every guess sees the one
    /// before it. The version check still guards against writers that do not take turns (the
    /// admin API).
    ///
    /// The lock must exclude holders in every process that serves the database, and a holder
    /// that dies must not keep it: SQLite's one process keeps a lock per credential in memory;
    /// PostgreSQL would take a session-level advisory lock (`pg_advisory_lock` on a hash of
    /// identity and method) on a connection kept for the lock's life, which closing that
    /// connection releases.
    async fn lock_credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<CredentialLock, StoreError>;
}
