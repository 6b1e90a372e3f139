//! The courier's messages as the admin API shows them (Kratos' `message` and
//! `messageDispatch`).

use crate::admin::pagination::PageRequest;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::http::query::QueryParams;
use crate::store::Store;
use crate::store::courier::{CourierMessage, MessageDispatch, MessageFilter, MessageStatus};
use serde_json::{Value, json};
use uuid::Uuid;

/// The `status` and `recipient` filters; an unknown status is a 400, as Kratos answers it.
pub fn filter(query: &QueryParams) -> Result<MessageFilter, ApiError> {
    let status = query
        .first_given("status")
        .map(|raw| {
            MessageStatus::parse(raw).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Message status `{raw}` is not one of queued, processing, sent, abandoned"
                ))
            })
        })
        .transpose()?;
    Ok(MessageFilter {
        status,
        recipient: query.first_given("recipient").map(str::to_owned),
    })
}

/// What Kratos shows instead of a message's subject and body outside development mode: they
/// carry one-time codes and links.
pub const REDACTED: &str = "<redacted-unless-dev-mode>";

/// Whether subjects and bodies are shown (development mode) or [`REDACTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    Shown,
    Redacted,
}

/// A page of messages, newest first, and the id the next page starts after.
pub async fn list(
    store: &dyn Store,
    filter: &MessageFilter,
    page: PageRequest,
    contents: Contents,
) -> Result<(Vec<Value>, Option<Uuid>), DomainError> {
    let rows = store
        .list_messages(filter, page.fetch_size(), page.after)
        .await?;
    let (rows, next) = page.cut(rows, |m| m.id);
    Ok((rows.iter().map(|m| to_json(m, contents)).collect(), next))
}

/// One message with its dispatches; 404 when there is none.
pub async fn get(store: &dyn Store, id: Uuid, contents: Contents) -> Result<Value, DomainError> {
    match store.get_message(id).await? {
        Some(message) => Ok(to_json(&message, contents)),
        None => {
            Err(ApiError::not_found(format!("Unable to locate the courier message `{id}`.")).into())
        }
    }
}

/// Kratos' `message`: the stored subject and plaintext body (or [`REDACTED`]), `dispatches`
/// only when read one by one (Kratos' list leaves them out too).
pub fn to_json(message: &CourierMessage, contents: Contents) -> Value {
    let (subject, body) = match contents {
        Contents::Shown => (message.subject.as_str(), message.body.as_str()),
        Contents::Redacted => (REDACTED, REDACTED),
    };
    let mut json = json!({
        "id": message.id,
        "status": message.status.as_str(),
        "type": message.message_type.as_str(),
        "channel": message.channel,
        "recipient": message.recipient,
        "subject": subject,
        "body": body,
        "template_type": message.template_type,
        "send_count": message.send_count,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    });
    if !message.dispatches.is_empty() {
        json["dispatches"] = message.dispatches.iter().map(dispatch_json).collect();
    }
    json
}

fn dispatch_json(dispatch: &MessageDispatch) -> Value {
    let mut json = json!({
        "id": dispatch.id,
        "message_id": dispatch.message_id,
        "status": dispatch.status.as_str(),
        "created_at": dispatch.created_at,
        "updated_at": dispatch.created_at,
    });
    if let Some(error) = &dispatch.error {
        json["error"] = error.clone();
    }
    json
}
