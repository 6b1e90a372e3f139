//! Sessions over the admin API: list, read, disable, extend, and an identity's sessions.

use super::pagination::PageRequest;
use super::session_not_found;
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::http::query::QueryParams;
use crate::identity::wire::session_json;
use crate::model::{Identity, IdentityState, Session};
use crate::store::SessionFilter;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Kratos' `expand` parameter: which parts of a session the response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Expand {
    pub identity: bool,
    pub devices: bool,
}

impl Expand {
    pub const ALL: Expand = Expand {
        identity: true,
        devices: true,
    };

    pub fn from_query(query: &QueryParams) -> Result<Expand, ApiError> {
        let mut expand = Expand::default();
        for item in query.list("expand") {
            match item.to_ascii_lowercase().as_str() {
                "identity" => expand.identity = true,
                "devices" => expand.devices = true,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Could not parse expand option: {other}"
                    )));
                }
            }
        }
        Ok(expand)
    }
}

/// A session as the admin API shows it. It is active only while it is not revoked, not
/// expired, and its identity is active — the same rule `whoami` applies.
pub fn session_view(app: &App, session: &Session, identity: &Identity, expand: Expand) -> Value {
    let mut out = session_json(session, identity, &app.public_base, app.now());
    if identity.state != IdentityState::Active {
        out["active"] = Value::Bool(false);
    }
    if let Some(map) = out.as_object_mut() {
        if !expand.identity {
            map.remove("identity");
        }
        if !expand.devices {
            map.remove("devices");
        }
    }
    out
}

/// A page of sessions (all, or one identity's), filtered by `active`, and the id the next
/// page starts after. An identity that does not exist has no sessions: Kratos lists by
/// identity id without looking the identity up.
pub async fn list(
    app: &App,
    query: &QueryParams,
    page: PageRequest,
    identity_id: Option<Uuid>,
    expand: Expand,
) -> Result<(Vec<Value>, Option<Uuid>), DomainError> {
    let filter = SessionFilter {
        identity_id,
        active: query.strict_bool("active")?,
        now: app.now(),
    };
    let sessions = app
        .store
        .list_sessions(&filter, page.fetch_size(), page.after)
        .await?;
    let (sessions, next) = page.cut(sessions, |s| s.id);
    let mut identities: HashMap<Uuid, Identity> = HashMap::new();
    for session in &sessions {
        if !identities.contains_key(&session.identity_id)
            && let Some(identity) = app.store.get_identity(session.identity_id).await?
        {
            identities.insert(identity.id, identity);
        }
    }
    let views = sessions
        .iter()
        .filter_map(|s| {
            identities
                .get(&s.identity_id)
                .map(|i| session_view(app, s, i, expand))
        })
        .collect();
    Ok((views, next))
}

async fn load(app: &App, id: Uuid) -> Result<(Session, Identity), DomainError> {
    app.store
        .session_with_identity(id)
        .await?
        .ok_or_else(|| session_not_found(id).into())
}

pub async fn get(app: &App, id: Uuid, expand: Expand) -> Result<Value, DomainError> {
    let (session, identity) = load(app, id).await?;
    Ok(session_view(app, &session, &identity, expand))
}

/// `DELETE /admin/sessions/{id}`: the session stops working; its record stays. Disabling an
/// already disabled session succeeds.
pub async fn disable(app: &App, id: Uuid) -> Result<(), DomainError> {
    if app.store.get_session(id).await?.is_none() {
        return Err(session_not_found(id).into());
    }
    app.store.deactivate_session(id).await?;
    Ok(())
}

/// `PATCH /admin/sessions/{id}/extend`: the session now expires `session.lifespan` from now.
/// A revoked session cannot be extended (404, as Kratos answers for sessions it will not
/// extend).
pub async fn extend(app: &App, id: Uuid) -> Result<Value, DomainError> {
    let lifespan = chrono::Duration::from_std(app.config.session.lifespan)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let expires_at = app.now() + lifespan;
    if !app.store.extend_session(id, expires_at).await? {
        return Err(
            ApiError::not_found(format!("There is no active session `{id}` to extend.")).into(),
        );
    }
    let (session, identity) = load(app, id).await?;
    Ok(session_view(app, &session, &identity, Expand::ALL))
}

/// `DELETE /admin/identities/{id}/sessions`: deletes every session of the identity. Deleting
/// none is a 404, as in Kratos (its `DeleteSessionsByIdentity` treats zero rows as not found),
/// whether the identity is unknown or has no sessions.
pub async fn delete_for_identity(app: &App, identity_id: Uuid) -> Result<(), DomainError> {
    let deleted = app.store.delete_sessions_of(identity_id).await?;
    if deleted > 0 {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("The identity `{identity_id}` has no sessions.")).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_accepts_kratos_values_in_any_case() {
        let q = QueryParams::parse(Some("expand=Identity&expand=devices"));
        assert_eq!(Expand::from_query(&q).unwrap(), Expand::ALL);
        let none = QueryParams::parse(None);
        assert_eq!(Expand::from_query(&none).unwrap(), Expand::default());
        assert!(Expand::from_query(&QueryParams::parse(Some("expand=tokens"))).is_err());
    }
}
