//! Versioned schema migrations, each applied in its own transaction and recorded in
//! `schema_migrations`, as on SQLite. PostgreSQL's history starts at the schema SQLite reached
//! in its eight migrations, so the versions of the two engines differ; each engine refuses a
//! database that has a version it does not know.

use super::error::PgFailure;
use super::{PgStore, StoreError};
use crate::store::AppliedMigration;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

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
        name: "the processes serving the database and their plugin sets",
        sql: "CREATE TABLE nodes (id UUID PRIMARY KEY, plugins TEXT NOT NULL, \
              seen_at TIMESTAMPTZ NOT NULL);",
    },
];

/// Nodes starting side by side all migrate; this transaction-scoped advisory lock makes them
/// take turns, so each migration runs once and the others find it recorded.
const MIGRATION_LOCK: i64 = 0x6c61_7463_686b_6579; // "latchkey"

const INITIAL_SCHEMA: &str = r#"
CREATE TABLE identities (
    id                   UUID PRIMARY KEY,
    schema_id            TEXT NOT NULL,
    state                TEXT NOT NULL,
    traits               JSON NOT NULL,
    metadata_public      JSON,
    metadata_admin       JSON,
    verifiable_addresses JSON NOT NULL DEFAULT '[]',
    recovery_addresses   JSON NOT NULL DEFAULT '[]',
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

-- One row per address and purpose, kept with the identity's address columns in the same
-- transaction, so that recovery and verification find an identity by an address.
CREATE TABLE identity_addresses (
    purpose     TEXT NOT NULL,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    PRIMARY KEY (purpose, via, value, identity_id)
);
CREATE INDEX identity_addresses_owner ON identity_addresses (identity_id);

CREATE TABLE credentials (
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    config      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (identity_id, method)
);

-- The login lookup index. The database enforces that an identifier belongs to one
-- credential of its method, whichever node writes it.
CREATE TABLE credential_identifiers (
    method      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    identity_id UUID NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (method, identifier),
    FOREIGN KEY (identity_id, method)
        REFERENCES credentials (identity_id, method) ON DELETE CASCADE
);
CREATE INDEX credential_identifiers_owner ON credential_identifiers (identity_id, method);
CREATE INDEX credential_identifiers_identifier ON credential_identifiers (identifier);

CREATE TABLE sessions (
    id               UUID PRIMARY KEY,
    token_hash       BYTEA NOT NULL UNIQUE,
    identity_id      UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    active           BOOLEAN NOT NULL,
    aal              TEXT NOT NULL,
    authenticated_at TIMESTAMPTZ NOT NULL,
    issued_at        TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    methods          JSON NOT NULL,
    devices          JSON NOT NULL
);
CREATE INDEX sessions_identity ON sessions (identity_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- No foreign keys: a flow may name an identity or session that is gone by the time it is
-- submitted, and the flow code checks both when it uses them.
CREATE TABLE flows (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL,
    variant       TEXT NOT NULL,
    state         TEXT NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    request_url   TEXT NOT NULL,
    return_to     TEXT,
    requested_aal TEXT NOT NULL,
    refresh       BOOLEAN NOT NULL,
    identity_id   UUID,
    session_id    UUID,
    csrf_token    TEXT,
    plugin_state  JSON NOT NULL,
    ui            JSON NOT NULL,
    schema_id     TEXT,
    submissions   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX flows_expires_at ON flows (expires_at);

CREATE TABLE selfservice_errors (
    id         UUID PRIMARY KEY,
    error      JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX selfservice_errors_expires_at ON selfservice_errors (expires_at);

CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_last_failure_at ON login_failures (last_failure_at);

CREATE TABLE courier_messages (
    id              UUID PRIMARY KEY,
    status          TEXT NOT NULL,
    type            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    html_body       TEXT,
    template_type   TEXT NOT NULL,
    template_data   JSON NOT NULL,
    identity_id     UUID,
    send_count      BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX courier_messages_due ON courier_messages (status, next_attempt_at);
CREATE INDEX courier_messages_newest ON courier_messages (created_at, id);
CREATE TABLE courier_message_dispatches (
    id         UUID PRIMARY KEY,
    message_id UUID NOT NULL REFERENCES courier_messages (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    error      TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX courier_message_dispatches_message ON courier_message_dispatches (message_id, created_at);
"#;

/// How many migrations this build knows.
#[cfg(test)]
pub(super) fn count() -> usize {
    MIGRATIONS.len()
}

const CREATE_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)";

impl PgStore {
    /// Applies every pending migration in version order and returns those it applied; an
    /// up-to-date database yields an empty list, and one migrated by a newer build fails with
    /// [`StoreError::SchemaTooNew`] before anything changes.
    pub(super) async fn apply_migrations(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let mut client = self.client().await?;
        let mut applied = Vec::new();
        let tx = client.transaction().await?;
        take_migration_lock(&tx).await?;
        tx.batch_execute(CREATE_BOOKKEEPING).await?;
        refuse_newer_schema(&tx).await?;
        tx.commit().await?;
        for migration in MIGRATIONS {
            let tx = client.transaction().await?;
            take_migration_lock(&tx).await?;
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[&(migration.version as i32)],
                )
                .await?;
            if done.is_some() {
                continue;
            }
            tx.batch_execute(migration.sql)
                .await
                .map_err(|source| PgFailure::Migration {
                    version: migration.version,
                    name: migration.name,
                    source,
                })?;
            let applied_at: DateTime<Utc> = tx
                .query_one(
                    "INSERT INTO schema_migrations (version, name, applied_at) \
                     VALUES ($1, $2, now()) RETURNING applied_at",
                    &[&(migration.version as i32), &migration.name],
                )
                .await?
                .get(0);
            tx.commit().await?;
            applied.push(AppliedMigration {
                version: migration.version,
                name: migration.name.to_string(),
                applied_at,
            });
        }
        Ok(applied)
    }
}

async fn take_migration_lock(client: &impl GenericClient) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    Ok(())
}

async fn refuse_newer_schema(client: &impl GenericClient) -> Result<(), StoreError> {
    let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0) as i32;
    let newest: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await?
        .get(0);
    match newest {
        Some(newer) if newer > known => Err(StoreError::SchemaTooNew(newer as u32)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_strictly_increasing() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(versions.first(), Some(&1));
    }
}
