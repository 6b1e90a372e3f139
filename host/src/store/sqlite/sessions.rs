//! Sessions, looked up by the SHA-256 of their token, and the atomic end of a login.

use super::codec::{
    corrupt, from_json, is_constraint, parse_bool, parse_enum, parse_timestamp, parse_uuid,
    query_all, query_optional, timestamp, to_json, uuid_text,
};
use super::credentials::store_credential;
use super::identities::load_identity;
use super::{Database, SqliteStore, StoreError};
use crate::model::{Aal, Credential, Flow, Identity, Session};
use crate::store::{SessionFilter, SessionRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, ffi, params};
use uuid::Uuid;

macro_rules! select_session {
    () => {
        "SELECT id, token_hash, identity_id, active, aal, authenticated_at, issued_at, \
         expires_at, methods, devices FROM sessions"
    };
}

struct SessionRow {
    id: String,
    token_hash: Vec<u8>,
    identity_id: String,
    active: i64,
    aal: String,
    authenticated_at: String,
    issued_at: String,
    expires_at: String,
    methods: String,
    devices: String,
}

impl SessionRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<SessionRow> {
        Ok(SessionRow {
            id: row.get(0)?,
            token_hash: row.get(1)?,
            identity_id: row.get(2)?,
            active: row.get(3)?,
            aal: row.get(4)?,
            authenticated_at: row.get(5)?,
            issued_at: row.get(6)?,
            expires_at: row.get(7)?,
            methods: row.get(8)?,
            devices: row.get(9)?,
        })
    }

    fn decode(self) -> Result<Session, StoreError> {
        Ok(Session {
            id: parse_uuid("sessions.id", &self.id)?,
            token_hash: self
                .token_hash
                .try_into()
                .map_err(|_| corrupt("sessions.token_hash", "is not 32 bytes long"))?,
            identity_id: parse_uuid("sessions.identity_id", &self.identity_id)?,
            active: parse_bool("sessions.active", self.active)?,
            aal: parse_enum("sessions.aal", &self.aal, Aal::parse)?,
            authenticated_at: parse_timestamp("sessions.authenticated_at", &self.authenticated_at)?,
            issued_at: parse_timestamp("sessions.issued_at", &self.issued_at)?,
            expires_at: parse_timestamp("sessions.expires_at", &self.expires_at)?,
            methods: from_json("sessions.methods", &self.methods)?,
            devices: from_json("sessions.devices", &self.devices)?,
        })
    }
}

fn load_session(conn: &Connection, id: Uuid) -> Result<Option<Session>, StoreError> {
    query_optional(
        conn,
        concat!(select_session!(), " WHERE id = ?1"),
        params![uuid_text(id)],
        SessionRow::read,
    )?
    .map(SessionRow::decode)
    .transpose()
}

fn load_session_by_token_hash(
    conn: &Connection,
    token_hash: &[u8; 32],
) -> Result<Option<Session>, StoreError> {
    query_optional(
        conn,
        concat!(select_session!(), " WHERE token_hash = ?1"),
        params![&token_hash[..]],
        SessionRow::read,
    )?
    .map(SessionRow::decode)
    .transpose()
}

/// The session's identity, read on the same connection and so in the same snapshot.
fn with_identity(
    conn: &Connection,
    session: Option<Session>,
) -> Result<Option<(Session, Identity)>, StoreError> {
    let Some(session) = session else {
        return Ok(None);
    };
    Ok(load_identity(conn, session.identity_id)?.map(|identity| (session, identity)))
}

fn insert_session(conn: &Connection, session: &Session) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sessions (id, token_hash, identity_id, active, aal, authenticated_at, \
         issued_at, expires_at, methods, devices) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        uuid_text(session.id),
        &session.token_hash[..],
        uuid_text(session.identity_id),
        session.active,
        session.aal.as_str(),
        timestamp(&session.authenticated_at),
        timestamp(&session.issued_at),
        timestamp(&session.expires_at),
        to_json("sessions.methods", &session.methods)?,
        to_json("sessions.devices", &session.devices)?,
    ])
    .map_err(|err| {
        // The only foreign key is the identity; it vanishing is the caller's "not found".
        if is_constraint(&err, ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
            StoreError::NotFound
        } else {
            StoreError::from(err)
        }
    })?;
    Ok(())
}

