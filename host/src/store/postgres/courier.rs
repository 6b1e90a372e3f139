//! The courier's outbox and its delivery attempts. No cache reads them, so their writes tell
//! no cache; queueing may write a flow, so it does.

use super::codec::{corrupt, execute, get, parse_enum, query};
use super::flows::update_flow_row;
use super::{PgStore, StoreError};
use crate::model::Flow;
use crate::store::courier::{
    CourierMessage, CourierRepository, DispatchStatus, MessageDispatch, MessageFilter,
    MessageStatus, MessageType, NewCourierMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

/// The message's columns as [`decode_message`] reads them, for `courier_messages m`.
macro_rules! message_columns {
    () => {
        "m.id, m.status, m.type, m.channel, m.recipient, m.subject, m.body, m.html_body, \
         m.template_type, m.template_data, m.identity_id, m.send_count, m.created_at, \
         m.updated_at, m.next_attempt_at"
    };
}

/// How many columns [`message_columns!`] selects.
const MESSAGE_COLUMNS: usize = 15;

fn decode_message(row: &Row) -> Result<CourierMessage, StoreError> {
    let status: &str = get(row, 1, "courier_messages.status")?;
    let message_type: &str = get(row, 2, "courier_messages.type")?;
    let send_count: i64 = get(row, 11, "courier_messages.send_count")?;
    Ok(CourierMessage {
        id: get(row, 0, "courier_messages.id")?,
        status: parse_enum("courier_messages.status", status, MessageStatus::parse)?,
        message_type: parse_enum("courier_messages.type", message_type, MessageType::parse)?,
        channel: get(row, 3, "courier_messages.channel")?,
        recipient: get(row, 4, "courier_messages.recipient")?,
        subject: get(row, 5, "courier_messages.subject")?,
        body: get(row, 6, "courier_messages.body")?,
        html_body: get(row, 7, "courier_messages.html_body")?,
        template_type: get(row, 8, "courier_messages.template_type")?,
        template_data: get(row, 9, "courier_messages.template_data")?,
        identity_id: get(row, 10, "courier_messages.identity_id")?,
        send_count: u32::try_from(send_count)
            .map_err(|_| corrupt("courier_messages.send_count", "is out of range"))?,
        created_at: get(row, 12, "courier_messages.created_at")?,
        updated_at: get(row, 13, "courier_messages.updated_at")?,
        next_attempt_at: get(row, 14, "courier_messages.next_attempt_at")?,
        dispatches: Vec::new(),
    })
}

/// The dispatch in `row`'s columns from `first` on: `id, message_id, status, error,
/// created_at`.
fn decode_dispatch(row: &Row, first: usize) -> Result<MessageDispatch, StoreError> {
    let status: &str = get(row, first + 2, "courier_message_dispatches.status")?;
    let error: Option<&str> = get(row, first + 3, "courier_message_dispatches.error")?;
    Ok(MessageDispatch {
        id: get(row, first, "courier_message_dispatches.id")?,
        message_id: get(row, first + 1, "courier_message_dispatches.message_id")?,
        status: parse_enum(
            "courier_message_dispatches.status",
            status,
            DispatchStatus::parse,
        )?,
        // A TEXT column: the serde message is left out because it may quote the stored value.
        error: error
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("courier_message_dispatches.error", "is not valid JSON"))?,
        created_at: get(row, first + 4, "courier_message_dispatches.created_at")?,
    })
}

