//! The SQLite adapter: the storage port implemented on one SQLite file (or memory).
//!
//! [`Database`] is the file with its connections, and its methods block. Writes go through one
//! connection behind a mutex, each in its own `BEGIN IMMEDIATE` transaction, so they never
//! deadlock on a lock upgrade; reads use a small pool of connections that WAL lets run
//! alongside the writer. [`SqliteStore`] implements the port on top: each table group's file
//! holds its SQL as blocking methods of [`Database`] and its repository trait's implementation,
//! which sends every call either to the blocking pool ([`SqliteStore::blocking`]: writes and
//! scans) or runs it on the calling task ([`SqliteStore::inline`]: indexed point reads).

mod codec;
mod connections;
mod courier;
mod credentials;
mod dsn;
mod error;
mod errors;
mod flows;
mod identities;
mod migrations;
mod nodes;
mod sessions;
#[cfg(test)]
mod testing;
mod throttle;
mod turns;

use super::{AppliedMigration, Invalidate, Invalidations, Store, StoreError};
use async_trait::async_trait;
use connections::ReaderPool;
use dsn::Location;
use error::SqliteFailure;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::fmt;
use std::sync::{Arc, Mutex};
use turns::CredentialTurns;

/// Enough for concurrent session lookups on a small machine without hoarding file handles.
const READER_CONNECTIONS: usize = 4;

/// The port on SQLite. Cloning it is cheap: clones share one [`Database`].
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Database>,
    turns: Arc<CredentialTurns>,
}

impl SqliteStore {
    /// Opens the database a Kratos-style DSN names (`sqlite://PATH?mode=rwc`, `memory`…).
    /// Does not migrate; call [`Store::migrate`].
    pub fn open(dsn: &str) -> Result<SqliteStore, StoreError> {
        Ok(SqliteStore {
            db: Arc::new(Database::open(dsn)?),
            turns: Arc::default(),
        })
    }

    /// Runs a storage call on the blocking pool: SQLite calls block, and a slow disk must not
    /// stall the async workers.
    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|_| SqliteFailure::Cancelled)?
    }

    /// Runs an indexed point read on the calling task's thread. Readers never wait for the
    /// writer in WAL mode and such a query takes microseconds, less than the hop to a
    /// blocking thread that [`SqliteStore::blocking`] makes; the hot paths (the session of a
    /// request, its available AAL) rely on this. Anything that writes or scans goes through
    /// [`SqliteStore::blocking`].
    fn inline<R>(
        &self,
        f: impl FnOnce(&Database) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        f(&self.db)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.blocking(|db| db.ping()).await
    }

    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        self.blocking(|db| db.migrate()).await
    }

    fn subscribe(&self, subscriber: Arc<dyn Invalidate>) {
        self.db.invalidations.subscribe(subscriber);
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.db.fmt(f)
    }
}

/// One SQLite database and its connections; every method blocks.
struct Database {
    writer: Mutex<Connection>,
    /// `None` for in-memory databases: a second connection would open a different, empty
    /// database, so reads share the writer's connection.
    readers: Option<ReaderPool>,
    location: Location,
    /// Told after every write transaction, committed or not.
    invalidations: Invalidations,
}

impl Database {
    /// Opens the database a DSN names. Does not migrate; call [`Database::migrate`].
    pub fn open(dsn: &str) -> Result<Database, StoreError> {
        let location = dsn::parse(dsn)?;
        let (writer, readers) = match &location {
            Location::Memory => (connections::open_memory()?, None),
            Location::File { path, create } => {
                let writer = connections::open_writer(path, *create)?;
                let readers = ReaderPool::open(path, READER_CONNECTIONS)?;
                (writer, Some(readers))
            }
        };
        Ok(Database {
            writer: Mutex::new(writer),
            readers,
            location,
            invalidations: Invalidations::default(),
        })
    }

    /// Succeeds when the database answers a query.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    /// Runs `f` inside a read transaction, so every query in it sees the same snapshot.
    fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        match &self.readers {
            Some(pool) => {
                let reader = pool.checkout();
                in_snapshot(reader.connection(), f)
            }
            None => in_snapshot(&connections::lock(&self.writer), f),
        }
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    fn write<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let outcome = self.write_unseen(f);
        // After the commit: a cache that reads again once told reads the new data. One process
        // serves the file, so telling this process's subscribers tells them all.
        self.invalidations.publish();
        outcome
    }

    /// [`Database::write`] for tables no cache reads (sign-in failure counts), whose writes
    /// need not retire what the caches hold.
    fn write_unseen<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = connections::lock(&self.writer);
        Transaction::new(&mut conn, TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let result = f(&tx)?;
                tx.commit()?;
                Ok(result)
            })
    }
}

