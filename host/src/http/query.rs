//! Query strings read as Kratos reads them (Go's `url.Values`): a repeated parameter counts
//! with its first value, and a query that does not decode is a Kratos error, not the
//! framework's text.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// `Query<T>` for handlers: `T` is deserialized from the query with each name's first value.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse(parts.uri.query().unwrap_or("")).map(Query)
    }
}

fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let mut first: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        if !first.iter().any(|(n, _)| *n == name) {
            first.push((name.into_owned(), value.into_owned()));
        }
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&first)
        .finish();
    serde_urlencoded::from_str(&encoded).map_err(|e| {
        ApiError::bad_request(format!("Unable to parse the URL query parameters: {e}"))
    })
}

/// A boolean as Go's `strconv.ParseBool` reads it, with the error dropped as Kratos drops it
/// (`refresh`, `return_session_token_exchange_code`): `1 t T TRUE true True` and
/// `0 f F FALSE false False`; anything else, the empty string included, is no value.
pub fn go_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .as_deref()
        .and_then(parse_bool))
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Params {
        id: Option<String>,
        #[serde(default, deserialize_with = "go_bool")]
        refresh: Option<bool>,
    }

    #[test]
    fn the_first_of_repeated_values_counts_and_unknown_names_are_ignored() {
        let p: Params = parse("id=a&id=b&other=1&refresh=true&refresh=no").unwrap();
        assert_eq!(
            p,
            Params {
                id: Some("a".into()),
                refresh: Some(true)
            }
        );
    }

    #[test]
    fn booleans_parse_as_go_parses_them_and_nonsense_is_no_value() {
        for (raw, want) in [
            ("refresh=T", Some(true)),
            ("refresh=1", Some(true)),
            ("refresh=False", Some(false)),
            ("refresh=yes", None),
            ("refresh=", None),
            ("", None),
        ] {
            let p: Params = parse(raw).unwrap();
            assert_eq!(p.refresh, want, "{raw}");
        }
    }

    #[test]
    fn values_are_percent_decoded() {
        let p: Params = parse("id=a%2Bb%40c&refresh=%74rue").unwrap();
        assert_eq!(p.id.as_deref(), Some("a+b@c"));
        assert_eq!(p.refresh, Some(true));
    }
}
