//! Remembered policy verdicts. A policy is a pure function of its input and its settings (the
//! contract says so, and it can reach nothing else), and the host gives it `now` to the whole
//! second, so a verdict is valid for every request within that second whose input is the same,
//! byte for byte. A reverse proxy asks the route check once per proxied request; most of those
//! come from the same few sessions on the same few paths.
//!
//! The key is the whole input the policy would receive, so a changed session, identity,
//! credential, header or path is a different key; a reloaded script is a new [`super::Policy`]
//! with a cache of its own. Only the current second's verdicts are kept, and at most
//! `MAX_ENTRIES` of them.

use super::policy_bindings::types;
use std::collections::HashMap;
use std::sync::Mutex;

const MAX_ENTRIES: usize = 4_096;

/// A policy input encoded as bytes, every variable-length part prefixed by its length so that
/// no two inputs share an encoding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct DecisionKey {
    second: i64,
    bytes: Box<[u8]>,
}

impl DecisionKey {
    pub(crate) fn of(input: &types::Input) -> DecisionKey {
        let mut w = KeyWriter(Vec::with_capacity(512));
        w.byte(input.hook as u8);
        let s = &input.session;
        w.str(&s.id);
        w.byte(s.aal as u8);
        w.len(s.methods.len());
        for m in &s.methods {
            w.str(&m.method);
            w.byte(m.aal as u8);
            w.instant(&m.completed_at);
            w.opt(m.provider.as_deref());
        }
        w.instant(&s.authenticated_at);
        w.instant(&s.issued_at);
        w.instant(&s.expires_at);
        w.len(s.devices.len());
        for d in &s.devices {
            w.opt(d.ip.as_deref());
            w.opt(d.user_agent.as_deref());
        }
        let i = &input.identity;
        w.str(&i.id);
        w.str(&i.schema_id);
        w.str(&i.traits_json);
        w.str(&i.metadata_public_json);
        w.byte(i.available_aal as u8);
        w.len(i.credential_types.len());
        for t in &i.credential_types {
            w.str(t);
        }
        let r = &input.request;
        w.str(&r.method);
        w.str(&r.path);
        w.opt(r.ip.as_deref());
        w.opt(r.user_agent.as_deref());
        w.len(r.headers.len());
        for (name, value) in &r.headers {
            w.str(name);
            w.str(value);
        }
        w.opt(r.submitted_method.as_deref());
        w.instant(&input.now);
        DecisionKey {
            second: input.now.seconds,
            bytes: w.0.into_boxed_slice(),
        }
    }
}

struct KeyWriter(Vec<u8>);

impl KeyWriter {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.str(s);
            }
        }
    }

    fn instant(&mut self, t: &types::Instant) {
        self.0.extend_from_slice(&t.seconds.to_le_bytes());
        self.0.extend_from_slice(&t.nanoseconds.to_le_bytes());
    }
}

struct Verdicts {
    second: i64,
    by_input: HashMap<DecisionKey, types::Verdict, foldhash::fast::RandomState>,
}

pub(crate) struct DecisionCache {
    verdicts: Mutex<Verdicts>,
}

impl Default for DecisionCache {
    fn default() -> DecisionCache {
        DecisionCache {
            verdicts: Mutex::new(Verdicts {
                second: i64::MIN,
                by_input: HashMap::default(),
            }),
        }
    }
}

impl DecisionCache {
    pub(crate) fn get(&self, key: &DecisionKey) -> Option<types::Verdict> {
        let verdicts = self.lock();
        if verdicts.second != key.second {
            return None;
        }
        verdicts.by_input.get(key).cloned()
    }

