//! Identities. Their credentials live in `credentials.rs`; deleting an identity cascades to
//! its credentials, identifiers and sessions through foreign keys.

use super::codec::{
    from_json, parse_enum, parse_timestamp, parse_uuid, query_all, query_optional, timestamp,
    to_json, uuid_text,
};
use super::credentials::{insert_new_credential, store_credential};
use super::{Database, SqliteStore, StoreError};
use crate::model::{Credential, Identity, IdentityState};
use crate::store::{AddressPurpose, IdentityRepository};
use async_trait::async_trait;
use rusqlite::{Connection, Row, params};
use uuid::Uuid;

macro_rules! select_identity {
    () => {
        "SELECT id, schema_id, state, traits, metadata_public, metadata_admin, created_at, \
         updated_at, verifiable_addresses, recovery_addresses FROM identities"
    };
}

struct IdentityRow {
    id: String,
    schema_id: String,
    state: String,
    traits: String,
    metadata_public: Option<String>,
    metadata_admin: Option<String>,
    created_at: String,
    updated_at: String,
    verifiable_addresses: String,
    recovery_addresses: String,
}

impl IdentityRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<IdentityRow> {
        Ok(IdentityRow {
            id: row.get(0)?,
            schema_id: row.get(1)?,
            state: row.get(2)?,
            traits: row.get(3)?,
            metadata_public: row.get(4)?,
            metadata_admin: row.get(5)?,
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
            verifiable_addresses: row.get(8)?,
            recovery_addresses: row.get(9)?,
        })
    }

    fn decode(self) -> Result<Identity, StoreError> {
        Ok(Identity {
            id: parse_uuid("identities.id", &self.id)?,
            schema_id: self.schema_id,
            state: parse_enum("identities.state", &self.state, IdentityState::parse)?,
            traits: from_json("identities.traits", &self.traits)?,
            metadata_public: optional_json("identities.metadata_public", self.metadata_public)?,
            metadata_admin: optional_json("identities.metadata_admin", self.metadata_admin)?,
            verifiable_addresses: from_json(
                "identities.verifiable_addresses",
                &self.verifiable_addresses,
            )?,
            recovery_addresses: from_json(
                "identities.recovery_addresses",
                &self.recovery_addresses,
            )?,
            created_at: parse_timestamp("identities.created_at", &self.created_at)?,
            updated_at: parse_timestamp("identities.updated_at", &self.updated_at)?,
        })
    }
}

fn optional_json(
    column: &str,
    text: Option<String>,
) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|t| from_json(column, &t)).transpose()
}

fn optional_json_text(
    column: &str,
    value: &Option<serde_json::Value>,
) -> Result<Option<String>, StoreError> {
    value.as_ref().map(|v| to_json(column, v)).transpose()
}

pub(super) fn load_identity(conn: &Connection, id: Uuid) -> Result<Option<Identity>, StoreError> {
    query_optional(
        conn,
        concat!(select_identity!(), " WHERE id = ?1"),
        params![uuid_text(id)],
        IdentityRow::read,
    )?
    .map(IdentityRow::decode)
    .transpose()
}

pub(super) fn identity_exists(conn: &Connection, id: Uuid) -> Result<bool, StoreError> {
    Ok(query_optional(
        conn,
        "SELECT 1 FROM identities WHERE id = ?1",
        params![uuid_text(id)],
        |_| Ok(()),
    )?
    .is_some())
}

/// The two address columns' JSON.
fn address_columns(identity: &Identity) -> Result<(String, String), StoreError> {
    let verifiable = to_json(
        "identities.verifiable_addresses",
        &identity.verifiable_addresses,
    )?;
    let recovery = to_json(
        "identities.recovery_addresses",
        &identity.recovery_addresses,
    )?;
    Ok((verifiable, recovery))
}

