//! The host capabilities a factor's logic needs, behind a trait so that the logic runs natively
//! in unit tests with fixed randomness, a clock the test sets and a captured log
//! ([`crate::testing::FakeEnv`]), scripted HTTP answers, and in the component against the host
//! ([`Host`]).

use crate::bindings::latchkey::host::{clock, log, random, settings};

#[cfg(feature = "courier")]
use crate::bindings::latchkey::host::courier;
pub use crate::bindings::latchkey::host::courier::{Error as MessageError, Message};
pub use crate::bindings::latchkey::host::log::Level;
#[cfg(feature = "outbound-http")]
use crate::bindings::latchkey::host::outbound_http;
pub use crate::bindings::latchkey::host::outbound_http::{
    Error as HttpError, Request as HttpRequest, Response as HttpResponse,
};
#[cfg(feature = "password-hashing")]
use crate::bindings::latchkey::host::password_hashing;
pub use crate::bindings::latchkey::host::password_hashing::Argon2Params;

pub trait Env {
    /// Bytes from the host's CSPRNG.
    fn random(&self, len: u32) -> Vec<u8>;

    /// Seconds since the Unix epoch, from the host's clock (never the plugin's own).
    fn now(&self) -> i64;

    /// One structured log event. Never pass secrets, hashes or credential configs: the host
    /// does not redact.
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);

    /// The operator's settings for this plugin, a JSON object (`{}` when there are none).
    fn settings(&self) -> String;

    /// An argon2id PHC string for `password` with this `salt` (8 to 64 bytes). Needs the SDK's
    /// `password-hashing` feature; without it every call is an error ([`NO_PASSWORD_HASHING`]).
    fn argon2id_hash(
        &self,
        password: &[u8],
        salt: &[u8],
        params: Argon2Params,
    ) -> Result<String, String> {
        let _ = (password, salt, params);
        Err(NO_PASSWORD_HASHING.into())
    }

    /// Whether `password` matches an argon2 (id, i or d) PHC string, compared in constant time.
    /// An error when the string is no usable argon2 hash. Needs the `password-hashing` feature,
    /// like [`Env::argon2id_hash`].
    fn argon2_verify(&self, phc: &str, password: &[u8]) -> Result<bool, String> {
        let _ = (phc, password);
        Err(NO_PASSWORD_HASHING.into())
    }

    /// One HTTP request to a third party. The host reaches only the origins the operator
    /// granted this plugin (`plugins.factors[].outbound_http.allow`), follows no redirects and
    /// caps the time and the response size; without a grant every request is `not-allowed`.
    /// An environment without outbound HTTP refuses every request the same way.
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::NotAllowed(origin(&request.url).to_string()))
    }

    /// Asks the host's courier to send a message (a recovery code…). The host queues it with
    /// the flow's change once the call returns, and only to an address of the flow's identity
    /// or one the user submitted in this call. Needs the SDK's `courier` feature and the
    /// operator's grant (`courier: true`); without either every message is `not-allowed`.
    fn send_message(&self, message: Message) -> Result<(), MessageError> {
        let _ = message;
        Err(MessageError::NotAllowed)
    }
}

/// What argon2 calls answer in a plugin built without the SDK's `password-hashing` feature.
pub const NO_PASSWORD_HASHING: &str = "argon2 needs the host's password-hashing capability: build with the SDK's `password-hashing` feature";

/// The scheme, host and port of a URL (`https://op.example:8443`), as `not-allowed` names it.
pub fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// The real capabilities. It type-checks everywhere, so a plugin's `Guest` impl compiles in
/// native test builds too, but only works inside a component.
pub struct Host;

impl Env for Host {
    fn random(&self, len: u32) -> Vec<u8> {
        random::bytes(len)
    }

    fn now(&self) -> i64 {
        clock::now().seconds
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>();
        log::emit(level, message, &fields);
    }

    fn settings(&self) -> String {
        settings::get()
    }

    // Only with the `password-hashing` feature, for the same reason as `http` below: a
    // plugin that never hashes does not import the capability.
    #[cfg(feature = "password-hashing")]
    fn argon2id_hash(
        &self,
        password: &[u8],
        salt: &[u8],
        params: Argon2Params,
    ) -> Result<String, String> {
        password_hashing::argon2id_hash(password, salt, params)
    }

    #[cfg(feature = "password-hashing")]
    fn argon2_verify(&self, phc: &str, password: &[u8]) -> Result<bool, String> {
        password_hashing::argon2_verify(phc, password)
    }

    // Only with the `outbound-http` feature: referencing `send` makes the component import
    // the capability, and `latchkey plugin check` then expects the operator to grant origins.
    #[cfg(feature = "outbound-http")]
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        outbound_http::send(&request)
    }

    // Only with the `courier` feature, as `http` above.
    #[cfg(feature = "courier")]
    fn send_message(&self, message: Message) -> Result<(), MessageError> {
        courier::send(&message)
    }
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn origins() {
        assert_eq!(origin("https://op.example/a?b#c"), "https://op.example");
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin("http://h:1?x=/"), "http://h:1");
    }
}
