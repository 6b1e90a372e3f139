//! placeholder
#![allow(unused)]
use super::PgStore;
use crate::model::Flow;
use crate::store::CourierRepository;
use crate::store::StoreError;
use crate::store::courier::*;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;
#[async_trait]
impl CourierRepository for PgStore {
    async fn enqueue_messages(
        &self,
        messages: &[NewCourierMessage],
        flow: Option<&Flow>,
    ) -> Result<(), StoreError> {
        todo!()
    }
    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        todo!()
    }
    async fn record_dispatch_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        todo!()
    }
    async fn record_dispatch_failure(
        &self,
        id: Uuid,
        error: &Value,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        todo!()
    }
    async fn list_messages(
        &self,
        filter: &MessageFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        todo!()
    }
    async fn get_message(&self, id: Uuid) -> Result<Option<CourierMessage>, StoreError> {
        todo!()
    }
}
