//! The submitted body, as the host hands it over (form posts already converted to JSON).

use latchkey_plugin_sdk::form::Input;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub totp_code: String,
    pub totp_unlink: bool,
}

impl Form {
    pub fn parse(json: &str) -> Form {
        let input = Input::parse(json);
        Form {
            totp_code: input.code("totp_code"),
            totp_unlink: input.flag("totp_unlink"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn reads_what_clients_send() {
        let f = Form::parse(r#"{"method":"totp","totp_code":" 123456 "}"#);
        assert_eq!(f.totp_code, "123456");
        assert!(!f.totp_unlink);
        assert!(Form::parse(r#"{"totp_unlink":"true"}"#).totp_unlink);
        assert!(Form::parse(r#"{"totp_unlink":true}"#).totp_unlink);
        assert!(!Form::parse(r#"{"totp_unlink":"false"}"#).totp_unlink);
        assert_eq!(Form::parse(r#"{"totp_code":123456}"#).totp_code, "123456");
    }

    #[test]
    fn anything_odd_reads_as_missing() {
        assert_eq!(Form::parse("not json"), Form::default());
        assert_eq!(
            Form::parse(r#"{"totp_code":null,"totp_unlink":1}"#),
            Form::default()
        );
    }
}
