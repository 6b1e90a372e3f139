//! Fixtures shared by the adapter's unit tests: a migrated database in a temporary file, and
//! the port's sample values.

use super::Database;
pub(super) use crate::store::fixtures::*;
use rusqlite::Connection;
use tempfile::TempDir;

pub(super) fn dsn_for(dir: &TempDir) -> String {
    format!(
        "sqlite://{}?_fk=true&mode=rwc",
        dir.path().join("latchkey.db").display()
    )
}

pub(super) fn open_unmigrated() -> (TempDir, Database) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Database::open(&dsn_for(&dir)).expect("open store");
    (dir, store)
}

pub(super) fn temp_store() -> (TempDir, Database) {
    let (dir, store) = open_unmigrated();
    store.migrate().expect("migrate");
    (dir, store)
}

/// A connection outside the store, to inspect or damage the file directly.
pub(super) fn raw_connection(dir: &TempDir) -> Connection {
    Connection::open(dir.path().join("latchkey.db")).expect("raw connection")
}
