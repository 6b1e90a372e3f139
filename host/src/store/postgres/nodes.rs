//! The processes serving the database, each with its plugin set.

use super::codec::{execute, get, query};
use super::{PgStore, StoreError};
use crate::store::NodeRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
impl NodeRepository for PgStore {
    async fn announce_node(
        &self,
        node: Uuid,
        plugins: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        // No cache reads this table.
        self.write_unseen(async |tx| {
            execute(tx, "DELETE FROM nodes WHERE seen_at < $1", &[&since]).await?;
            execute(
                tx,
                "INSERT INTO nodes (id, plugins, seen_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET plugins = excluded.plugins, \
                 seen_at = excluded.seen_at",
                &[&node, &plugins, &now],
            )
            .await?;
            query(
                tx,
                "SELECT DISTINCT plugins COLLATE \"C\" FROM nodes WHERE id <> $1 ORDER BY 1",
                &[&node],
            )
            .await?
            .iter()
            .map(|row| get(row, 0, "nodes.plugins"))
            .collect()
        })
        .await
    }
}