/// The token hash and owner are fixed at creation: a session never moves to another identity
/// and its token is never rotated.
fn update_session_row(conn: &Connection, session: &Session) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE sessions SET active = ?2, aal = ?3, authenticated_at = ?4, issued_at = ?5, \
             expires_at = ?6, methods = ?7, devices = ?8 WHERE id = ?1",
        )?
        .execute(params![
            uuid_text(session.id),
            session.active,
            session.aal.as_str(),
            timestamp(&session.authenticated_at),
            timestamp(&session.issued_at),
            timestamp(&session.expires_at),
            to_json("sessions.methods", &session.methods)?,
            to_json("sessions.devices", &session.devices)?,
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

impl Database {
    pub fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.write(|tx| insert_session(tx, session))
    }

    pub fn get_session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.read(|conn| load_session(conn, id))
    }

    /// Finds a session, active or not, by the SHA-256 of its token.
    pub fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StoreError> {
        self.read(|conn| load_session_by_token_hash(conn, token_hash))
    }

    /// The session with this token hash and its identity, from one read transaction.
    pub fn session_with_identity_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        self.read(|conn| with_identity(conn, load_session_by_token_hash(conn, token_hash)?))
    }

    /// The session and its identity, from one read transaction.
    pub fn session_with_identity(
        &self,
        id: Uuid,
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        self.read(|conn| with_identity(conn, load_session(conn, id)?))
    }

    /// Replaces everything but `id`, `token_hash` and `identity_id`.
    pub fn update_session(&self, session: &Session) -> Result<(), StoreError> {
        self.write(|tx| update_session_row(tx, session))
    }

    /// The identity's sessions, oldest first.
    pub fn sessions_of(&self, identity_id: Uuid) -> Result<Vec<Session>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                concat!(
                    select_session!(),
                    " WHERE identity_id = ?1 ORDER BY issued_at, id"
                ),
                params![uuid_text(identity_id)],
                SessionRow::read,
            )?
            .into_iter()
            .map(SessionRow::decode)
            .collect()
        })
    }

    /// One page of sessions in id order: up to `page_size` sessions with ids greater than
    /// `after`, narrowed by `filter`. Pass the last id of one page as `after` to get the next.
    pub fn list_sessions(
        &self,
        filter: &SessionFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Session>, StoreError> {
        // Only the conditions that apply are in the statement: SQLite cannot use an index for
        // `?1 IS NULL OR s.identity_id = ?1`, and would scan every session for one identity's.
        let mut conditions = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |condition: &str, value: String| {
            values.push(value.into());
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Some(identity_id) = filter.identity_id {
            bind("s.identity_id = ?", uuid_text(identity_id));
        }
        if let Some(after) = after {
            bind("s.id > ?", uuid_text(after));
        }
        if let Some(active) = filter.active {
            let condition = if active {
                "(s.active = 1 AND s.expires_at > ? AND i.state = 'active')"
            } else {
                "NOT (s.active = 1 AND s.expires_at > ? AND i.state = 'active')"
            };
            bind(condition, timestamp(&filter.now));
        }
        let mut sql = String::from(
            "SELECT s.id, s.token_hash, s.identity_id, s.active, s.aal, s.authenticated_at, \
             s.issued_at, s.expires_at, s.methods, s.devices \
             FROM sessions s JOIN identities i ON i.id = s.identity_id",
        );
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        values.push(i64::from(page_size).into());
        sql.push_str(&format!(" ORDER BY s.id LIMIT ?{}", values.len()));
        self.read(|conn| {
            query_all(
                conn,
                &sql,
                rusqlite::params_from_iter(values.iter()),
                SessionRow::read,
            )?
            .into_iter()
            .map(SessionRow::decode)
            .collect()
        })
    }

    /// Moves an active session's expiry to `expires_at`. Returns false, changing nothing, when
    /// there is no such session or it was revoked.
    pub fn extend_session(&self, id: Uuid, expires_at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx
                .prepare_cached("UPDATE sessions SET expires_at = ?2 WHERE id = ?1 AND active = 1")?
                .execute(params![uuid_text(id), timestamp(&expires_at)])?;
            Ok(changed > 0)
        })
    }

    /// Deletes every session of the identity; returns how many there were.
    pub fn delete_sessions_of(&self, identity_id: Uuid) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM sessions WHERE identity_id = ?1")?
                .execute(params![uuid_text(identity_id)])?)
        })
    }

    /// Deletes at most `limit` sessions that expired strictly before `before`, oldest first.
    pub fn delete_expired_sessions(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
                     WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
                )?
                .execute(params![timestamp(&before), limit as i64])?)
        })
    }

    /// Returns true when this call turned an active session inactive; false when there is no
    /// such session or it was already inactive.
    pub fn deactivate_session(&self, id: Uuid) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx
                .prepare_cached("UPDATE sessions SET active = 0 WHERE id = ?1 AND active = 1")?
                .execute(params![uuid_text(id)])?;
            Ok(changed > 0)
        })
    }

    /// Finishes a login in one transaction: stores the credential update (a plugin may
    /// rehash a password or consume a recovery code) after checking its expected version,
    /// then inserts the session (`session_is_new`) or updates it. A conflict or any other
    /// failure leaves both untouched. Returns the session as stored.
    /// Stores what a completed authentication changed in one transaction: the credential the
    /// plugin updated, the new or stepped-up session, and the flow marked completed, so a
    /// crash cannot leave a session whose flow could be submitted again.
    pub fn commit_authentication(
        &self,
        credential_update: Option<(&Credential, u32)>,
        session: &Session,
        session_is_new: bool,
        completed_flow: Option<&Flow>,
    ) -> Result<Session, StoreError> {
        self.write(|tx| {
            if let Some(flow) = completed_flow {
                super::flows::update_flow_row(tx, flow)?;
            }
            if let Some((credential, expected_version)) = credential_update {
                if credential.identity_id != session.identity_id {
                    return Err(StoreError::InvalidArgument(
                        "the credential and the session belong to different identities",
                    ));
                }
                store_credential(tx, credential, Some(expected_version))?;
            }
            if session_is_new {
                insert_session(tx, session)?;
            } else {
                update_session_row(tx, session)?;
                // A renewed session may carry a new token (`session.rotate_on_aal_change`).
                tx.prepare_cached("UPDATE sessions SET token_hash = ?2 WHERE id = ?1")?
                    .execute(params![uuid_text(session.id), &session.token_hash[..]])?;
            }
            load_session(tx, session.id)?.ok_or(StoreError::NotFound)
        })
    }
}

