//! SQLite persistence for identities, credentials, sessions, self-service flows and the errors
//! browsers were sent to the error UI about.
//!
//! All methods block; the server calls them from `tokio::task::spawn_blocking`. Writes go
//! through one connection behind a mutex, each in its own `BEGIN IMMEDIATE` transaction, so
//! they never deadlock on a lock upgrade; reads use a small pool of connections that WAL lets
//! run alongside the writer.

mod codec;
mod connections;
mod credentials;
mod dsn;
mod error;
mod errors;
mod flows;
mod identities;
mod migrations;
mod sessions;
#[cfg(test)]
mod testing;

pub use credentials::CredentialDeletion;
pub use error::StoreError;
pub use errors::StoredError;
pub use migrations::{AppliedMigration, PendingMigration};
pub use sessions::SessionFilter;

use connections::ReaderPool;
use dsn::Location;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Enough for concurrent session lookups on a small machine without hoarding file handles.
const READER_CONNECTIONS: usize = 4;

pub struct Store {
    writer: Mutex<Connection>,
    /// `None` for in-memory databases: a second connection would open a different, empty
    /// database, so reads share the writer's connection.
    readers: Option<ReaderPool>,
    location: Location,
    /// Bumped by every write transaction, committed or not; see [`Store::generation`].
    generation: AtomicU64,
}

impl Store {
    /// Opens the database a Kratos-style DSN names (`sqlite://PATH?mode=rwc`, `memory`…).
    /// Does not migrate; call [`Store::migrate`].
    pub fn open(dsn: &str) -> Result<Store, StoreError> {
        let location = dsn::parse(dsn)?;
        let (writer, readers) = match &location {
            Location::Memory => (connections::open_memory()?, None),
            Location::File { path, create } => {
                let writer = connections::open_writer(path, *create)?;
                let readers = ReaderPool::open(path, READER_CONNECTIONS)?;
                (writer, Some(readers))
            }
        };
        Ok(Store {
            writer: Mutex::new(writer),
            readers,
            location,
            generation: AtomicU64::new(0),
        })
    }

    /// A number that changes whenever this process may have written to the database. A value
    /// read before a query and unchanged later proves that the query's answer still holds,
    /// which is what the in-memory read caches rely on.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
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
        let mut conn = connections::lock(&self.writer);
        let outcome = Transaction::new(&mut conn, TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let result = f(&tx)?;
                tx.commit()?;
                Ok(result)
            });
        // After the commit: a reader that sees the new generation also sees the new data.
        self.generation.fetch_add(1, Ordering::AcqRel);
        outcome
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

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
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
        assert_send_sync::<Store>();
        assert_send_sync::<std::sync::Arc<Store>>();
    }

    #[test]
    fn data_survives_closing_and_reopening() {
        let (dir, store) = temp_store();
        let identity = identity("a@example.com");
        let credential = credential(identity.id, "password", &["a@example.com"]);
        store.create_identity(&identity, &[credential]).unwrap();
        drop(store);

        let store = Store::open(&dsn_for(&dir)).unwrap();
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
            let store = Store::open(dsn).unwrap();
            store.migrate().unwrap();
            store.ping().unwrap();
            let identity = identity("m@example.com");
            store.create_identity(&identity, &[]).unwrap();
            assert_eq!(store.get_identity(identity.id).unwrap(), Some(identity));
        }
    }

    #[test]
    fn open_rejects_other_databases_without_leaking_the_password() {
        let err = Store::open("postgres://kratos:hunter2@db/kratos").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("only sqlite DSNs are supported, got \"postgres://…\""),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn mode_rw_requires_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let dsn = format!(
            "sqlite://{}?mode=rw",
            dir.path().join("missing.db").display()
        );
        assert!(matches!(Store::open(&dsn), Err(StoreError::Open { .. })));
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
}
