//! The PostgreSQL adapter: the storage port on one PostgreSQL database that several
//! `latchkey` processes may serve at once.
//!
//! [`PgStore`] holds a pool of connections (deadpool over tokio-postgres; docs/deployment.md
//! says why this client). Every port method is one statement or one transaction on a pooled
//! connection. Reads that need one snapshot of several rows are single statements (a join, or
//! an `ARRAY(...)` subquery for a credential's identifiers); writes run in a `READ COMMITTED`
//! transaction that locks what it checks before it writes (a credential's identity row, a
//! flow's row), so concurrent writers on other nodes wait for each other instead of
//! overwriting. Unique keys in the schema, not a lock in one process, keep identifiers unique.
//!
//! What one process holds in memory stays correct across processes through two mechanisms:
//! every write transaction notifies [`notify::CHANNEL`], which each process `LISTEN`s on to
//! tell its caches (see [`crate::store::invalidation`]); and a credential's turns
//! ([`turns`]) are transaction-scoped advisory locks, which PostgreSQL holds for whichever
//! process asked and releases when that transaction or connection ends.

mod codec;
mod courier;
mod credentials;
mod dsn;
mod error;
mod errors;
mod flows;
mod identities;
mod migrations;
mod nodes;
mod notify;
mod sessions;
#[cfg(test)]
pub(crate) mod testing;
mod throttle;
mod turns;

use super::{AppliedMigration, Invalidate, Invalidations, Store, StoreError};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Transaction};
use std::fmt;
use std::sync::{Arc, Mutex};
use tokio_postgres::NoTls;

pub(crate) use dsn::is_postgres;

/// The port on PostgreSQL. Cloning it is cheap: clones share the pools and the subscribers.
#[derive(Clone)]
pub struct PgStore {
    /// Connections for statements and transactions.
    pool: Pool,
    /// Connections that wait for or hold a credential's turn. Kept apart from `pool`, so that
    /// submissions queueing for one credential can never take every connection the holder
    /// needs to finish its own writes.
    turns: Pool,
    target: Arc<dsn::Target>,
    invalidations: Arc<Invalidations>,
    /// Set once the first cache subscribes: the task relaying other processes' writes.
    listener: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    /// Tells this process's notifications apart from other processes', which are the only
    /// ones the listener needs to relay.
    origin: Arc<str>,
}

impl PgStore {
    /// Opens a pool for the database a `postgres://` or `postgresql://` DSN names. Connects
    /// lazily and does not migrate; call [`Store::migrate`].
    pub fn open(dsn: &str) -> Result<PgStore, StoreError> {
        let target = dsn::parse(dsn)?;
        let pool = pool_of(&target, target.pool.max_conns)?;
        let turns = pool_of(&target, target.pool.max_conns)?;
        let store = PgStore {
            pool,
            turns,
            target: Arc::new(target),
            invalidations: Arc::default(),
            listener: Arc::default(),
            origin: uuid::Uuid::new_v4().simple().to_string().into(),
        };
        store.retire_old_connections();
        Ok(store)
    }

    async fn client(&self) -> Result<Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// Runs `f` in one transaction, committed only if `f` succeeds, and tells the caches of
    /// every process: this one's at once, the others' through the notification PostgreSQL
    /// delivers at commit.
    async fn write<R>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let outcome = self.transact(true, f).await;
        self.invalidations.publish();
        outcome
    }

    /// [`PgStore::write`] for tables no cache reads (sign-in failure counts, the courier's
    /// outbox), whose writes need not retire what the caches hold.
    async fn write_unseen<R>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.transact(false, f).await
    }

    async fn transact<R>(
        &self,
        tell_others: bool,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let result = f(&tx).await?;
        if tell_others {
            notify::send(&tx, &self.origin).await?;
        }
        tx.commit().await?;
        Ok(result)
    }

    /// Closes idle connections older than `max_conn_lifetime`, idle longer than
    /// `max_conn_idle_time`, or beyond `max_idle_conns`, as Kratos' DSN parameters ask; checked
    /// every few seconds while a runtime runs.
    fn retire_old_connections(&self) {
        let settings = self.target.pool.clone();
        if settings.max_conn_lifetime.is_none()
            && settings.max_conn_idle_time.is_none()
            && settings.max_idle_conns.is_none()
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let pools = [self.pool.clone(), self.turns.clone()];
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                for pool in &pools {
                    let mut kept = 0usize;
                    pool.retain(|_, metrics| {
                        let young = settings
                            .max_conn_lifetime
                            .is_none_or(|limit| metrics.age() < limit);
                        let busy = settings
                            .max_conn_idle_time
                            .is_none_or(|limit| metrics.last_used() < limit);
                        let room = settings.max_idle_conns.is_none_or(|limit| kept < limit);
                        let keep = young && busy && room;
                        kept += usize::from(keep);
                        keep
                    });
                }
            }
        });
    }
}

