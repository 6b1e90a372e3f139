//! Recovery and verification over HTTP, as Kratos serves them:
//! `/self-service/{recovery,verification}/{api,browser}` to start, `POST
//! /self-service/{recovery,verification}?flow=` to submit (and `GET` with `code` or `token`,
//! the link in a mail), `GET …/flows?id=` to fetch. The engine is `flows::challenge`.
//!
//! Recovery that passes its challenge signs the user in with a privileged session and goes
//! on to a settings flow: a browser is redirected there; a JSON client is told so with
//! `continue_with` (`show_settings_ui`, and `set_ory_session_token` for API flows) when
//! `feature_flags.use_continue_with_transitions` is on, and with a 422
//! `browser_location_change_required` when it is off, as Kratos does.

use super::body;
use super::flow_json;
use super::selfservice::{
    after_url, check_return_to, check_submitter, new_flow_csrf, sends_json, session_cookies,
    submitted_flow_id,
};
use crate::app::{App, SharedApp};
use crate::browser::client::{self, Mode, see_other, with_cookies};
use crate::browser::{error_flow, flow_access};
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::flows::challenge::{self, Challenged, Recovered};
use crate::flows::{self, FlowStart};
use crate::http::PeerIp;
use crate::http::query::QueryParams;
use crate::http::request_facts;
use crate::model::{Aal, FlowKind, FlowVariant};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

pub fn routes() -> Router<SharedApp> {
    let mut router = Router::new();
    for kind in [FlowKind::Recovery, FlowKind::Verification] {
        let name = kind.as_str();
        router = router
            .route(
                &format!("/self-service/{name}/api"),
                get(
                    move |s: State<SharedApp>, h: HeaderMap, u: Uri, q: QueryParams| {
                        init(s, h, u, q, kind, FlowVariant::Api)
                    },
                ),
            )
            .route(
                &format!("/self-service/{name}/browser"),
                get(
                    move |s: State<SharedApp>, h: HeaderMap, u: Uri, q: QueryParams| {
                        init(s, h, u, q, kind, FlowVariant::Browser)
                    },
                ),
            )
            .route(
                &format!("/self-service/{name}"),
                get(
                    move |s: State<SharedApp>, p: PeerIp, h: HeaderMap, q: QueryParams| {
                        follow_link(s, p, h, q, kind)
                    },
                )
                .post(
                    move |s: State<SharedApp>,
                          p: PeerIp,
                          h: HeaderMap,
                          q: QueryParams,
                          b: Bytes| { submit(s, p, h, q, b, kind) },
                ),
            )
            .route(
                &format!("/self-service/{name}/flows"),
                get(move |s: State<SharedApp>, h: HeaderMap, q: QueryParams| fetch(s, h, q, kind)),
            );
    }
    router
}

async fn init(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    uri: Uri,
    query: QueryParams,
    kind: FlowKind,
    variant: FlowVariant,
) -> Response {
    let mode = match variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => client::browser_mode(&headers),
    };
    match init_flow(&app, &headers, &uri, &query, kind, variant, mode).await {
        Ok(resp) => resp,
        Err(err) => error_flow::respond(&app, err, mode).await,
    }
}

async fn init_flow(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    query: &QueryParams,
    kind: FlowKind,
    variant: FlowVariant,
    mode: Mode,
) -> Result<Response, ApiError> {
    challenge::ensure_enabled(app, kind)?;
    challenge::method(app, kind)?;
    let return_to = query.get_owned("return_to");
    check_return_to(app, return_to.as_deref())?;
    if kind == FlowKind::Recovery
        && let Some(resp) = signed_in_already(app, headers, mode, return_to.as_deref()).await?
    {
        return Ok(resp);
    }
    let (csrf_token, cookies) = new_flow_csrf(app, headers, variant);
    let flow = flows::create(
        app,
        FlowStart {
            kind,
            variant,
            request_url: app.public_url(&uri.to_string()),
            return_to,
            requested_aal: Aal::Aal1,
            refresh: false,
            identity: None,
            session_id: None,
            csrf_token,
            schema_id: None,
        },
    )
    .await?;
    let resp = match mode {
        Mode::Browser => see_other(&flows::ui_url(app, &flow)),
        Mode::Api | Mode::Spa => Json(flow_json::flow_json(app, &flow).await?).into_response(),
    };
    Ok(with_cookies(resp, &cookies))
}

