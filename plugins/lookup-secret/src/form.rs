//! The submitted body, as the host hands it over (form posts already converted to JSON).

use latchkey_plugin_sdk::form::Input;

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
    pub fn parse(json: &str) -> Form {
        let input = Input::parse(json);
        Form {
            lookup_secret: input.trimmed("lookup_secret"),
            regenerate: input.flag("lookup_secret_regenerate"),
            reveal: input.flag("lookup_secret_reveal"),
            confirm: input.flag("lookup_secret_confirm"),
            disable: input.flag("lookup_secret_disable"),
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
