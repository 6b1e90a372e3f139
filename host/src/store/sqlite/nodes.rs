//! The processes serving the database. One process serves a SQLite file, but the port is the
//! same on every backend, and a second process (a command) may announce itself too.

use super::codec::{query_all, timestamp, uuid_text};
use super::{SqliteStore, StoreError};
use crate::store::NodeRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;
use uuid::Uuid;

#[async_trait]
impl NodeRepository for SqliteStore {
    async fn announce_node(
        &self,
        node: Uuid,
        plugins: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let plugins = plugins.to_string();
        self.blocking(move |db| {
            // No cache reads this table.
            db.write_unseen(|tx| {
                tx.prepare_cached("DELETE FROM nodes WHERE seen_at < ?1")?
                    .execute(params![timestamp(&since)])?;
                tx.prepare_cached(
                    "INSERT INTO nodes (id, plugins, seen_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (id) DO UPDATE SET plugins = excluded.plugins, \
                     seen_at = excluded.seen_at",
                )?
                .execute(params![uuid_text(node), plugins, timestamp(&now)])?;
                query_all(
                    tx,
                    "SELECT DISTINCT plugins FROM nodes WHERE id <> ?1 ORDER BY plugins",
                    params![uuid_text(node)],
                    |row| row.get(0),
                )
            })
        })
        .await
    }
}
