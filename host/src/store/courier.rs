//! The courier's outbox: rendered messages waiting to be sent, and a record of every attempt,
//! as Kratos keeps its `courier_messages` and `courier_message_dispatches`.

use super::StoreError;
use crate::model::Flow;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;

/// Where a message is in its life (Kratos' `courierMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Queued,
    /// Claimed by a sender, whose lease on it has not run out.
    Processing,
    Sent,
    /// Given up on after too many failed attempts.
    Abandoned,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Processing => "processing",
            MessageStatus::Sent => "sent",
            MessageStatus::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<MessageStatus> {
        Some(match s {
            "queued" => MessageStatus::Queued,
            "processing" => MessageStatus::Processing,
            "sent" => MessageStatus::Sent,
            "abandoned" => MessageStatus::Abandoned,
            _ => return None,
        })
    }
}

/// Kratos' `courierMessageType`: what kind of address the recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Email,
    Phone,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Email => "email",
            MessageType::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<MessageType> {
        match s {
            "email" => Some(MessageType::Email),
            "phone" => Some(MessageType::Phone),
            _ => None,
        }
    }
}

/// How one attempt at delivering a message ended (Kratos' `messageDispatch.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DispatchStatus {
    Failed,
    Success,
}

impl DispatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Failed => "failed",
            DispatchStatus::Success => "success",
        }
    }

    pub fn parse(s: &str) -> Option<DispatchStatus> {
        match s {
            "failed" => Some(DispatchStatus::Failed),
            "success" => Some(DispatchStatus::Success),
            _ => None,
        }
    }
}

/// A rendered message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCourierMessage {
    pub id: Uuid,
    pub message_type: MessageType,
    /// `email`, `sms` or the id of a configured channel.
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    /// The rendered body; it may carry a one-time code, so it is never logged.
    pub body: String,
    /// The HTML alternative of an email body, when its template has one.
    pub html_body: Option<String>,
    /// Kratos' name, e.g. `recovery_code_valid`.
    pub template_type: String,
    /// The variables the message was rendered with, for deliveries (HTTP) that send them on.
    pub template_data: Value,
    pub identity_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct CourierMessage {
    pub id: Uuid,
    pub status: MessageStatus,
    pub message_type: MessageType,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html_body: Option<String>,
    pub template_type: String,
    pub template_data: Value,
    pub identity_id: Option<Uuid>,
    /// Failed attempts so far.
    pub send_count: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When a queued message is due, or when a sender's lease on a processing one runs out.
    pub next_attempt_at: DateTime<Utc>,
    /// Filled by [`CourierRepository::get_message`] only, oldest first.
    pub dispatches: Vec<MessageDispatch>,
}

/// One attempt at delivering a message (Kratos' `messageDispatch`).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDispatch {
    pub id: Uuid,
    pub message_id: Uuid,
    pub status: DispatchStatus,
    /// What went wrong, for a failed attempt: `{"message": …}`.
    pub error: Option<Value>,
    pub created_at: DateTime<Utc>,
}

/// What [`CourierRepository::list_messages`] keeps; `None` keeps all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
    pub recipient: Option<String>,
}

#[async_trait]
pub trait CourierRepository: Send + Sync {
    /// Queues `messages`, due at once, and when `flow` is given writes it as
    /// [`super::FlowRepository::update_flow`] does, in the same transaction: a message is queued
    /// with the flow change that caused it or not at all. [`StoreError::NotFound`] when the
    /// flow is gone (nothing is queued then).
    async fn enqueue_messages(
        &self,
        messages: &[NewCourierMessage],
        flow: Option<&Flow>,
    ) -> Result<(), StoreError>;

    /// Takes up to `limit` messages that are due at `now`, oldest first — queued ones whose
    /// next attempt has come, and processing ones whose sender's lease ran out (it crashed) —
    /// marks them processing with a lease until `now + lease`, and returns them. One
    /// transaction, so two senders never take the same message.
    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<CourierMessage>, StoreError>;

    /// Marks a message sent and records the successful dispatch. [`StoreError::NotFound`]
    /// when there is no such message.
    async fn record_dispatch_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a failed dispatch and counts it; the message is queued again for `retry_at`,
    /// or abandoned when that is `None`. [`StoreError::NotFound`] when there is no such
    /// message.
    async fn record_dispatch_failure(
        &self,
        id: Uuid,
        error: &Value,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Messages newest first, without their dispatches; `after` is the last id of the
    /// previous page. A page that starts after an unknown id is empty.
    async fn list_messages(
        &self,
        filter: &MessageFilter,
        page_size: u32,
        after: Option<Uuid>,
    ) -> Result<Vec<CourierMessage>, StoreError>;

    /// The message with its dispatches.
    async fn get_message(&self, id: Uuid) -> Result<Option<CourierMessage>, StoreError>;
}
