//! What the storage port reports, whatever the backend.

/// Everything the storage layer can report.
///
/// The variants a caller can act on are named; whatever else a backend fails at is one boxed
/// [`StoreError::Backend`]. Messages name tables, columns and ids, never credential configs or
/// token hashes, so they are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write aimed at a row that does not exist (or no longer does).
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

    /// Running an older build against a database migrated by a newer one would corrupt data
    /// that this build does not understand.
    #[error("the database has migration {0}, which this build does not know; upgrade latchkey")]
    SchemaTooNew(u32),

    /// The backend itself failed: it could not be opened or reached, or a statement or a
    /// migration failed. Only the adapter knows the concrete error.
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}
