//! Query parameters read the way Kratos reads them (Go's `url.Values.Get`): the first value of
//! a name counts, an empty value is the same as none, and no parameter — malformed, repeated or
//! unknown — fails the request. Real UIs build their URLs from every parameter they know, empty
//! or not (`?aal=&refresh=&return_to=`), and must get the same answer as without them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

#[derive(Debug, Default, Clone)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: Option<&str>) -> QueryParams {
        QueryParams(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `name`, unless it is empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` is there at all, empty or not (Go's `Query().Has`).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn get_owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// Kratos' `strconv.ParseBool` with the error ignored: `1`, `t`, `T`, `TRUE`, `true` and
    /// `True` are true; anything else, garbage included, is false.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(parse_bool) == Some(true)
    }
}

/// Go's `strconv.ParseBool`: `None` for anything it refuses.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryParams::parse(parts.uri.query()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_the_first_value_counts() {
        let q = QueryParams::parse(Some(
            "aal=&refresh=&return_to=&organization=&via=&flow=a&flow=b&x=%2Fy+z",
        ));
        assert_eq!(q.get("aal"), None);
        assert_eq!(q.get("return_to"), None);
        assert_eq!(q.get("missing"), None);
        assert_eq!(q.get("flow"), Some("a"));
        assert_eq!(q.get("x"), Some("/y z"));
        assert!(!q.flag("refresh"));
    }

    #[test]
    fn flags_parse_like_go_and_ignore_garbage() {
        for yes in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(QueryParams::parse(Some(&format!("refresh={yes}"))).flag("refresh"));
        }
        for no in ["0", "f", "false", "FALSE", "yes", "tRuE", "2", "%ZZ"] {
            assert!(!QueryParams::parse(Some(&format!("refresh={no}"))).flag("refresh"));
        }
        assert!(!QueryParams::parse(None).flag("refresh"));
    }

    #[test]
    fn booleans_parse_as_go_parses_them() {
        assert_eq!(parse_bool("T"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("0"), Some(false));
        for refused in ["", "yes", "tRuE", "2"] {
            assert_eq!(parse_bool(refused), None, "{refused}");
        }
    }
}