/// Someone signed in has nothing to recover: a browser goes where a signed-in browser goes,
/// a JSON client is told as Kratos tells it.
async fn signed_in_already(
    app: &App,
    headers: &HeaderMap,
    mode: Mode,
    return_to: Option<&str>,
) -> Result<Option<Response>, ApiError> {
    if request_facts::current_session(app, headers)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    if mode == Mode::Browser {
        return Ok(Some(see_other(&after_url(
            app,
            FlowKind::Recovery,
            return_to,
            "",
        ))));
    }
    Err(
        ApiError::bad_request("A valid session was detected and thus recovery is not possible.")
            .with_id("session_already_available"),
    )
}

/// The link in a mail: `?flow=<id>&code=<code>` (a verification code) or `&token=<token>`
/// (the link method). Following it submits the flow; the secret in it is the proof, so no
/// CSRF token is asked for, as in Kratos.
async fn follow_link(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    q: QueryParams,
    kind: FlowKind,
) -> Response {
    let mode = client::browser_mode(&headers);
    // A recovery code is typed into the flow's own form, never followed as a link: a link
    // that signs in without the form's CSRF token would let a stranger's code sign a victim's
    // browser into the stranger's account. Verification mails link the code; recovery
    // links carry the link method's token.
    let link_fields: &[&str] = match kind {
        FlowKind::Verification => &["code", "token"],
        _ => &["token"],
    };
    let mut input = Map::new();
    for field in link_fields {
        if let Some(value) = q.get_owned(field) {
            input.insert(field.to_string(), Value::String(value));
        }
    }
    if input.is_empty() {
        return match adopt(&app, &headers, &q, kind).await {
            Ok(resp) => resp,
            Err(err) => fail(&app, err, mode, kind).await,
        };
    }
    let client_info = request_facts::client_info(&app, peer, &headers);
    match run(&app, &headers, &q, input, kind, &client_info, false).await {
        Ok(resp) => resp,
        Err((err, mode)) => fail(&app, err, mode, kind).await,
    }
}

/// The link of an administrator's recovery flow (`POST /admin/recovery/code`): the browser
/// that follows it first gets the flow, bound to its CSRF cookie, and goes on to the UI.
async fn adopt(
    app: &App,
    headers: &HeaderMap,
    q: &QueryParams,
    kind: FlowKind,
) -> Result<Response, ApiError> {
    let id = submitted_flow_id(q)?;
    let flow = flows::find(app, &id, kind).await?;
    let flow = flows::ensure_submittable(app, flow).await?;
    let ui = flows::ui_url(app, &flow);
    let (token, cookies) = new_flow_csrf(app, headers, FlowVariant::Browser);
    let token = token.expect("a browser flow has a CSRF token");
    if !challenge::adopt(app, flow, token).await? {
        return Err(ApiError::bad_request(
            "A recovery or verification link needs `code` or `token` next to `flow`.",
        ));
    }
    Ok(with_cookies(see_other(&ui), &cookies))
}

async fn submit(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    q: QueryParams,
    bytes: Bytes,
    kind: FlowKind,
) -> Response {
    let client_info = request_facts::client_info(&app, peer, &headers);
    let request_mode = client::browser_mode(&headers);
    let input = match body::parse(&headers, &bytes) {
        Ok(input) => input,
        Err(err) => return error_flow::respond(&app, err, request_mode).await,
    };
    match run(&app, &headers, &q, input, kind, &client_info, true).await {
        Ok(resp) => resp,
        Err((err, mode)) => fail(&app, err, mode, kind).await,
    }
}

