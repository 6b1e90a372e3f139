//! Persistence for identities, credentials, sessions and self-service flows.

mod error;
pub mod sqlite;

pub use error::StoreError;
pub use sqlite::{
    AppliedMigration, CredentialDeletion, PendingMigration, SessionFilter, SqliteStore,
};
