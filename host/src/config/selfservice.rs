//! `selfservice`: methods, flows and where browsers are sent afterwards.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::model::FlowKind;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::model::{empty_object, optional_url};
use super::units::deserialize_duration;

#[derive(Clone, Debug)]
pub struct SelfService {
    /// Where browsers go when nothing more specific is configured or requested.
    pub default_browser_return_url: Url,
    /// Return URLs a flow may redirect to; Kratos allows `*` wildcards in them, hence strings.
    pub allowed_return_urls: Vec<String>,
    /// By method id (`password`, `totp`, a plugin's own method, …).
    pub methods: BTreeMap<String, MethodConfig>,
    pub flows: Flows,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MethodConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "empty_object")]
    pub config: Value,
}

/// The AAL a session needs, Kratos' `required_aal`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredAal {
    Aal1,
    #[default]
    HighestAvailable,
}

impl RequiredAal {
    pub fn as_str(self) -> &'static str {
        match self {
            RequiredAal::Aal1 => "aal1",
            RequiredAal::HighestAvailable => "highest_available",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Flows {
    pub login: LoginFlow,
    pub registration: RegistrationFlow,
    pub settings: SettingsFlow,
    pub recovery: ChallengeFlow,
    pub verification: ChallengeFlow,
    pub logout: LogoutFlow,
    pub error: ErrorFlow,
}

/// What every self-service flow kind is configured with, whatever its own section adds.
#[derive(Clone, Copy, Debug)]
pub struct FlowSettings<'a> {
    pub ui_url: Option<&'a Url>,
    pub lifespan: Duration,
    pub after: &'a After,
}

impl Flows {
    /// The settings of `kind`'s section (`selfservice.flows.<kind>`): the one place that maps a
    /// kind to its section.
    pub fn of(&self, kind: FlowKind) -> FlowSettings<'_> {
        match kind {
            FlowKind::Login => FlowSettings {
                ui_url: self.login.ui_url.as_ref(),
                lifespan: self.login.lifespan,
                after: &self.login.after,
            },
            FlowKind::Registration => FlowSettings {
                ui_url: self.registration.ui_url.as_ref(),
                lifespan: self.registration.lifespan,
                after: &self.registration.after,
            },
            FlowKind::Settings => FlowSettings {
                ui_url: self.settings.ui_url.as_ref(),
                lifespan: self.settings.lifespan,
                after: &self.settings.after,
            },
            FlowKind::Recovery | FlowKind::Verification => {
                let flow = self.challenge(kind).expect("a challenge flow");
                FlowSettings {
                    ui_url: flow.ui_url.as_ref(),
                    lifespan: flow.lifespan,
                    after: &flow.after,
                }
            }
        }
    }

    /// Every hook list that is written in the config, with its key path
    /// (`selfservice.flows.registration.after.password.hooks`), in a stable order.
    pub fn hook_lists(&self) -> Vec<(String, &Value)> {
        let flows: [(&str, &Before, &After); 5] = [
            ("login", &self.login.before, &self.login.after),
            (
                "registration",
                &self.registration.before,
                &self.registration.after,
            ),
            ("settings", &self.settings.before, &self.settings.after),
            ("recovery", &self.recovery.before, &self.recovery.after),
            (
                "verification",
                &self.verification.before,
                &self.verification.after,
            ),
        ];
        let mut lists = Vec::new();
        for (flow, before, after) in flows {
            let key = format!("selfservice.flows.{flow}");
            lists.push((format!("{key}.before.hooks"), &before.hooks));
            lists.push((format!("{key}.after.hooks"), &after.hooks));
            for (method, settings) in &after.methods {
                lists.push((format!("{key}.after.{method}.hooks"), &settings.hooks));
            }
        }
        lists
    }

    /// `selfservice.flows.recovery` or `.verification`; `None` for the other kinds.
    pub fn challenge(&self, kind: FlowKind) -> Option<&ChallengeFlow> {
        match kind {
            FlowKind::Recovery => Some(&self.recovery),
            FlowKind::Verification => Some(&self.verification),
            _ => None,
        }
    }
}

