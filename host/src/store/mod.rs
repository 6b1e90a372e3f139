//! The storage port: what the rest of the host may ask of a database, and nothing of how.
//!
//! `store/` defines the port: one repository trait per table group ([`IdentityRepository`],
//! [`CredentialRepository`], [`SessionRepository`], [`FlowRepository`]), [`Store`], which
//! gathers them with what every backend provides besides (a health check, migrations, cache
//! invalidation), the records they exchange that the model does not define, and
//! [`StoreError`]. `store/sqlite/` implements the port; nothing outside it names SQL,
//! rusqlite, a connection or a thread pool. `store/postgres/` implements it on PostgreSQL,
//! for several processes serving one database.
//!
//! # Calls are transactions
//!
//! Every method is one transaction: it reads one snapshot, and its writes commit together or
//! not at all. What must be atomic is therefore one method, never a sequence of calls: an
//! identity created with its credentials ([`IdentityRepository::create_identity`]), the end of
//! a login ([`SessionRepository::commit_authentication`]: the plugin's credential update, the
//! session and the completed flow), a credential deleted only while another remains
//! ([`CredentialRepository::delete_credential_keeping`]), a session read with its identity.
//! Lookups answer `Ok(None)` for an absent row; [`StoreError::NotFound`] is for a write aimed
//! at a row that is gone.
//!
//! Timestamps are kept to the microsecond (PostgreSQL's precision); the system clock
//! (`crate::clock::SystemClock`) gives no finer ones, so a time reads back as it was written.
//!
//! Credential writes are versioned ([`CredentialRepository::put_credential`]): each stores
//! version old + 1, and a write that names the version it read fails with
//! [`StoreError::Conflict`], changing nothing, when another write got there first.
//!
//! # Async, and why the futures are boxed
//!
//! The DSN picks the backend at start-up ([`open`]), so the host holds one `Arc<dyn Store>`
//! rather than being generic over the backend in every module that stores something. Native
//! `async fn` in traits cannot be called through `dyn`, so the traits use `#[async_trait]`,
//! which boxes each call's future: one small allocation per call, beside a query that costs
//! microseconds at best. Where a call runs is the adapter's business: SQLite's indexed point
//! reads run inline on the calling task, everything else on the blocking pool (see
//! [`sqlite`]).
//!
//! # What a backend serving several processes must provide
//!
//! SQLite is one process serving one file; PostgreSQL would be several processes serving one
//! database, and the port asks nothing that only holds within one process:
//!
//! - Cache invalidation. Caches above the store subscribe ([`Store::subscribe`]) and are told
//!   after every write that may have changed what they hold, other processes' writes
//!   included; the [`invalidation`] module states the guarantees and how SQLite and
//!   PostgreSQL meet them.
//! - Per-credential serialisation. Submissions that may write a credential take turns on it
//!   ([`CredentialRepository::lock_credential`]); the lock must hold across processes and die
//!   with its holder.
//!
//! # Adding a repository
//!
//! A new table group (courier messages, stored self-service errors…) is a repository of its
//! own:
//!
//! 1. `store/<group>.rs`: the repository trait, `#[async_trait] pub trait
//!    <Group>Repository: Send + Sync`, and the records it exchanges that `model.rs` does not
//!    define. One method per transaction; lookups return `Result<Option<T>, StoreError>`;
//!    whatever must be atomic is one method. Name the [`StoreError`] variants each method can
//!    answer that a caller is expected to handle. Declare the module and re-export the trait
//!    here.
//! 2. Add the trait to [`Store`]'s supertraits below.
//! 3. `store/sqlite/migrations.rs`: append a migration creating the table (released
//!    migrations never change).
//! 4. `store/sqlite/<group>.rs`: the SQL as blocking methods on `sqlite::Database` (writes go
//!    through `Database::write`, which also tells the caches), then
//!    `impl <Group>Repository for SqliteStore`, each method sending the blocking call through
//!    `blocking` (writes, scans) or `inline` (indexed point reads), with the adapter's unit
//!    tests. Declare the module in `store/sqlite/mod.rs`.
//! 5. `store/contract.rs`: a test function taking `&dyn Store` that says what every backend
//!    must do (sample values in `store/fixtures.rs`), and its name in the `contract_tests!`
//!    list of `store/sqlite/mod.rs`, which runs it on SQLite in memory and on a file.
//!
//! Stored self-service errors took these five steps: `store/errors.rs` with an
//! [`ErrorRepository`], migration 3, `store/sqlite/errors.rs`, and `stored_errors` in the
//! contract. Courier messages took them too: `store/courier.rs` with a [`CourierRepository`]
//! (queue with the flow that caused the messages, claim the due ones, record each attempt),
//! migration 7, `store/sqlite/courier.rs`, and the `courier_*` contract tests; claiming is one
//! method so that two senders never take the same message. The nodes serving a database took
//! them as `store/nodes.rs` ([`NodeRepository`]), SQLite's migration 9, PostgreSQL's
//! migration 2, and `nodes_see_each_others_plugin_sets`.
//!
//! # Adding a backend
//!
//! `store/<backend>/` holds a type that implements every repository trait and [`Store`]: its
//! migrations, and [`Store::subscribe`] and [`CredentialRepository::lock_credential`] as the
//! multi-process contract above asks, with a `contract_tests!` runner like SQLite's that runs
//! `store/contract.rs` against it. [`open`] routes the backend's DSN scheme to it, and its
//! driver joins `host/Cargo.toml`. Nothing outside `store/` changes.

