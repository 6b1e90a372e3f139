//! Keyset pagination as Kratos does it: `page_size` and an opaque `page_token`, and `Link`
//! headers pointing at the first and the next page.

use crate::error::ApiError;
use crate::http::query::QueryParams;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;
use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: u32 = 250;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: u32,
    /// The last id of the previous page.
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// From `page_size` (Kratos' older `per_page` too) and `page_token`. A size above the
    /// maximum is lowered to it; zero, a negative or a non-number is a 400.
    pub fn from_query(query: &QueryParams) -> Result<PageRequest, ApiError> {
        let size = match query
            .first_given("page_size")
            .or_else(|| query.first_given("per_page"))
        {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 1 => n.min(i64::from(MAX_PAGE_SIZE)) as u32,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "`page_size` must be a number between 1 and {MAX_PAGE_SIZE}, got `{raw}`"
                    )));
                }
            },
        };
        let after = query
            .first_given("page_token")
            .map(parse_token)
            .transpose()?;
        Ok(PageRequest { size, after })
    }

    /// As Kratos pages an identity's sessions (`x.ParsePagination`): a size or token that
    /// does not parse is the default, never an error.
    pub fn lenient(query: &QueryParams) -> PageRequest {
        let size = query
            .first_given("page_size")
            .or_else(|| query.first_given("per_page"))
            .and_then(|raw| raw.parse::<i64>().ok())
            .map_or(DEFAULT_PAGE_SIZE, |n| {
                n.clamp(1, i64::from(MAX_PAGE_SIZE)) as u32
            });
        let after = query
            .first_given("page_token")
            .and_then(|t| parse_token(t).ok());
        PageRequest { size, after }
    }

    /// How many rows to fetch: one more than the page holds, to learn whether a next page
    /// exists.
    pub fn fetch_size(&self) -> u32 {
        self.size + 1
    }

    /// Cuts a fetch of [`PageRequest::fetch_size`] rows down to the page, and returns the id
    /// the next page starts after, if there is a next page.
    pub fn cut<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<Uuid>) {
        if rows.len() > self.size as usize {
            rows.truncate(self.size as usize);
            let next = rows.last().map(id);
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

pub fn token(after: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(after.hyphenated().to_string())
}

fn parse_token(raw: &str) -> Result<Uuid, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Uuid::parse_str(&text).ok())
        .ok_or_else(|| {
            ApiError::bad_request("The page token is invalid, do not craft your own page tokens")
        })
}

/// The `Link` header values for a page: `rel="first"`, and `rel="next"` when there is a next
/// page. Both keep the request's other query parameters (filters, `expand`…).
pub fn link_headers(
    base: &Url,
    path: &str,
    query: &QueryParams,
    page: &PageRequest,
    next: Option<Uuid>,
) -> Vec<String> {
    let link = |rel: &str, token: Option<String>| {
        let mut url = base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| base.clone());
        {
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            for (k, v) in query.pairs() {
                if !matches!(k.as_str(), "page_size" | "per_page" | "page" | "page_token") {
                    pairs.append_pair(k, v);
                }
            }
            pairs.append_pair("page_size", &page.size.to_string());
            if let Some(token) = token {
                pairs.append_pair("page_token", &token);
            }
        }
        format!("<{url}>; rel=\"{rel}\"")
    };
    let mut links = vec![link("first", None)];
    if let Some(next) = next {
        links.push(link("next", Some(token(next))));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> QueryParams {
        QueryParams::parse(Some(raw))
    }

    #[test]
    fn sizes_default_clamp_and_reject_nonsense() {
        assert_eq!(
            PageRequest::from_query(&query("")).unwrap(),
            PageRequest {
                size: DEFAULT_PAGE_SIZE,
                after: None
            }
        );
        assert_eq!(
            PageRequest::from_query(&query("page_size=5000"))
                .unwrap()
                .size,
            MAX_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::from_query(&query("per_page=7")).unwrap().size,
            7
        );
        for bad in ["page_size=0", "page_size=-3", "page_size=ten"] {
            assert!(PageRequest::from_query(&query(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn lenient_paging_falls_back_to_the_defaults() {
        let page = PageRequest::lenient(&query("page_size=ten&page_token=forged"));
        assert_eq!(
            page,
            PageRequest {
                size: DEFAULT_PAGE_SIZE,
                after: None
            }
        );
        assert_eq!(PageRequest::lenient(&query("per_page=0")).size, 1);
        assert_eq!(PageRequest::lenient(&query("page_size=7")).size, 7);
    }

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let id = Uuid::new_v4();
        let page = PageRequest::from_query(&query(&format!("page_token={}", token(id)))).unwrap();
        assert_eq!(page.after, Some(id));
        let err = PageRequest::from_query(&query("page_token=not-a-token")).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
    }

    #[test]
    fn cut_reports_the_next_page_only_when_there_is_one() {
        let page = PageRequest {
            size: 2,
            after: None,
        };
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let (rows, next) = page.cut(ids.clone(), |u| *u);
        assert_eq!((rows.as_slice(), next), (&ids[..2], Some(ids[1])));
        let (rows, next) = page.cut(ids[..2].to_vec(), |u| *u);
        assert_eq!((rows.len(), next), (2, None));
    }

    #[test]
    fn links_keep_filters_and_replace_paging() {
        let base = Url::parse("http://127.0.0.1:4434/").unwrap();
        let q = query("active=true&page_size=2&page_token=old&expand=identity");
        let page = PageRequest {
            size: 2,
            after: None,
        };
        let next = Uuid::new_v4();
        let links = link_headers(&base, "/admin/sessions", &q, &page, Some(next));
        assert_eq!(
            links[0],
            "<http://127.0.0.1:4434/admin/sessions?active=true&expand=identity&page_size=2>; rel=\"first\""
        );
        assert_eq!(
            links[1],
            format!(
                "<http://127.0.0.1:4434/admin/sessions?active=true&expand=identity&page_size=2&page_token={}>; rel=\"next\"",
                token(next)
            )
        );
        assert_eq!(
            link_headers(&base, "/admin/sessions", &q, &page, None).len(),
            1
        );
    }
}