    pub(crate) fn put(&self, key: DecisionKey, verdict: types::Verdict) {
        let mut verdicts = self.lock();
        if key.second < verdicts.second {
            return;
        }
        if key.second > verdicts.second || verdicts.by_input.len() >= MAX_ENTRIES {
            verdicts.second = key.second;
            verdicts.by_input.clear();
        }
        verdicts.by_input.insert(key, verdict);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_input.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Verdicts> {
        // Entries are inserted whole: a panic elsewhere cannot leave one half-written.
        self.verdicts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Aal, Decision, Hook, Identity, Input, Instant, Request, Session, Verdict};

    fn at(seconds: i64) -> Instant {
        Instant {
            seconds,
            nanoseconds: 0,
        }
    }

    fn input() -> Input {
        Input {
            hook: Hook::RouteCheck,
            session: Session {
                id: "s".into(),
                aal: Aal::Aal1,
                methods: vec![],
                authenticated_at: at(100),
                issued_at: at(100),
                expires_at: at(1000),
                devices: vec![],
            },
            identity: Identity {
                id: "i".into(),
                schema_id: "default".into(),
                traits_json: r#"{"email":"a@example.com"}"#.into(),
                metadata_public_json: "null".into(),
                available_aal: Aal::Aal1,
                credential_types: vec!["password".into()],
            },
            request: Request {
                method: "GET".into(),
                path: "/billing".into(),
                ip: None,
                user_agent: None,
                headers: vec![],
                submitted_method: None,
            },
            now: at(500),
        }
    }

    fn verdict(decision: Decision) -> Verdict {
        Verdict {
            decision,
            message: None,
        }
    }

    fn is_allow(v: Option<Verdict>) -> bool {
        matches!(v.map(|v| v.decision), Some(Decision::Allow))
    }

    #[test]
    fn any_change_to_the_input_is_another_key() {
        let base = DecisionKey::of(&input());
        let changes: Vec<fn(&mut Input)> = vec![
            |i| i.session.aal = Aal::Aal2,
            |i| i.session.authenticated_at = at(101),
            |i| i.identity.traits_json = r#"{"email":"b@example.com"}"#.into(),
            |i| i.identity.metadata_public_json = r#"{"role":"admin"}"#.into(),
            |i| i.identity.available_aal = Aal::Aal2,
            |i| i.identity.credential_types.push("totp".into()),
            |i| i.request.path = "/billing/".into(),
            |i| i.request.method = "POST".into(),
            |i| i.request.headers.push(("x-tenant".into(), "a".into())),
            |i| i.hook = Hook::Whoami,
            |i| i.now = at(501),
        ];
        for change in changes {
            let mut changed = input();
            change(&mut changed);
            assert!(DecisionKey::of(&changed) != base);
        }
        assert!(DecisionKey::of(&input()) == base);
    }

    #[test]
    fn lengths_keep_neighbouring_strings_apart() {
        let mut a = input();
        a.request.method = "GE".into();
        a.request.path = "T/billing".into();
        assert!(DecisionKey::of(&a) != DecisionKey::of(&input()));
        let mut b = input();
        b.request.ip = Some(String::new());
        assert!(DecisionKey::of(&b) != DecisionKey::of(&input()));
    }

    #[test]
    fn verdicts_last_for_their_second_only() {
        let cache = DecisionCache::default();
        let key = DecisionKey::of(&input());
        cache.put(key.clone(), verdict(Decision::Allow));
        assert!(is_allow(cache.get(&key)));
        let mut later = input();
        later.now = at(501);
        let later = DecisionKey::of(&later);
        assert!(cache.get(&later).is_none());
        cache.put(later.clone(), verdict(Decision::Abstain));
        assert!(cache.get(&key).is_none(), "the earlier second is gone");
        assert_eq!(cache.len(), 1);
        // A late writer from the earlier second changes nothing.
        cache.put(key.clone(), verdict(Decision::Allow));
        assert!(cache.get(&key).is_none());
        assert!(cache.get(&later).is_some());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = DecisionCache::default();
        for n in 0..MAX_ENTRIES + 10 {
            let mut i = input();
            i.request.path = format!("/p/{n}");
            cache.put(DecisionKey::of(&i), verdict(Decision::Allow));
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