/// Replaces the identity's rows in `identity_addresses` with its current addresses.
fn index_addresses(conn: &Connection, identity: &Identity) -> Result<(), StoreError> {
    let id = uuid_text(identity.id);
    conn.prepare_cached("DELETE FROM identity_addresses WHERE identity_id = ?1")?
        .execute(params![id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO identity_addresses (purpose, via, value, identity_id) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let verifiable = identity
        .verifiable_addresses
        .iter()
        .map(|a| (AddressPurpose::Verification, &a.via, &a.value));
    let recovery = identity
        .recovery_addresses
        .iter()
        .map(|a| (AddressPurpose::Recovery, &a.via, &a.value));
    for (purpose, via, value) in verifiable.chain(recovery) {
        insert.execute(params![purpose.as_str(), via, value, id])?;
    }
    Ok(())
}

fn insert_identity(conn: &Connection, identity: &Identity) -> Result<(), StoreError> {
    let (verifiable, recovery) = address_columns(identity)?;
    conn.prepare_cached(
        "INSERT INTO identities (id, schema_id, state, traits, metadata_public, metadata_admin, \
         created_at, updated_at, verifiable_addresses, recovery_addresses) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        uuid_text(identity.id),
        identity.schema_id,
        identity.state.as_str(),
        to_json("identities.traits", &identity.traits)?,
        optional_json_text("identities.metadata_public", &identity.metadata_public)?,
        optional_json_text("identities.metadata_admin", &identity.metadata_admin)?,
        timestamp(&identity.created_at),
        timestamp(&identity.updated_at),
        verifiable,
        recovery,
    ])?;
    index_addresses(conn, identity)
}

fn update_identity_row(conn: &Connection, identity: &Identity) -> Result<(), StoreError> {
    let (verifiable, recovery) = address_columns(identity)?;
    let changed = conn
        .prepare_cached(
            "UPDATE identities SET schema_id = ?2, state = ?3, traits = ?4, \
             metadata_public = ?5, metadata_admin = ?6, updated_at = ?7, \
             verifiable_addresses = ?8, recovery_addresses = ?9 WHERE id = ?1",
        )?
        .execute(params![
            uuid_text(identity.id),
            identity.schema_id,
            identity.state.as_str(),
            to_json("identities.traits", &identity.traits)?,
            optional_json_text("identities.metadata_public", &identity.metadata_public)?,
            optional_json_text("identities.metadata_admin", &identity.metadata_admin)?,
            timestamp(&identity.updated_at),
            verifiable,
            recovery,
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    index_addresses(conn, identity)
}

impl Database {
    /// Creates an identity with its credentials, all or nothing. Each credential is stored
    /// as version 1. A `(method, identifier)` pair that another credential already holds
    /// fails with [`StoreError::DuplicateIdentifier`] and stores nothing.
    pub fn create_identity(
        &self,
        identity: &Identity,
        credentials: &[Credential],
    ) -> Result<(), StoreError> {
        if credentials.iter().any(|c| c.identity_id != identity.id) {
            return Err(StoreError::InvalidArgument(
                "a credential belongs to a different identity",
            ));
        }
        self.write(|tx| {
            insert_identity(tx, identity)?;
            credentials
                .iter()
                .try_for_each(|credential| insert_new_credential(tx, credential))
        })
    }

    pub fn get_identity(&self, id: Uuid) -> Result<Option<Identity>, StoreError> {
        self.read(|conn| load_identity(conn, id))
    }

    /// Up to `page_size` identities with ids greater than `after`, in id order; pass the last
    /// id of one page as `after` to get the next.
    pub fn list_identities(
        &self,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.read(|conn| {
            // Two statements, not `?1 IS NULL OR id > ?1`: SQLite cannot seek the primary key
            // with that OR, and a page deep in the list would scan every row before it.
            match after {
                None => query_all(
                    conn,
                    concat!(select_identity!(), " ORDER BY id LIMIT ?1"),
                    params![page_size],
                    IdentityRow::read,
                ),
                Some(after) => query_all(
                    conn,
                    concat!(select_identity!(), " WHERE id > ?1 ORDER BY id LIMIT ?2"),
                    params![uuid_text(after), page_size],
                    IdentityRow::read,
                ),
            }?
            .into_iter()
            .map(IdentityRow::decode)
            .collect()
        })
    }

    /// Replaces everything but `id` and `created_at`, which never change after creation.
    pub fn update_identity(&self, identity: &Identity) -> Result<(), StoreError> {
        self.write(|tx| update_identity_row(tx, identity))
    }

    /// [`Database::update_identity`] and [`Database::put_credential`] for each
    /// `(credential, expected_version)` in one transaction: an identifier clash or a version
    /// conflict changes nothing.
    pub fn update_identity_with_credentials(
        &self,
        identity: &Identity,
        credentials: &[(Credential, u32)],
    ) -> Result<(), StoreError> {
        if credentials
            .iter()
            .any(|(c, _)| c.identity_id != identity.id)
        {
            return Err(StoreError::InvalidArgument(
                "a credential belongs to a different identity",
            ));
        }
        self.write(|tx| {
            update_identity_row(tx, identity)?;
            for (credential, expected) in credentials {
                store_credential(tx, credential, Some(*expected))?;
            }
            Ok(())
        })
    }

    /// The identity with this address for `purpose`; the oldest-created when several share
    /// it.
    pub fn identity_by_address(
        &self,
        purpose: AddressPurpose,
        via: &str,
        value: &str,
    ) -> Result<Option<Identity>, StoreError> {
        self.read(|conn| {
            let owner: Option<String> = query_optional(
                conn,
                "SELECT a.identity_id FROM identity_addresses a \
                 JOIN identities i ON i.id = a.identity_id \
                 WHERE a.purpose = ?1 AND a.via = ?2 AND a.value = ?3 \
                 ORDER BY i.created_at, i.id LIMIT 1",
                params![purpose.as_str(), via, value],
                |row| row.get::<_, String>(0),
            )?;
            match owner {
                Some(id) => load_identity(conn, parse_uuid("identity_addresses.identity_id", &id)?),
                None => Ok(None),
            }
        })
    }

    /// Deletes the identity with its credentials, identifiers and sessions. Returns whether
    /// it existed.
    pub fn delete_identity(&self, id: Uuid) -> Result<bool, StoreError> {
        self.write(|tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM identities WHERE id = ?1")?
                .execute(params![uuid_text(id)])?;
            Ok(deleted > 0)
        })
    }
}

#[async_trait]
impl IdentityRepository for SqliteStore {
    async fn create_identity(
        &self,
        identity: &Identity,
        credentials: &[Credential],
    ) -> Result<(), StoreError> {
        let (identity, credentials) = (identity.clone(), credentials.to_vec());
        self.blocking(move |db| db.create_identity(&identity, &credentials))
            .await
    }

    async fn get_identity(&self, id: Uuid) -> Result<Option<Identity>, StoreError> {
        self.inline(|db| db.get_identity(id))
    }

    async fn list_identities(
        &self,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.blocking(move |db| db.list_identities(page_size, after))
            .await
    }

    async fn update_identity(&self, identity: &Identity) -> Result<(), StoreError> {
        let identity = identity.clone();
        self.blocking(move |db| db.update_identity(&identity)).await
    }

    async fn update_identity_with_credentials(
        &self,
        identity: &Identity,
        credentials: &[(Credential, u32)],
    ) -> Result<(), StoreError> {
        let (identity, credentials) = (identity.clone(), credentials.to_vec());
        self.blocking(move |db| db.update_identity_with_credentials(&identity, &credentials))
            .await
    }

    async fn identity_by_address(
        &self,
        purpose: AddressPurpose,
        via: &str,
        value: &str,
    ) -> Result<Option<Identity>, StoreError> {
        self.inline(|db| db.identity_by_address(purpose, via, value))
    }

    async fn delete_identity(&self, id: Uuid) -> Result<bool, StoreError> {
        self.blocking(move |db| db.delete_identity(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_round_trip() {
        let (_dir, store) = temp_store();
        let mut identity = identity("a@example.com");
        identity.metadata_admin = Some(json!({ "note": "vip" }));
        identity.state = IdentityState::Inactive;
        store.create_identity(&identity, &[]).unwrap();
        assert_eq!(store.get_identity(identity.id).unwrap(), Some(identity));
        assert_eq!(store.get_identity(Uuid::new_v4()).unwrap(), None);
    }

    #[test]
    fn list_pages_in_id_order() {
        let (_dir, store) = temp_store();
        let mut ids: Vec<Uuid> = (0..5)
            .map(|i| {
                let identity = identity(&format!("u{i}@example.com"));
                store.create_identity(&identity, &[]).unwrap();
                identity.id
            })
            .collect();
        ids.sort();

        let first = store.list_identities(2, None).unwrap();
        assert_eq!(first.iter().map(|i| i.id).collect::<Vec<_>>(), ids[..2]);
        let second = store.list_identities(2, Some(ids[1])).unwrap();
        assert_eq!(second.iter().map(|i| i.id).collect::<Vec<_>>(), ids[2..4]);
        let last = store.list_identities(10, Some(ids[3])).unwrap();
        assert_eq!(last.iter().map(|i| i.id).collect::<Vec<_>>(), ids[4..]);
        assert!(store.list_identities(10, Some(ids[4])).unwrap().is_empty());
    }

    #[test]
    fn update_replaces_fields_but_keeps_created_at() {
        let (_dir, store) = temp_store();
        let original = identity("a@example.com");
        store.create_identity(&original, &[]).unwrap();

        let mut changed = original.clone();
        changed.traits = json!({ "email": "b@example.com" });
        changed.state = IdentityState::Inactive;
        changed.metadata_public = None;
        changed.updated_at = at(100);
        changed.created_at = at(50);
        store.update_identity(&changed).unwrap();

        let stored = store.get_identity(original.id).unwrap().unwrap();
        assert_eq!(stored.created_at, original.created_at);
        assert_eq!(
            stored,
            Identity {
                created_at: original.created_at,
                ..changed
            }
        );
    }

    #[test]
    fn update_of_missing_identity_is_not_found() {
        let (_dir, store) = temp_store();
        let result = store.update_identity(&identity("ghost@example.com"));
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }

    #[test]
    fn update_with_credentials_is_all_or_nothing() {
        let (_dir, store) = temp_store();
        let ada = identity("a@example.com");
        let password = credential(ada.id, "password", &["a@example.com"]);
        store
            .create_identity(&ada, std::slice::from_ref(&password))
            .unwrap();
        let grace = identity("g@example.com");
        let taken = credential(grace.id, "password", &["g@example.com"]);
        store.create_identity(&grace, &[taken]).unwrap();

        let mut renamed = ada.clone();
        renamed.traits = json!({ "email": "g@example.com" });
        let mut moved = password.clone();
        moved.identifiers = vec!["g@example.com".into()];
        let clash = store.update_identity_with_credentials(&renamed, &[(moved.clone(), 1)]);
        assert!(
            matches!(clash, Err(StoreError::DuplicateIdentifier { .. })),
            "{clash:?}"
        );
        assert_eq!(store.get_identity(ada.id).unwrap(), Some(ada.clone()));

        let stale = store.update_identity_with_credentials(&renamed, &[(password.clone(), 9)]);
        assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
        assert_eq!(store.get_identity(ada.id).unwrap(), Some(ada.clone()));

        renamed.traits = json!({ "email": "new@example.com" });
        moved.identifiers = vec!["new@example.com".into()];
        store
            .update_identity_with_credentials(&renamed, &[(moved, 1)])
            .unwrap();
        assert_eq!(store.get_identity(ada.id).unwrap(), Some(renamed));
        let (owner, stored) = store
            .find_by_identifier("password", "new@example.com")
            .unwrap()
            .unwrap();
        assert_eq!((owner.id, stored.version), (ada.id, 2));
    }

    #[test]
    fn delete_cascades_to_credentials_identifiers_and_sessions() {
        let (dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store.create_identity(&identity, &[password]).unwrap();
        let session = session(identity.id);
        store.create_session(&session).unwrap();

        assert!(store.delete_identity(identity.id).unwrap());
        assert!(!store.delete_identity(identity.id).unwrap());

        assert_eq!(store.get_identity(identity.id).unwrap(), None);
        assert!(store.credentials_of(identity.id).unwrap().is_empty());
        assert_eq!(
            store.session_by_token_hash(&session.token_hash).unwrap(),
            None
        );
        let leftover: i64 = raw_connection(&dir)
            .query_row("SELECT count(*) FROM credential_identifiers", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(leftover, 0);

        let again = super::super::testing::identity("a@example.com");
        let reuse = credential(again.id, "password", &["a@example.com"]);
        store.create_identity(&again, &[reuse]).unwrap();
    }

    #[test]
    fn undecodable_row_is_corrupt() {
        let (dir, store) = temp_store();
        let identity = identity("a@example.com");
        store.create_identity(&identity, &[]).unwrap();
        raw_connection(&dir)
            .execute("UPDATE identities SET traits = '{not json'", [])
            .unwrap();
        let result = store.get_identity(identity.id);
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");

        raw_connection(&dir)
            .execute("UPDATE identities SET traits = '{}', state = 7", [])
            .unwrap();
        let result = store.get_identity(identity.id);
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    }
}
