//! Sessions, looked up by the SHA-256 of their token, and the atomic end of a login.

use super::codec::{corrupt, execute, from_json, get, parse_enum, query, query_opt, to_json};
use super::credentials::store_credential;
use super::flows::update_flow_row;
use super::identities::{decode_identity, identity_columns};
use super::{PgStore, StoreError};
use crate::model::{Aal, Credential, Flow, Identity, Session};
use crate::store::{SessionFilter, SessionRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// The session's columns as [`decode_session`] reads them, for `sessions s`.
macro_rules! session_columns {
    () => {
        "s.id, s.token_hash, s.identity_id, s.active, s.aal, s.authenticated_at, s.issued_at, \
         s.expires_at, s.methods, s.devices"
    };
}

/// How many columns [`session_columns!`] selects.
const SESSION_COLUMNS: usize = 10;

fn decode_session(row: &Row, first: usize) -> Result<Session, StoreError> {
    let token_hash: &[u8] = get(row, first + 1, "sessions.token_hash")?;
    let aal: &str = get(row, first + 4, "sessions.aal")?;
    Ok(Session {
        id: get(row, first, "sessions.id")?,
        token_hash: token_hash
            .try_into()
            .map_err(|_| corrupt("sessions.token_hash", "is not 32 bytes long"))?,
        identity_id: get(row, first + 2, "sessions.identity_id")?,
        active: get(row, first + 3, "sessions.active")?,
        aal: parse_enum("sessions.aal", aal, Aal::parse)?,
        authenticated_at: get(row, first + 5, "sessions.authenticated_at")?,
        issued_at: get(row, first + 6, "sessions.issued_at")?,
        expires_at: get(row, first + 7, "sessions.expires_at")?,
        methods: from_json("sessions.methods", get(row, first + 8, "sessions.methods")?)?,
        devices: from_json("sessions.devices", get(row, first + 9, "sessions.devices")?)?,
    })
}

/// A session and its identity, from a row that selects [`session_columns!`] then
/// [`identity_columns!`].
fn decode_pair(row: &Row) -> Result<(Session, Identity), StoreError> {
    Ok((
        decode_session(row, 0)?,
        decode_identity(row, SESSION_COLUMNS)?,
    ))
}

async fn load_session(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Session>, StoreError> {
    query_opt(
        client,
        concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions s WHERE s.id = $1"
        ),
        &[&id],
    )
    .await?
    .map(|row| decode_session(&row, 0))
    .transpose()
}

async fn insert_session(client: &impl GenericClient, session: &Session) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO sessions (id, token_hash, identity_id, active, aal, authenticated_at, \
             issued_at, expires_at, methods, devices) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &session.id,
                &&session.token_hash[..],
                &session.identity_id,
                &session.active,
                &session.aal.as_str(),
                &session.authenticated_at,
                &session.issued_at,
                &session.expires_at,
                &to_json("sessions.methods", &session.methods)?,
                &to_json("sessions.devices", &session.devices)?,
            ],
        )
        .await
        .map_err(|err| {
            // The only foreign key is the identity; it vanishing is the caller's "not found".
            if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
                StoreError::NotFound
            } else {
                StoreError::from(err)
            }
        })?;
    Ok(())
}

