//! Reading the two `required_aal` switches.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Required {
    Aal1,
    #[default]
    HighestAvailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub whoami: Required,
    pub settings: Required,
    /// How recently a user must have signed in to change a credential in settings
    /// (`privileged_session_max_age`, seconds).
    pub privileged_max_age: u64,
}

fn required(value: Option<&Value>, key: &str) -> Result<Option<Required>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "aal1" => Ok(Some(Required::Aal1)),
        Some(Value::String(s)) if s == "highest_available" => Ok(Some(Required::HighestAvailable)),
        Some(other) => Err(format!(
            "{key} must be \"aal1\" or \"highest_available\", not {other}"
        )),
    }
}

/// Kratos' default `privileged_session_max_age`, one hour.
const DEFAULT_PRIVILEGED_MAX_AGE: u64 = 3600;

impl Default for Rules {
    fn default() -> Self {
        Rules {
            whoami: Required::default(),
            settings: Required::default(),
            privileged_max_age: DEFAULT_PRIVILEGED_MAX_AGE,
        }
    }
}

impl Rules {
    /// The policy's own keys win over the Kratos settings the host passes under `kratos`.
    pub fn from_settings(json: &str) -> Result<Rules, String> {
        let root: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let pick = |own: &str, kratos: &str| -> Result<Required, String> {
            Ok(required(root.get(own), own)?
                .or(required(root.pointer(kratos), kratos)?)
                .unwrap_or_default())
        };
        Ok(Rules {
            whoami: pick("whoami_required_aal", "/kratos/session/whoami/required_aal")?,
            settings: pick(
                "settings_required_aal",
                "/kratos/selfservice/flows/settings/required_aal",
            )?,
            privileged_max_age: root
                .get("privileged_session_max_age_seconds")
                .or_else(|| {
                    root.pointer(
                        "/kratos/selfservice/flows/settings/privileged_session_max_age_seconds",
                    )
                })
                .map(|v| {
                    v.as_u64().ok_or(
                        "privileged_session_max_age_seconds must be a whole number of seconds",
                    )
                })
                .transpose()?
                .unwrap_or(DEFAULT_PRIVILEGED_MAX_AGE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kratos_settings_apply_and_own_keys_override_them() {
        let kratos = r#"{"kratos":{"session":{"whoami":{"required_aal":"aal1"}},
            "selfservice":{"flows":{"settings":{"required_aal":"highest_available"}}}}}"#;
        let r = Rules::from_settings(kratos).unwrap();
        assert_eq!(r.whoami, Required::Aal1);
        assert_eq!(r.settings, Required::HighestAvailable);
        let own = r#"{"whoami_required_aal":"highest_available","kratos":{"session":{"whoami":{"required_aal":"aal1"}}}}"#;
        assert_eq!(
            Rules::from_settings(own).unwrap().whoami,
            Required::HighestAvailable
        );
        assert_eq!(Rules::from_settings("{}").unwrap(), Rules::default());
        assert!(Rules::from_settings(r#"{"whoami_required_aal":"aal3"}"#).is_err());
    }
}
