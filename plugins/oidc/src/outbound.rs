//! The `openidconnect` crate's HTTP client, backed by the host's outbound HTTP: every request to
//! a provider (discovery, keys, token) goes through the operator's grant for this plugin.

use latchkey_plugin_sdk::Env;
use latchkey_plugin_sdk::env::{HttpError, HttpRequest};
use openidconnect::{HttpRequest as OidcRequest, HttpResponse as OidcResponse, SyncHttpClient};
use std::fmt;

pub struct Outbound<'a>(pub &'a dyn Env);

/// Why a request did not get an answer, in words for the user's message.
#[derive(Debug)]
pub struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl SyncHttpClient for Outbound<'_> {
    type Error = Failure;

    fn call(&self, request: OidcRequest) -> Result<OidcResponse, Failure> {
        let (parts, body) = request.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = value
                    .to_str()
                    .map_err(|_| Failure(format!("the header {name} is not text")))?;
                Ok((name.as_str().to_string(), value.to_string()))
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let answer = self
            .0
            .http(HttpRequest {
                method: parts.method.as_str().to_string(),
                url: parts.uri.to_string(),
                headers,
                body,
            })
            .map_err(|e| Failure(describe(e)))?;
        let mut response = openidconnect::http::Response::builder().status(answer.status);
        for (name, value) in &answer.headers {
            response = response.header(name, value);
        }
        response
            .body(answer.body)
            .map_err(|e| Failure(format!("unreadable response: {e}")))
    }
}

fn describe(e: HttpError) -> String {
    match e {
        HttpError::NotAllowed(origin) => format!(
            "{origin} is not allowed for this plugin (plugins.factors[].outbound_http.allow)"
        ),
        HttpError::Timeout => "no answer in time".into(),
        HttpError::TooLarge => "the answer was too large".into(),
        HttpError::Transport(reason) => reason,
        HttpError::InvalidRequest(reason) => format!("invalid request: {reason}"),
    }
}

/// An error and its causes, `outer: inner: …`, for a message.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !out.ends_with(&next) {
            out.push_str(": ");
            out.push_str(&next);
        }
        source = s.source();
    }
    out
}
