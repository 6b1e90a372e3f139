//! Credentials and the `(method, identifier)` index that login looks identities up by.
//!
//! Every write bumps the credential's version, which is how concurrent logins and settings
//! changes detect that the credential changed under them.

use super::codec::{
    corrupt, is_constraint, parse_timestamp, parse_uuid, query_all, query_optional, timestamp,
    uuid_text,
};
use super::identities::{identity_exists, load_identity};
use super::{Database, SqliteStore, StoreError};
use crate::model::{Credential, Identity};
use crate::store::{CredentialDeletion, CredentialLock, CredentialRepository};
use async_trait::async_trait;
use rusqlite::{Connection, Row, ffi, params};
use uuid::Uuid;

macro_rules! select_credential {
    () => {
        "SELECT identity_id, method, config, version, created_at, updated_at FROM credentials"
    };
}

struct CredentialRow {
    identity_id: String,
    method: String,
    config: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CredentialRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<CredentialRow> {
        Ok(CredentialRow {
            identity_id: row.get(0)?,
            method: row.get(1)?,
            config: row.get(2)?,
            version: row.get(3)?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }

    fn decode(self, conn: &Connection) -> Result<Credential, StoreError> {
        let identity_id = parse_uuid("credentials.identity_id", &self.identity_id)?;
        let identifiers = identifiers_of(conn, identity_id, &self.method)?;
        Ok(Credential {
            identity_id,
            identifiers,
            config: self.config,
            version: parse_version(self.version)?,
            created_at: parse_timestamp("credentials.created_at", &self.created_at)?,
            updated_at: parse_timestamp("credentials.updated_at", &self.updated_at)?,
            method: self.method,
        })
    }
}

fn parse_version(version: i64) -> Result<u32, StoreError> {
    u32::try_from(version).map_err(|_| corrupt("credentials.version", "is out of range"))
}

fn identifiers_of(
    conn: &Connection,
    identity_id: Uuid,
    method: &str,
) -> Result<Vec<String>, StoreError> {
    query_all(
        conn,
        "SELECT identifier FROM credential_identifiers \
         WHERE identity_id = ?1 AND method = ?2 ORDER BY position",
        params![uuid_text(identity_id), method],
        |row| row.get(0),
    )
}

pub(super) fn load_credential(
    conn: &Connection,
    identity_id: Uuid,
    method: &str,
) -> Result<Option<Credential>, StoreError> {
    query_optional(
        conn,
        concat!(
            select_credential!(),
            " WHERE identity_id = ?1 AND method = ?2"
        ),
        params![uuid_text(identity_id), method],
        CredentialRow::read,
    )?
    .map(|row| row.decode(conn))
    .transpose()
}

fn load_credentials(conn: &Connection, identity_id: Uuid) -> Result<Vec<Credential>, StoreError> {
    query_all(
        conn,
        concat!(
            select_credential!(),
            " WHERE identity_id = ?1 ORDER BY method"
        ),
        params![uuid_text(identity_id)],
        CredentialRow::read,
    )?
    .into_iter()
    .map(|row| row.decode(conn))
    .collect()
}

fn stored_version(
    conn: &Connection,
    identity_id: Uuid,
    method: &str,
) -> Result<Option<u32>, StoreError> {
    query_optional(
        conn,
        "SELECT version FROM credentials WHERE identity_id = ?1 AND method = ?2",
        params![uuid_text(identity_id), method],
        |row| row.get::<_, i64>(0),
    )?
    .map(parse_version)
    .transpose()
}

/// Stores `credential` under the next version and returns it as stored. A missing
/// credential counts as version 0, so `expected: Some(0)` means "only if there is none".
pub(super) fn store_credential(
    conn: &Connection,
    credential: &Credential,
    expected: Option<u32>,
) -> Result<Credential, StoreError> {
    let (identity_id, method) = (credential.identity_id, credential.method.as_str());
    if !identity_exists(conn, identity_id)? {
        return Err(StoreError::NotFound);
    }
    let current = stored_version(conn, identity_id, method)?.unwrap_or(0);
    if expected.is_some_and(|v| v != current) {
        return Err(StoreError::Conflict);
    }
    let version = current
        .checked_add(1)
        .ok_or_else(|| corrupt("credentials.version", "cannot be incremented"))?;
    upsert_row(conn, credential, version)?;
    replace_identifiers(conn, credential)?;
    load_credential(conn, identity_id, method)?.ok_or(StoreError::NotFound)
}

pub(super) fn insert_new_credential(
    conn: &Connection,
    credential: &Credential,
) -> Result<(), StoreError> {
    store_credential(conn, credential, None).map(drop)
}

/// An upsert rather than `INSERT OR REPLACE`: replacing would delete the row and cascade to
/// its identifiers, and it would lose `created_at`.
fn upsert_row(conn: &Connection, credential: &Credential, version: u32) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO credentials (identity_id, method, config, version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (identity_id, method) DO UPDATE SET \
         config = excluded.config, version = excluded.version, updated_at = excluded.updated_at",
    )?
    .execute(params![
        uuid_text(credential.identity_id),
        credential.method,
        credential.config,
        version,
        timestamp(&credential.created_at),
        timestamp(&credential.updated_at),
    ])?;
    Ok(())
}

fn replace_identifiers(conn: &Connection, credential: &Credential) -> Result<(), StoreError> {
    let identity_id = uuid_text(credential.identity_id);
    conn.prepare_cached(
        "DELETE FROM credential_identifiers WHERE identity_id = ?1 AND method = ?2",
    )?
    .execute(params![identity_id, credential.method])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO credential_identifiers (method, identifier, identity_id, position) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, identifier) in distinct(&credential.identifiers).into_iter().enumerate() {
        insert
            .execute(params![
                credential.method,
                identifier,
                identity_id,
                position as i64
            ])
            .map_err(|err| {
                if is_constraint(&err, ffi::SQLITE_CONSTRAINT_UNIQUE) {
                    StoreError::DuplicateIdentifier {
                        method: credential.method.clone(),
                        identifier: identifier.to_string(),
                    }
                } else {
                    StoreError::from(err)
                }
            })?;
    }
    Ok(())
}

