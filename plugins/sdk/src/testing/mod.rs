//! A test kit that plays the host in native unit tests (not in component builds):
//!
//! * [`FakeEnv`], the host's capabilities: a clock the test sets, seeded randomness
//!   ([`FakeEnv::with_seed`]), settings, a captured log, argon2, scripted HTTP;
//! * [`context`], a [`FlowContext`](crate::types::FlowContext) builder;
//! * [`RejectionExt`], a rejection's first message and node;
//! * [`Harness`], which keeps plugin-state and credential writes across render → submit →
//!   re-render as the host does, so that multi-step factors and lockouts are tested as they
//!   run.

mod flow;
mod harness;

pub use flow::{ContextBuilder, context};
pub use harness::{Harness, RejectionExt};

#[cfg(feature = "password-hashing")]
use crate::env::Argon2Params;
#[cfg(feature = "courier")]
use crate::env::MessageError;
use crate::env::{Env, HttpError, HttpRequest, HttpResponse, Level, Message};
use std::cell::{Cell, RefCell};

/// Deterministic "randomness", a settable clock, fixed settings, a log that tests can
/// inspect, and outbound HTTP answered from a script. Argon2 runs in-process with the same
/// crate the host uses.
pub struct FakeEnv {
    pub now: Cell<i64>,
    /// Added to every random byte, so that two fake environments can differ.
    pub seed: u8,
    /// The state of the seeded generator ([`FakeEnv::with_seed`]); `None` for the fixed
    /// pattern (`0, 1, 2, …` plus `seed`).
    pub rng: Cell<Option<u64>>,
    pub settings: String,
    /// One line per event: `Level message key=value…`.
    pub events: RefCell<Vec<String>>,
    /// The answers to outbound HTTP, by method and URL ([`FakeEnv::respond`]).
    pub http_script: RefCell<Vec<Scripted>>,
    /// Every outbound request made, in order.
    pub http_requests: RefCell<Vec<HttpRequest>>,
    /// Every message handed to the courier, in order (with the `courier` feature).
    pub messages: RefCell<Vec<Message>>,
}

/// One scripted HTTP answer: every request with this method (any case) and exactly this URL
/// gets `answer`.
pub struct Scripted {
    pub method: String,
    pub url: String,
    pub answer: Result<HttpResponse, HttpError>,
}

