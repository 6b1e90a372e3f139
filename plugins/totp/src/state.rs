//! What the settings flow keeps between showing the QR code and the user's first code: the
//! pending secret, held server-side by the host in the flow (`plugin-state`), never shown to
//! the browser except as the QR code and the secret text node.

use crate::otpauth::{SECRET_BYTES, decode_secret};
use latchkey_plugin_sdk::Env;
use latchkey_plugin_sdk::config::{parse_credential, to_json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Unpadded uppercase base32.
    pub pending_secret: String,
}

impl Pending {
    /// A fresh 160-bit secret from the host's CSPRNG.
    pub fn generate(env: &dyn Env) -> Pending {
        let bytes = env.random(SECRET_BYTES);
        assert_eq!(
            bytes.len(),
            SECRET_BYTES as usize,
            "the host's random capability returned fewer bytes than asked for"
        );
        let key = totp_rs::Secret::from(bytes);
        Pending {
            pending_secret: key.to_base32(),
        }
    }

    /// The state a previous call stored; anything else (none, cleared, unreadable) is `None`.
    pub fn parse(state: Option<&str>) -> Option<Pending> {
        let pending: Pending = parse_credential(state?)?;
        let bytes = decode_secret(&pending.pending_secret)?;
        (bytes.len() == SECRET_BYTES as usize).then_some(pending)
    }

    pub fn secret(&self) -> Vec<u8> {
        decode_secret(&self.pending_secret).expect("checked when parsed or generated")
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;

    #[test]
    fn generated_state_round_trips() {
        let p = Pending::generate(&FakeEnv::at(0));
        assert_eq!(p.pending_secret.len(), 32);
        assert_eq!(p.secret(), (0..20u8).collect::<Vec<_>>());
        assert_eq!(Pending::parse(Some(&p.to_json())), Some(p));
    }

    #[test]
    fn anything_else_is_no_state() {
        for s in [
            None,
            Some(""),
            Some("{}"),
            Some(r#"{"pending_secret":"GEZDGNBV"}"#),
            Some(r#"{"pending_secret":"!!"}"#),
        ] {
            assert_eq!(Pending::parse(s), None, "{s:?}");
        }
    }
}