/// A credential listing the same identifier twice must not collide with itself.
fn distinct(identifiers: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::with_capacity(identifiers.len());
    for identifier in identifiers {
        if !seen.contains(&identifier.as_str()) {
            seen.push(identifier);
        }
    }
    seen
}

impl Database {
    /// The identity's credentials, ordered by method.
    pub fn credentials_of(&self, identity_id: Uuid) -> Result<Vec<Credential>, StoreError> {
        self.read(|conn| load_credentials(conn, identity_id))
    }

    pub fn credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<Option<Credential>, StoreError> {
        self.read(|conn| load_credential(conn, identity_id, method))
    }

    /// The identity holding `identifier` for `method`, compared exactly as stored.
    pub fn find_by_identifier(
        &self,
        method: &str,
        identifier: &str,
    ) -> Result<Option<(Identity, Credential)>, StoreError> {
        self.read(|conn| {
            let Some(owner) = query_optional(
                conn,
                "SELECT identity_id FROM credential_identifiers WHERE method = ?1 AND identifier = ?2",
                params![method, identifier],
                |row| row.get::<_, String>(0),
            )?
            else {
                return Ok(None);
            };
            let identity_id = parse_uuid("credential_identifiers.identity_id", &owner)?;
            let identity = load_identity(conn, identity_id)?;
            let credential = load_credential(conn, identity_id, method)?;
            match (identity, credential) {
                (Some(identity), Some(credential)) => Ok(Some((identity, credential))),
                _ => Err(corrupt(
                    "credential_identifiers.identity_id",
                    "points at a missing credential",
                )),
            }
        })
    }

    /// Inserts or replaces the identity's credential of `credential.method`, with its
    /// identifiers, and returns it as stored: version old + 1 (1 when new), `created_at` kept
    /// from the stored row. With `expected_version`, a stored version that differs (0 when
    /// there is none) fails with [`StoreError::Conflict`] and changes nothing.
    pub fn put_credential(
        &self,
        credential: &Credential,
        expected_version: Option<u32>,
    ) -> Result<Credential, StoreError> {
        self.write(|tx| store_credential(tx, credential, expected_version))
    }

