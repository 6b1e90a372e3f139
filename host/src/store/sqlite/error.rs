//! How SQLite's failures reach the port: as [`StoreError::Backend`], with their own messages.

use crate::store::StoreError;
use std::path::PathBuf;

/// Failures of the adapter itself, beside rusqlite's own errors.
#[derive(Debug, thiserror::Error)]
pub(super) enum SqliteFailure {
    #[error("could not open the database at {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },

    /// The blocking task was cancelled or panicked before it answered.
    #[error("the storage task was cancelled")]
    Cancelled,
}

impl From<SqliteFailure> for StoreError {
    fn from(failure: SqliteFailure) -> StoreError {
        StoreError::Backend(Box::new(failure))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        StoreError::Backend(Box::new(err))
    }
}
