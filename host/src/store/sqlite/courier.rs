//! The courier's outbox and its delivery attempts.

use super::codec::{
    from_json, parse_enum, parse_optional_uuid, parse_timestamp, parse_uuid, query_all,
    query_optional, timestamp, to_json, uuid_text,
};
use super::flows::update_flow_row;
use super::{Database, SqliteStore, StoreError};
use crate::model::Flow;
use crate::store::courier::{
    CourierMessage, CourierRepository, DispatchStatus, MessageDispatch, MessageFilter,
    MessageStatus, MessageType, NewCourierMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, Row, Transaction, params};
use serde_json::Value;
use uuid::Uuid;

macro_rules! select_message {
    () => {
        "SELECT id, status, type, channel, recipient, subject, body, html_body, template_type, \
         template_data, identity_id, send_count, created_at, updated_at, next_attempt_at \
         FROM courier_messages"
    };
}

struct MessageRow {
    id: String,
    status: String,
    message_type: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    html_body: Option<String>,
    template_type: String,
    template_data: String,
    identity_id: Option<String>,
    send_count: u32,
    created_at: String,
    updated_at: String,
    next_attempt_at: String,
}

impl MessageRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<MessageRow> {
        Ok(MessageRow {
            id: row.get(0)?,
            status: row.get(1)?,
            message_type: row.get(2)?,
            channel: row.get(3)?,
            recipient: row.get(4)?,
            subject: row.get(5)?,
            body: row.get(6)?,
            html_body: row.get(7)?,
            template_type: row.get(8)?,
            template_data: row.get(9)?,
            identity_id: row.get(10)?,
            send_count: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
            next_attempt_at: row.get(14)?,
        })
    }

    fn decode(self) -> Result<CourierMessage, StoreError> {
        Ok(CourierMessage {
            id: parse_uuid("courier_messages.id", &self.id)?,
            status: parse_enum(
                "courier_messages.status",
                &self.status,
                MessageStatus::parse,
            )?,
            message_type: parse_enum(
                "courier_messages.type",
                &self.message_type,
                MessageType::parse,
            )?,
            channel: self.channel,
            recipient: self.recipient,
            subject: self.subject,
            body: self.body,
            html_body: self.html_body,
            template_type: self.template_type,
            template_data: from_json("courier_messages.template_data", &self.template_data)?,
            identity_id: parse_optional_uuid(
                "courier_messages.identity_id",
                self.identity_id.as_deref(),
            )?,
            send_count: self.send_count,
            created_at: parse_timestamp("courier_messages.created_at", &self.created_at)?,
            updated_at: parse_timestamp("courier_messages.updated_at", &self.updated_at)?,
            next_attempt_at: parse_timestamp(
                "courier_messages.next_attempt_at",
                &self.next_attempt_at,
            )?,
            dispatches: Vec::new(),
        })
    }
}

struct DispatchRow {
    id: String,
    message_id: String,
    status: String,
    error: Option<String>,
    created_at: String,
}

impl DispatchRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<DispatchRow> {
        Ok(DispatchRow {
            id: row.get(0)?,
            message_id: row.get(1)?,
            status: row.get(2)?,
            error: row.get(3)?,
            created_at: row.get(4)?,
        })
    }

    fn decode(self) -> Result<MessageDispatch, StoreError> {
        Ok(MessageDispatch {
            id: parse_uuid("courier_message_dispatches.id", &self.id)?,
            message_id: parse_uuid("courier_message_dispatches.message_id", &self.message_id)?,
            status: parse_enum(
                "courier_message_dispatches.status",
                &self.status,
                DispatchStatus::parse,
            )?,
            error: self
                .error
                .map(|e| from_json("courier_message_dispatches.error", &e))
                .transpose()?,
            created_at: parse_timestamp("courier_message_dispatches.created_at", &self.created_at)?,
        })
    }
}

