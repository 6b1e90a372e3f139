//! Cache invalidation across processes: every write transaction notifies a channel, and each
//! process keeps one connection listening on it that tells its own caches.
//!
//! PostgreSQL delivers a notification when the transaction that sent it commits, and only
//! then, so a cache told about a write reads the committed data. Notifications sent while the
//! listening connection was down are lost, so the listener tells the caches once more every
//! time it (re)connects; until it is back, the caches' age limit (one second) bounds how stale
//! an answer can be.

use crate::store::{Invalidations, StoreError};
use deadpool_postgres::Transaction;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{AsyncMessage, NoTls};

pub(super) const CHANNEL: &str = "latchkey_invalidate";

/// How long the listener waits before it connects again after losing its connection.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// Queues the notification in `tx`; PostgreSQL sends it at commit. `origin` lets the sending
/// process skip its own notification: it told its caches itself, at once.
pub(super) async fn send(tx: &Transaction<'_>, origin: &str) -> Result<(), StoreError> {
    let statement = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
    tx.execute(&statement, &[&CHANNEL, &origin]).await?;
    Ok(())
}

/// Starts the listening task on the current runtime; `None` outside one (a one-shot command,
/// which keeps no cache).
pub(super) fn listen(
    config: tokio_postgres::Config,
    origin: Arc<str>,
    invalidations: Arc<Invalidations>,
) -> Option<tokio::task::JoinHandle<()>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(runtime.spawn(async move {
        loop {
            match relay(&config, &origin, &invalidations).await {
                Ok(()) => tracing::warn!("the database closed the cache-invalidation connection"),
                Err(e) => tracing::warn!(error = %e, "the cache-invalidation connection failed"),
            }
            invalidations.publish();
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }))
}

/// Listens until the connection ends, telling the caches about every other process's write.
async fn relay(
    config: &tokio_postgres::Config,
    origin: &str,
    invalidations: &Invalidations,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let statement = format!("LISTEN {CHANNEL}");
    let listen = client.batch_execute(&statement);
    tokio::pin!(listen);
    let mut listening = false;
    loop {
        tokio::select! {
            started = &mut listen, if !listening => {
                started?;
                listening = true;
                // Whatever was written while nobody listened is unknown.
                invalidations.publish();
            }
            message = std::future::poll_fn(|cx| connection.poll_message(cx)) => match message {
                Some(Ok(AsyncMessage::Notification(n))) if n.payload() != origin => {
                    invalidations.publish();
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
        }
    }
}
