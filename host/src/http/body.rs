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
            Ok(Value::Object(map)) => common_fields(map),
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

/// Fields every Kratos method's schema types alike: `csrf_token` a string and
/// `transient_payload` an object. Another type is the 400 Kratos' decoder answers before any
/// method looks at the submission (e.g. strategy/password/.schema/login.schema.json).
fn common_fields(map: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let wrong = |field: &str, expected: &str| {
        Err(ApiError::bad_request(format!(
            "Unable to decode JSON payload: `{field}` must be {expected}"
        )))
    };
    match map.get("csrf_token") {
        None | Some(Value::String(_)) => {}
        Some(_) => return wrong("csrf_token", "a string"),
    }
    match map.get("transient_payload") {
        None | Some(Value::Object(_)) | Some(Value::Null) => {}
        Some(_) => return wrong("transient_payload", "an object"),
    }
    Ok(map)
}