impl Database {
    /// Queues the messages, and writes the flow that caused them in the same transaction.
    pub fn enqueue_messages(
        &self,
        messages: &[NewCourierMessage],
        flow: Option<&Flow>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if let Some(flow) = flow {
                update_flow_row(tx, flow)?;
            }
            for message in messages {
                insert_message(tx, message)?;
            }
            Ok(())
        })
    }

    /// Marks the due messages processing until `now + lease` and returns them, oldest first.
    pub fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        let now_text = timestamp(&now);
        let lease_end = timestamp(&(now + lease));
        // Outside any cache's sight: no cache reads the outbox.
        self.write_unseen(|tx| {
            let rows = query_all(
                tx,
                concat!(
                    select_message!(),
                    " WHERE status IN ('queued', 'processing') AND next_attempt_at <= ?1 \
                     ORDER BY next_attempt_at, id LIMIT ?2"
                ),
                params![now_text, limit as i64],
                MessageRow::read,
            )?;
            let mut claimed = Vec::with_capacity(rows.len());
            let mut update = tx.prepare_cached(
                "UPDATE courier_messages SET status = 'processing', next_attempt_at = ?2, \
                 updated_at = ?3 WHERE id = ?1",
            )?;
            for row in rows {
                let mut message = row.decode()?;
                update.execute(params![uuid_text(message.id), lease_end, now_text])?;
                message.status = MessageStatus::Processing;
                message.next_attempt_at = now + lease;
                message.updated_at = now;
                claimed.push(message);
            }
            Ok(claimed)
        })
    }

    pub fn record_dispatch_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write_unseen(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE courier_messages SET status = 'sent', updated_at = ?2 WHERE id = ?1",
                )?
                .execute(params![uuid_text(id), timestamp(&at)])?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            insert_dispatch(tx, id, DispatchStatus::Success, None, at)
        })
    }

    pub fn record_dispatch_failure(
        &self,
        id: Uuid,
        error: &Value,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.write_unseen(|tx| {
            let (status, next) = match retry_at {
                Some(retry_at) => (MessageStatus::Queued, retry_at),
                None => (MessageStatus::Abandoned, at),
            };
            let changed = tx
                .prepare_cached(
                    "UPDATE courier_messages SET status = ?2, send_count = send_count + 1, \
                     next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1",
                )?
                .execute(params![
                    uuid_text(id),
                    status.as_str(),
                    timestamp(&next),
                    timestamp(&at)
                ])?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            insert_dispatch(tx, id, DispatchStatus::Failed, Some(error), at)
        })
    }

    /// Newest first; `after` is the last id of the previous page.
    pub fn list_messages(
        &self,
        filter: &MessageFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        self.read(|conn| {
            // Unset filters compare a column with itself, so one statement serves every
            // combination; the keyset is (created_at, id), the listing's order.
            let status = filter.status.map(MessageStatus::as_str);
            let rows = match after {
                None => query_all(
                    conn,
                    concat!(
                        select_message!(),
                        " WHERE status = coalesce(?1, status) \
                         AND recipient = coalesce(?2, recipient) \
                         ORDER BY created_at DESC, id DESC LIMIT ?3"
                    ),
                    params![status, filter.recipient, page_size],
                    MessageRow::read,
                )?,
                Some(after) => query_all(
                    conn,
                    concat!(
                        select_message!(),
                        " WHERE status = coalesce(?1, status) \
                         AND recipient = coalesce(?2, recipient) \
                         AND (created_at, id) < (SELECT created_at, id FROM courier_messages \
                                                 WHERE id = ?4) \
                         ORDER BY created_at DESC, id DESC LIMIT ?3"
                    ),
                    params![status, filter.recipient, page_size, uuid_text(after)],
                    MessageRow::read,
                )?,
            };
            rows.into_iter().map(MessageRow::decode).collect()
        })
    }

    pub fn get_message(&self, id: Uuid) -> Result<Option<CourierMessage>, StoreError> {
        self.read(|conn| {
            let Some(row) = query_optional(
                conn,
                concat!(select_message!(), " WHERE id = ?1"),
                params![uuid_text(id)],
                MessageRow::read,
            )?
            else {
                return Ok(None);
            };
            let mut message = row.decode()?;
            message.dispatches = dispatches_of(conn, id)?;
            Ok(Some(message))
        })
    }
}

