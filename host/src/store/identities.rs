//! Identities, and the one write that creates an identity together with its credentials.

use super::StoreError;
use crate::model::{Credential, Identity};
use async_trait::async_trait;
use uuid::Uuid;

/// What an address is looked up for: its `verifiable_addresses` or its `recovery_addresses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPurpose {
    Verification,
    Recovery,
}

impl AddressPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPurpose::Verification => "verification",
            AddressPurpose::Recovery => "recovery",
        }
    }
}

#[async_trait]
pub trait IdentityRepository: Send + Sync {
    /// Creates an identity with its credentials, all or nothing. Each credential is stored
    /// as version 1. A `(method, identifier)` pair that another credential already holds
    /// fails with [`StoreError::DuplicateIdentifier`] and stores nothing; a credential of
    /// another identity fails with [`StoreError::InvalidArgument`].
    async fn create_identity(
        &self,
        identity: &Identity,
        credentials: &[Credential],
    ) -> Result<(), StoreError>;

    async fn get_identity(&self, id: Uuid) -> Result<Option<Identity>, StoreError>;

    /// Up to `page_size` identities with ids greater than `after`, in id order; pass the last
    /// id of one page as `after` to get the next.
    async fn list_identities(
        &self,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Identity>, StoreError>;

    /// Replaces everything but `id` and `created_at`, which never change after creation.
    /// [`StoreError::NotFound`] when there is no such identity.
    async fn update_identity(&self, identity: &Identity) -> Result<(), StoreError>;

    /// [`IdentityRepository::update_identity`] and a versioned
    /// [`put_credential`](super::CredentialRepository::put_credential) for each
    /// `(credential, expected_version)`, in one transaction: an identifier clash or a version
    /// conflict changes nothing.
    async fn update_identity_with_credentials(
        &self,
        identity: &Identity,
        credentials: &[(Credential, u32)],
    ) -> Result<(), StoreError>;

    /// The identity that has `value` (normalised as `identity::addresses::normalise` does)
    /// among its addresses for `purpose` on channel `via`; the oldest when several have it.
    async fn identity_by_address(
        &self,
        purpose: AddressPurpose,
        via: &str,
        value: &str,
    ) -> Result<Option<Identity>, StoreError>;

    /// Deletes the identity with its credentials, identifiers and sessions. Returns whether
    /// it existed.
    async fn delete_identity(&self, id: Uuid) -> Result<bool, StoreError>;
}
