use std::path::PathBuf;

/// Everything the storage layer can report.
///
/// Messages name tables, columns and ids, never credential configs or token hashes, so they are
/// safe to log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,

    #[error("the identifier {identifier:?} is already used by another {method} credential")]
    DuplicateIdentifier { method: String, identifier: String },

    /// The stored row is not in the state the caller read it in; reload and retry.
    #[error("the record was changed concurrently")]
    Conflict,

    #[error("{0}")]
    InvalidDsn(String),

    /// The caller passed values that contradict each other.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),

    /// A stored row could not be decoded into the model.
    #[error("corrupt row: {0}")]
    Corrupt(String),

    /// A model value could not be encoded for storage.
    #[error("could not encode {0}")]
    Encode(String),

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

    /// Running an older build against a database migrated by a newer one would corrupt data
    /// that this build does not understand.
    #[error("the database has migration {0}, which this build does not know; upgrade latchkey")]
    SchemaTooNew(u32),

    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}
