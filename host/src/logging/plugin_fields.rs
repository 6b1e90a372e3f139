//! A plugin's log fields (`emit` of `latchkey:host/log`). tracing fixes field names where an
//! event is written, so a plugin's fields travel in one field, [`FIELD`], as a JSON object,
//! and the formatters spread them out: `key=value` pairs in text, an object in JSON. Keys are
//! cut down to a safe alphabet and values escaped, so that a plugin cannot forge a log line
//! or a field of the host's.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// The field that carries them. `log.rs` writes it by this name.
pub(crate) const FIELD: &str = "plugin_fields";

/// Keys longer than this are cut: a key is a name, not a place for data.
const MAX_KEY_CHARS: usize = 64;

/// The fields as the JSON object [`FIELD`] carries; a repeated key keeps its last value.
pub(crate) fn encode(fields: &[(String, String)]) -> String {
    let object: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (key(k), Value::String(v.clone())))
        .collect();
    Value::Object(object).to_string()
}

/// Letters, digits, `_`, `-` and `.`; anything else becomes `_`.
fn key(raw: &str) -> String {
    let key: String = raw
        .chars()
        .take(MAX_KEY_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() { "_".into() } else { key }
}

/// `key=value` pairs for the text format, a value quoted and escaped unless it is a plain
/// word; empty when [`FIELD`] held no object.
pub(super) fn as_text(encoded: &str) -> String {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(encoded) else {
        return String::new();
    };
    object
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().unwrap_or_default();
            if is_plain(v) {
                format!("{}={v}", key(k))
            } else {
                format!("{}={v:?}", key(k))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/' | '@'))
}

/// A JSON log line with [`FIELD`]'s text replaced by the object it holds; `None` when the
/// line is not one the JSON formatter wrote with it.
pub(super) fn nest_in_json(line: &str) -> Option<String> {
    let mut event: Value = serde_json::from_str(line.trim_end()).ok()?;
    let fields = event.get_mut("fields")?.as_object_mut()?;
    let carried = fields.get(FIELD)?.as_str()?;
    let Value::Object(object) = serde_json::from_str::<Value>(carried).ok()? else {
        return None;
    };
    // Re-keyed in case the text was not written by `encode`.
    let object: Map<String, Value> = object.into_iter().map(|(k, v)| (key(&k), v)).collect();
    fields.insert(FIELD.into(), Value::Object(object));
    Some(format!("{event}\n"))
}

/// A plugin's message on one line: control characters (a newline would start what looks like
/// another event in the text format) written as escapes.
pub(crate) fn one_line(message: &str) -> Cow<'_, str> {
    if !message.chars().any(char::is_control) {
        return Cow::Borrowed(message);
    }
    Cow::Owned(
        message
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_are_cut_down_to_a_safe_alphabet() {
        let encoded = encode(&fields(&[
            ("identity id", "1"),
            ("a\"b=c\nd", "2"),
            ("", "3"),
            ("ok_key.x-y", "4"),
        ]));
        let text = as_text(&encoded);
        assert_eq!(text, "_=3 a_b_c_d=2 identity_id=1 ok_key.x-y=4");
    }

    #[test]
    fn values_are_quoted_and_escaped_unless_plain() {
        let encoded = encode(&fields(&[
            ("plain", "abc-123"),
            ("spaced", "a b"),
            ("forged", "x\n2026-01-01T00:00:00Z ERROR fake=\"1\""),
            ("empty", ""),
        ]));
        let text = as_text(&encoded);
        assert!(text.contains("plain=abc-123"), "{text}");
        assert!(text.contains(r#"spaced="a b""#), "{text}");
        assert!(
            text.contains(r#"forged="x\n2026-01-01T00:00:00Z ERROR fake=\"1\"""#),
            "{text}"
        );
        assert!(text.contains(r#"empty="""#), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn the_json_line_gets_an_object() {
        let carried = encode(&fields(&[("identity_id", "42"), ("reason", "a \"b\"")]));
        let line = serde_json::json!({
            "level": "INFO",
            "fields": { "message": "wrong PIN", "plugin": "pin (pin.wasm)", FIELD: carried },
        })
        .to_string();
        let nested: Value = serde_json::from_str(&nest_in_json(&line).unwrap()).unwrap();
        assert_eq!(
            nested["fields"][FIELD],
            serde_json::json!({ "identity_id": "42", "reason": "a \"b\"" })
        );
        assert_eq!(nested["fields"]["plugin"], "pin (pin.wasm)");
        assert_eq!(nest_in_json("not json"), None);
    }

    #[test]
    fn a_message_stays_on_one_line() {
        assert_eq!(one_line("fine"), "fine");
        assert_eq!(one_line("a\nb\tc\x1b"), "a\\nb\\tc\\u{1b}");
    }
}
