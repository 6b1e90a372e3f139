//! Identities. Their credentials live in `credentials.rs`; deleting an identity cascades to
//! its credentials, identifiers, addresses and sessions through foreign keys.

use super::codec::{execute, from_json, get, parse_enum, query, query_opt, to_json};
use super::credentials::store_credential;
use super::{PgStore, StoreError};
use crate::model::{Credential, Identity, IdentityState};
use crate::store::{AddressPurpose, IdentityRepository};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

/// The identity's columns as [`decode_identity`] reads them, for tables aliased `i`.
macro_rules! identity_columns {
    () => {
        "i.id, i.schema_id, i.state, i.traits, i.metadata_public, i.metadata_admin, \
         i.verifiable_addresses, i.recovery_addresses, i.created_at, i.updated_at"
    };
}
pub(super) use identity_columns;

/// How many columns [`identity_columns!`] selects.
pub(super) const IDENTITY_COLUMNS: usize = 10;

/// The identity in `row`'s columns `first..first + IDENTITY_COLUMNS`.
pub(super) fn decode_identity(row: &Row, first: usize) -> Result<Identity, StoreError> {
    let state: &str = get(row, first + 2, "identities.state")?;
    Ok(Identity {
        id: get(row, first, "identities.id")?,
        schema_id: get(row, first + 1, "identities.schema_id")?,
        state: parse_enum("identities.state", state, IdentityState::parse)?,
        traits: get(row, first + 3, "identities.traits")?,
        metadata_public: get(row, first + 4, "identities.metadata_public")?,
        metadata_admin: get(row, first + 5, "identities.metadata_admin")?,
        verifiable_addresses: from_json(
            "identities.verifiable_addresses",
            get(row, first + 6, "identities.verifiable_addresses")?,
        )?,
        recovery_addresses: from_json(
            "identities.recovery_addresses",
            get(row, first + 7, "identities.recovery_addresses")?,
        )?,
        created_at: get(row, first + 8, "identities.created_at")?,
        updated_at: get(row, first + 9, "identities.updated_at")?,
    })
}

pub(super) async fn load_identity(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Identity>, StoreError> {
    query_opt(
        client,
        concat!(
            "SELECT ",
            identity_columns!(),
            " FROM identities i WHERE i.id = $1"
        ),
        &[&id],
    )
    .await?
    .map(|row| decode_identity(&row, 0))
    .transpose()
}

/// Locks the identity's row until the transaction ends, so that writers of its credentials
/// take turns (on every node); false when there is no such identity.
pub(super) async fn lock_identity(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(query_opt(
        client,
        "SELECT 1 FROM identities WHERE id = $1 FOR NO KEY UPDATE",
        &[&id],
    )
    .await?
    .is_some())
}

/// Replaces the identity's rows in `identity_addresses` with its current addresses.
async fn index_addresses(
    client: &impl GenericClient,
    identity: &Identity,
) -> Result<(), StoreError> {
    execute(
        client,
        "DELETE FROM identity_addresses WHERE identity_id = $1",
        &[&identity.id],
    )
    .await?;
    let verifiable = identity
        .verifiable_addresses
        .iter()
        .map(|a| (AddressPurpose::Verification, &a.via, &a.value));
    let recovery = identity
        .recovery_addresses
        .iter()
        .map(|a| (AddressPurpose::Recovery, &a.via, &a.value));
    for (purpose, via, value) in verifiable.chain(recovery) {
        execute(
            client,
            "INSERT INTO identity_addresses (purpose, via, value, identity_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&purpose.as_str(), via, value, &identity.id],
        )
        .await?;
    }
    Ok(())
}

async fn insert_identity(
    client: &impl GenericClient,
    identity: &Identity,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO identities (id, schema_id, state, traits, metadata_public, metadata_admin, \
         verifiable_addresses, recovery_addresses, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &identity.id,
            &identity.schema_id,
            &identity.state.as_str(),
            &identity.traits,
            &identity.metadata_public,
            &identity.metadata_admin,
            &to_json(
                "identities.verifiable_addresses",
                &identity.verifiable_addresses,
            )?,
            &to_json(
                "identities.recovery_addresses",
                &identity.recovery_addresses,
            )?,
            &identity.created_at,
            &identity.updated_at,
        ],
    )
    .await?;
    index_addresses(client, identity).await
}

