//! The submitted body, as the host hands it over (form posts already converted to JSON).

use latchkey_plugin_sdk::form::Input;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub identifier: String,
    pub password: String,
    /// Fields sent with another type than a string. Kratos' decoder refuses them (400), even
    /// the deprecated `password_identifier` next to a good `identifier`.
    pub not_strings: Vec<&'static str>,
}

impl Form {
    pub fn parse(json: &str) -> Form {
        let input = Input::parse(json);
        let identifier = match input.text("identifier") {
            // Kratos still accepts the pre-v0.10 field name; older clients send it.
            "" => input.text("password_identifier"),
            id => id,
        };
        let raw: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        let not_strings = ["identifier", "password", "password_identifier"]
            .into_iter()
            .filter(|field| {
                raw.get(field)
                    .is_some_and(|v| !v.is_string() && !v.is_null())
            })
            .collect();
        Form {
            identifier: identifier.to_string(),
            password: input.text("password").to_string(),
            not_strings,
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
    fn anything_odd_reads_as_missing_and_is_named() {
        assert_eq!(Form::parse("not json"), Form::default());
        let odd = Form::parse(r#"{"identifier":3,"password":null}"#);
        assert_eq!((odd.identifier.as_str(), odd.password.as_str()), ("", ""));
        assert_eq!(odd.not_strings, ["identifier"]);
        let legacy = Form::parse(r#"{"identifier":"a","password":"p","password_identifier":5}"#);
        assert_eq!(legacy.not_strings, ["password_identifier"]);
    }
}