fn pool_of(target: &dsn::Target, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        target.config.clone(),
        NoTls,
        ManagerConfig {
            // A connection returned mid-transaction (a request cancelled between statements)
            // must not be handed out again as if clean.
            recycling_method: RecyclingMethod::Verified,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .build()
        .map_err(|e| StoreError::InvalidDsn(format!("could not set up the connection pool: {e}")))
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        self.apply_migrations().await
    }

    fn subscribe(&self, subscriber: Arc<dyn Invalidate>) {
        self.invalidations.subscribe(subscriber);
        let mut listener = self.listener.lock().unwrap_or_else(|e| e.into_inner());
        if listener.is_none() {
            *listener = notify::listen(
                self.target.config.clone(),
                self.origin.clone(),
                self.invalidations.clone(),
            );
        }
    }
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config's Debug would print the password.
        f.debug_struct("PgStore")
            .field("database", &self.target.config.get_dbname())
            .field("max_conns", &self.target.pool.max_conns)
            .finish()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The last clone stops the listener; its connection closes with it.
        if Arc::strong_count(&self.listener) == 1
            && let Some(task) = self
                .listener
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
        {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::fresh_dsn;
    use super::*;
    use crate::store::fixtures::identity;
    use crate::store::{CredentialRepository, IdentityRepository};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_database_migrated_by_a_newer_build_is_refused() {
        let dsn = fresh_dsn().await;
        let store = PgStore::open(&dsn).unwrap();
        assert!(!store.migrate().await.unwrap().is_empty());
        assert!(
            store.migrate().await.unwrap().is_empty(),
            "migrating twice changes nothing"
        );
        store
            .client()
            .await
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', now())",
                &[],
            )
            .await
            .unwrap();
        match PgStore::open(&dsn).unwrap().migrate().await {
            Err(StoreError::SchemaTooNew(999)) => {}
            other => panic!("expected SchemaTooNew(999), got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_migrating_at_once_apply_each_migration_once() {
        let dsn = fresh_dsn().await;
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                let node = PgStore::open(&dsn).unwrap();
                tokio::spawn(async move { node.migrate().await.unwrap().len() })
            })
            .collect();
        let mut total = 0;
        for node in nodes {
            total += node.await.unwrap();
        }
        assert_eq!(total, super::migrations::count());
    }

    #[derive(Default)]
    struct Notices(AtomicUsize);

    impl Invalidate for Notices {
        fn invalidate(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Waits until `notices` moves past `seen`, for at most the bound docs/deployment.md gives.
    async fn told_within_a_second(notices: &Notices, seen: usize) -> Duration {
        let start = Instant::now();
        while notices.0.load(Ordering::SeqCst) <= seen {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "another node's write was not relayed"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        start.elapsed()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_nodes_writes_reach_this_nodes_caches_and_its_own_are_not_relayed_twice() {
        let dsn = fresh_dsn().await;
        let (here, there) = (PgStore::open(&dsn).unwrap(), PgStore::open(&dsn).unwrap());
        here.migrate().await.unwrap();
        let notices = Arc::new(Notices::default());
        here.subscribe(notices.clone());
        // The listener tells once when it starts listening.
        told_within_a_second(&notices, 0).await;

        let seen = notices.0.load(Ordering::SeqCst);
        there
            .create_identity(&identity("far@example.com"), &[])
            .await
            .unwrap();
        told_within_a_second(&notices, seen).await;

        let seen = notices.0.load(Ordering::SeqCst);
        here.create_identity(&identity("near@example.com"), &[])
            .await
            .unwrap();
        assert_eq!(
            notices.0.load(Ordering::SeqCst),
            seen + 1,
            "told once, at once"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            notices.0.load(Ordering::SeqCst),
            seen + 1,
            "its own notification is skipped"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_credential_turn_excludes_another_node_until_it_ends() {
        let dsn = fresh_dsn().await;
        let (store, other) = (PgStore::open(&dsn).unwrap(), PgStore::open(&dsn).unwrap());
        let id = uuid::Uuid::new_v4();
        let held = store.lock_credential(id, "pin").await.unwrap();
        let waiting = tokio::spawn(async move {
            let _turn = other.lock_credential(id, "pin").await.unwrap();
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "the other node got the turn while it was held"
        );
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the turn passes on when it ends")
            .unwrap();
    }
    /// One test per contract function, each on a new database of the test cluster.
    macro_rules! contract_tests {
        ($($name:ident),* $(,)?) => {
            mod contract {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let store = super::super::testing::fresh_store().await;
                        crate::store::contract::$name(&store).await;
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
