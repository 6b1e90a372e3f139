//! Versioned schema migrations, each applied in its own transaction and recorded in
//! `schema_migrations`.

use super::codec::timestamp;
use super::error::SqliteFailure;
use super::{AppliedMigration, Database, StoreError};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Append only: a released migration never changes, because databases already carry it.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: INITIAL_SCHEMA,
    },
    Migration {
        version: 2,
        name: "registration flows remember their identity schema",
        sql: "ALTER TABLE flows ADD COLUMN schema_id TEXT;",
    },
    Migration {
        version: 3,
        name: "errors sent to the error UI",
        sql: SELFSERVICE_ERRORS,
    },
    Migration {
        version: 4,
        name: "expired sessions are found by their expiry",
        sql: "CREATE INDEX sessions_expires_at ON sessions (expires_at);",
    },
    Migration {
        version: 5,
        name: "failed sign-in attempts for the login throttle",
        sql: LOGIN_FAILURES,
    },
    Migration {
        version: 6,
        name: "verifiable and recovery addresses of identities",
        sql: "ALTER TABLE identities ADD COLUMN verifiable_addresses TEXT NOT NULL DEFAULT '[]'; \
              ALTER TABLE identities ADD COLUMN recovery_addresses TEXT NOT NULL DEFAULT '[]';",
    },
    Migration {
        version: 7,
        name: "the courier's outbox and its delivery attempts",
        sql: COURIER,
    },
    Migration {
        version: 8,
        name: "identities found by their verifiable and recovery addresses",
        sql: IDENTITY_ADDRESSES,
    },
    Migration {
        version: 9,
        name: "the processes serving the database and their plugin sets",
        sql: NODES,
    },
];

const NODES: &str = "
CREATE TABLE nodes (
    id      TEXT PRIMARY KEY NOT NULL,
    plugins TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
";

const COURIER: &str = r#"
CREATE TABLE courier_messages (
    id              TEXT PRIMARY KEY NOT NULL,
    status          TEXT NOT NULL,
    type            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    html_body       TEXT,
    template_type   TEXT NOT NULL,
    template_data   TEXT NOT NULL,
    identity_id     TEXT,
    send_count      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL
);
CREATE INDEX courier_messages_due ON courier_messages (status, next_attempt_at);
CREATE INDEX courier_messages_newest ON courier_messages (created_at, id);
CREATE TABLE courier_message_dispatches (
    id         TEXT PRIMARY KEY NOT NULL,
    message_id TEXT NOT NULL REFERENCES courier_messages (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    error      TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX courier_message_dispatches_message ON courier_message_dispatches (message_id, created_at);
"#;

/// One row per address and purpose, kept with the identity's address columns in the same
/// transaction, so that recovery and verification find an identity by an address without
/// reading every identity. Existing addresses are indexed as the table is made.
const IDENTITY_ADDRESSES: &str = "
CREATE TABLE identity_addresses (
    purpose     TEXT NOT NULL,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    PRIMARY KEY (purpose, via, value, identity_id)
) WITHOUT ROWID;
CREATE INDEX identity_addresses_owner ON identity_addresses (identity_id);
INSERT OR IGNORE INTO identity_addresses (purpose, via, value, identity_id)
    SELECT 'verification', json_extract(a.value, '$.via'), json_extract(a.value, '$.value'), i.id
    FROM identities i, json_each(i.verifiable_addresses) a;
INSERT OR IGNORE INTO identity_addresses (purpose, via, value, identity_id)
    SELECT 'recovery', json_extract(a.value, '$.via'), json_extract(a.value, '$.value'), i.id
    FROM identities i, json_each(i.recovery_addresses) a;
";

const LOGIN_FAILURES: &str = r#"
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL
);
CREATE INDEX login_failures_last_failure_at ON login_failures (last_failure_at);
"#;

const SELFSERVICE_ERRORS: &str = r#"
CREATE TABLE selfservice_errors (
    id         TEXT PRIMARY KEY NOT NULL,
    error      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX selfservice_errors_expires_at ON selfservice_errors (expires_at);
"#;

const INITIAL_SCHEMA: &str = r#"
CREATE TABLE identities (
    id              TEXT PRIMARY KEY NOT NULL,
    schema_id       TEXT NOT NULL,
    state           TEXT NOT NULL,
    traits          TEXT NOT NULL,
    metadata_public TEXT,
    metadata_admin  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE credentials (
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    config      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (identity_id, method)
);

-- The login lookup index. Identifiers hang off their credential, so replacing or deleting a
-- credential (or its identity) takes its identifiers with it.
CREATE TABLE credential_identifiers (
    method      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    position    INTEGER NOT NULL,
    UNIQUE (method, identifier),
    FOREIGN KEY (identity_id, method)
        REFERENCES credentials (identity_id, method) ON DELETE CASCADE
);
CREATE INDEX credential_identifiers_owner ON credential_identifiers (identity_id, method);

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY NOT NULL,
    token_hash       BLOB NOT NULL UNIQUE,
    identity_id      TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    active           INTEGER NOT NULL,
    aal              TEXT NOT NULL,
    authenticated_at TEXT NOT NULL,
    issued_at        TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    methods          TEXT NOT NULL,
    devices          TEXT NOT NULL
);
CREATE INDEX sessions_identity ON sessions (identity_id);

-- No foreign keys: a flow may name an identity or session that is gone by the time it is
-- submitted, and the flow code checks both when it uses them.
CREATE TABLE flows (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL,
    variant       TEXT NOT NULL,
    state         TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    request_url   TEXT NOT NULL,
    return_to     TEXT,
    requested_aal TEXT NOT NULL,
    refresh       INTEGER NOT NULL,
    identity_id   TEXT,
    session_id    TEXT,
    csrf_token    TEXT,
    plugin_state  TEXT NOT NULL,
    ui            TEXT NOT NULL
);
CREATE INDEX flows_expires_at ON flows (expires_at);
"#;

/// A migration this build knows that the database does not have yet.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingMigration {
    pub version: u32,
    pub name: &'static str,
}

impl Database {
    /// Applies every pending migration in version order and returns those it applied; an
    /// up-to-date database yields an empty list.
    pub fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        self.write(|tx| {
            tx.execute_batch(CREATE_BOOKKEEPING)?;
            refuse_newer_schema(tx)
        })?;
        let mut applied = Vec::new();
        for migration in MIGRATIONS {
            // Another process may have applied it since the check above, so the check is
            // repeated inside the migration's own transaction.
            if let Some(done) = self.write(|tx| apply_if_pending(tx, migration))? {
                applied.push(done);
            }
        }
        Ok(applied)
    }

    /// The migrations [`Database::migrate`] would apply, in order.
    #[cfg(test)]
    pub fn pending_migrations(&self) -> Result<Vec<PendingMigration>, StoreError> {
        let applied = self.read(applied_versions)?;
        Ok(MIGRATIONS
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| PendingMigration {
                version: m.version,
                name: m.name,
            })
            .collect())
    }

    /// Every migration recorded in the database, oldest first.
    #[cfg(test)]
    pub fn applied_migrations(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        self.read(|conn| {
            if !bookkeeping_exists(conn)? {
                return Ok(Vec::new());
            }
            let mut stmt = conn.prepare(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, u32>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            rows.map(|row| {
                let (version, name, applied_at) = row?;
                Ok(AppliedMigration {
                    version,
                    name,
                    applied_at: super::codec::parse_timestamp(
                        "schema_migrations.applied_at",
                        &applied_at,
                    )?,
                })
            })
            .collect()
        })
    }
}

const CREATE_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT,
    applied_at TEXT
)";

