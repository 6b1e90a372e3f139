//! Sessions, found by the SHA-256 of their token, and the atomic end of a login.

use super::StoreError;
use crate::model::{Credential, Flow, Identity, Session};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Which sessions [`SessionRepository::list_sessions`] returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionFilter {
    /// Only this identity's sessions.
    pub identity_id: Option<Uuid>,
    /// `Some(true)`: only sessions in use at `now` (not revoked, not expired, identity active);
    /// `Some(false)`: only the others; `None`: all.
    pub active: Option<bool>,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// [`StoreError::NotFound`] when the session's identity does not exist.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    async fn get_session(&self, id: Uuid) -> Result<Option<Session>, StoreError>;

    /// Finds a session, active or not, by the SHA-256 of its token.
    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StoreError>;

    /// The session with this token hash and its identity, read in one snapshot, so the pair
    /// is one that existed together; `None` when either is missing.
    async fn session_with_identity_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(Session, Identity)>, StoreError>;

    /// The session and its identity, read in one snapshot; `None` when either is missing.
    async fn session_with_identity(
        &self,
        id: Uuid,
    ) -> Result<Option<(Session, Identity)>, StoreError>;

    /// Replaces everything but `id`, `token_hash` and `identity_id`: a session never moves to
    /// another identity and its token is never rotated. [`StoreError::NotFound`] when there is
    /// no such session.
    async fn update_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The identity's sessions, oldest first.
    async fn sessions_of(&self, identity_id: Uuid) -> Result<Vec<Session>, StoreError>;

    /// One page of sessions in id order: up to `page_size` sessions with ids greater than
    /// `after`, narrowed by `filter`. Pass the last id of one page as `after` to get the next.
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Session>, StoreError>;

    /// Moves an active session's expiry to `expires_at`. Returns false, changing nothing, when
    /// there is no such session or it was revoked.
    async fn extend_session(&self, id: Uuid, expires_at: DateTime<Utc>)
    -> Result<bool, StoreError>;

    /// Deletes every session of the identity; returns how many there were.
    async fn delete_sessions_of(&self, identity_id: Uuid) -> Result<usize, StoreError>;

    /// Deletes at most `limit` sessions that expired strictly before `before`, oldest first;
    /// returns how many.
    async fn delete_expired_sessions(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError>;

    /// Returns true when this call turned an active session inactive; false when there is no
    /// such session or it was already inactive.
    async fn deactivate_session(&self, id: Uuid) -> Result<bool, StoreError>;

    /// Stores what a completed authentication changed in one transaction: the credential the
    /// plugin updated (a rehashed password, a consumed recovery code), checked against the
    /// version it was read at; the new (`session_is_new`) or stepped-up session, its token
    /// hash included (a step-up may rotate the token); and the flow marked completed, so a
    /// crash cannot leave a session whose flow could be submitted again. A conflict or any
    /// other failure leaves all three untouched. Returns the session as stored.
    async fn commit_authentication(
        &self,
        credential_update: Option<(&Credential, u32)>,
        session: &Session,
        session_is_new: bool,
        completed_flow: Option<&Flow>,
    ) -> Result<Session, StoreError>;
}
