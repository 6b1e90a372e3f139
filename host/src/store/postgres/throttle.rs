//! Failed sign-in attempts per key. No cache reads this table, so its writes tell no cache.

use super::codec::{corrupt, execute, get, query_opt};
use super::{PgStore, StoreError};
use crate::store::{FailureCount, ThrottleRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

fn decode(row: &Row) -> Result<FailureCount, StoreError> {
    let failures: i64 = get(row, 0, "login_failures.failures")?;
    Ok(FailureCount {
        failures: u32::try_from(failures)
            .map_err(|_| corrupt("login_failures.failures", "is out of range"))?,
        last_failure_at: get(row, 1, "login_failures.last_failure_at")?,
    })
}

#[async_trait]
impl ThrottleRepository for PgStore {
    async fn failure_count(&self, key: &str) -> Result<Option<FailureCount>, StoreError> {
        query_opt(
            &self.client().await?,
            "SELECT failures, last_failure_at FROM login_failures WHERE key = $1",
            &[&key],
        )
        .await?
        .map(|row| decode(&row))
        .transpose()
    }

    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError> {
        // One upsert: a concurrent failure under the same key waits for this row's lock and
        // then counts on top of it, on whichever node it was recorded.
        self.write_unseen(async |tx| {
            let statement = tx
                .prepare_cached(
                    "INSERT INTO login_failures AS f (key, failures, last_failure_at) \
                 VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN f.last_failure_at < $3 THEN 1 \
                                 ELSE least(f.failures + 1, 1000000) END, \
                 last_failure_at = $2 \
                 RETURNING failures, last_failure_at",
                )
                .await?;
            decode(
                &tx.query_one(&statement, &[&key, &now, &forget_before])
                    .await?,
            )
        })
        .await
    }

    async fn forget_failures(&self, key: &str) -> Result<(), StoreError> {
        self.write_unseen(async |tx| {
            execute(tx, "DELETE FROM login_failures WHERE key = $1", &[&key]).await?;
            Ok(())
        })
        .await
    }

    async fn delete_stale_failures(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write_unseen(async |tx| {
            let deleted = execute(
                tx,
                "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures \
                 WHERE last_failure_at < $1 ORDER BY last_failure_at LIMIT $2)",
                &[&before, &(limit as i64)],
            )
            .await?;
            Ok(deleted as usize)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::two_stores;
    use super::*;
    use crate::store::fixtures::at;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_recorded_on_two_nodes_at_once_are_all_counted() {
        let (first, second) = two_stores().await;
        let record = |store: PgStore| async move {
            for i in 0..10 {
                store.record_failure("key", at(i), at(-60)).await.unwrap();
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(record(first.clone())),
            tokio::spawn(record(second))
        );
        a.unwrap();
        b.unwrap();
        let count = first.failure_count("key").await.unwrap().unwrap();
        assert_eq!(count.failures, 20);
    }
}