/// An expired flow, or one submitted too often, names the flow that replaces it: a browser
/// goes on there.
async fn fail(app: &App, err: ApiError, mode: Mode, kind: FlowKind) -> Response {
    if mode == Mode::Browser
        && err.status == StatusCode::GONE
        && let Some(fresh) = err.extra.get("use_flow_id").and_then(Value::as_str)
    {
        return see_other(&flows::ui_url_of(app, kind, fresh));
    }
    error_flow::respond(app, err, mode).await
}

async fn run(
    app: &App,
    headers: &HeaderMap,
    q: &QueryParams,
    mut input: Map<String, Value>,
    kind: FlowKind,
    client_info: &crate::sessions::ClientInfo,
    check_csrf: bool,
) -> Result<Response, (ApiError, Mode)> {
    let request_mode = client::browser_mode(headers);
    let early = |e: ApiError| (e, request_mode);
    challenge::ensure_enabled(app, kind).map_err(early)?;
    let id = submitted_flow_id(q).map_err(early)?;
    let flow = flows::find(app, &id, kind)
        .await
        .map_err(|e| early(e.into()))?;
    let mode = match flow.variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => request_mode,
    };
    let fail = |e: DomainError| (ApiError::from(e), mode);
    // Without `email`, a submission carries a code or token, which only the flow's own method
    // can check: Kratos takes it as that method's (code/strategy_verification.go getMethod,
    // strategy_recovery.go Recover). A request for a new code must name its method.
    if !input.contains_key("method") && !input.contains_key("email") {
        let method = challenge::method(app, kind).map_err(|e| fail(e.into()))?;
        input.insert("method".into(), Value::String(method.id().to_string()));
    }
    let flow = flows::ensure_submittable(app, flow).await.map_err(fail)?;
    if check_csrf && let Err(err) = check_submitter(app, headers, &flow, &input) {
        // A refusal the flow can show (a 400: an API flow submitted by a browser); a CSRF
        // violation is no such error, and Kratos answers it as it is.
        if kind == FlowKind::Recovery && err.status == StatusCode::BAD_REQUEST {
            return retry_recovery(app, headers, &flow, &err)
                .await
                .map_err(fail);
        }
        return Err(fail(err.into()));
    }
    if kind == FlowKind::Recovery
        && let Some(resp) = signed_in_already(app, headers, mode, flow.return_to.as_deref())
            .await
            .map_err(|e| (e, mode))?
    {
        return Ok(resp);
    }
    let ui = flows::ui_url(app, &flow);
    // A followed link needs no CSRF token, and the browser following it may not be the one
    // that started the flow: a recovery it passes binds the settings flow to this browser.
    let (browser_csrf, csrf_cookies) = if !check_csrf && flow.variant == FlowVariant::Browser {
        new_flow_csrf(app, headers, FlowVariant::Browser)
    } else {
        (None, Vec::new())
    };
    let outcome = challenge::submit(app, flow, input, client_info, browser_csrf)
        .await
        .map_err(fail)?;
    let json_request = mode != Mode::Browser || sends_json(headers);
    let resp = respond(app, outcome, mode, json_request, &ui)
        .await
        .map_err(fail)?;
    Ok(with_cookies(resp, &csrf_cookies))
}

