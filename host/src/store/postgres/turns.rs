//! Credential turns, PostgreSQL's
//! [`lock_credential`](crate::store::CredentialRepository::lock_credential): why submissions
//! take turns on a credential is told there.
//!
//! A turn is a transaction-scoped advisory lock on a hash of (identity, method), taken in a
//! transaction left open on a connection of the turns pool for as long as the turn is held.
//! PostgreSQL grants it to one transaction at a time, whichever process asks, and releases it
//! when the transaction ends: at the rollback that ending the turn sends, or when the
//! connection closes because its process died.

use super::PgStore;
use crate::store::{CredentialLock, StoreError};
use deadpool_postgres::Object;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The lock key: two credentials sharing one (a hash collision) only take turns needlessly.
fn key(identity: Uuid, method: &str) -> i64 {
    let mut hash = Sha256::new();
    hash.update(identity.as_bytes());
    hash.update(method.as_bytes());
    let digest = hash.finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("eight bytes"))
}

/// Holds the turn until dropped.
struct Turn {
    connection: Option<Object>,
}

impl PgStore {
    pub(super) async fn take_turn(
        &self,
        identity: Uuid,
        method: &str,
    ) -> Result<CredentialLock, StoreError> {
        // Made before anything is sent, so that a failure or a cancelled wait still ends the
        // transaction.
        let turn = Turn {
            connection: Some(self.turns.get().await?),
        };
        let connection = turn
            .connection
            .as_ref()
            .expect("the connection was just stored");
        connection.batch_execute("BEGIN").await?;
        let statement = connection
            .prepare_cached("SELECT pg_advisory_xact_lock($1)")
            .await?;
        connection
            .execute(&statement, &[&key(identity, method)])
            .await?;
        Ok(CredentialLock::new(turn))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        // The rollback ends the transaction and with it the lock. Without a runtime to send it
        // on, the connection is closed instead, which ends both on the server.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if connection.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(connection));
                    }
                });
            }
            Err(_) => drop(Object::take(connection)),
        }
    }
}
