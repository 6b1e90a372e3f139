//! `GET|POST /self-service/methods/<method>/callback/<key>`: where a third party (an OpenID
//! provider) sends the browser back. Always a browser page load, so every answer is a redirect:
//! to where a signed-in user goes, or to the flow's page showing what went wrong.

use super::PeerIp;
use super::selfservice::{respond, step_up_url};
use crate::app::SharedApp;
use crate::browser::client::{Mode, with_cookies};
use crate::browser::{continuity, csrf, error_flow};
use crate::error::ApiError;
use crate::flows::challenge::verify_after_sign_up;
use crate::flows::external::{self, Callback};
use crate::flows::outcome::Submitted;
use crate::http::request_facts;
use crate::model::{FlowKind, FlowVariant};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<SharedApp> {
    Router::new().route(
        "/self-service/methods/{method}/callback/{key}",
        get(callback).post(callback),
    )
}

/// Provider ids are short and plain; anything else is not one of ours.
fn plausible_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The query parameters, then (for `response_mode=form_post`) the form fields.
fn parameters(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let bad = |e: serde_urlencoded::de::Error| {
        ApiError::bad_request(format!("Unable to decode the callback parameters: {e}"))
    };
    let mut params: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(bad)?;
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        params.extend(serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).map_err(bad)?);
    }
    Ok(params)
}

async fn callback(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    Path((method, key)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let client = request_facts::client_info(&app, peer, &headers);
    let done = async {
        let factor = app.factors.get(&method).ok_or_else(|| {
            ApiError::not_found(format!("no sign-in method `{method}` takes callbacks"))
        })?;
        if !plausible_key(&key) {
            return Err(ApiError::bad_request(format!(
                "`{key}` is not a provider of the `{method}` method"
            )));
        }
        let query = parameters(&uri, &headers, &body)?;
        let current = request_facts::current_session(&app, &headers).await?;
        external::callback(
            &app,
            Callback {
                factor,
                key,
                query,
                flow_id: continuity::flow_id(&app, &headers),
                csrf_cookie: csrf::from_cookie(&headers, &app.cookies),
                current,
                client: &client,
            },
        )
        .await
        .map_err(ApiError::from)
    }
    .await;
    let resp = match done {
        Ok(completed) => {
            // A sign-up through a provider gets its verification mail as any other.
            if let (FlowKind::Registration, Submitted::SessionStarted { identity, .. }) =
                (completed.kind, &completed.submitted)
                && let Err(err) = verify_after_sign_up(
                    &app,
                    identity,
                    FlowVariant::Browser,
                    csrf::from_cookie(&headers, &app.cookies),
                    &client,
                )
                .await
            {
                tracing::warn!(error = %ApiError::from(err), "no verification after a sign-up through a provider");
            }
            let facts = request_facts::policy_facts(&app, "GET", uri.path(), peer, &headers);
            let return_to = completed.return_to.as_deref();
            match step_up_url(
                &app,
                &completed.submitted,
                completed.kind,
                return_to,
                &facts,
            )
            .await
            {
                Ok(step_up) => match respond(
                    &app,
                    completed.submitted,
                    Mode::Browser,
                    completed.kind,
                    return_to,
                    &completed.ui_url,
                    &method,
                    step_up,
                    Vec::new(),
                )
                .await
                {
                    Ok(resp) => resp,
                    Err(err) => error_flow::respond(&app, err.into(), Mode::Browser).await,
                },
                Err(err) => error_flow::respond(&app, err, Mode::Browser).await,
            }
        }
        Err(err) => error_flow::respond(&app, err, Mode::Browser).await,
    };
    with_cookies(resp.into_response(), &[continuity::clear(&app)])
}
