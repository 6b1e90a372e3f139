//! Moving a deployment from one database to another (a SQLite file onto PostgreSQL, say)
//! through the port, so that it works between any two backends.
//!
//! What a deployment keeps for good is copied: identities with their credentials and
//! addresses, and sessions, so that nobody is signed out. What lives for minutes is not:
//! self-service flows (a user in the middle of one starts it again), stored errors, sign-in
//! failure counts and the courier's outbox. Credentials start again at version 1; versions
//! only order writes within one database. Stop the servers on the old database first, or
//! what they write meanwhile is left behind.

use super::{SessionFilter, Store, StoreError};
use chrono::Utc;

/// How much [`copy`] copied, and how much it found already there (a second run after an
/// interruption skips what the first one copied).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub identities: usize,
    pub sessions: usize,
    pub already_there: usize,
}

/// Rows read per page: bounded memory whatever the size of the database.
const PAGE: u32 = 500;

/// Copies identities (with credentials) and then sessions from `from` to `to`, which must be
/// migrated; rows `to` already has are left as they are.
pub async fn copy(from: &dyn Store, to: &dyn Store) -> Result<Copied, StoreError> {
    let mut copied = Copied::default();
    let mut after = None;
    loop {
        let page = from.list_identities(PAGE, after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for identity in &page {
            if to.get_identity(identity.id).await?.is_some() {
                copied.already_there += 1;
                continue;
            }
            let credentials = from.credentials_of(identity.id).await?;
            to.create_identity(identity, &credentials).await?;
            copied.identities += 1;
        }
    }
    let every_session = SessionFilter {
        identity_id: None,
        active: None,
        now: Utc::now(),
    };
    let mut after = None;
    loop {
        let page = from.list_sessions(&every_session, PAGE, after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for session in &page {
            if to.get_session(session.id).await?.is_some() {
                copied.already_there += 1;
                continue;
            }
            to.create_session(session).await?;
            copied.sessions += 1;
        }
    }
    Ok(copied)
}
