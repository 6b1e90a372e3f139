//! Query strings as Kratos' admin API reads them: list parameters repeat
//! (`include_credential=password&include_credential=oidc`), and a comma-separated value is
//! accepted too.

use crate::error::ApiError;

#[derive(Debug, Clone, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> QueryParams {
        QueryParams(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first non-empty value of `name`, as Kratos' paginator reads it
    /// (`cmp.Or(q["page_size"]...)`); for one value, Go's `Query().Get`.
    pub fn get(&self, name: &str) -> Option<&str> {
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

    /// A boolean as Kratos reads `active`: `strconv.ParseBool`, and anything else a 400.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => crate::http::query::parse_bool(v)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("could not parse parameter {name}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_values_make_one_list() {
        let q = QueryParams::parse(Some(
            "include_credential=password&include_credential=oidc,totp&include_credential=password&x=",
        ));
        assert_eq!(q.list("include_credential"), ["password", "oidc", "totp"]);
        assert!(q.list("expand").is_empty());
        assert_eq!(q.list("x"), [""]);
        assert_eq!(q.get("x"), None);
    }

    #[test]
    fn the_first_non_empty_value_counts() {
        let q = QueryParams::parse(Some("page_size=&page_size=2&page_size=ten"));
        assert_eq!(q.get("page_size"), Some("2"));
    }

    #[test]
    fn booleans_are_strict() {
        let q = QueryParams::parse(Some("active=true&other=no"));
        assert_eq!(q.bool("active").unwrap(), Some(true));
        assert_eq!(
            QueryParams::parse(Some("active=T")).bool("active").unwrap(),
            Some(true)
        );
        assert!(
            QueryParams::parse(Some("active=tRuE"))
                .bool("active")
                .is_err()
        );
        assert_eq!(q.bool("missing").unwrap(), None);
        assert!(q.bool("other").is_err());
        assert_eq!(
            QueryParams::parse(Some("active=false"))
                .bool("active")
                .unwrap(),
            Some(false)
        );
    }

    #[test]
    fn values_are_percent_decoded() {
        let q = QueryParams::parse(Some("credentials_identifier=a%2Bb%40example.com"));
        assert_eq!(q.get("credentials_identifier"), Some("a+b@example.com"));
    }
}
