//! Kratos' AAL rules as a policy: `session.whoami.required_aal` and
//! `selfservice.flows.settings.required_aal`, each `aal1` or `highest_available`. Under
//! `highest_available` a session must be aal2 when its identity could be, at whoami, route
//! checks, settings and right after a login; under `aal1` any session will do.
//!
//! A credential change submitted in settings also needs a sign-in within
//! `selfservice.flows.settings.privileged_session_max_age`, as in Kratos.
//!
//! The host hands every policy its Kratos settings under `kratos` (the same values the
//! built-in rules use); this policy's own config may override them:
//! `{"whoami_required_aal": "aal1", "settings_required_aal": "highest_available"}`.

wit_bindgen::generate!({
    path: "../../wit/policy@0.1.0",
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
        let needs_aal2 =
            required == Required::HighestAvailable && input.identity.available_aal == Aal::Aal2;
        // A verdict carries one decision: the first requirement the session does not meet.
        let decision = if needs_aal2 && input.session.aal != Aal::Aal2 {
            Decision::RequireAal(Aal::Aal2)
        } else if changes_a_credential(&input) {
            Decision::RequireReauthentication(rules.privileged_max_age)
        } else {
            Decision::Allow
        };
        Verdict {
            decision,
            message: None,
        }
    }
}

/// A settings submission of a credential method (anything but `profile`): Kratos asks for a
/// privileged session, one signed in within `privileged_session_max_age`.
fn changes_a_credential(input: &Input) -> bool {
    input.hook == Hook::Settings
        && input.request.method == "POST"
        && input
            .request
            .submitted_method
            .as_deref()
            .is_some_and(|m| m != "profile")
}

#[cfg(target_arch = "wasm32")]
export!(KratosDefault);
