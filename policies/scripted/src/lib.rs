//! A policy component (`latchkey:policy@0.1.0`) whose rules come from a script: each rule names
//! the hooks it applies at, a CEL condition over the request, session and identity, and the
//! decision it makes. The host reads the script file and hands its text over in the settings.
//!
//! Everything but this file is plain Rust that also compiles natively: [`engine`] loads and
//! evaluates scripts, and the unit tests run it on the example scripts directly.

pub mod engine;
pub mod error;
mod fast;
pub mod input;
pub mod script;

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/policy@0.1.0",
        world: "policy-component",
        // The host capabilities live in another package (`deps/host@0.1.0`), and wit-bindgen only
        // generates foreign packages when told to.
        generate_all,
    });
}

use bindings::exports::latchkey::policy::policy::Guest;
use bindings::latchkey::host::log::{self, Level};
use bindings::latchkey::host::settings as host_settings;
use bindings::latchkey::policy::types as wit;
use engine::Policy;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The script compiled by `describe` (or the first `evaluate` of a fresh instance).
    static POLICY: RefCell<Option<Rc<Policy>>> = const { RefCell::new(None) };
}

fn load() -> Result<Rc<Policy>, error::LoadError> {
    if let Some(policy) = POLICY.with(|p| p.borrow().clone()) {
        return Ok(policy);
    }
    let policy = Rc::new(Policy::load(&host_settings::get())?);
    POLICY.with(|p| *p.borrow_mut() = Some(Rc::clone(&policy)));
    Ok(policy)
}

fn hook_from_wit(h: wit::Hook) -> script::Hook {
    match h {
        wit::Hook::Whoami => script::Hook::Whoami,
        wit::Hook::Settings => script::Hook::Settings,
        wit::Hook::LoginCompletion => script::Hook::LoginCompletion,
        wit::Hook::RouteCheck => script::Hook::RouteCheck,
    }
}

fn hook_to_wit(h: script::Hook) -> wit::Hook {
    match h {
        script::Hook::Whoami => wit::Hook::Whoami,
        script::Hook::Settings => wit::Hook::Settings,
        script::Hook::LoginCompletion => wit::Hook::LoginCompletion,
        script::Hook::RouteCheck => wit::Hook::RouteCheck,
    }
}

fn aal_from_wit(a: wit::Aal) -> script::Aal {
    match a {
        wit::Aal::Aal1 => script::Aal::Aal1,
        wit::Aal::Aal2 => script::Aal::Aal2,
    }
}

fn aal_to_wit(a: script::Aal) -> wit::Aal {
    match a {
        script::Aal::Aal1 => wit::Aal::Aal1,
        script::Aal::Aal2 => wit::Aal::Aal2,
    }
}

fn input_from_wit(i: wit::Input) -> input::Input {
    let s = i.session;
    let id = i.identity;
    let r = i.request;
    input::Input {
        hook: hook_from_wit(i.hook),
        session: input::Session {
            id: s.id,
            aal: aal_from_wit(s.aal),
            methods: s
                .methods
                .into_iter()
                .map(|m| input::AuthMethod {
                    method: m.method,
                    aal: aal_from_wit(m.aal),
                    completed_at: m.completed_at.seconds,
                    provider: m.provider,
                })
                .collect(),
            authenticated_at: s.authenticated_at.seconds,
            issued_at: s.issued_at.seconds,
            expires_at: s.expires_at.seconds,
            devices: s
                .devices
                .into_iter()
                .map(|d| input::Device {
                    ip: d.ip,
                    user_agent: d.user_agent,
                })
                .collect(),
        },
        identity: input::Identity {
            id: id.id,
            schema_id: id.schema_id,
            traits_json: id.traits_json,
            metadata_public_json: id.metadata_public_json,
            available_aal: aal_from_wit(id.available_aal),
            credential_types: id.credential_types,
        },
        request: input::Request {
            method: r.method,
            path: r.path,
            ip: r.ip,
            user_agent: r.user_agent,
            headers: r.headers,
            submitted_method: r.submitted_method,
        },
        now: i.now.seconds,
    }
}

fn decision_to_wit(d: script::Decision) -> wit::Decision {
    match d {
        script::Decision::Abstain => wit::Decision::Abstain,
        script::Decision::Allow => wit::Decision::Allow,
        script::Decision::RequireAal(a) => wit::Decision::RequireAal(aal_to_wit(a)),
        script::Decision::RequireReauthWithin(s) => wit::Decision::RequireReauthentication(s),
        script::Decision::Deny(reason) => wit::Decision::Deny(reason),
    }
}

// Exported only in the component build: native builds (unit tests) cannot carry the
// component export names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Scripted;

impl Guest for Scripted {
    fn describe() -> Result<wit::PolicyInfo, wit::LoadError> {
        // A reload gets a fresh instance, but parse again all the same: describe is the check.
        POLICY.with(|p| *p.borrow_mut() = None);
        let policy = load().map_err(|e| wit::LoadError {
            message: e.message,
            line: e.line,
            column: e.column,
        })?;
        Ok(wit::PolicyInfo {
            name: policy.name().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            hooks: policy.hooks().iter().copied().map(hook_to_wit).collect(),
        })
    }

    fn evaluate(input: wit::Input) -> wit::Verdict {
        // `describe` accepted these very settings, so this cannot fail short of a host bug;
        // trapping then fails the request closed, as the contract says.
        let policy = match load() {
            Ok(policy) => policy,
            Err(e) => panic!("policy script no longer loads: {e}"),
        };
        let verdict = policy.evaluate(&input_from_wit(input), &mut |warning| {
            let fields = warning.fields;
            log::emit(Level::Warn, &warning.message, &fields);
        });
        wit::Verdict {
            decision: decision_to_wit(verdict.decision),
            message: verdict.message,
        }
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Scripted with_types_in bindings);

#[cfg(test)]
mod tests;