    /// Every identity holding `identifier` under any method, compared exactly as stored, in
    /// id order.
    pub fn identities_by_identifier(&self, identifier: &str) -> Result<Vec<Identity>, StoreError> {
        self.read(|conn| {
            let owners = query_all(
                conn,
                "SELECT DISTINCT identity_id FROM credential_identifiers \
                 WHERE identifier = ?1 ORDER BY identity_id",
                params![identifier],
                |row| row.get::<_, String>(0),
            )?;
            let mut found = Vec::with_capacity(owners.len());
            for owner in owners {
                let id = parse_uuid("credential_identifiers.identity_id", &owner)?;
                if let Some(identity) = load_identity(conn, id)? {
                    found.push(identity);
                }
            }
            Ok(found)
        })
    }

    /// Deletes the identity's `method` credential unless that would leave it without any of
    /// the `keep_one_of` methods: with `keep_one_of` non-empty, one credential of those
    /// methods other than `method` must remain. The check and the delete are one transaction.
    pub fn delete_credential_keeping(
        &self,
        identity_id: Uuid,
        method: &str,
        keep_one_of: &[String],
    ) -> Result<CredentialDeletion, StoreError> {
        self.write(|tx| {
            if load_credential(tx, identity_id, method)?.is_none() {
                return Ok(CredentialDeletion::NotFound);
            }
            if !keep_one_of.is_empty() {
                let mut remaining = false;
                for other in keep_one_of.iter().filter(|m| m.as_str() != method) {
                    if stored_version(tx, identity_id, other)?.is_some() {
                        remaining = true;
                        break;
                    }
                }
                if !remaining {
                    return Ok(CredentialDeletion::WouldLeaveNone);
                }
            }
            tx.prepare_cached("DELETE FROM credentials WHERE identity_id = ?1 AND method = ?2")?
                .execute(params![uuid_text(identity_id), method])?;
            Ok(CredentialDeletion::Deleted)
        })
    }

    /// Deletes the credential and its identifiers. Returns whether it existed.
    pub fn delete_credential(&self, identity_id: Uuid, method: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM credentials WHERE identity_id = ?1 AND method = ?2")?
                .execute(params![uuid_text(identity_id), method])?;
            Ok(deleted > 0)
        })
    }
}

#[async_trait]
impl CredentialRepository for SqliteStore {
    async fn credentials_of(&self, identity_id: Uuid) -> Result<Vec<Credential>, StoreError> {
        self.inline(|db| db.credentials_of(identity_id))
    }

    async fn credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<Option<Credential>, StoreError> {
        self.inline(|db| db.credential(identity_id, method))
    }

    async fn find_by_identifier(
        &self,
        method: &str,
        identifier: &str,
    ) -> Result<Option<(Identity, Credential)>, StoreError> {
        self.inline(|db| db.find_by_identifier(method, identifier))
    }

    async fn identities_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Vec<Identity>, StoreError> {
        let identifier = identifier.to_string();
        self.blocking(move |db| db.identities_by_identifier(&identifier))
            .await
    }

    async fn put_credential(
        &self,
        credential: &Credential,
        expected_version: Option<u32>,
    ) -> Result<Credential, StoreError> {
        let credential = credential.clone();
        self.blocking(move |db| db.put_credential(&credential, expected_version))
            .await
    }

    async fn delete_credential_keeping(
        &self,
        identity_id: Uuid,
        method: &str,
        keep_one_of: &[String],
    ) -> Result<CredentialDeletion, StoreError> {
        let (method, keep_one_of) = (method.to_string(), keep_one_of.to_vec());
        self.blocking(move |db| db.delete_credential_keeping(identity_id, &method, &keep_one_of))
            .await
    }

    async fn delete_credential(&self, identity_id: Uuid, method: &str) -> Result<bool, StoreError> {
        let method = method.to_string();
        self.blocking(move |db| db.delete_credential(identity_id, &method))
            .await
    }