fn in_snapshot<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let result = f(&tx)?;
    tx.commit()?;
    Ok(result)
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("location", &self.location)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use rusqlite::params;

    #[test]
    fn store_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Database>();
        assert_send_sync::<SqliteStore>();
        assert_send_sync::<std::sync::Arc<dyn Store>>();
    }

    #[test]
    fn data_survives_closing_and_reopening() {
        let (dir, store) = temp_store();
        let identity = identity("a@example.com");
        let credential = credential(identity.id, "password", &["a@example.com"]);
        store.create_identity(&identity, &[credential]).unwrap();
        drop(store);

        let store = Database::open(&dsn_for(&dir)).unwrap();
        assert!(store.pending_migrations().unwrap().is_empty());
        assert_eq!(
            store.get_identity(identity.id).unwrap(),
            Some(identity.clone())
        );
        let (found, _) = store
            .find_by_identifier("password", "a@example.com")
            .unwrap()
            .unwrap();
        assert_eq!(found.id, identity.id);
    }

    #[test]
    fn file_database_uses_wal_and_enforces_foreign_keys() {
        let (dir, store) = temp_store();
        assert_eq!(
            raw_connection(&dir)
                .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
                .unwrap(),
            "wal"
        );
        let synchronous: i64 = connections::lock(&store.writer)
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "synchronous should be FULL");
        let orphan = store.write(|tx| {
            Ok(tx.execute(
                "INSERT INTO credentials (identity_id, method, config, version, created_at, updated_at)
                 VALUES (?1, 'password', '{}', 1, '', '')",
                params![uuid::Uuid::new_v4().to_string()],
            )?)
        });
        assert!(orphan.is_err(), "foreign keys are not enforced");
    }

    #[test]
    fn readers_cannot_write() {
        let (_dir, store) = temp_store();
        let attempt = store.read(|conn| Ok(conn.execute("DELETE FROM identities", [])?));
        assert!(attempt.is_err());
    }

    #[test]
    fn memory_database_works_end_to_end() {
        for dsn in ["memory", "sqlite://file::memory:?cache=shared"] {
            let store = Database::open(dsn).unwrap();
            store.migrate().unwrap();
            store.ping().unwrap();
            let identity = identity("m@example.com");
            store.create_identity(&identity, &[]).unwrap();
            assert_eq!(store.get_identity(identity.id).unwrap(), Some(identity));
        }
    }

    #[test]
    fn open_rejects_other_databases_without_leaking_the_password() {
        let err = crate::store::open("mysql://kratos:hunter2@db/kratos").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unsupported database \"mysql://…\""), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn mode_rw_requires_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let dsn = format!(
            "sqlite://{}?mode=rw",
            dir.path().join("missing.db").display()
        );
        let err = SqliteStore::open(&dsn).unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("could not open the database at "),
            "{err}"
        );
    }

    #[test]
    fn concurrent_readers_and_writer() {
        let (_dir, store) = temp_store();
        let store = std::sync::Arc::new(store);
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let identity = identity(&format!("user{i}@example.com"));
                    store.create_identity(&identity, &[]).unwrap();
                    store.get_identity(identity.id).unwrap().is_some()
                })
            })
            .collect();
        for handle in handles {
            assert!(handle.join().unwrap());
        }
        assert_eq!(store.list_identities(100, None).unwrap().len(), 8);
    }

    /// Migrated stores on a temporary file and in memory, for the port's contract tests.
    async fn migrated_stores() -> Vec<(Option<tempfile::TempDir>, SqliteStore)> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = SqliteStore::open(&dsn_for(&dir)).expect("open file store");
        let memory = SqliteStore::open("memory").expect("open memory store");
        let stores = vec![(Some(dir), file), (None, memory)];
        for (_, store) in &stores {
            store.migrate().await.expect("migrate");
        }
        stores
    }

    /// One test per contract function, each run on both stores.
    macro_rules! contract_tests {
        ($($name:ident),* $(,)?) => {
            mod contract {
                $(
                    #[tokio::test]
                    async fn $name() {
                        for (_dir, store) in super::migrated_stores().await {
                            crate::store::contract::$name(&store).await;
                        }
                    }
                )*
            }
        };
    }

    contract_tests!(
        identity_with_credentials_round_trip,
        duplicate_identifier_stores_nothing,
        credential_writes_are_versioned,
        commit_authentication_is_all_or_nothing,
        session_reads_with_its_identity,
        deleting_an_identity_takes_its_credentials_and_sessions,
        flows_round_trip_and_expire,
        flow_submissions_are_counted,
        stored_errors_round_trip_and_expire_on_the_next_insert,
        expired_rows_go_in_batches_oldest_first,
        every_write_is_published_before_it_returns,
        a_credential_lock_has_one_holder_at_a_time,
        failures_are_counted_forgotten_and_swept,
        courier_messages_are_queued_with_their_flow,
        claimed_messages_are_taken_once,
        dispatches_are_recorded_and_retries_scheduled,
        courier_messages_are_listed_newest_first_and_filtered,
        nodes_see_each_others_plugin_sets,
    );
}
