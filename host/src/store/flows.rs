//! Self-service flows, kept between the requests of a login, registration or settings run.

use super::StoreError;
use crate::model::Flow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
pub trait FlowRepository: Send + Sync {
    async fn insert_flow(&self, flow: &Flow) -> Result<(), StoreError>;

    async fn get_flow(&self, id: Uuid) -> Result<Option<Flow>, StoreError>;

    /// Replaces everything but `id`, `kind` and `variant`, which a flow keeps for life.
    /// [`StoreError::NotFound`] when there is no such flow.
    async fn update_flow(&self, flow: &Flow) -> Result<(), StoreError>;

    /// Counts one more submission of the flow and returns how many there were, this one
    /// included. Parallel calls are all counted, and [`FlowRepository::update_flow`] keeps the
    /// count. [`StoreError::NotFound`] when there is no such flow.
    async fn count_submission(&self, id: Uuid) -> Result<u32, StoreError>;

    /// Deletes at most `limit` flows that expired strictly before `before`, oldest first;
    /// returns how many. One short transaction, so a sweep never stalls other writers.
    async fn delete_expired_flows(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError>;
}
