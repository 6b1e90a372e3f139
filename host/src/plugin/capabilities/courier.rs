//! `courier`: messages a factor asks the host to send (recovery and verification codes and
//! links). The capability only collects them: the flow that made the call decides, once the
//! call is over, whether they are queued (with the flow's change, in one transaction) and
//! with which template variant, so that a plugin never learns whether an address belongs to
//! an account.

use super::{Call, Capability, Importer, Setup};
use crate::plugin::bindings::latchkey::host::courier;
use crate::plugin::call_state::CallState;
use serde_json::{Map, Value};
use wasmtime::component::{HasSelf, Linker};

/// The most messages one call may queue.
const MAX_MESSAGES_PER_CALL: usize = 10;

/// The channels messages can go out on.
const CHANNELS: &[&str] = &["email", "sms"];

/// Kratos' templates, without their `valid` / `invalid` suffix.
const TEMPLATES: &[&str] = &[
    "recovery_code",
    "verification_code",
    "recovery",
    "verification",
    "login_code",
    "registration_code",
];

/// Whom one call may write to: the addresses of the flow's identity and the values the user
/// submitted in this call. Calls made outside a flow that sends messages get none.
#[derive(Debug, Clone, Default)]
pub(crate) struct CourierScope {
    pub recipients: Vec<String>,
}

impl CourierScope {
    fn allows(&self, recipient: &str) -> bool {
        let recipient = normalise(recipient);
        !recipient.is_empty() && self.recipients.iter().any(|r| normalise(r) == recipient)
    }
}

/// Addresses compare as Kratos stores them: trimmed and lowercase.
pub(crate) fn normalise(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A message a plugin asked for, as the flow receives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PluginMessage {
    pub channel: String,
    /// Trimmed and lowercase.
    pub recipient: String,
    /// Without the `valid` / `invalid` suffix (`recovery_code`).
    pub template: String,
    pub data: Map<String, Value>,
}

pub(crate) struct State {
    granted: bool,
    scope: Option<CourierScope>,
    queued: Vec<PluginMessage>,
}

impl State {
    /// The messages the call queued, in order.
    pub(crate) fn take(&mut self) -> Vec<PluginMessage> {
        std::mem::take(&mut self.queued)
    }
}

impl Capability for State {
    const INTERFACE: &'static str = "courier";
    const IMPORTERS: &'static [Importer] = &[Importer::Factor];
    type Grant = bool;

    fn grant(setup: &Setup) -> bool {
        setup.courier
    }

    fn prepare(granted: &bool, call: &Call<'_>) -> State {
        State {
            granted: *granted,
            scope: call.courier.cloned(),
            queued: Vec::new(),
        }
    }

    fn add_to_linker(
        linker: &mut Linker<CallState>,
        state: fn(&mut CallState) -> &mut State,
    ) -> wasmtime::Result<()> {
        courier::add_to_linker::<_, HasSelf<State>>(linker, state)
    }

    fn check_grant(
        config: &crate::config::Config,
        path: &std::path::Path,
        _method: &str,
        _import: &str,
    ) -> anyhow::Result<Option<String>> {
        let granted = config
            .plugins
            .factors
            .iter()
            .any(|entry| entry.path == path && entry.courier);
        Ok(Some(if granted {
            "courier: granted (`courier: true`)".to_string()
        } else {
            "courier: not granted; every send answers `not-allowed` until its entry in `plugins.factors` sets `courier: true`".to_string()
        }))
    }
}

impl courier::Host for State {
    fn send(&mut self, message: courier::Message) -> wasmtime::Result<Result<(), courier::Error>> {
        Ok(self.queue(message))
    }
}

impl State {
    fn queue(&mut self, message: courier::Message) -> Result<(), courier::Error> {
        use courier::Error;
        if !self.granted {
            return Err(Error::NotAllowed);
        }
        if !CHANNELS.contains(&message.channel.as_str()) {
            return Err(Error::UnknownChannel(message.channel));
        }
        if !TEMPLATES.contains(&message.template.as_str()) {
            return Err(Error::UnknownTemplate(message.template));
        }
        if !self
            .scope
            .as_ref()
            .is_some_and(|s| s.allows(&message.recipient))
        {
            return Err(Error::RecipientNotAllowed);
        }
        let data = match serde_json::from_str::<Value>(&message.data_json) {
            Ok(Value::Object(data)) => data,
            _ => return Err(Error::Invalid("data-json must be a JSON object".into())),
        };
        if self.queued.len() >= MAX_MESSAGES_PER_CALL {
            return Err(Error::Invalid(format!(
                "at most {MAX_MESSAGES_PER_CALL} messages per call"
            )));
        }
        self.queued.push(PluginMessage {
            channel: message.channel,
            recipient: normalise(&message.recipient),
            template: message.template,
            data,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(granted: bool, recipients: &[&str]) -> State {
        State {
            granted,
            scope: Some(CourierScope {
                recipients: recipients.iter().map(|r| r.to_string()).collect(),
            }),
            queued: Vec::new(),
        }
    }

    fn message(recipient: &str) -> courier::Message {
        courier::Message {
            channel: "email".into(),
            recipient: recipient.into(),
            template: "recovery_code".into(),
            data_json: r#"{"RecoveryCode":"123456"}"#.into(),
        }
    }

    #[test]
    fn without_a_grant_nothing_is_queued() {
        let mut s = state(false, &["a@example.com"]);
        assert!(matches!(
            s.queue(message("a@example.com")),
            Err(courier::Error::NotAllowed)
        ));
        assert!(s.take().is_empty());
    }

    #[test]
    fn only_addresses_in_scope_are_written_to() {
        let mut s = state(true, &["A@Example.com "]);
        assert!(s.queue(message(" a@example.COM")).is_ok());
        assert!(matches!(
            s.queue(message("b@example.com")),
            Err(courier::Error::RecipientNotAllowed)
        ));
        let queued = s.take();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].recipient, "a@example.com");
        assert_eq!(queued[0].data["RecoveryCode"], "123456");
    }

    #[test]
    fn a_call_outside_a_sending_flow_writes_to_nobody() {
        let mut s = State {
            granted: true,
            scope: None,
            queued: Vec::new(),
        };
        assert!(matches!(
            s.queue(message("a@example.com")),
            Err(courier::Error::RecipientNotAllowed)
        ));
    }

    #[test]
    fn unknown_templates_channels_and_data_are_refused() {
        let mut s = state(true, &["a@example.com"]);
        let mut m = message("a@example.com");
        m.template = "welcome".into();
        assert!(matches!(
            s.queue(m),
            Err(courier::Error::UnknownTemplate(_))
        ));
        let mut m = message("a@example.com");
        m.channel = "pigeon".into();
        assert!(matches!(s.queue(m), Err(courier::Error::UnknownChannel(_))));
        let mut m = message("a@example.com");
        m.data_json = "[1]".into();
        assert!(matches!(s.queue(m), Err(courier::Error::Invalid(_))));
        for _ in 0..MAX_MESSAGES_PER_CALL {
            s.queue(message("a@example.com")).unwrap();
        }
        assert!(matches!(
            s.queue(message("a@example.com")),
            Err(courier::Error::Invalid(_))
        ));
    }
}
