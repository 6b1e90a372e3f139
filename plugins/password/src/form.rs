//! The submitted body, as the host hands it over (form posts already converted to JSON).

use latchkey_plugin_sdk::form::Input;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub identifier: String,
    pub password: String,
}

impl Form {
    pub fn parse(json: &str) -> Form {
        let input = Input::parse(json);
        let identifier = match input.text("identifier") {
            // Kratos still accepts the pre-v0.10 field name; older clients send it.
            "" => input.text("password_identifier"),
            id => id,
        };
        Form {
            identifier: identifier.to_string(),
            password: input.text("password").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn reads_the_fields_kratos_clients_send() {
        let f = Form::parse(r#"{"method":"password","identifier":"A@b.c","password":"pw"}"#);
        assert_eq!(f.identifier, "A@b.c");
        assert_eq!(f.password, "pw");
        let legacy = Form::parse(r#"{"password_identifier":"x","password":"pw"}"#);
        assert_eq!(legacy.identifier, "x");
    }

    #[test]
    fn anything_odd_reads_as_missing() {
        assert_eq!(Form::parse("not json"), Form::default());
        assert_eq!(
            Form::parse(r#"{"identifier":3,"password":null}"#),
            Form::default()
        );
    }
}
