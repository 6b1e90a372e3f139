//! The submitted body, as the host hands it over (form posts already converted to JSON).

use serde_json::Value;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form {
    /// The code typed at login.
    pub lookup_secret: String,
    pub regenerate: bool,
    pub reveal: bool,
    pub confirm: bool,
    pub disable: bool,
}

impl Form {
    /// Lenient on purpose: a missing or odd field reads as empty (or false).
    pub fn parse(json: &str) -> Form {
        let value: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let flag = |key: &str| match value.get(key) {
            Some(Value::Bool(b)) => *b,
            // Kratos' submit buttons carry the value "true".
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        Form {
            lookup_secret: value
                .get("lookup_secret")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string(),
            regenerate: flag("lookup_secret_regenerate"),
            reveal: flag("lookup_secret_reveal"),
            confirm: flag("lookup_secret_confirm"),
            disable: flag("lookup_secret_disable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn reads_what_clients_send() {
        let f = Form::parse(r#"{"method":"lookup_secret","lookup_secret":" abc "}"#);
        assert_eq!(f.lookup_secret, "abc");
        assert!(Form::parse(r#"{"lookup_secret_regenerate":"true"}"#).regenerate);
        assert!(Form::parse(r#"{"lookup_secret_confirm":true}"#).confirm);
        assert!(Form::parse(r#"{"lookup_secret_reveal":"true"}"#).reveal);
        assert!(Form::parse(r#"{"lookup_secret_disable":"true"}"#).disable);
        assert!(!Form::parse(r#"{"lookup_secret_disable":"false"}"#).disable);
    }

    #[test]
    fn anything_odd_reads_as_missing() {
        assert_eq!(Form::parse("not json"), Form::default());
        assert_eq!(
            Form::parse(r#"{"lookup_secret":7,"lookup_secret_confirm":1}"#),
            Form::default()
        );
    }
}
