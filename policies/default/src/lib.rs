//! Kratos' AAL rules as a policy: `session.whoami.required_aal` and
//! `selfservice.flows.settings.required_aal`, each `aal1` or `highest_available`. Under
//! `highest_available` a session must be aal2 when its identity could be, at whoami, route
//! checks, settings and right after a login; under `aal1` any session will do.
//!
//! The host hands every policy its Kratos settings under `kratos` (the same values the
//! built-in rules use); this policy's own config may override them:
//! `{"whoami_required_aal": "aal1", "settings_required_aal": "highest_available"}`.

wit_bindgen::generate!({
    path: "../../wit/policy",
    world: "policy-component",
    generate_all,
});

mod rules;

use exports::latchkey::policy::policy::Guest;
use latchkey::host::settings;
use latchkey::policy::types::{Aal, Decision, Hook, Input, LoadError, PolicyInfo, Verdict};
use rules::{Required, Rules};

fn rules() -> Result<Rules, String> {
    Rules::from_settings(&settings::get())
}

struct KratosDefault;

impl Guest for KratosDefault {
    fn describe() -> Result<PolicyInfo, LoadError> {
        rules().map_err(|message| LoadError {
            message,
            line: None,
            column: None,
        })?;
        Ok(PolicyInfo {
            name: "kratos-default".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            hooks: vec![
                Hook::Whoami,
                Hook::Settings,
                Hook::LoginCompletion,
                Hook::RouteCheck,
            ],
        })
    }

    fn evaluate(input: Input) -> Verdict {
        // Settings were checked at load time and cannot change since.
        let rules = rules().unwrap_or_default();
        let required = match input.hook {
            Hook::Settings => rules.settings,
            Hook::Whoami | Hook::LoginCompletion | Hook::RouteCheck => rules.whoami,
        };
        let decision = match required {
            Required::HighestAvailable if input.identity.available_aal == Aal::Aal2 => {
                Decision::RequireAal(Aal::Aal2)
            }
            _ => Decision::Allow,
        };
        Verdict {
            decision,
            message: None,
        }
    }
}

#[cfg(target_arch = "wasm32")]
export!(KratosDefault);