#[cfg(test)]
mod contract;
pub mod copy;
pub mod courier;
mod credentials;
mod error;
mod errors;
#[cfg(test)]
pub(crate) mod fixtures;
mod flows;
mod identities;
pub mod invalidation;
mod nodes;
pub mod postgres;
mod sessions;
pub mod sqlite;
mod throttle;

pub use courier::CourierRepository;
pub use credentials::{CredentialDeletion, CredentialLock, CredentialRepository};
pub use error::StoreError;
pub use errors::{ErrorRepository, StoredError};
pub use flows::FlowRepository;
pub use identities::{AddressPurpose, IdentityRepository};
pub use invalidation::{Invalidate, Invalidations};
pub use nodes::NodeRepository;
pub use sessions::{SessionFilter, SessionRepository};
pub use throttle::{FailureCount, ThrottleRepository};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;

/// Everything the host stores, behind whichever backend the DSN names.
#[async_trait]
pub trait Store:
    IdentityRepository
    + CredentialRepository
    + SessionRepository
    + FlowRepository
    + ErrorRepository
    + ThrottleRepository
    + CourierRepository
    + NodeRepository
    + fmt::Debug
    + Send
    + Sync
{
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Applies every pending schema migration in version order and returns those it applied;
    /// an up-to-date database yields an empty list. A database migrated by a newer build
    /// fails with [`StoreError::SchemaTooNew`].
    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError>;

    /// Tells `subscriber` from now on whenever a write may have changed stored data, with the
    /// guarantees [`invalidation`] lists; a backend serving several processes must relay the
    /// other processes' writes too.
    fn subscribe(&self, subscriber: Arc<dyn Invalidate>);
}

/// A migration that [`Store::migrate`] has just applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: u32,
    pub name: String,
    pub applied_at: DateTime<Utc>,
}

/// Opens the database a Kratos-style DSN names (`sqlite://PATH?mode=rwc`, `memory`,
/// `postgres://user:password@host:5432/db?sslmode=disable`…). Does not migrate; call
/// [`Store::migrate`].
pub fn open(dsn: &str) -> Result<Arc<dyn Store>, StoreError> {
    if postgres::is_postgres(dsn) {
        return Ok(Arc::new(postgres::PgStore::open(dsn)?));
    }
    Ok(Arc::new(sqlite::SqliteStore::open(dsn)?))
}
