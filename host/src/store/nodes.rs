//! The processes serving one database, each with the set of plugins it runs, so that a node
//! whose plugins differ from the others' can say so.

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
pub trait NodeRepository: Send + Sync {
    /// Records that process `node` serves with the plugin set `plugins` (a fingerprint) at
    /// `now`, forgets processes not heard from since `since`, and returns the distinct plugin
    /// sets the other remaining processes announced, in byte order.
    async fn announce_node(
        &self,
        node: Uuid,
        plugins: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
}