fn bookkeeping_exists(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn applied_versions(conn: &Connection) -> Result<Vec<u32>, StoreError> {
    if !bookkeeping_exists(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations")?;
    let versions = stmt
        .query_map([], |row| row.get::<_, u32>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(versions)
}

fn refuse_newer_schema(conn: &Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    match applied_versions(conn)?.into_iter().find(|v| *v > known) {
        Some(newer) => Err(StoreError::SchemaTooNew(newer)),
        None => Ok(()),
    }
}

fn apply_if_pending(
    conn: &Connection,
    migration: &Migration,
) -> Result<Option<AppliedMigration>, StoreError> {
    let done = conn
        .query_row(
            "SELECT 1 FROM schema_migrations WHERE version = ?1",
            params![migration.version],
            |_| Ok(()),
        )
        .optional()?;
    if done.is_some() {
        return Ok(None);
    }
    conn.execute_batch(migration.sql)
        .map_err(|source| SqliteFailure::Migration {
            version: migration.version,
            name: migration.name,
            source,
        })?;
    let applied_at = Utc::now();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        params![migration.version, migration.name, timestamp(&applied_at)],
    )?;
    Ok(Some(AppliedMigration {
        version: migration.version,
        name: migration.name.to_string(),
        applied_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn versions_are_strictly_increasing() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(versions.first(), Some(&1));
    }

    #[test]
    fn migrate_applies_everything_once() {
        let (_dir, store) = open_unmigrated();
        let pending = store.pending_migrations().unwrap();
        assert_eq!(pending.len(), MIGRATIONS.len());
        assert_eq!(
            pending[0],
            PendingMigration {
                version: 1,
                name: "initial schema"
            }
        );

        let first = store.migrate().unwrap();
        assert_eq!(
            first.iter().map(|m| m.version).collect::<Vec<_>>(),
            MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
        );
        assert!(store.pending_migrations().unwrap().is_empty());

        assert!(store.migrate().unwrap().is_empty());
        let recorded = store.applied_migrations().unwrap();
        assert_eq!(recorded.len(), MIGRATIONS.len());
        assert_eq!(recorded[0].name, "initial schema");
        assert_eq!(recorded[0].applied_at, first[0].applied_at);
    }

    #[test]
    fn creates_the_expected_tables() {
        let (dir, _store) = temp_store();
        let conn = raw_connection(&dir);
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let tables: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "courier_message_dispatches",
                "courier_messages",
                "credential_identifiers",
                "credentials",
                "flows",
                "identities",
                "identity_addresses",
                "login_failures",
                "nodes",
                "schema_migrations",
                "selfservice_errors",
                "sessions"
            ]
        );
    }

    #[test]
    fn refuses_a_database_from_a_newer_build() {
        let (dir, store) = temp_store();
        raw_connection(&dir)
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '')",
                [],
            )
            .unwrap();
        assert!(matches!(
            store.migrate(),
            Err(StoreError::SchemaTooNew(999))
        ));
    }
}
