//! placeholder
#![allow(unused)]
use super::PgStore;
use crate::store::StoreError;
use crate::store::{FailureCount, ThrottleRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
#[async_trait]
impl ThrottleRepository for PgStore {
    async fn failure_count(&self, key: &str) -> Result<Option<FailureCount>, StoreError> {
        todo!()
    }
    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError> {
        todo!()
    }
    async fn forget_failures(&self, key: &str) -> Result<(), StoreError> {
        todo!()
    }
    async fn delete_stale_failures(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        todo!()
    }
}
