//! The courier: Kratos' outgoing mail and SMS.
//!
//! A flow that must tell someone something (a recovery code, a verification link) hands
//! [`Courier::enqueue`] what to send ([`Outgoing`]: channel, recipient, template and its
//! variables). The courier renders it from its [`templates`] and queues it in the store in the
//! same transaction as the flow change that caused it, so a message is never sent for a change
//! that did not happen, nor lost for one that did. The [`worker`] started by `serve` claims the
//! queued messages, delivers them ([`delivery`]: SMTP or HTTP) and records every attempt;
//! failed ones are retried with a growing pause until `courier.message_retries` is spent.

pub mod delivery;
pub mod gotmpl;
pub mod templates;
pub mod worker;

use crate::clock::Clock;
use crate::config::Courier as CourierConfig;
use crate::model::Flow;
use crate::store::courier::{MessageType, NewCourierMessage};
use crate::store::{Store, StoreError};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use templates::Templates;
use uuid::Uuid;

pub use templates::{Rendered, TemplateError};

/// The messages Kratos sends, by its template names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateType {
    RecoveryInvalid,
    RecoveryValid,
    RecoveryCodeInvalid,
    RecoveryCodeValid,
    VerificationInvalid,
    VerificationValid,
    VerificationCodeInvalid,
    VerificationCodeValid,
    LoginCodeValid,
    RegistrationCodeValid,
}

impl TemplateType {
    pub const ALL: &'static [TemplateType] = &[
        TemplateType::RecoveryInvalid,
        TemplateType::RecoveryValid,
        TemplateType::RecoveryCodeInvalid,
        TemplateType::RecoveryCodeValid,
        TemplateType::VerificationInvalid,
        TemplateType::VerificationValid,
        TemplateType::VerificationCodeInvalid,
        TemplateType::VerificationCodeValid,
        TemplateType::LoginCodeValid,
        TemplateType::RegistrationCodeValid,
    ];

    /// The template's directory in Kratos' layout, `recovery_code/valid`.
    pub fn dir(self) -> &'static str {
        match self {
            TemplateType::RecoveryInvalid => "recovery/invalid",
            TemplateType::RecoveryValid => "recovery/valid",
            TemplateType::RecoveryCodeInvalid => "recovery_code/invalid",
            TemplateType::RecoveryCodeValid => "recovery_code/valid",
            TemplateType::VerificationInvalid => "verification/invalid",
            TemplateType::VerificationValid => "verification/valid",
            TemplateType::VerificationCodeInvalid => "verification_code/invalid",
            TemplateType::VerificationCodeValid => "verification_code/valid",
            TemplateType::LoginCodeValid => "login_code/valid",
            TemplateType::RegistrationCodeValid => "registration_code/valid",
        }
    }

    /// The name in the admin API's `template_type`, `recovery_code_valid`.
    pub fn kratos_name(self) -> String {
        self.dir().replace('/', "_")
    }

    /// The key under `courier.templates`, `recovery_code.valid`.
    pub fn config_key(self) -> String {
        self.dir().replace('/', ".")
    }

    /// From `recovery_code_valid`, `recovery_code.valid` or `recovery_code/valid`.
    pub fn from_kratos_name(s: &str) -> Option<TemplateType> {
        let wanted = s.replace(['.', '/'], "_");
        TemplateType::ALL
            .iter()
            .copied()
            .find(|kind| kind.kratos_name() == wanted)
    }
}

/// A message a flow wants sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// `email`, or the id of a configured `courier.channels[]` entry (`sms`).
    pub channel: String,
    /// An email address or a phone number.
    pub recipient: String,
    pub template: TemplateType,
    /// Kratos' template variables, e.g. `{"To": …, "RecoveryCode": …, "ExpiresInMinutes": 15,
    /// "Identity": {…}}`.
    pub data: Value,
    pub identity_id: Option<Uuid>,
}

/// Why messages could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No `courier.channels[]` entry has this id.
    #[error("no courier channel `{0}` is configured")]
    UnknownChannel(String),
    /// Kratos has no SMS template for this message.
    #[error("the {0} message cannot be sent by SMS")]
    NoSmsTemplate(String),
}

impl From<CourierError> for crate::domain_error::DomainError {
    fn from(err: CourierError) -> Self {
        match err {
            CourierError::Store(err) => err.into(),
            other => crate::error::ApiError::internal(other.to_string()).into(),
        }
    }
}

/// Renders and queues messages; held in the app state.
pub struct Courier {
    templates: Templates,
    /// Ids of the configured `courier.channels[]`.
    channels: BTreeSet<String>,
    clock: Arc<dyn Clock>,
}

impl Courier {
    /// Loads the templates; a missing or broken one fails here, at start-up.
    pub fn new(config: &CourierConfig, clock: Arc<dyn Clock>) -> Result<Courier, TemplateError> {
        Ok(Courier {
            templates: Templates::load(config)?,
            channels: config.channels.keys().cloned().collect(),
            clock,
        })
    }

    /// Renders a message as it will be stored and sent.
    pub fn render(&self, message: &Outgoing) -> Result<NewCourierMessage, CourierError> {
        let (message_type, rendered) = if message.channel == "email" {
            let rendered = self.templates.render_email(message.template, &message.data);
            (MessageType::Email, rendered)
        } else if self.channels.contains(&message.channel) {
            let rendered = self
                .templates
                .render_sms(message.template, &message.data)
                .ok_or_else(|| CourierError::NoSmsTemplate(message.template.kratos_name()))?;
            (MessageType::Phone, rendered)
        } else {
            return Err(CourierError::UnknownChannel(message.channel.clone()));
        };
        Ok(NewCourierMessage {
            id: Uuid::new_v4(),
            message_type,
            channel: message.channel.clone(),
            recipient: message.recipient.clone(),
            subject: rendered.subject,
            body: rendered.body,
            html_body: rendered.html_body,
            template_type: message.template.kratos_name(),
            template_data: message.data.clone(),
            identity_id: message.identity_id,
            created_at: self.clock.now(),
        })
    }

    /// Renders each message and queues them with the flow update in one transaction: either
    /// the flow changes and the messages are queued, or neither happens.
    pub async fn enqueue(
        &self,
        store: &dyn Store,
        messages: Vec<Outgoing>,
        flow: Option<&Flow>,
    ) -> Result<(), CourierError> {
        let rendered = messages
            .iter()
            .map(|m| self.render(m))
            .collect::<Result<Vec<_>, _>>()?;
        store.enqueue_messages(&rendered, flow).await?;
        for message in &rendered {
            tracing::info!(
                message_id = %message.id,
                template_type = %message.template_type,
                channel = %message.channel,
                "queued a courier message"
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for Courier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Courier")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