#[async_trait]
impl SessionRepository for SqliteStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let session = session.clone();
        self.blocking(move |db| db.create_session(&session)).await
    }

    async fn get_session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.inline(|db| db.get_session(id))
    }

    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StoreError> {
        self.inline(|db| db.session_by_token_hash(token_hash))
    }

    async fn session_with_identity_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        self.inline(|db| db.session_with_identity_by_token_hash(token_hash))
    }

    async fn session_with_identity(
        &self,
        id: Uuid,
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        self.inline(|db| db.session_with_identity(id))
    }

    async fn update_session(&self, session: &Session) -> Result<(), StoreError> {
        let session = session.clone();
        self.blocking(move |db| db.update_session(&session)).await
    }

    async fn sessions_of(&self, identity_id: Uuid) -> Result<Vec<Session>, StoreError> {
        self.blocking(move |db| db.sessions_of(identity_id)).await
    }

    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Session>, StoreError> {
        let filter = *filter;
        self.blocking(move |db| db.list_sessions(&filter, page_size, after))
            .await
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.blocking(move |db| db.extend_session(id, expires_at))
            .await
    }

    async fn delete_sessions_of(&self, identity_id: Uuid) -> Result<usize, StoreError> {
        self.blocking(move |db| db.delete_sessions_of(identity_id))
            .await
    }

    async fn delete_expired_sessions(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.blocking(move |db| db.delete_expired_sessions(before, limit))
            .await
    }

    async fn deactivate_session(&self, id: Uuid) -> Result<bool, StoreError> {
        self.blocking(move |db| db.deactivate_session(id)).await
    }

    async fn commit_authentication(
        &self,
        credential_update: Option<(&Credential, u32)>,
        session: &Session,
        session_is_new: bool,
        completed_flow: Option<&Flow>,
    ) -> Result<Session, StoreError> {
        let update = credential_update.map(|(credential, version)| (credential.clone(), version));
        let (session, flow) = (session.clone(), completed_flow.cloned());
        self.blocking(move |db| {
            let update = update
                .as_ref()
                .map(|(credential, version)| (credential, *version));
            db.commit_authentication(update, &session, session_is_new, flow.as_ref())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::model::{AuthMethod, Identity};
    use chrono::Duration;

    fn with_password(store: &Database) -> (Identity, Credential) {
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        store
            .create_identity(&identity, std::slice::from_ref(&password))
            .unwrap();
        (identity, password)
    }

    #[test]
    fn session_round_trip() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let session = session(identity.id);
        store.create_session(&session).unwrap();

        assert_eq!(
            store.get_session(session.id).unwrap(),
            Some(session.clone())
        );
        assert_eq!(
            store.session_by_token_hash(&session.token_hash).unwrap(),
            Some(session.clone())
        );
        assert_eq!(store.session_by_token_hash(&[7u8; 32]).unwrap(), None);
        assert_eq!(store.get_session(Uuid::new_v4()).unwrap(), None);
    }

    #[test]
    fn session_for_missing_identity_is_not_found() {
        let (_dir, store) = temp_store();
        let result = store.create_session(&session(Uuid::new_v4()));
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }

    #[test]
    fn update_session_keeps_token_and_owner() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let original = session(identity.id);
        store.create_session(&original).unwrap();

        let mut changed = original.clone();
        changed.aal = Aal::Aal2;
        changed.expires_at = original.expires_at + Duration::hours(1);
        changed.methods.push(AuthMethod {
            method: "totp".into(),
            aal: Aal::Aal2,
            completed_at: at(20),
            provider: Some("app".into()),
        });
        changed.devices.clear();
        changed.token_hash = [9u8; 32];
        store.update_session(&changed).unwrap();

        let stored = store.get_session(original.id).unwrap().unwrap();
        assert_eq!(
            stored,
            Session {
                token_hash: original.token_hash,
                ..changed
            }
        );
        let missing = store.update_session(&session(identity.id));
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    }

    #[test]
    fn sessions_of_lists_oldest_first_and_deactivate_reports_change() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let mut late = session(identity.id);
        late.issued_at = at(100);
        let early = session(identity.id);
        store.create_session(&late).unwrap();
        store.create_session(&early).unwrap();

        let listed = store.sessions_of(identity.id).unwrap();
        assert_eq!(listed, vec![early.clone(), late.clone()]);

        assert!(store.deactivate_session(early.id).unwrap());
        assert!(!store.deactivate_session(early.id).unwrap());
        assert!(!store.deactivate_session(Uuid::new_v4()).unwrap());
        assert!(!store.get_session(early.id).unwrap().unwrap().active);
        assert!(store.get_session(late.id).unwrap().unwrap().active);
    }

    #[test]
    fn list_sessions_pages_in_id_order() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let mut ids: Vec<Uuid> = (0..5)
            .map(|_| {
                let session = session(identity.id);
                store.create_session(&session).unwrap();
                session.id
            })
            .collect();
        ids.sort();
        let all = SessionFilter {
            identity_id: None,
            active: None,
            now: at(20),
        };
        let page = |size, after| -> Vec<Uuid> {
            store
                .list_sessions(&all, size, after)
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(page(2, None), ids[..2]);
        assert_eq!(page(2, Some(ids[1])), ids[2..4]);
        assert_eq!(page(10, Some(ids[3])), ids[4..]);
        assert!(page(10, Some(ids[4])).is_empty());
        let first = store.list_sessions(&all, 1, None).unwrap();
        assert_eq!(first, vec![store.get_session(ids[0]).unwrap().unwrap()]);
    }

    #[test]
    fn list_sessions_filters_by_identity_and_activity() {
        let (_dir, store) = temp_store();
        let (ada, _) = with_password(&store);
        let grace = identity("g@example.com");
        store.create_identity(&grace, &[]).unwrap();

        let live = session(ada.id);
        let revoked = session(ada.id);
        let mut expired = session(ada.id);
        expired.expires_at = at(15);
        let other = session(grace.id);
        for s in [&live, &revoked, &expired, &other] {
            store.create_session(s).unwrap();
        }
        store.deactivate_session(revoked.id).unwrap();

        let list = |identity_id, active| -> Vec<Uuid> {
            let filter = SessionFilter {
                identity_id,
                active,
                now: at(20),
            };
            let mut ids: Vec<Uuid> = store
                .list_sessions(&filter, 100, None)
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            ids.sort();
            ids
        };
        let sorted = |mut v: Vec<Uuid>| {
            v.sort();
            v
        };
        assert_eq!(
            list(Some(ada.id), None),
            sorted(vec![live.id, revoked.id, expired.id])
        );
        assert_eq!(list(Some(ada.id), Some(true)), vec![live.id]);
        assert_eq!(
            list(Some(ada.id), Some(false)),
            sorted(vec![revoked.id, expired.id])
        );
        assert_eq!(list(None, Some(true)), sorted(vec![live.id, other.id]));
        assert_eq!(list(Some(Uuid::new_v4()), None), Vec::<Uuid>::new());

        // The sessions of a disabled identity are not in use.
        let mut disabled = grace.clone();
        disabled.state = crate::model::IdentityState::Inactive;
        store.update_identity(&disabled).unwrap();
        assert_eq!(list(None, Some(true)), vec![live.id]);
        assert_eq!(list(Some(grace.id), Some(false)), vec![other.id]);
    }

    #[test]
    fn extend_session_moves_the_expiry_of_active_sessions_only() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let live = session(identity.id);
        let revoked = session(identity.id);
        store.create_session(&live).unwrap();
        store.create_session(&revoked).unwrap();
        store.deactivate_session(revoked.id).unwrap();

        assert!(store.extend_session(live.id, at(9_000)).unwrap());
        assert_eq!(
            store.get_session(live.id).unwrap().unwrap(),
            Session {
                expires_at: at(9_000),
                ..live
            }
        );
        assert!(!store.extend_session(revoked.id, at(9_000)).unwrap());
        assert_eq!(
            store.get_session(revoked.id).unwrap().unwrap().expires_at,
            revoked.expires_at
        );
        assert!(!store.extend_session(Uuid::new_v4(), at(9_000)).unwrap());
    }

    #[test]
    fn delete_sessions_of_removes_only_that_identity() {
        let (_dir, store) = temp_store();
        let (ada, _) = with_password(&store);
        let grace = identity("g@example.com");
        store.create_identity(&grace, &[]).unwrap();
        let (a1, a2, g1) = (session(ada.id), session(ada.id), session(grace.id));
        for s in [&a1, &a2, &g1] {
            store.create_session(s).unwrap();
        }
        assert_eq!(store.delete_sessions_of(ada.id).unwrap(), 2);
        assert_eq!(store.delete_sessions_of(ada.id).unwrap(), 0);
        assert!(store.sessions_of(ada.id).unwrap().is_empty());
        assert_eq!(store.sessions_of(grace.id).unwrap(), vec![g1]);
    }

    #[test]
    fn commit_authentication_updates_credential_and_creates_session() {
        let (_dir, store) = temp_store();
        let (identity, password) = with_password(&store);
        let mut rehashed = password.clone();
        rehashed.config = r#"{"hashed_password":"rehashed"}"#.into();
        let session = session(identity.id);

        let stored = store
            .commit_authentication(Some((&rehashed, 1)), &session, true, None)
            .unwrap();
        assert_eq!(stored, session);
        let credential = store.credential(identity.id, "password").unwrap().unwrap();
        assert_eq!(
            (credential.version, credential.config),
            (2, rehashed.config)
        );
    }

    #[test]
    fn commit_authentication_is_atomic_on_conflict() {
        let (_dir, store) = temp_store();
        let (identity, password) = with_password(&store);
        let session = session(identity.id);

        let result = store.commit_authentication(Some((&password, 7)), &session, true, None);
        assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
        assert_eq!(store.get_session(session.id).unwrap(), None);
        assert_eq!(
            store.session_by_token_hash(&session.token_hash).unwrap(),
            None
        );
        assert_eq!(
            store.credential(identity.id, "password").unwrap(),
            Some(password)
        );
    }

    #[test]
    fn commit_authentication_rolls_back_credential_when_session_fails() {
        let (_dir, store) = temp_store();
        let (identity, password) = with_password(&store);
        let session = session(identity.id);
        store.create_session(&session).unwrap();

        let mut rehashed = password.clone();
        rehashed.config = "{}".into();
        let result = store.commit_authentication(Some((&rehashed, 1)), &session, true, None);
        assert!(
            result.is_err(),
            "inserting the same session twice should fail"
        );
        assert_eq!(
            store.credential(identity.id, "password").unwrap(),
            Some(password)
        );
    }

    #[test]
    fn commit_authentication_updates_an_existing_session() {
        let (_dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let mut session = session(identity.id);
        store.create_session(&session).unwrap();

        session.aal = Aal::Aal2;
        session.authenticated_at = at(30);
        let stored = store
            .commit_authentication(None, &session, false, None)
            .unwrap();
        assert_eq!(stored, session);
        assert_eq!(store.get_session(session.id).unwrap(), Some(session));
    }

    #[test]
    fn corrupt_session_rows_are_reported_without_the_hash() {
        let (dir, store) = temp_store();
        let (identity, _) = with_password(&store);
        let session = session(identity.id);
        store.create_session(&session).unwrap();
        let raw = raw_connection(&dir);

        raw.execute("UPDATE sessions SET token_hash = x'0102'", [])
            .unwrap();
        let result = store.get_session(session.id);
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");

        raw.execute(
            "UPDATE sessions SET token_hash = ?1, aal = 'aal9'",
            params![&session.token_hash[..]],
        )
        .unwrap();
        let err = store
            .session_by_token_hash(&session.token_hash)
            .unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

        raw.execute("UPDATE sessions SET aal = 'aal1', methods = '[{}]'", [])
            .unwrap();
        let err = store.sessions_of(identity.id).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    }
}
