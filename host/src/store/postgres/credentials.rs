//! Credentials and the `(method, identifier)` index that login looks identities up by.
//!
//! Every write locks the credential's identity row first, so writers of one identity's
//! credentials take turns on every node and the version check reads the version that the
//! write replaces.

use super::codec::{execute, get, query, query_opt, version};
use super::identities::{IDENTITY_COLUMNS, decode_identity, identity_columns, lock_identity};
use super::{PgStore, StoreError};
use crate::model::{Credential, Identity};
use crate::store::{CredentialDeletion, CredentialLock, CredentialRepository};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

/// The credential's columns as [`decode_credential`] reads them, for `credentials c`: the
/// identifiers come in the same statement, so they are of the same snapshot.
macro_rules! credential_columns {
    () => {
        "c.identity_id, c.method, c.config, c.version, c.created_at, c.updated_at, \
         ARRAY(SELECT x.identifier FROM credential_identifiers x \
               WHERE x.identity_id = c.identity_id AND x.method = c.method ORDER BY x.position)"
    };
}

fn decode_credential(row: &Row, first: usize) -> Result<Credential, StoreError> {
    Ok(Credential {
        identity_id: get(row, first, "credentials.identity_id")?,
        method: get(row, first + 1, "credentials.method")?,
        config: get(row, first + 2, "credentials.config")?,
        version: version(
            "credentials.version",
            get(row, first + 3, "credentials.version")?,
        )?,
        created_at: get(row, first + 4, "credentials.created_at")?,
        updated_at: get(row, first + 5, "credentials.updated_at")?,
        identifiers: get(row, first + 6, "credential_identifiers.identifier")?,
    })
}

async fn load_credential(
    client: &impl GenericClient,
    identity_id: Uuid,
    method: &str,
) -> Result<Option<Credential>, StoreError> {
    query_opt(
        client,
        concat!(
            "SELECT ",
            credential_columns!(),
            " FROM credentials c WHERE c.identity_id = $1 AND c.method = $2"
        ),
        &[&identity_id, &method],
    )
    .await?
    .map(|row| decode_credential(&row, 0))
    .transpose()
}

