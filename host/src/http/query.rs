//! Query parameters read the way Kratos reads them. The self-service API reads with Go's
//! `url.Values.Get` ([`QueryParams::get`]): the first value of a name counts, an empty value is
//! the same as none, and no parameter — malformed, repeated or unknown — fails the request.
//! Real UIs build their URLs from every parameter they know, empty or not
//! (`?aal=&refresh=&return_to=`), and must get the same answer as without them. The admin API
//! reads some parameters its own ways: the paginator takes the first value given
//! ([`QueryParams::first_given`]), list parameters repeat or are comma-separated
//! ([`QueryParams::list`]), and `active` is a strict boolean ([`QueryParams::strict_bool`]).

use crate::error::ApiError;
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

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first non-empty value of `name`, trimmed, as Kratos' paginator reads it
    /// (`cmp.Or(q["page_size"]...)`).
    pub fn first_given(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `name`, repeated or comma-separated. An empty value is kept: Kratos
    /// parses each value given (`expand=` is an unknown expansion).
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, value) in self.0.iter().filter(|(k, _)| k == name) {
            for item in value.split(',').map(str::trim) {
                if !out.iter().any(|o| o == item) {
                    out.push(item.to_string());
                }
            }
        }
        out
    }

    /// A boolean as Kratos reads the admin API's `active`: `strconv.ParseBool`, and anything
    /// else a 400.
    pub fn strict_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.first_given(name) {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("could not parse parameter {name}"))),
        }
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

    #[test]
    fn repeated_and_comma_separated_values_make_one_list() {
        let q = QueryParams::parse(Some(
            "include_credential=password&include_credential=oidc,totp&include_credential=password&x=",
        ));
        assert_eq!(q.list("include_credential"), ["password", "oidc", "totp"]);
        assert!(q.list("expand").is_empty());
        assert_eq!(q.list("x"), [""]);
        assert_eq!(q.first_given("x"), None);
    }

    #[test]
    fn the_first_non_empty_value_counts() {
        let q = QueryParams::parse(Some("page_size=&page_size=2&page_size=ten"));
        assert_eq!(q.first_given("page_size"), Some("2"));
    }

    #[test]
    fn booleans_are_strict() {
        let q = QueryParams::parse(Some("active=true&other=no"));
        assert_eq!(q.strict_bool("active").unwrap(), Some(true));
        assert_eq!(
            QueryParams::parse(Some("active=T"))
                .strict_bool("active")
                .unwrap(),
            Some(true)
        );
        assert!(
            QueryParams::parse(Some("active=tRuE"))
                .strict_bool("active")
                .is_err()
        );
        assert_eq!(q.strict_bool("missing").unwrap(), None);
        assert!(q.strict_bool("other").is_err());
        assert_eq!(
            QueryParams::parse(Some("active=false"))
                .strict_bool("active")
                .unwrap(),
            Some(false)
        );
    }

    #[test]
    fn values_are_percent_decoded() {
        let q = QueryParams::parse(Some("credentials_identifier=a%2Bb%40example.com"));
        assert_eq!(
            q.first_given("credentials_identifier"),
            Some("a+b@example.com")
        );
    }
}
