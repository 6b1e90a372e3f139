//! Failed sign-in attempts per key. No cache reads this table, so its writes tell no cache.

use super::codec::{parse_timestamp, query_optional, timestamp};
use super::{Database, SqliteStore, StoreError};
use crate::store::{FailureCount, ThrottleRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

fn read_count(row: &Row<'_>) -> rusqlite::Result<(u32, String)> {
    Ok((row.get(0)?, row.get(1)?))
}

fn decode((failures, last): (u32, String)) -> Result<FailureCount, StoreError> {
    Ok(FailureCount {
        failures,
        last_failure_at: parse_timestamp("login_failures.last_failure_at", &last)?,
    })
}

impl Database {
    pub fn failure_count(&self, key: &str) -> Result<Option<FailureCount>, StoreError> {
        self.read(|conn| {
            query_optional(
                conn,
                "SELECT failures, last_failure_at FROM login_failures WHERE key = ?1",
                params![key],
                read_count,
            )?
            .map(decode)
            .transpose()
        })
    }

    pub fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError> {
        self.write_unseen(|tx| {
            let row = tx
                .prepare_cached(
                    "INSERT INTO login_failures (key, failures, last_failure_at) VALUES (?1, 1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN last_failure_at < ?3 THEN 1 \
                                     ELSE min(failures + 1, 1000000) END, \
                     last_failure_at = ?2 \
                     RETURNING failures, last_failure_at",
                )?
                .query_row(
                    params![key, timestamp(&now), timestamp(&forget_before)],
                    read_count,
                )?;
            decode(row)
        })
    }

    pub fn forget_failures(&self, key: &str) -> Result<(), StoreError> {
        self.write_unseen(|tx| {
            tx.prepare_cached("DELETE FROM login_failures WHERE key = ?1")?
                .execute(params![key])?;
            Ok(())
        })
    }

    pub fn delete_stale_failures(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write_unseen(|tx| {
            Ok(tx
                .prepare_cached(
                    "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures \
                     WHERE last_failure_at < ?1 ORDER BY last_failure_at LIMIT ?2)",
                )?
                .execute(params![timestamp(&before), limit as i64])?)
        })
    }
}

#[async_trait]
impl ThrottleRepository for SqliteStore {
    async fn failure_count(&self, key: &str) -> Result<Option<FailureCount>, StoreError> {
        self.inline(|db| db.failure_count(key))
    }

    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError> {
        let key = key.to_owned();
        self.blocking(move |db| db.record_failure(&key, now, forget_before))
            .await
    }

    async fn forget_failures(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.blocking(move |db| db.forget_failures(&key)).await
    }

    async fn delete_stale_failures(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.blocking(move |db| db.delete_stale_failures(before, limit))
            .await
    }
}
