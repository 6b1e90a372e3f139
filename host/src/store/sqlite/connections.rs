//! Opening connections with the store's PRAGMAs, and the pool of reader connections.

use super::StoreError;
use super::error::SqliteFailure;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Long enough to ride out another process's checkpoint or migration, short enough that a
/// stuck lock surfaces as an error instead of a hung request.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn open_writer(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = open(path, flags)?;
    // WAL lets the readers keep answering while a write is in progress. The mode is stored in
    // the file, so the readers opened afterwards inherit it.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    // The server answers a request only after its commit returned, so the commit must already
    // be durable: FULL syncs the WAL on every commit, so an acknowledged write survives a
    // killed process and also a power cut, which NORMAL would not guarantee.
    conn.pragma_update(None, "synchronous", "FULL")?;
    configure(&conn)?;
    Ok(conn)
}

pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = open(path, flags)?;
    configure(&conn)?;
    // A write through a reader would bypass the writer's lock and its transaction discipline.
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

pub(super) fn open_memory() -> Result<Connection, StoreError> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    Ok(conn)
}

fn open(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    Connection::open_with_flags(path, flags).map_err(|source| {
        SqliteFailure::Open {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

/// A panic while a connection was checked out unwinds through its transaction, which rolls
/// back, so the connection behind a poisoned lock is still consistent and safe to reuse.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fixed set of read-only connections; callers wait for a free one rather than opening
/// more, which bounds file handles and memory.
pub(super) struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl ReaderPool {
    pub(super) fn open(path: &Path, size: usize) -> Result<ReaderPool, StoreError> {
        let idle = (0..size)
            .map(|_| open_reader(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReaderPool {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
        })
    }

    pub(super) fn checkout(&self) -> Reader<'_> {
        let mut idle = lock(&self.idle);
        loop {
            if let Some(conn) = idle.pop() {
                return Reader {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn give_back(&self, conn: Connection) {
        lock(&self.idle).push(conn);
        self.returned.notify_one();
    }
}

/// A checked-out reader connection, returned to the pool when dropped.
pub(super) struct Reader<'a> {
    pool: &'a ReaderPool,
    conn: Option<Connection>,
}

impl Reader<'_> {
    pub(super) fn connection(&self) -> &Connection {
        // Only `drop` takes the connection out.
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("reader used after being returned"),
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}