/// A response with a JSON body and `Content-Type: application/json`.
pub fn json_response(status: u16, body: &serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

impl Default for FakeEnv {
    fn default() -> Self {
        FakeEnv::at(0)
    }
}

impl FakeEnv {
    /// At `now` seconds since the Unix epoch, with no settings.
    pub fn at(now: i64) -> FakeEnv {
        FakeEnv {
            now: Cell::new(now),
            seed: 0,
            rng: Cell::new(None),
            settings: "{}".into(),
            events: RefCell::default(),
            http_script: RefCell::default(),
            http_requests: RefCell::default(),
            messages: RefCell::default(),
        }
    }

    pub fn with_settings(mut self, json: &str) -> FakeEnv {
        self.settings = json.into();
        self
    }

    /// Random bytes from a generator seeded with `seed` (SplitMix64): they look random, differ
    /// between calls, and are the same on every run with the same seed.
    pub fn with_seed(self, seed: u64) -> FakeEnv {
        self.rng.set(Some(seed));
        self
    }

    /// Moves the clock on.
    pub fn advance(&self, seconds: i64) {
        self.now.set(self.now.get() + seconds);
    }

    /// Answers every later `method` request for exactly `url` with `answer`, replacing an
    /// earlier answer for the same request. A request nobody scripted fails with a transport
    /// error that names it.
    pub fn respond(&self, method: &str, url: &str, answer: Result<HttpResponse, HttpError>) {
        let mut script = self.http_script.borrow_mut();
        script.retain(|s| !(s.method.eq_ignore_ascii_case(method) && s.url == url));
        script.push(Scripted {
            method: method.into(),
            url: url.into(),
            answer,
        });
    }

    /// The requests made so far to `url` (any method).
    pub fn requests_to(&self, url: &str) -> Vec<HttpRequest> {
        self.http_requests
            .borrow()
            .iter()
            .filter(|r| r.url == url)
            .cloned()
            .collect()
    }
}

impl Env for FakeEnv {
    fn random(&self, len: u32) -> Vec<u8> {
        let Some(mut state) = self.rng.get() else {
            return (0..len)
                .map(|i| (i as u8).wrapping_add(self.seed))
                .collect();
        };
        let mut bytes = Vec::with_capacity(len as usize);
        while bytes.len() < len as usize {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            bytes.extend_from_slice(&z.to_le_bytes());
        }
        bytes.truncate(len as usize);
        self.rng.set(Some(state));
        bytes
    }

    fn now(&self) -> i64 {
        self.now.get()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.events
            .borrow_mut()
            .push(format!("{level:?} {message} {}", fields.join(" ")));
    }

    fn settings(&self) -> String {
        self.settings.clone()
    }

    // In-process, and like `Host` only with the `password-hashing` feature, so that a plugin
    // that forgot the feature fails its native tests as its component would fail.
    #[cfg(feature = "password-hashing")]
    fn argon2id_hash(
        &self,
        password: &[u8],
        salt: &[u8],
        p: Argon2Params,
    ) -> Result<String, String> {
        use argon2::password_hash::{PasswordHasher, SaltString};
        use argon2::{Algorithm, Argon2, Params, Version};
        let params = Params::new(
            p.memory_kib,
            p.iterations,
            p.parallelism,
            Some(p.key_length as usize),
        )
        .map_err(|e| format!("invalid argon2 parameters: {e}"))?;
        let salt = SaltString::encode_b64(salt).map_err(|e| format!("salt: {e}"))?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password, &salt)
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2: {e}"))
    }

    #[cfg(feature = "password-hashing")]
    fn argon2_verify(&self, phc: &str, password: &[u8]) -> Result<bool, String> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let parsed = PasswordHash::new(phc).map_err(|e| e.to_string())?;
        match argon2::Argon2::default().verify_password(password, &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    // Accepted without a recipient check: that is the host's, tested there.
    #[cfg(feature = "courier")]
    fn send_message(&self, message: Message) -> Result<(), MessageError> {
        self.messages.borrow_mut().push(message);
        Ok(())
    }

    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.http_requests.borrow_mut().push(request.clone());
        self.http_script
            .borrow()
            .iter()
            .find(|s| s.method.eq_ignore_ascii_case(&request.method) && s.url == request.url)
            .map(|s| s.answer.clone())
            .unwrap_or_else(|| {
                Err(HttpError::Transport(format!(
                    "no scripted answer for {} {}",
                    request.method, request.url
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "password-hashing")]
    #[test]
    fn argon2_round_trips() {
        let env = FakeEnv::default();
        let params = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            key_length: 32,
        };
        let phc = env.argon2id_hash(b"1234", &[7; 16], params).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(env.argon2_verify(&phc, b"1234"), Ok(true));
        assert_eq!(env.argon2_verify(&phc, b"1235"), Ok(false));
        assert!(env.argon2_verify("nope", b"1234").is_err());
    }

    #[test]
    fn seeded_randomness_repeats_per_seed() {
        let a = FakeEnv::default().with_seed(7);
        let b = FakeEnv::default().with_seed(7);
        let first = a.random(20);
        assert_eq!(first, b.random(20));
        assert_ne!(first, a.random(20), "each call draws new bytes");
        assert_ne!(first, FakeEnv::default().with_seed(8).random(20));
        assert_eq!(
            FakeEnv::default().random(3),
            [0, 1, 2],
            "unseeded: the fixed pattern"
        );
    }

    fn get(url: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: url.into(),
            headers: vec![],
            body: vec![],
        }
    }

    #[test]
    fn http_answers_from_the_script_and_records_requests() {
        let env = FakeEnv::default();
        let url = "https://op.example/a";
        env.respond(
            "get",
            url,
            Ok(json_response(200, &serde_json::json!({"a": 1}))),
        );
        let answer = env.http(get(url)).unwrap();
        assert_eq!(
            (answer.status, answer.body.as_slice()),
            (200, &br#"{"a":1}"#[..])
        );
        env.respond("GET", url, Err(HttpError::Timeout));
        assert!(matches!(env.http(get(url)), Err(HttpError::Timeout)));
        match env.http(get("https://op.example/b")) {
            Err(HttpError::Transport(reason)) => {
                assert!(reason.contains("GET https://op.example/b"), "{reason}")
            }
            other => panic!("unscripted request answered: {other:?}"),
        }
        assert_eq!(env.requests_to(url).len(), 2);
        assert_eq!(env.http_requests.borrow().len(), 3);
    }
}
