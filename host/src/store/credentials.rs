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
}