async fn update_identity_row(
    client: &impl GenericClient,
    identity: &Identity,
) -> Result<(), StoreError> {
    let changed = execute(
        client,
        "UPDATE identities SET schema_id = $2, state = $3, traits = $4, metadata_public = $5, \
         metadata_admin = $6, verifiable_addresses = $7, recovery_addresses = $8, \
         updated_at = $9 WHERE id = $1",
        &[
            &identity.id,
            &identity.schema_id,
            &identity.state.as_str(),
            &identity.traits,
            &identity.metadata_public,
            &identity.metadata_admin,
            &to_json(
                "identities.verifiable_addresses",
                &identity.verifiable_addresses,
            )?,
            &to_json(
                "identities.recovery_addresses",
                &identity.recovery_addresses,
            )?,
            &identity.updated_at,
        ],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    index_addresses(client, identity).await
}

#[async_trait]
impl IdentityRepository for PgStore {
    async fn create_identity(
        &self,
        identity: &Identity,
        credentials: &[Credential],
    ) -> Result<(), StoreError> {
        if credentials.iter().any(|c| c.identity_id != identity.id) {
            return Err(StoreError::InvalidArgument(
                "a credential belongs to a different identity",
            ));
        }
        self.write(async |tx| {
            insert_identity(tx, identity).await?;
            for credential in credentials {
                store_credential(tx, credential, None).await?;
            }
            Ok(())
        })
        .await
    }

    async fn get_identity(&self, id: Uuid) -> Result<Option<Identity>, StoreError> {
        load_identity(&self.client().await?, id).await
    }

    async fn list_identities(
        &self,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Identity>, StoreError> {
        let client = self.client().await?;
        let limit = i64::from(page_size);
        let rows = match after {
            None => {
                query(
                    &client,
                    concat!(
                        "SELECT ",
                        identity_columns!(),
                        " FROM identities i ORDER BY i.id LIMIT $1"
                    ),
                    &[&limit],
                )
                .await?
            }
            Some(after) => {
                query(
                    &client,
                    concat!(
                        "SELECT ",
                        identity_columns!(),
                        " FROM identities i WHERE i.id > $1 ORDER BY i.id LIMIT $2"
                    ),
                    &[&after, &limit],
                )
                .await?
            }
        };
        rows.iter().map(|row| decode_identity(row, 0)).collect()
    }

    async fn update_identity(&self, identity: &Identity) -> Result<(), StoreError> {
        self.write(async |tx| update_identity_row(tx, identity).await)
            .await
    }

    async fn update_identity_with_credentials(
        &self,
        identity: &Identity,
        credentials: &[(Credential, u32)],
    ) -> Result<(), StoreError> {
        if credentials
            .iter()
            .any(|(c, _)| c.identity_id != identity.id)
        {
            return Err(StoreError::InvalidArgument(
                "a credential belongs to a different identity",
            ));
        }
        self.write(async |tx| {
            update_identity_row(tx, identity).await?;
            for (credential, expected) in credentials {
                store_credential(tx, credential, Some(*expected)).await?;
            }
            Ok(())
        })
        .await
    }

    async fn identity_by_address(
        &self,
        purpose: AddressPurpose,
        via: &str,
        value: &str,
    ) -> Result<Option<Identity>, StoreError> {
        query_opt(
            &self.client().await?,
            concat!(
                "SELECT ",
                identity_columns!(),
                " FROM identity_addresses a JOIN identities i ON i.id = a.identity_id \
                 WHERE a.purpose = $1 AND a.via = $2 AND a.value = $3 \
                 ORDER BY i.created_at, i.id LIMIT 1"
            ),
            &[&purpose.as_str(), &via, &value],
        )
        .await?
        .map(|row| decode_identity(&row, 0))
        .transpose()
    }

    async fn delete_identity(&self, id: Uuid) -> Result<bool, StoreError> {
        self.write(async |tx| {
            Ok(execute(tx, "DELETE FROM identities WHERE id = $1", &[&id]).await? > 0)
        })
        .await
    }
}
