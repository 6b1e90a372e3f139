//! The submitted body, as the host hands it over (form posts already converted to JSON).

use serde_json::Value;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub totp_code: String,
    pub totp_unlink: bool,
}

impl Form {
    /// Lenient on purpose: a missing or odd field reads as empty (or false), which the flows
    /// then report as missing. Codes may arrive as JSON numbers from careless clients, but
    /// leading zeros are lost that way, so such a code is only right if it has none.
    pub fn parse(json: &str) -> Form {
        let value: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let totp_code = match value.get("totp_code") {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Form {
            totp_code,
            totp_unlink: truthy(value.get("totp_unlink")),
        }
    }
}

/// `true` as JSON or as the form value `"true"` (Kratos' submit buttons carry that).
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
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