    async fn lock_credential(
        &self,
        identity_id: Uuid,
        method: &str,
    ) -> Result<CredentialLock, StoreError> {
        Ok(CredentialLock::new(
            self.turns.take(identity_id, method).await,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn with_identity(store: &Database, email: &str) -> Identity {
        let identity = identity(email);
        store.create_identity(&identity, &[]).unwrap();
        identity
    }

    #[test]
    fn credential_round_trip() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com", "ada"]);
        let totp = credential(identity.id, "totp", &[]);
        store
            .create_identity(&identity, &[password.clone(), totp.clone()])
            .unwrap();

        assert_eq!(
            store.credential(identity.id, "password").unwrap(),
            Some(password.clone())
        );
        assert_eq!(
            store.credentials_of(identity.id).unwrap(),
            vec![password.clone(), totp]
        );
        assert_eq!(store.credential(identity.id, "webauthn").unwrap(), None);

        let (found, found_credential) = store
            .find_by_identifier("password", "ada")
            .unwrap()
            .unwrap();
        assert_eq!(found, identity);
        assert_eq!(found_credential, password);
    }

    #[test]
    fn identifiers_match_exactly() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store.create_identity(&identity, &[password]).unwrap();
        assert!(
            store
                .find_by_identifier("password", "A@example.com")
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .find_by_identifier("totp", "a@example.com")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn duplicate_identifier_rolls_back_the_whole_identity() {
        let (dir, store) = temp_store();
        let first = identity("a@example.com");
        let taken = credential(first.id, "password", &["a@example.com"]);
        store.create_identity(&first, &[taken]).unwrap();

        let second = identity("a@example.com");
        let totp = credential(second.id, "totp", &["second"]);
        let clash = credential(second.id, "password", &["fresh", "a@example.com"]);
        let result = store.create_identity(&second, &[totp, clash]);
        match result {
            Err(StoreError::DuplicateIdentifier { method, identifier }) => {
                assert_eq!(
                    (method.as_str(), identifier.as_str()),
                    ("password", "a@example.com")
                );
            }
            other => panic!("expected DuplicateIdentifier, got {other:?}"),
        }

        assert_eq!(store.get_identity(second.id).unwrap(), None);
        assert!(store.credentials_of(second.id).unwrap().is_empty());
        assert!(
            store
                .find_by_identifier("totp", "second")
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .find_by_identifier("password", "fresh")
                .unwrap()
                .is_none()
        );
        let rows: i64 = raw_connection(&dir)
            .query_row("SELECT count(*) FROM identities", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn credential_of_another_identity_is_refused() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let foreign = credential(Uuid::new_v4(), "password", &["a@example.com"]);
        let result = store.create_identity(&identity, &[foreign]);
        assert!(
            matches!(result, Err(StoreError::InvalidArgument(_))),
            "{result:?}"
        );
        assert_eq!(store.get_identity(identity.id).unwrap(), None);
    }

    #[test]
    fn identities_by_identifier_searches_every_method() {
        let (_dir, store) = temp_store();
        let ada = identity("a@example.com");
        let password = credential(ada.id, "password", &["a@example.com", "ada"]);
        store.create_identity(&ada, &[password]).unwrap();
        let grace = identity("g@example.com");
        let oidc = credential(grace.id, "oidc", &["ada"]);
        store.create_identity(&grace, &[oidc]).unwrap();

        assert_eq!(
            store.identities_by_identifier("a@example.com").unwrap(),
            vec![ada.clone()]
        );
        let mut both = vec![ada.clone(), grace.clone()];
        both.sort_by_key(|i| i.id);
        assert_eq!(store.identities_by_identifier("ada").unwrap(), both);
        assert!(
            store
                .identities_by_identifier("A@example.com")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn delete_credential_keeping_refuses_to_remove_the_last_one_to_keep() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        let totp = credential(identity.id, "totp", &[]);
        let oidc = credential(identity.id, "oidc", &["github:1"]);
        store
            .create_identity(&identity, &[password, totp, oidc])
            .unwrap();
        let first_factors = ["password".to_string(), "oidc".to_string()];

        let delete = |method| {
            store
                .delete_credential_keeping(identity.id, method, &first_factors)
                .unwrap()
        };
        assert_eq!(delete("webauthn"), CredentialDeletion::NotFound);
        assert_eq!(delete("oidc"), CredentialDeletion::Deleted);
        assert_eq!(delete("password"), CredentialDeletion::WouldLeaveNone);
        assert!(store.credential(identity.id, "password").unwrap().is_some());
        assert!(
            store
                .find_by_identifier("oidc", "github:1")
                .unwrap()
                .is_none()
        );
        // Second factors can go as long as a first factor stays.
        assert_eq!(delete("totp"), CredentialDeletion::Deleted);
        // Nothing to keep: anything may go.
        assert_eq!(
            store
                .delete_credential_keeping(identity.id, "password", &[])
                .unwrap(),
            CredentialDeletion::Deleted
        );
        assert!(store.credentials_of(identity.id).unwrap().is_empty());
    }

    #[test]
    fn put_credential_versions_and_replaces_identifiers() {
        let (_dir, store) = temp_store();
        let identity = with_identity(&store, "a@example.com");

        let mut password = credential(identity.id, "password", &["a@example.com"]);
        password.version = 42;
        let stored = store.put_credential(&password, None).unwrap();
        assert_eq!(stored.version, 1);

        let mut changed = stored.clone();
        changed.identifiers = vec!["b@example.com".into(), "b@example.com".into()];
        changed.config = r#"{"hashed_password":"new"}"#.into();
        changed.created_at = at(500);
        changed.updated_at = at(60);
        let stored = store.put_credential(&changed, Some(1)).unwrap();
        assert_eq!(stored.version, 2);
        assert_eq!(stored.identifiers, vec!["b@example.com".to_string()]);
        assert_eq!(stored.created_at, password.created_at);
        assert_eq!(stored.updated_at, at(60));
        assert_eq!(stored.config, changed.config);
        assert_eq!(
            store.credential(identity.id, "password").unwrap(),
            Some(stored)
        );

        assert!(
            store
                .find_by_identifier("password", "a@example.com")
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .find_by_identifier("password", "b@example.com")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn put_credential_detects_version_conflicts() {
        let (_dir, store) = temp_store();
        let identity = with_identity(&store, "a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store.put_credential(&password, Some(0)).unwrap();
        let before = store.credential(identity.id, "password").unwrap();

        let mut stale = password.clone();
        stale.config = "{}".into();
        stale.identifiers = vec!["other".into()];
        for expected in [Some(0), Some(2)] {
            let result = store.put_credential(&stale, expected);
            assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
        }
        assert_eq!(store.credential(identity.id, "password").unwrap(), before);

        let missing = credential(identity.id, "totp", &[]);
        let result = store.put_credential(&missing, Some(1));
        assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
        assert_eq!(store.credential(identity.id, "totp").unwrap(), None);
    }

    #[test]
    fn put_credential_with_taken_identifier_changes_nothing() {
        let (_dir, store) = temp_store();
        let alice = identity("a@example.com");
        store
            .create_identity(&alice, &[credential(alice.id, "password", &["alice"])])
            .unwrap();
        let bob = identity("b@example.com");
        let bobs = credential(bob.id, "password", &["bob"]);
        store
            .create_identity(&bob, std::slice::from_ref(&bobs))
            .unwrap();

        let mut grab = bobs.clone();
        grab.identifiers = vec!["bobby".into(), "alice".into()];
        let result = store.put_credential(&grab, Some(1));
        assert!(
            matches!(&result, Err(StoreError::DuplicateIdentifier { identifier, .. }) if identifier == "alice"),
            "{result:?}"
        );
        assert_eq!(store.credential(bob.id, "password").unwrap(), Some(bobs));
        assert!(
            store
                .find_by_identifier("password", "bobby")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn put_credential_for_missing_identity_is_not_found() {
        let (_dir, store) = temp_store();
        let orphan = credential(Uuid::new_v4(), "password", &["x"]);
        let result = store.put_credential(&orphan, None);
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }

    #[test]
    fn delete_credential_frees_its_identifiers() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store.create_identity(&identity, &[password]).unwrap();

        assert!(store.delete_credential(identity.id, "password").unwrap());
        assert!(!store.delete_credential(identity.id, "password").unwrap());
        assert!(
            store
                .find_by_identifier("password", "a@example.com")
                .unwrap()
                .is_none()
        );

        let other = with_identity(&store, "b@example.com");
        let reuse = credential(other.id, "password", &["a@example.com"]);
        assert_eq!(store.put_credential(&reuse, Some(0)).unwrap().version, 1);
    }

    #[test]
    fn errors_do_not_reveal_credential_configs() {
        let (_dir, store) = temp_store();
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store
            .create_identity(&identity, std::slice::from_ref(&password))
            .unwrap();
        let other = with_identity(&store, "b@example.com");
        let mut clash = password.clone();
        clash.identity_id = other.id;
        clash.config = "SECRET-CONFIG".into();
        for result in [
            store.put_credential(&clash, None),
            store.put_credential(&clash, Some(5)),
        ] {
            let err = result.unwrap_err();
            assert!(!err.to_string().contains("SECRET"), "{err}");
            assert!(!format!("{err:?}").contains("SECRET"), "{err:?}");
        }
    }
}