/// strategy/code/strategy_recovery.go retryRecoveryFlow: a recovery submission that fails
/// Kratos' CSRF checks abandons its flow for a new browser flow that shows why. A page load
/// goes to its UI; a JSON client is redirected to fetch it, or, with
/// `feature_flags.use_continue_with_transitions`, told the error with `continue_with`
/// `show_recovery_ui`.
async fn retry_recovery(
    app: &App,
    headers: &HeaderMap,
    old: &crate::model::Flow,
    err: &ApiError,
) -> Result<Response, DomainError> {
    let (csrf_token, cookies) = new_flow_csrf(app, headers, FlowVariant::Browser);
    let mut fresh = flows::create(
        app,
        FlowStart {
            kind: FlowKind::Recovery,
            variant: FlowVariant::Browser,
            request_url: old.request_url.clone(),
            return_to: old.return_to.clone(),
            requested_aal: Aal::Aal1,
            refresh: false,
            identity: None,
            session_id: None,
            csrf_token,
            schema_id: None,
        },
    )
    .await?;
    let reason = json!({ "reason": err.reason });
    let message = crate::ui::message(4000001, err.reason.clone(), "error", Some(reason));
    crate::ui::set_messages(&mut fresh.ui, vec![message], vec![]);
    app.store.update_flow(&fresh).await?;
    let ui = flows::ui_url(app, &fresh);
    let json_request = client::browser_mode(headers) != Mode::Browser || sends_json(headers);
    let resp = if !json_request {
        see_other(&ui)
    } else if app.config.feature_flags.use_continue_with_transitions {
        let continue_with = json!([{
            "action": "show_recovery_ui",
            "flow": { "id": fresh.id, "url": ui },
        }]);
        let mut details = err.details.clone().unwrap_or_else(|| json!({}));
        details["continue_with"] = continue_with;
        err.clone().with_details(details).into_response()
    } else {
        see_other(&app.public_url(&format!("/self-service/recovery/flows?id={}", fresh.id)))
    };
    Ok(with_cookies(resp, &cookies))
}

async fn respond(
    app: &App,
    outcome: Challenged,
    mode: Mode,
    json_request: bool,
    ui: &str,
) -> Result<Response, DomainError> {
    Ok(match (outcome, mode) {
        (Challenged::Recovered(recovered), _) => {
            recovered_response(app, *recovered, mode, json_request)
        }
        (
            Challenged::Updated(_) | Challenged::Rejected(_) | Challenged::Verified(_),
            Mode::Browser,
        ) => see_other(ui),
        (Challenged::Updated(flow) | Challenged::Verified(flow), _) => {
            Json(flow_json::flow_json(app, &flow).await?).into_response()
        }
        (Challenged::Rejected(flow), _) => (
            StatusCode::BAD_REQUEST,
            Json(flow_json::flow_json(app, &flow).await?),
        )
            .into_response(),
    })
}

fn recovered_response(app: &App, recovered: Recovered, mode: Mode, json_request: bool) -> Response {
    let Recovered {
        flow,
        identity,
        token,
        settings,
    } = recovered;
    let settings_url = flows::ui_url(app, &settings);
    // Browsers (SPAs included) hold the session as a cookie; API clients get the token.
    let cookies: Vec<String> = match flow.variant {
        FlowVariant::Browser => session_cookies(app, &token, identity.id).to_vec(),
        FlowVariant::Api => Vec::new(),
    };
    let transitions = app.config.feature_flags.use_continue_with_transitions;
    let resp = match (mode, json_request, transitions) {
        (Mode::Browser, false, _) => see_other(&settings_url),
        (_, _, true) => {
            let mut continue_with = Vec::new();
            if flow.variant == FlowVariant::Api {
                continue_with.push(json!({
                    "action": "set_ory_session_token",
                    "ory_session_token": token,
                }));
            }
            continue_with.push(json!({
                "action": "show_settings_ui",
                "flow": { "id": settings.id, "url": settings_url },
            }));
            let mut body = flow_json::base_challenge_json(app, &flow);
            body["continue_with"] = Value::Array(continue_with);
            Json(body).into_response()
        }
        (_, _, false) => ApiError::browser_location_change_required(settings_url).into_response(),
    };
    with_cookies(resp, &cookies)
}

/// Fetching a browser flow needs the browser's CSRF cookie, as in Kratos.
async fn fetch(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    q: QueryParams,
    kind: FlowKind,
) -> Result<Json<Value>, ApiError> {
    let id = q.get("id").unwrap_or_default();
    let flow = flow_access::readable(&app, &headers, id, kind).await?;
    Ok(Json(flow_json::flow_json(&app, &flow).await?))
}
