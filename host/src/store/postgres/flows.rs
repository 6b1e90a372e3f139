//! placeholder
#![allow(unused)]
use super::PgStore;
use crate::model::Flow;
use crate::store::FlowRepository;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
#[async_trait]
impl FlowRepository for PgStore {
    async fn insert_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        todo!()
    }
    async fn get_flow(&self, id: Uuid) -> Result<Option<Flow>, StoreError> {
        todo!()
    }
    async fn update_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        todo!()
    }
    async fn count_submission(&self, id: Uuid) -> Result<u32, StoreError> {
        todo!()
    }
    async fn delete_expired_flows(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        todo!()
    }
}
