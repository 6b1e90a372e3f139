//! Challenges for recovery and verification methods: a secret sent to an address through the
//! courier ([`crate::Env::send_message`]) and typed or clicked back to prove that someone reads
//! that address. The `code` and `link` methods are built on this module; a method of your own
//! (an SMS code, a magic link on another channel) takes the same pieces:
//!
//! * [`random_digits`] or [`random_token`] make the secret from the host's randomness;
//! * [`Pending`] is what the flow keeps of it (as `plugin-state`): a SHA-256 digest bound to
//!   the flow id, and its expiry, never the secret itself, so a leaked flow row proves nothing
//!   and a secret sent for one flow never passes another;
//! * [`Pending::accepts`] checks an answer in constant time;
//! * [`courier_refusal`] says why the courier refused a message, for the operator.
//!
//! Single use is the host's: a flow that passed its challenge is spent, and the host counts
//! submissions (`max_submissions`). Sending again replaces the pending secret.
//!
//! ```
//! use latchkey_plugin_sdk::challenge::{Pending, random_token};
//! use latchkey_plugin_sdk::testing::FakeEnv;
//! let env = FakeEnv::at(100).with_seed(1);
//! let token = random_token(&env, 32);
//! let pending = Pending::new("flow-1", &token, 100 + 3600);
//! assert!(pending.accepts("flow-1", &token, 200));
//! assert!(!pending.accepts("flow-2", &token, 200));
//! assert!(!pending.accepts("flow-1", &token, 100 + 3601));
//! ```

use crate::compare::constant_time_eq;
use crate::env::{Env, MessageError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A secret waiting in a flow to be answered: kept in the flow's plugin state as JSON
/// ([`crate::config::to_json`], read back with [`Pending::parse`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    /// Hex SHA-256 of `<flow id>:<secret>`: a secret from another flow never matches.
    pub digest: String,
    /// Unix seconds after which the secret no longer works.
    pub expires_at: i64,
}

impl Pending {
    /// The pending state of `secret`, sent in flow `flow_id`, working until `expires_at`
    /// (`i64::MAX` for "as long as the flow").
    pub fn new(flow_id: &str, secret: &str, expires_at: i64) -> Pending {
        Pending {
            digest: digest(flow_id, secret),
            expires_at,
        }
    }

    /// The state a flow kept; `None` when there is none or it is unreadable, which accepts
    /// nothing.
    pub fn parse(state: Option<&str>) -> Option<Pending> {
        serde_json::from_str(state?).ok()
    }

    /// Whether `secret` is this one, in flow `flow_id`, and still works at `now`. The digests
    /// are compared in constant time, so timing tells a guesser nothing about how close a
    /// guess came.
    pub fn accepts(&self, flow_id: &str, secret: &str, now: i64) -> bool {
        let matches = constant_time_eq(digest(flow_id, secret).as_bytes(), self.digest.as_bytes());
        matches && now <= self.expires_at
    }
}

fn digest(flow_id: &str, secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{flow_id}:{secret}")))
}

/// `bytes` random bytes from the host, as lowercase hex: a token for a link (32 bytes give
/// 256 bits, beyond guessing, so such a token needs no attempt limit of its own).
pub fn random_token(env: &dyn Env, bytes: u32) -> String {
    hex::encode(env.random(bytes))
}

/// `len` decimal digits (at most 9), uniformly: 32-bit draws above the largest multiple of
/// `10^len` are drawn again, so that no code is likelier than another. A short code is
/// guessable; it relies on the host's `max_submissions` and a short lifespan.
pub fn random_digits(env: &dyn Env, len: u32) -> String {
    assert!((1..=9).contains(&len), "1 to 9 digits fit in a 32-bit draw");
    let range = 10u32.pow(len);
    let limit = u32::MAX - u32::MAX % range;
    loop {
        let bytes = env.random(4);
        let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if n < limit {
            return format!("{:0width$}", n % range, width = len as usize);
        }
    }
}

/// The `lifespan` of `selfservice.methods.<method>.config` (a Go duration such as `15m`) in
/// seconds, `default_seconds` when it is not set: how long a secret the method sends works.
pub fn lifespan_setting(json: &str, method: &str, default_seconds: i64) -> Result<i64, String> {
    #[derive(Deserialize, Default)]
    struct Raw {
        lifespan: Option<String>,
    }
    let raw: Raw = crate::config::parse_settings(json, method)?;
    let lifespan = match raw.lifespan {
        None => default_seconds,
        Some(text) => crate::time::duration_seconds(&text).ok_or_else(|| {
            format!("lifespan {text:?} is no duration such as \"15m\" or \"1h30m\"")
        })?,
    };
    if lifespan <= 0 {
        return Err("lifespan must be longer than 0".into());
    }
    Ok(lifespan)
}

/// Why the courier refused a message of method `method`, in words for the operator (and the
/// form's message). It never includes the message's data, which holds the secret.
pub fn courier_refusal(method: &str, err: &MessageError) -> String {
    match err {
        MessageError::NotAllowed => {
            format!("the {method} plugin has no courier grant (`courier: true`)")
        }
        MessageError::RecipientNotAllowed => "the address may not be written to".into(),
        MessageError::UnknownTemplate(t) => format!("unknown template {t}"),
        MessageError::UnknownChannel(c) => format!("unknown channel {c}"),
        MessageError::Invalid(reason) => reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeEnv;

    #[test]
    fn a_secret_is_kept_as_a_digest_bound_to_its_flow() {
        let pending = Pending::new("flow-1", "123456", 50);
        assert!(!pending.digest.contains("123456"));
        assert!(pending.accepts("flow-1", "123456", 50));
        assert!(!pending.accepts("flow-1", "123457", 10));
        assert!(!pending.accepts("flow-2", "123456", 10));
        assert!(!pending.accepts("flow-1", "123456", 51));
        let kept = crate::config::to_json(&pending);
        assert_eq!(Pending::parse(Some(&kept)), Some(pending));
        assert_eq!(Pending::parse(Some("junk")), None);
        assert_eq!(Pending::parse(None), None);
    }

    #[test]
    fn random_secrets_have_their_shape_and_differ() {
        let env = FakeEnv::at(0).with_seed(4);
        let token = random_token(&env, 32);
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(token, random_token(&env, 32));
        let code = random_digits(&env, 6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }
}
