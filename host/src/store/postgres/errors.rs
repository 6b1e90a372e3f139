//! Errors a browser was sent to the error UI about, kept until they expire.

use super::codec::{execute, get, query_opt};
use super::{PgStore, StoreError};
use crate::store::{ErrorRepository, StoredError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

fn decode(row: &Row) -> Result<StoredError, StoreError> {
    Ok(StoredError {
        id: get(row, 0, "selfservice_errors.id")?,
        error: get(row, 1, "selfservice_errors.error")?,
        created_at: get(row, 2, "selfservice_errors.created_at")?,
        expires_at: get(row, 3, "selfservice_errors.expires_at")?,
    })
}

#[async_trait]
impl ErrorRepository for PgStore {
    async fn insert_error(&self, stored: &StoredError) -> Result<(), StoreError> {
        self.write(async |tx| {
            // Rows another insert is already dropping are left to it: inserts on several
            // nodes at once then never wait for, or deadlock on, each other's old rows.
            execute(
                tx,
                "DELETE FROM selfservice_errors WHERE id IN (SELECT id FROM selfservice_errors \
                 WHERE expires_at < $1 FOR UPDATE SKIP LOCKED)",
                &[&stored.created_at],
            )
            .await?;
            execute(
                tx,
                "INSERT INTO selfservice_errors (id, error, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &stored.id,
                    &stored.error,
                    &stored.created_at,
                    &stored.expires_at,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn get_error(&self, id: Uuid) -> Result<Option<StoredError>, StoreError> {
        query_opt(
            &self.client().await?,
            "SELECT id, error, created_at, expires_at FROM selfservice_errors WHERE id = $1",
            &[&id],
        )
        .await?
        .map(|row| decode(&row))
        .transpose()
    }

    async fn delete_expired_errors(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(async |tx| {
            let deleted = execute(
                tx,
                "DELETE FROM selfservice_errors WHERE id IN (SELECT id FROM selfservice_errors \
                 WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
                &[&before, &(limit as i64)],
            )
            .await?;
            Ok(deleted as usize)
        })
        .await
    }
}
