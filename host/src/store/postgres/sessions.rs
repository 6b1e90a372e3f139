//! placeholder
#![allow(unused)]
use super::PgStore;
use crate::model::{Credential, Flow, Identity, Session};
use crate::store::StoreError;
use crate::store::{SessionFilter, SessionRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
#[async_trait]
impl SessionRepository for PgStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        todo!()
    }
    async fn get_session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        todo!()
    }
    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StoreError> {
        todo!()
    }
    async fn session_with_identity_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        todo!()
    }
    async fn session_with_identity(
        &self,
        id: Uuid,
    ) -> Result<Option<(Session, Identity)>, StoreError> {
        todo!()
    }
    async fn update_session(&self, session: &Session) -> Result<(), StoreError> {
        todo!()
    }
    async fn sessions_of(&self, identity_id: Uuid) -> Result<Vec<Session>, StoreError> {
        todo!()
    }
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<Session>, StoreError> {
        todo!()
    }
    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        todo!()
    }
    async fn delete_sessions_of(&self, identity_id: Uuid) -> Result<usize, StoreError> {
        todo!()
    }
    async fn delete_expired_sessions(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        todo!()
    }
    async fn deactivate_session(&self, id: Uuid) -> Result<bool, StoreError> {
        todo!()
    }
    async fn commit_authentication(
        &self,
        credential_update: Option<(&Credential, u32)>,
        session: &Session,
        session_is_new: bool,
        completed_flow: Option<&Flow>,
    ) -> Result<Session, StoreError> {
        todo!()
    }
}