/// Stores `credential` under the next version and returns it as stored. A missing
/// credential counts as version 0, so `expected: Some(0)` means "only if there is none".
pub(super) async fn store_credential(
    client: &impl GenericClient,
    credential: &Credential,
    expected: Option<u32>,
) -> Result<Credential, StoreError> {
    let (identity_id, method) = (credential.identity_id, credential.method.as_str());
    if !lock_identity(client, identity_id).await? {
        return Err(StoreError::NotFound);
    }
    let current = match query_opt(
        client,
        "SELECT version FROM credentials WHERE identity_id = $1 AND method = $2",
        &[&identity_id, &method],
    )
    .await?
    {
        Some(row) => version("credentials.version", get(&row, 0, "credentials.version")?)?,
        None => 0,
    };
    if expected.is_some_and(|v| v != current) {
        return Err(StoreError::Conflict);
    }
    let next = i64::from(current) + 1;
    // An upsert, not a delete and insert: deleting would cascade to the identifiers and lose
    // `created_at`.
    execute(
        client,
        "INSERT INTO credentials (identity_id, method, config, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (identity_id, method) DO UPDATE SET \
         config = excluded.config, version = excluded.version, updated_at = excluded.updated_at",
        &[
            &identity_id,
            &method,
            &credential.config,
            &next,
            &credential.created_at,
            &credential.updated_at,
        ],
    )
    .await?;
    replace_identifiers(client, credential).await?;
    load_credential(client, identity_id, method)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn replace_identifiers(
    client: &impl GenericClient,
    credential: &Credential,
) -> Result<(), StoreError> {
    execute(
        client,
        "DELETE FROM credential_identifiers WHERE identity_id = $1 AND method = $2",
        &[&credential.identity_id, &credential.method],
    )
    .await?;
    for (position, identifier) in distinct(&credential.identifiers).into_iter().enumerate() {
        // A clash with a row another transaction has not committed yet waits for it, so two
        // nodes registering one identifier at once end with one owner.
        let inserted = execute(
            client,
            "INSERT INTO credential_identifiers (method, identifier, identity_id, position) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (method, identifier) DO NOTHING",
            &[
                &credential.method,
                &identifier,
                &credential.identity_id,
                &(position as i32),
            ],
        )
        .await?;
        if inserted == 0 {
            return Err(StoreError::DuplicateIdentifier {
                method: credential.method.clone(),
                identifier: identifier.to_string(),
            });
        }
    }
    Ok(())
}

/// A credential listing the same identifier twice must not collide with itself.
fn distinct(identifiers: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::with_capacity(identifiers.len());
    for identifier in identifiers {
        if !seen.contains(&identifier.as_str()) {
            seen.push(identifier);
        }
    }
    seen
}

#[async_trait]
impl CredentialRepository for PgStore {
    async fn credentials_of(&self, identity_id: Uuid) -> Result<Vec<Credential>, StoreError> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        query(
            &self.client().await?,
            concat!(
                "SELECT ",
                credential_columns!(),
                " FROM credentials c WHERE c.identity_id = $1 ORDER BY c.method COLLATE \"C\""
            ),
            &[&identity_id],
        )
        .await?
        .iter()
        .map(|row| decode_credential(row, 0))
        .collect()
    }

    async fn credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<Option<Credential>, StoreError> {
        load_credential(&self.client().await?, identity_id, method).await
    }

    async fn find_by_identifier(
        &self,
        method: &str,
        identifier: &str,
    ) -> Result<Option<(Identity, Credential)>, StoreError> {
        let row = query_opt(
            &self.client().await?,
            concat!(
                "SELECT ",
                identity_columns!(),
                ", ",
                credential_columns!(),
                " FROM credential_identifiers f \
                 JOIN identities i ON i.id = f.identity_id \
                 JOIN credentials c ON c.identity_id = f.identity_id AND c.method = f.method \
                 WHERE f.method = $1 AND f.identifier = $2"
            ),
            &[&method, &identifier],
        )
        .await?;
        row.map(|row| {
            Ok((
                decode_identity(&row, 0)?,
                decode_credential(&row, IDENTITY_COLUMNS)?,
            ))
        })
        .transpose()
    }

    async fn identities_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Vec<Identity>, StoreError> {
        query(
            &self.client().await?,
            concat!(
                "SELECT ",
                identity_columns!(),
                " FROM identities i WHERE i.id IN \
                 (SELECT identity_id FROM credential_identifiers WHERE identifier = $1) \
                 ORDER BY i.id"
            ),
            &[&identifier],
        )
        .await?
        .iter()
        .map(|row| decode_identity(row, 0))
        .collect()
    }

    async fn put_credential(
        &self,
        credential: &Credential,
        expected_version: Option<u32>,
    ) -> Result<Credential, StoreError> {
        self.write(async |tx| store_credential(tx, credential, expected_version).await)
            .await
    }

    async fn delete_credential_keeping(
        &self,
        identity_id: Uuid,
        method: &str,
        keep_one_of: &[String],
    ) -> Result<CredentialDeletion, StoreError> {
        self.write(async |tx| {
            if !lock_identity(tx, identity_id).await?
                || load_credential(tx, identity_id, method).await?.is_none()
            {
                return Ok(CredentialDeletion::NotFound);
            }
            if !keep_one_of.is_empty() {
                let remaining = query_opt(
                    tx,
                    "SELECT 1 FROM credentials WHERE identity_id = $1 \
                     AND method = ANY($2) AND method <> $3 LIMIT 1",
                    &[&identity_id, &keep_one_of, &method],
                )
                .await?;
                if remaining.is_none() {
                    return Ok(CredentialDeletion::WouldLeaveNone);
                }
            }
            execute(
                tx,
                "DELETE FROM credentials WHERE identity_id = $1 AND method = $2",
                &[&identity_id, &method],
            )
            .await?;
            Ok(CredentialDeletion::Deleted)
        })
        .await
    }

    async fn delete_credential(&self, identity_id: Uuid, method: &str) -> Result<bool, StoreError> {
        self.write(async |tx| {
            if !lock_identity(tx, identity_id).await? {
                return Ok(false);
            }
            let deleted = execute(
                tx,
                "DELETE FROM credentials WHERE identity_id = $1 AND method = $2",
                &[&identity_id, &method],
            )
            .await?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn lock_credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<CredentialLock, StoreError> {
        self.take_turn(identity_id, method).await
    }
}