/// `selfservice.flows.recovery` and `selfservice.flows.verification`: flows in which someone
/// proves they read what was sent to an address.
#[derive(Clone, Debug, Deserialize)]
pub struct ChallengeFlow {
    pub enabled: bool,
    #[serde(default, deserialize_with = "optional_url")]
    pub ui_url: Option<Url>,
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
    /// The method that sends and checks the challenge (`code`, `link`).
    #[serde(rename = "use")]
    pub method: String,
    /// Whether an address that belongs to no identity is told so by mail (Kratos' `invalid`
    /// templates) instead of getting nothing.
    #[serde(default)]
    pub notify_unknown_recipients: bool,
    #[serde(default)]
    pub after: After,
    #[serde(default)]
    pub before: Before,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LoginFlow {
    #[serde(default, deserialize_with = "optional_url")]
    pub ui_url: Option<Url>,
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
    #[serde(default)]
    pub before: Before,
    #[serde(default)]
    pub after: After,
    /// Submissions one login flow takes before the client must continue in a new one; `0`
    /// for no limit (Latchkey's own key; Kratos has no such limit). It keeps a flow from
    /// serving as an endless guessing loop; the factors' own attempt limits are what bound
    /// guessing per credential.
    pub max_submissions: u32,
    pub throttle: Throttle,
}

/// Latchkey's own `selfservice.flows.login.throttle`: how failed sign-ins slow down further
/// attempts on the same identifier and from the same client address.
#[derive(Clone, Debug, Deserialize)]
pub struct Throttle {
    pub enabled: bool,
    /// A count starts over once no failure was added to it for this long.
    #[serde(deserialize_with = "deserialize_duration")]
    pub forget_after: Duration,
    pub per_identifier: Backoff,
    pub per_address: Backoff,
}

/// Free failures, then a wait that doubles with each further failure, up to a cap.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Backoff {
    pub after_failures: u32,
    #[serde(deserialize_with = "deserialize_duration")]
    pub first_delay: Duration,
    #[serde(deserialize_with = "deserialize_duration")]
    pub max_delay: Duration,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RegistrationFlow {
    pub enabled: bool,
    #[serde(default, deserialize_with = "optional_url")]
    pub ui_url: Option<Url>,
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
    #[serde(default)]
    pub before: Before,
    #[serde(default)]
    pub after: After,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SettingsFlow {
    #[serde(default, deserialize_with = "optional_url")]
    pub ui_url: Option<Url>,
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
    /// How long after authenticating a session may change credentials without logging in again.
    #[serde(deserialize_with = "deserialize_duration")]
    pub privileged_session_max_age: Duration,
    pub required_aal: RequiredAal,
    #[serde(default)]
    pub before: Before,
    #[serde(default)]
    pub after: After,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogoutFlow {
    #[serde(default)]
    pub after: LogoutAfter,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogoutAfter {
    #[serde(default, deserialize_with = "optional_url")]
    pub default_browser_return_url: Option<Url>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ErrorFlow {
    #[serde(default, deserialize_with = "optional_url")]
    pub ui_url: Option<Url>,
    /// How long an error sent to the error UI can be read by its id (Latchkey's own key;
    /// Kratos keeps errors until `kratos cleanup sql`).
    #[serde(deserialize_with = "deserialize_duration")]
    pub lifespan: Duration,
}

/// A flow's `before` block: hooks that run when a flow is created.
#[derive(Clone, Debug, Deserialize)]
pub struct Before {
    #[serde(default = "empty_list")]
    pub hooks: Value,
}

impl Default for Before {
    fn default() -> Self {
        Self {
            hooks: empty_list(),
        }
    }
}

/// A flow's `after` block: what happens once it succeeds, overall and per method
/// (`after.password.hooks`). Hooks are kept as written; Kratos configs carry them and
/// rejecting them would make those configs unusable.
#[derive(Clone, Debug)]
pub struct After {
    pub default_browser_return_url: Option<Url>,
    /// The hook list as written (`[{hook: session}, …]`), `[]` when absent.
    pub hooks: Value,
    pub methods: BTreeMap<String, AfterMethod>,
}

impl Default for After {
    fn default() -> Self {
        Self {
            default_browser_return_url: None,
            hooks: empty_list(),
            methods: BTreeMap::new(),
        }
    }
}

impl After {
    /// Whether `hook` (`require_verified_address`, `show_verification_ui`…) is configured for
    /// the flow as a whole or for `method`.
    pub fn has_hook(&self, method: &str, hook: &str) -> bool {
        let listed = |hooks: &Value| {
            hooks
                .as_array()
                .is_some_and(|hooks| hooks.iter().any(|h| h["hook"].as_str() == Some(hook)))
        };
        listed(&self.hooks) || self.methods.get(method).is_some_and(|m| listed(&m.hooks))
    }

    /// The method's own return URL, else the flow's.
    pub fn return_url(&self, method: &str) -> Option<&Url> {
        self.methods
            .get(method)
            .and_then(|m| m.default_browser_return_url.as_ref())
            .or(self.default_browser_return_url.as_ref())
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AfterMethod {
    #[serde(default, deserialize_with = "optional_url")]
    pub default_browser_return_url: Option<Url>,
    #[serde(default = "empty_list")]
    pub hooks: Value,
}

// Written out because method names share the map with two fixed keys; `#[serde(flatten)]`
// would lose the key path in error messages.
impl<'de> Deserialize<'de> for After {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AfterVisitor)
    }
}

struct AfterVisitor;

impl<'de> Visitor<'de> for AfterVisitor {
    type Value = After;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of `default_browser_return_url`, `hooks` and per-method settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<After, A::Error> {
        let mut after = After::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "default_browser_return_url" => {
                    after.default_browser_return_url = map.next_value::<OptionalUrl>()?.0;
                }
                "hooks" => after.hooks = map.next_value()?,
                _ => {
                    let method = map.next_value()?;
                    after.methods.insert(key, method);
                }
            }
        }
        Ok(after)
    }
}

fn empty_list() -> Value {
    Value::Array(Vec::new())
}

struct OptionalUrl(Option<Url>);

impl<'de> Deserialize<'de> for OptionalUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        optional_url(deserializer).map(OptionalUrl)
    }
}
