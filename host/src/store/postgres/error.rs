//! How PostgreSQL's failures reach the port: as [`StoreError::Backend`], with their own
//! messages, which name no DSN password (the client never prints it).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub(super) enum PgFailure {
    #[error("could not get a database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),

    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: tokio_postgres::Error,
    },
}

impl From<PgFailure> for StoreError {
    fn from(failure: PgFailure) -> StoreError {
        StoreError::Backend(Box::new(failure))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> StoreError {
        PgFailure::Pool(err).into()
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> StoreError {
        StoreError::Backend(Box::new(err))
    }
}