async fn insert_message(
    client: &impl GenericClient,
    message: &NewCourierMessage,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO courier_messages (id, status, type, channel, recipient, subject, body, \
         html_body, template_type, template_data, identity_id, send_count, created_at, \
         updated_at, next_attempt_at) \
         VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11, $11)",
        &[
            &message.id,
            &message.message_type.as_str(),
            &message.channel,
            &message.recipient,
            &message.subject,
            &message.body,
            &message.html_body,
            &message.template_type,
            &message.template_data,
            &message.identity_id,
            &message.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// Records one attempt at delivering the message, after its row was updated: a message that
/// is gone is [`StoreError::NotFound`] before anything is recorded.
async fn insert_dispatch(
    client: &impl GenericClient,
    message_id: Uuid,
    status: DispatchStatus,
    error: Option<&Value>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO courier_message_dispatches (id, message_id, status, error, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &Uuid::new_v4(),
            &message_id,
            &status.as_str(),
            &error.map(Value::to_string),
            &at,
        ],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl CourierRepository for PgStore {
    async fn enqueue_messages(
        &self,
        messages: &[NewCourierMessage],
        flow: Option<&Flow>,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            if let Some(flow) = flow {
                update_flow_row(tx, flow).await?;
            }
            for message in messages {
                insert_message(tx, message).await?;
            }
            Ok(())
        })
        .await
    }

    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        let lease_end = now + lease;
        self.write_unseen(async |tx| {
            // Rows another sender has locked are skipped rather than waited for, and a row
            // another sender claimed and committed since this statement's snapshot is
            // rechecked against the condition and left out: no message goes to two senders.
            let rows = query(
                tx,
                concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM courier_messages m \
                     WHERE m.status IN ('queued', 'processing') AND m.next_attempt_at <= $1 \
                     ORDER BY m.next_attempt_at, m.id LIMIT $2 FOR UPDATE SKIP LOCKED"
                ),
                &[&now, &(limit as i64)],
            )
            .await?;
            let mut claimed = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut message = decode_message(row)?;
                message.status = MessageStatus::Processing;
                message.next_attempt_at = lease_end;
                message.updated_at = now;
                claimed.push(message);
            }
            if claimed.is_empty() {
                return Ok(claimed);
            }
            let ids: Vec<Uuid> = claimed.iter().map(|m| m.id).collect();
            execute(
                tx,
                "UPDATE courier_messages SET status = 'processing', next_attempt_at = $2, \
                 updated_at = $3 WHERE id = ANY($1)",
                &[&ids, &lease_end, &now],
            )
            .await?;
            Ok(claimed)
        })
        .await
    }

    async fn record_dispatch_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write_unseen(async |tx| {
            let changed = execute(
                tx,
                "UPDATE courier_messages SET status = 'sent', updated_at = $2 WHERE id = $1",
                &[&id, &at],
            )
            .await?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            insert_dispatch(tx, id, DispatchStatus::Success, None, at).await
        })
        .await
    }

    async fn record_dispatch_failure(
        &self,
        id: Uuid,
        error: &Value,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let (status, next) = match retry_at {
            Some(retry_at) => (MessageStatus::Queued, retry_at),
            None => (MessageStatus::Abandoned, at),
        };
        self.write_unseen(async |tx| {
            let changed = execute(
                tx,
                "UPDATE courier_messages SET status = $2, send_count = send_count + 1, \
                 next_attempt_at = $3, updated_at = $4 WHERE id = $1",
                &[&id, &status.as_str(), &next, &at],
            )
            .await?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            insert_dispatch(tx, id, DispatchStatus::Failed, Some(error), at).await
        })
        .await
    }

    async fn list_messages(
        &self,
        filter: &MessageFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        // Unset filters compare a column with itself, so one statement serves every
        // combination; the keyset is (created_at, id), the listing's order, and an unknown
        // `after` compares with NULL, which keeps nothing.
        let client = self.client().await?;
        let status = filter.status.map(MessageStatus::as_str);
        let limit = i64::from(page_size);
        let rows = match after {
            None => {
                query(
                    &client,
                    concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM courier_messages m \
                         WHERE m.status = coalesce($1, m.status) \
                         AND m.recipient = coalesce($2, m.recipient) \
                         ORDER BY m.created_at DESC, m.id DESC LIMIT $3"
                    ),
                    &[&status, &filter.recipient, &limit],
                )
                .await?
            }
            Some(after) => {
                query(
                    &client,
                    concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM courier_messages m \
                         WHERE m.status = coalesce($1, m.status) \
                         AND m.recipient = coalesce($2, m.recipient) \
                         AND (m.created_at, m.id) < (SELECT created_at, id \
                                                     FROM courier_messages WHERE id = $4) \
                         ORDER BY m.created_at DESC, m.id DESC LIMIT $3"
                    ),
                    &[&status, &filter.recipient, &limit, &after],
                )
                .await?
            }
        };
        rows.iter().map(decode_message).collect()
    }

    async fn get_message(&self, id: Uuid) -> Result<Option<CourierMessage>, StoreError> {
        // One statement, one row per dispatch (or one without), so the message and its
        // dispatches are of one snapshot: a message marked sent comes with its dispatch.
        let rows = query(
            &self.client().await?,
            concat!(
                "SELECT ",
                message_columns!(),
                ", d.id, d.message_id, d.status, d.error, d.created_at \
                 FROM courier_messages m \
                 LEFT JOIN courier_message_dispatches d ON d.message_id = m.id \
                 WHERE m.id = $1 ORDER BY d.created_at, d.id"
            ),
            &[&id],
        )
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut message = decode_message(first)?;
        for row in &rows {
            let dispatch: Option<Uuid> =
                get(row, MESSAGE_COLUMNS, "courier_message_dispatches.id")?;
            if dispatch.is_some() {
                message
                    .dispatches
                    .push(decode_dispatch(row, MESSAGE_COLUMNS)?);
            }
        }
        Ok(Some(message))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::two_stores;
    use super::*;
    use crate::store::fixtures::{at, courier_message};
    use std::collections::HashSet;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn senders_on_two_nodes_never_take_the_same_message() {
        let (first, second) = two_stores().await;
        let messages: Vec<NewCourierMessage> = (0..60)
            .map(|i| courier_message(&format!("{i}@example.com"), at(i)))
            .collect();
        first.enqueue_messages(&messages, None).await.unwrap();

        let drain = |store: PgStore| async move {
            let mut taken = Vec::new();
            loop {
                let claimed = store
                    .claim_due_messages(at(100), 3, Duration::minutes(5))
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return taken;
                }
                taken.extend(claimed.into_iter().map(|m| m.id));
            }
        };
        let senders: Vec<_> = [first.clone(), first, second.clone(), second]
            .into_iter()
            .map(|store| tokio::spawn(drain(store)))
            .collect();
        let mut taken = Vec::new();
        for sender in senders {
            taken.extend(sender.await.unwrap());
        }
        let distinct: HashSet<Uuid> = taken.iter().copied().collect();
        assert_eq!(distinct.len(), taken.len(), "a message was taken twice");
        assert_eq!(
            distinct,
            messages.iter().map(|m| m.id).collect(),
            "every message was taken"
        );
    }
}
