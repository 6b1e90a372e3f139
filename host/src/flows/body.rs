//! Submissions arrive as JSON or as HTML form posts; both become one JSON object.

use crate::error::ApiError;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

pub fn parse(headers: &HeaderMap, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
            .map_err(|e| ApiError::bad_request(format!("Unable to decode form body: {e}")))?;
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    if content_type.starts_with("application/json") {
        return match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(ApiError::bad_request(
                "Unable to decode JSON payload: expected a JSON object",
            )),
            Err(e) => Err(ApiError::bad_request(format!(
                "Unable to decode JSON payload: {e}"
            ))),
        };
    }
    Err(ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "The request's content type is not supported",
    )
    .with_reason(format!(
        "unsupported content type `{content_type}`; use application/json or application/x-www-form-urlencoded"
    )))
}
