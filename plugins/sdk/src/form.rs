//! The submitted body, as the host hands it to `submit` (form posts already converted to JSON).
//!
//! Reading is lenient on purpose: a missing, null or oddly typed field reads as empty (or
//! `false`), which the method then reports as "Property … is missing." on its node, as Kratos
//! does.

use serde_json::Value;

pub struct Input(Value);

impl Input {
    /// Anything that is no JSON reads as an empty body.
    pub fn parse(json: &str) -> Input {
        Input(serde_json::from_str(json).unwrap_or(Value::Null))
    }

    /// A string field as sent.
    pub fn text(&self, key: &str) -> &str {
        self.0.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// A string field without surrounding blanks.
    pub fn trimmed(&self, key: &str) -> String {
        self.text(key).trim().to_string()
    }

    /// A code: a trimmed string, or a JSON number from a careless client. Leading zeros are lost
    /// in a number, so such a code is only right if it has none.
    pub fn code(&self, key: &str) -> String {
        match self.0.get(key) {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    /// `true` as JSON or as the form value `"true"` (Kratos' submit buttons carry that).
    pub fn flag(&self, key: &str) -> bool {
        match self.0.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn reads_leniently() {
        let i = Input::parse(r#"{"a":" x ","n":123,"t":"TRUE","f":"false","b":true,"z":1}"#);
        assert_eq!(i.text("a"), " x ");
        assert_eq!(i.trimmed("a"), "x");
        assert_eq!(i.code("a"), "x");
        assert_eq!(i.code("n"), "123");
        assert_eq!(i.text("n"), "");
        assert!(i.flag("t") && i.flag("b"));
        assert!(!i.flag("f") && !i.flag("z") && !i.flag("missing"));
        let junk = Input::parse("not json");
        assert_eq!(
            (junk.text("a"), junk.code("a"), junk.flag("a")),
            ("", String::new(), false)
        );
    }
}