/// The token hash and owner are fixed at creation: a session never moves to another identity
/// and its token is never rotated.
async fn update_session_row(
    client: &impl GenericClient,
    session: &Session,
) -> Result<(), StoreError> {
    let changed = execute(
        client,
        "UPDATE sessions SET active = $2, aal = $3, authenticated_at = $4, issued_at = $5, \
         expires_at = $6, methods = $7, devices = $8 WHERE id = $1",
        &[
            &session.id,
            &session.active,
            &session.aal.as_str(),
            &session.authenticated_at,
            &session.issued_at,
            &session.expires_at,
            &to_json("sessions.methods", &session.methods)?,
            &to_json("sessions.devices", &session.devices)?,
        ],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl SessionRepository for PgStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.write(async |tx| insert_session(tx, session).await)
            .await
    }

    async fn get_session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        load_session(&self.client().await?, id).await
    }

    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StoreError> {
        query_opt(
            &self.client().await?,
            concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions s WHERE s.token_hash = $1"
            ),
            &[&&token_hash[..]],
        )
        .await?
        .map(|row| decode_session(&row, 0))
        .transpose()
    }

    async fn session_with_identity_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        // One statement, so the pair is of one snapshot.
        query_opt(
            &self.client().await?,
            concat!(
                "SELECT ",
                session_columns!(),
                ", ",
                identity_columns!(),
                " FROM sessions s JOIN identities i ON i.id = s.identity_id \
                 WHERE s.token_hash = $1"
            ),
            &[&&token_hash[..]],
        )
        .await?
        .map(|row| decode_pair(&row))
        .transpose()
    }

    async fn session_with_identity(
        &self,
        id: Uuid,
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        query_opt(
            &self.client().await?,
            concat!(
                "SELECT ",
                session_columns!(),
                ", ",
                identity_columns!(),
                " FROM sessions s JOIN identities i ON i.id = s.identity_id WHERE s.id = $1"
            ),
            &[&id],
        )
        .await?
        .map(|row| decode_pair(&row))
        .transpose()
    }

    async fn update_session(&self, session: &Session) -> Result<(), StoreError> {
        self.write(async |tx| update_session_row(tx, session).await)
            .await
    }

    async fn sessions_of(&self, identity_id: Uuid) -> Result<Vec<Session>, StoreError> {
        query(
            &self.client().await?,
            concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions s WHERE s.identity_id = $1 ORDER BY s.issued_at, s.id"
            ),
            &[&identity_id],
        )
        .await?
        .iter()
        .map(|row| decode_session(row, 0))
        .collect()
    }

    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Session>, StoreError> {
        // Only the conditions that apply are in the statement, so that each combination gets
        // a plan of its own: `$1 IS NULL OR s.identity_id = $1` would scan every session for
        // one identity's.
        let limit = i64::from(page_size);
        let mut conditions = Vec::new();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(identity_id) = &filter.identity_id {
            params.push(identity_id);
            conditions.push(format!("s.identity_id = ${}", params.len()));
        }
        if let Some(after) = &after {
            params.push(after);
            conditions.push(format!("s.id > ${}", params.len()));
        }
        if let Some(active) = filter.active {
            params.push(&filter.now);
            let in_use = format!(
                "(s.active AND s.expires_at > ${} AND i.state = 'active')",
                params.len()
            );
            conditions.push(if active {
                in_use
            } else {
                format!("NOT {in_use}")
            });
        }
        params.push(&limit);
        let mut sql = String::from(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions s JOIN identities i ON i.id = s.identity_id"
        ));
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY s.id LIMIT ${}", params.len()));
        query(&self.client().await?, &sql, &params)
            .await?
            .iter()
            .map(|row| decode_session(row, 0))
            .collect()
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let changed = execute(
                tx,
                "UPDATE sessions SET expires_at = $2 WHERE id = $1 AND active",
                &[&id, &expires_at],
            )
            .await?;
            Ok(changed > 0)
        })
        .await
    }

    async fn delete_sessions_of(&self, identity_id: Uuid) -> Result<usize, StoreError> {
        self.write(async |tx| {
            let deleted = execute(
                tx,
                "DELETE FROM sessions WHERE identity_id = $1",
                &[&identity_id],
            )
            .await?;
            Ok(deleted as usize)
        })
        .await
    }

    async fn delete_expired_sessions(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(async |tx| {
            let deleted = execute(
                tx,
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
                 WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
                &[&before, &(limit as i64)],
            )
            .await?;
            Ok(deleted as usize)
        })
        .await
    }

    async fn deactivate_session(&self, id: Uuid) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let changed = execute(
                tx,
                "UPDATE sessions SET active = false WHERE id = $1 AND active",
                &[&id],
            )
            .await?;
            Ok(changed > 0)
        })
        .await
    }

    async fn commit_authentication(
        &self,
        credential_update: Option<(&Credential, u32)>,
        session: &Session,
        session_is_new: bool,
        completed_flow: Option<&Flow>,
    ) -> Result<Session, StoreError> {
        if credential_update
            .is_some_and(|(credential, _)| credential.identity_id != session.identity_id)
        {
            return Err(StoreError::InvalidArgument(
                "the credential and the session belong to different identities",
            ));
        }
        self.write(async |tx| {
            if let Some(flow) = completed_flow {
                update_flow_row(tx, flow).await?;
            }
            if let Some((credential, expected_version)) = credential_update {
                store_credential(tx, credential, Some(expected_version)).await?;
            }
            if session_is_new {
                insert_session(tx, session).await?;
            } else {
                update_session_row(tx, session).await?;
                // A renewed session may carry a new token (`session.rotate_on_aal_change`).
                execute(
                    tx,
                    "UPDATE sessions SET token_hash = $2 WHERE id = $1",
                    &[&session.id, &&session.token_hash[..]],
                )
                .await?;
            }
            load_session(tx, session.id)
                .await?
                .ok_or(StoreError::NotFound)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fresh_store, two_stores};
    use super::*;
    use crate::store::fixtures::{at, credential, flow, identity, session};
    use crate::store::{CredentialRepository, FlowRepository, IdentityRepository};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_ending_logins_with_one_credential_version_store_one() {
        let (first, second) = two_stores().await;
        let identity = identity("a@example.com");
        let password = credential(identity.id, "password", &["a@example.com"]);
        first
            .create_identity(&identity, std::slice::from_ref(&password))
            .await
            .unwrap();
        let mut rehashed = password.clone();
        rehashed.config = r#"{"hashed_password":"rehashed"}"#.into();
        let login = |store: PgStore| {
            let (rehashed, session, flow) = (rehashed.clone(), session(identity.id), flow(at(600)));
            async move {
                store.insert_flow(&flow).await.unwrap();
                let result = store
                    .commit_authentication(Some((&rehashed, 1)), &session, true, Some(&flow))
                    .await;
                (result, session.id)
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(login(first.clone())),
            tokio::spawn(login(second.clone()))
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        let won: Vec<Uuid> = outcomes
            .iter()
            .filter_map(|(result, id)| result.is_ok().then_some(*id))
            .collect();
        assert_eq!(won.len(), 1, "one login stores its update");
        assert!(
            outcomes
                .iter()
                .any(|(result, _)| matches!(result, Err(StoreError::Conflict))),
            "the other finds the credential changed"
        );
        let sessions: Vec<Uuid> = second
            .sessions_of(identity.id)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(sessions, won);
        let stored = second
            .credential(identity.id, "password")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_hash_of_the_wrong_length_is_corrupt() {
        let store = fresh_store().await;
        let identity = identity("a@example.com");
        store.create_identity(&identity, &[]).await.unwrap();
        let session = session(identity.id);
        store.create_session(&session).await.unwrap();
        store
            .client()
            .await
            .unwrap()
            .execute("UPDATE sessions SET token_hash = '\\x0102'", &[])
            .await
            .unwrap();
        let result = store.get_session(session.id).await;
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    }
}