fn insert_message(tx: &Transaction<'_>, message: &NewCourierMessage) -> Result<(), StoreError> {
    let created = timestamp(&message.created_at);
    tx.prepare_cached(
        "INSERT INTO courier_messages (id, status, type, channel, recipient, subject, body, \
         html_body, template_type, template_data, identity_id, send_count, created_at, \
         updated_at, next_attempt_at) \
         VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?11, ?11)",
    )?
    .execute(params![
        uuid_text(message.id),
        message.message_type.as_str(),
        message.channel,
        message.recipient,
        message.subject,
        message.body,
        message.html_body,
        message.template_type,
        to_json("courier_messages.template_data", &message.template_data)?,
        message.identity_id.map(uuid_text),
        created,
    ])?;
    Ok(())
}

fn insert_dispatch(
    tx: &Transaction<'_>,
    message_id: Uuid,
    status: DispatchStatus,
    error: Option<&Value>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO courier_message_dispatches (id, message_id, status, error, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        uuid_text(Uuid::new_v4()),
        uuid_text(message_id),
        status.as_str(),
        error
            .map(|e| to_json("courier_message_dispatches.error", e))
            .transpose()?,
        timestamp(&at),
    ])?;
    Ok(())
}

fn dispatches_of(conn: &Connection, message_id: Uuid) -> Result<Vec<MessageDispatch>, StoreError> {
    query_all(
        conn,
        "SELECT id, message_id, status, error, created_at FROM courier_message_dispatches \
         WHERE message_id = ?1 ORDER BY created_at, id",
        params![uuid_text(message_id)],
        DispatchRow::read,
    )?
    .into_iter()
    .map(DispatchRow::decode)
    .collect()
}

#[async_trait]
impl CourierRepository for SqliteStore {
    async fn enqueue_messages(
        &self,
        messages: &[NewCourierMessage],
        flow: Option<&Flow>,
    ) -> Result<(), StoreError> {
        let messages = messages.to_vec();
        let flow = flow.cloned();
        self.blocking(move |db| db.enqueue_messages(&messages, flow.as_ref()))
            .await
    }

    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        self.blocking(move |db| db.claim_due_messages(now, limit, lease))
            .await
    }

    async fn record_dispatch_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.blocking(move |db| db.record_dispatch_success(id, at))
            .await
    }

    async fn record_dispatch_failure(
        &self,
        id: Uuid,
        error: &Value,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let error = error.clone();
        self.blocking(move |db| db.record_dispatch_failure(id, &error, at, retry_at))
            .await
    }

    async fn list_messages(
        &self,
        filter: &MessageFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<CourierMessage>, StoreError> {
        let filter = filter.clone();
        self.blocking(move |db| db.list_messages(&filter, page_size, after))
            .await
    }

    async fn get_message(&self, id: Uuid) -> Result<Option<CourierMessage>, StoreError> {
        self.inline(|db| db.get_message(id))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn corrupt_message_is_reported() {
        let (dir, store) = temp_store();
        let message = courier_message("a@example.com", at(0));
        store
            .enqueue_messages(std::slice::from_ref(&message), None)
            .unwrap();
        raw_connection(&dir)
            .execute("UPDATE courier_messages SET status = 'lost'", [])
            .unwrap();
        let result = store.get_message(message.id);
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    }

    #[test]
    fn a_crashed_senders_lease_runs_out() {
        let (_dir, store) = temp_store();
        let message = courier_message("a@example.com", at(0));
        store
            .enqueue_messages(std::slice::from_ref(&message), None)
            .unwrap();
        let lease = Duration::minutes(1);
        assert_eq!(store.claim_due_messages(at(1), 10, lease).unwrap().len(), 1);
        assert!(
            store
                .claim_due_messages(at(30), 10, lease)
                .unwrap()
                .is_empty()
        );
        let again = store.claim_due_messages(at(62), 10, lease).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, message.id);
    }
}
