//! placeholder
#![allow(unused)]
use super::PgStore;
use crate::store::StoreError;
use crate::store::{ErrorRepository, StoredError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;
#[async_trait]
impl ErrorRepository for PgStore {
    async fn insert_error(&self, stored: &StoredError) -> Result<(), StoreError> {
        todo!()
    }
    async fn get_error(&self, id: Uuid) -> Result<Option<StoredError>, StoreError> {
        todo!()
    }
    async fn delete_expired_errors(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        todo!()
    }
}
