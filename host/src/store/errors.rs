//! Errors a browser was sent to the error UI about, kept until they expire so that the UI can
//! fetch them by id (`GET /self-service/errors?id=`), as Kratos keeps its `selfservice_errors`.

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredError {
    pub id: Uuid,
    /// Kratos' error object: `{id, code, status, reason, message, details}`.
    pub error: Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait ErrorRepository: Send + Sync {
    /// Stores an error, and in the same transaction drops those that expired before it was
    /// made: anyone can make the server store an error, so they must not pile up.
    async fn insert_error(&self, stored: &StoredError) -> Result<(), StoreError>;

    /// The stored error, expired or not: the caller decides what expiry means.
    async fn get_error(&self, id: Uuid) -> Result<Option<StoredError>, StoreError>;

    /// Deletes at most `limit` errors that expired strictly before `before`, oldest first;
    /// returns how many.
    async fn delete_expired_errors(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError>;
}
