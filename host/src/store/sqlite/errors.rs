//! Errors a browser was sent to the error UI about, kept until they expire.

use super::codec::{
    from_json, parse_timestamp, parse_uuid, query_optional, timestamp, to_json, uuid_text,
};
use super::{Database, SqliteStore, StoreError};
use crate::store::{ErrorRepository, StoredError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use uuid::Uuid;

struct ErrorRow {
    id: String,
    error: String,
    created_at: String,
    expires_at: String,
}

impl ErrorRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<ErrorRow> {
        Ok(ErrorRow {
            id: row.get(0)?,
            error: row.get(1)?,
            created_at: row.get(2)?,
            expires_at: row.get(3)?,
        })
    }

    fn decode(self) -> Result<StoredError, StoreError> {
        Ok(StoredError {
            id: parse_uuid("selfservice_errors.id", &self.id)?,
            error: from_json("selfservice_errors.error", &self.error)?,
            created_at: parse_timestamp("selfservice_errors.created_at", &self.created_at)?,
            expires_at: parse_timestamp("selfservice_errors.expires_at", &self.expires_at)?,
        })
    }
}

impl Database {
    /// Stores an error, and in the same transaction drops those that expired before it was
    /// made: anyone can make the server store an error, so they must not pile up.
    pub fn insert_error(&self, stored: &StoredError) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM selfservice_errors WHERE expires_at < ?1")?
                .execute(params![timestamp(&stored.created_at)])?;
            tx.prepare_cached(
                "INSERT INTO selfservice_errors (id, error, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                uuid_text(stored.id),
                to_json("selfservice_errors.error", &stored.error)?,
                timestamp(&stored.created_at),
                timestamp(&stored.expires_at),
            ])?;
            Ok(())
        })
    }

    /// Deletes at most `limit` errors that expired strictly before `before`, oldest first.
    pub fn delete_expired_errors(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "DELETE FROM selfservice_errors WHERE id IN (SELECT id FROM \
                     selfservice_errors WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
                )?
                .execute(params![timestamp(&before), limit as i64])?)
        })
    }

    /// The stored error, expired or not: the caller decides what expiry means.
    pub fn get_error(&self, id: Uuid) -> Result<Option<StoredError>, StoreError> {
        self.read(|conn| {
            query_optional(
                conn,
                "SELECT id, error, created_at, expires_at FROM selfservice_errors WHERE id = ?1",
                params![uuid_text(id)],
                ErrorRow::read,
            )?
            .map(ErrorRow::decode)
            .transpose()
        })
    }
}

#[async_trait]
impl ErrorRepository for SqliteStore {
    async fn insert_error(&self, stored: &StoredError) -> Result<(), StoreError> {
        let stored = stored.clone();
        self.blocking(move |db| db.insert_error(&stored)).await
    }

    async fn get_error(&self, id: Uuid) -> Result<Option<StoredError>, StoreError> {
        self.inline(|db| db.get_error(id))
    }

    async fn delete_expired_errors(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.blocking(move |db| db.delete_expired_errors(before, limit))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use chrono::{DateTime, Duration, Utc};
    use serde_json::json;

    fn stored(created_at: DateTime<Utc>) -> StoredError {
        StoredError {
            id: Uuid::new_v4(),
            error: json!({ "id": "security_csrf_violation", "code": 403, "status": "Forbidden",
                           "message": "the request was rejected" }),
            created_at,
            expires_at: created_at + Duration::hours(1),
        }
    }

    #[test]
    fn error_round_trip() {
        let (_dir, store) = temp_store();
        let error = stored(at(0));
        store.insert_error(&error).unwrap();
        assert_eq!(store.get_error(error.id).unwrap(), Some(error));
        assert_eq!(store.get_error(Uuid::new_v4()).unwrap(), None);
    }

    #[test]
    fn storing_an_error_drops_the_expired_ones() {
        let (_dir, store) = temp_store();
        let old = stored(at(0));
        let recent = stored(at(1800));
        store.insert_error(&old).unwrap();
        store.insert_error(&recent).unwrap();
        let later = stored(at(3601));
        store.insert_error(&later).unwrap();
        assert_eq!(store.get_error(old.id).unwrap(), None);
        assert!(store.get_error(recent.id).unwrap().is_some());
        assert!(store.get_error(later.id).unwrap().is_some());
    }
}
