//! Self-service flows over HTTP: `/self-service/<flow>/{api,browser}` to start, `POST
//! /self-service/<flow>?flow=` to submit, `GET /self-service/<flow>/flows?id=` to fetch — for
//! login, registration and settings, answering API clients, browsers and SPAs each their way.

use crate::aal;
use crate::app::{App, SharedApp};
use crate::browser::client::{self, Mode, see_other, with_cookies};
use crate::browser::{continuity, csrf, flow_access, return_to};
use crate::config::RequiredAal;
use crate::error::ApiError;
use crate::flows::outcome::Submitted;
use crate::flows::{self, FlowStart, body, login, registration, settings};
use crate::http::PeerIp;
use crate::model::{Aal, Flow, FlowKind, FlowVariant};
use crate::policy::{self, Hook, RequestFacts};
use crate::sessions::{self, ActiveSession, ClientInfo};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<SharedApp> {
    let mut router = Router::new();
    for kind in [FlowKind::Login, FlowKind::Registration, FlowKind::Settings] {
        let name = kind.as_str();
        router = router
            .route(
                &format!("/self-service/{name}/api"),
                get(
                    move |s: State<SharedApp>,
                          p: PeerIp,
                          h: HeaderMap,
                          u: Uri,
                          q: Query<InitParams>| {
                        init(s, p, h, u, q, kind, FlowVariant::Api)
                    },
                ),
            )
            .route(
                &format!("/self-service/{name}/browser"),
                get(
                    move |s: State<SharedApp>,
                          p: PeerIp,
                          h: HeaderMap,
                          u: Uri,
                          q: Query<InitParams>| {
                        init(s, p, h, u, q, kind, FlowVariant::Browser)
                    },
                ),
            )
            .route(
                &format!("/self-service/{name}"),
                post(
                    move |s: State<SharedApp>,
                          p: PeerIp,
                          h: HeaderMap,
                          q: Query<FlowParam>,
                          b: Bytes| { submit(s, p, h, q, b, kind) },
                ),
            )
            .route(
                &format!("/self-service/{name}/flows"),
                get(
                    move |s: State<SharedApp>, h: HeaderMap, q: Query<IdParam>| {
                        fetch(s, h, q, kind)
                    },
                ),
            );
    }
    router
}

#[derive(Deserialize)]
pub struct InitParams {
    identity_schema: Option<String>,
    refresh: Option<bool>,
    aal: Option<String>,
    return_to: Option<String>,
}

#[derive(Deserialize)]
pub struct FlowParam {
    flow: Option<String>,
}

#[derive(Deserialize)]
pub struct IdParam {
    id: Option<String>,
}

/// Where a browser goes after it signed in or up: the flow's `return_to`, else the
/// configured after-URL for the method, else `selfservice.default_browser_return_url`.
pub(super) fn after_url(
    app: &App,
    kind: FlowKind,
    return_to: Option<&str>,
    method: &str,
) -> String {
    if let Some(rt) = return_to {
        return rt.to_string();
    }
    let flows = &app.config.selfservice.flows;
    let after = match kind {
        FlowKind::Login => flows.login.after.return_url(method),
        FlowKind::Registration => flows.registration.after.return_url(method),
        FlowKind::Settings => flows.settings.after.return_url(method),
    };
    after
        .unwrap_or(&app.config.selfservice.default_browser_return_url)
        .to_string()
}

fn parse_aal(aal: Option<&str>) -> Result<Aal, ApiError> {
    match aal {
        None | Some("") => Ok(Aal::Aal1),
        Some(s) => Aal::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Unable to parse AuthenticationMethod Assurance Level (AAL): unknown value `{s}`"
            ))
        }),
    }
}

fn check_return_to(app: &App, return_to: Option<&str>) -> Result<(), ApiError> {
    match return_to {
        Some(rt)
            if !return_to::is_allowed(
                rt,
                &app.config.selfservice.allowed_return_urls,
                &app.public_base,
            ) =>
        {
            Err(
                ApiError::bad_request(format!("Requested return_to URL \"{rt}\" is not allowed."))
                    .with_id("self_service_flow_return_to_forbidden"),
            )
        }
        _ => Ok(()),
    }
}

/// Browser errors that carry `redirect_browser_to` become that redirect for page loads.
pub(super) fn for_mode(err: ApiError, mode: Mode) -> Response {
    if mode == Mode::Browser
        && let Some(to) = err.extra.get("redirect_browser_to").and_then(Value::as_str)
    {
        return see_other(to);
    }
    err.into_response()
}

async fn init(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<InitParams>,
    kind: FlowKind,
    variant: FlowVariant,
) -> Response {
    let mode = match variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => client::browser_mode(&headers),
    };
    match init_flow(&app, &headers, &uri, params, kind, variant, mode, peer).await {
        Ok(resp) => resp,
        Err(err) => for_mode(err, mode),
    }
}

#[allow(clippy::too_many_arguments)]
async fn init_flow(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    params: InitParams,
    kind: FlowKind,
    variant: FlowVariant,
    mode: Mode,
    peer: Option<std::net::IpAddr>,
) -> Result<Response, ApiError> {
    if kind == FlowKind::Registration && !app.config.selfservice.flows.registration.enabled {
        return Err(registration::disabled());
    }
    let requested_aal = parse_aal(params.aal.as_deref())?;
    let refresh = params.refresh.unwrap_or(false);
    check_return_to(app, params.return_to.as_deref())?;
    if let Some(id) = params.identity_schema.as_deref()
        && app.schemas.get(id).is_none()
    {
        return Err(ApiError::bad_request(format!(
            "identity schema `{id}` does not exist"
        )));
    }
    let current = sessions::current(app, headers).await?;

    if kind == FlowKind::Login && current.is_none() && requested_aal == Aal::Aal2 {
        return Err(ApiError::session_aal1_required(
            app.public_url("/self-service/login/browser"),
        ));
    }
    // Kratos' rule: with a session, a login flow only makes sense to refresh it or to raise
    // its AAL; an aal2 session has nothing to raise.
    let signed_in_already = match (kind, &current) {
        (FlowKind::Login, Some(active)) => {
            !refresh && (requested_aal == Aal::Aal1 || active.session.aal == Aal::Aal2)
        }
        (FlowKind::Registration, Some(_)) => true,
        _ => false,
    };
    if signed_in_already {
        if mode == Mode::Browser {
            return Ok(see_other(&after_url(
                app,
                kind,
                params.return_to.as_deref(),
                "",
            )));
        }
        return Err(ApiError::session_already_available());
    }
    if kind == FlowKind::Settings {
        let Some(active) = &current else {
            if mode == Mode::Browser {
                return Ok(see_other(&app.public_url("/self-service/login/browser")));
            }
            return Err(ApiError::session_inactive());
        };
        let required = app.config.selfservice.flows.settings.required_aal;
        let facts = RequestFacts::of(app, "GET", uri.path(), peer, headers);
        let return_to = params.return_to.as_deref();
        policy::check(app, Hook::Settings, active, &facts, required, return_to).await?;
    }

    let mut cookies = Vec::new();
    let csrf_token = match variant {
        FlowVariant::Api => None,
        FlowVariant::Browser => Some(match csrf::from_cookie(headers, &app.cookies) {
            Some(token) => token,
            None => {
                let token = csrf::new_token();
                cookies.push(client::csrf_cookie(app).set(&app.cookies.sign("csrf", &token)));
                token
            }
        }),
    };
    let flow = flows::create(
        app,
        FlowStart {
            kind,
            variant,
            request_url: app.public_url(&uri.to_string()),
            return_to: params.return_to,
            requested_aal,
            refresh,
            identity: current.as_ref().map(|c| c.identity.clone()),
            session_id: current.as_ref().map(|c| c.session.id),
            csrf_token,
            schema_id: params.identity_schema,
        },
    )
    .await?;
    let resp = match mode {
        Mode::Browser => see_other(&flows::ui_url(app, &flow)),
        Mode::Api | Mode::Spa => Json(flows::flow_json(app, &flow).await?).into_response(),
    };
    Ok(with_cookies(resp, &cookies))
}

/// Kratos refuses API-flow submissions that look like they come from a browser, so a
/// cross-site page cannot ride an API flow past CSRF protection.
fn reject_browser_signals(headers: &HeaderMap) -> Result<(), ApiError> {
    for (header, name) in [
        (axum::http::header::COOKIE, "Cookie"),
        (axum::http::header::ORIGIN, "Origin"),
    ] {
        if headers.contains_key(&header) {
            return Err(ApiError::bad_request(format!(
                "The HTTP Request Header included the \"{name}\" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked."
            )));
        }
    }
    Ok(())
}

async fn submit(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    Query(q): Query<FlowParam>,
    bytes: Bytes,
    kind: FlowKind,
) -> Response {
    let client_info = ClientInfo::new(peer, &headers);
    match submit_flow(&app, &headers, q, &bytes, kind, &client_info).await {
        Ok(resp) => resp,
        Err((err, flow_mode)) => {
            if flow_mode == Mode::Browser
                && err.id == Some("self_service_flow_expired")
                && let Some(fresh) = err.extra.get("use_flow_id").and_then(Value::as_str)
            {
                return see_other(&ui_url_for(&app, kind, fresh));
            }
            for_mode(err, flow_mode)
        }
    }
}

fn ui_url_for(app: &App, kind: FlowKind, id: &str) -> String {
    let probe = Flow {
        id: uuid::Uuid::parse_str(id).unwrap_or_default(),
        kind,
        variant: FlowVariant::Browser,
        state: String::new(),
        issued_at: app.now(),
        expires_at: app.now(),
        request_url: String::new(),
        return_to: None,
        requested_aal: Aal::Aal1,
        refresh: false,
        identity_id: None,
        session_id: None,
        csrf_token: None,
        plugin_state: Default::default(),
        ui: Value::Null,
        schema_id: None,
    };
    flows::ui_url(app, &probe)
}

async fn submit_flow(
    app: &App,
    headers: &HeaderMap,
    q: FlowParam,
    bytes: &[u8],
    kind: FlowKind,
    client_info: &ClientInfo,
) -> Result<Response, (ApiError, Mode)> {
    let request_mode = client::browser_mode(headers);
    let id = q.flow.filter(|s| !s.is_empty()).ok_or_else(|| {
        (
            ApiError::bad_request("the `flow` query parameter is required"),
            request_mode,
        )
    })?;
    let mut input = body::parse(headers, bytes).map_err(|e| (e, request_mode))?;
    let flow = flows::find(app, &id, kind)
        .await
        .map_err(|e| (e, request_mode))?;
    flows::infer_method(app, &flow, &mut input);
    let mode = match flow.variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => request_mode,
    };
    let fail = |e: ApiError| (e, mode);
    let flow = flows::ensure_submittable(app, flow).await.map_err(fail)?;
    match flow.variant {
        FlowVariant::Api => reject_browser_signals(headers).map_err(fail)?,
        FlowVariant::Browser => {
            let cookie = csrf::from_cookie(headers, &app.cookies);
            let submitted = input.get("csrf_token").and_then(Value::as_str);
            if !csrf::matches(submitted, flow.csrf_token.as_deref(), cookie.as_deref()) {
                return Err(fail(csrf::violation()));
            }
        }
    }
    let return_to = flow.return_to.clone();
    let ui = flows::ui_url(app, &flow);
    let method = input
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let outcome = match kind {
        FlowKind::Login => {
            let current = sessions::current(app, headers).await.map_err(fail)?;
            login::submit(app, flow, input, client_info, current).await
        }
        FlowKind::Registration => registration::submit(app, flow, input, client_info).await,
        FlowKind::Settings => {
            let active = sessions::require(app, headers).await.map_err(fail)?;
            let required = app.config.selfservice.flows.settings.required_aal;
            let ip = client_info.ip;
            let mut facts = RequestFacts::of(app, "POST", "/self-service/settings", ip, headers);
            facts.submitted_method = input
                .get("method")
                .and_then(Value::as_str)
                .map(str::to_owned);
            policy::check(app, Hook::Settings, &active, &facts, required, None)
                .await
                .map_err(fail)?;
            settings::submit(app, flow, input, &active).await
        }
    }
    .map_err(fail)?;
    let facts = RequestFacts::of(
        app,
        "POST",
        &format!("/self-service/{}", kind.as_str()),
        client_info.ip,
        headers,
    );
    let step_up = step_up_url(app, &outcome, kind, return_to.as_deref(), &facts)
        .await
        .map_err(fail)?;
    Ok(respond(
        app,
        outcome,
        mode,
        kind,
        return_to.as_deref(),
        &ui,
        &method,
        step_up,
    ))
}

/// After a first factor, a browser whose identity could do aal2 goes straight on to the
/// second factor when whoami would demand it (`highest_available`), as Kratos does.
///
/// Policies that want `login-completion` decide instead: one that requires aal2 sends the
/// browser on to the second factor; one that denies ends the new session and the login fails.
pub(super) async fn step_up_url(
    app: &App,
    outcome: &Submitted,
    kind: FlowKind,
    return_to: Option<&str>,
    facts: &RequestFacts,
) -> Result<Option<String>, ApiError> {
    let Submitted::SessionStarted {
        session, identity, ..
    } = outcome
    else {
        return Ok(None);
    };
    if kind != FlowKind::Login || session.aal == Aal::Aal2 {
        return Ok(None);
    }
    let completed = ActiveSession {
        session: (**session).clone(),
        identity: (**identity).clone(),
        from_cookie: false,
        token: String::new(),
    };
    let needs_aal2 = match policy::decide(app, Hook::LoginCompletion, &completed, facts).await? {
        Some(policy::combine::Decision::Allow) => false,
        Some(policy::combine::Decision::Require(needs)) => needs.aal == Some(Aal::Aal2),
        Some(denied @ policy::combine::Decision::Deny { .. }) => {
            let id = session.id;
            app.db(move |s| s.deactivate_session(id)).await?;
            return Err(policy::enforce(app, &denied, &completed, return_to)
                .expect_err("a denial is an error"));
        }
        None => {
            app.config.session.whoami.required_aal == RequiredAal::HighestAvailable
                && aal::available(app, session.identity_id).await? == Aal::Aal2
        }
    };
    if !needs_aal2 {
        return Ok(None);
    }
    let mut url = url::Url::parse(&app.public_url("/self-service/login/browser"))
        .expect("the public base URL is absolute");
    url.query_pairs_mut().append_pair("aal", "aal2");
    if let Some(rt) = return_to {
        url.query_pairs_mut().append_pair("return_to", rt);
    }
    Ok(Some(url.to_string()))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn respond(
    app: &App,
    outcome: Submitted,
    mode: Mode,
    kind: FlowKind,
    return_to: Option<&str>,
    ui: &str,
    method: &str,
    step_up: Option<String>,
) -> Response {
    if let (Submitted::SessionStarted { token, .. }, Some(to), Mode::Browser | Mode::Spa) =
        (&outcome, &step_up, mode)
    {
        let cookie = client::session_cookie(app).set(&sessions::cookie_value(app, token));
        let resp = if mode == Mode::Browser {
            see_other(to)
        } else {
            ApiError::browser_location_change_required(to.clone()).into_response()
        };
        return with_cookies(resp, &[cookie]);
    }
    match (outcome, mode) {
        (Submitted::Redirect { .. }, Mode::Api) => ApiError::bad_request(format!(
            "The `{method}` method signs in through a browser; start a browser flow instead of an API flow."
        ))
        .into_response(),
        (
            Submitted::Redirect {
                to,
                flow_id,
                expires_at,
            },
            mode,
        ) => {
            // Outliving the flow lets a late return be told "expired" and sent to a fresh flow.
            let lifetime = (expires_at - app.now()).num_seconds().max(0) + 3600;
            let cookie = continuity::set(app, flow_id, lifetime);
            let resp = if mode == Mode::Browser {
                see_other(&to)
            } else {
                ApiError::browser_location_change_required(to).into_response()
            };
            with_cookies(resp, &[cookie])
        }
        (
            Submitted::SessionStarted {
                token, mut body, ..
            },
            Mode::Api,
        ) => {
            body["session_token"] = json!(token);
            body["continue_with"] =
                json!([{ "action": "set_ory_session_token", "ory_session_token": token }]);
            Json(body).into_response()
        }
        (Submitted::SessionStarted { token, body, .. }, mode) => {
            let cookie = client::session_cookie(app).set(&sessions::cookie_value(app, &token));
            let resp = if mode == Mode::Browser {
                see_other(&after_url(app, kind, return_to, method))
            } else {
                Json(body).into_response()
            };
            with_cookies(resp, &[cookie])
        }
        (Submitted::FlowUpdated { .. } | Submitted::Rejected { .. }, Mode::Browser) => {
            see_other(ui)
        }
        (Submitted::FlowUpdated { flow }, _) => Json(flow).into_response(),
        (Submitted::Rejected { flow }, _) => (StatusCode::BAD_REQUEST, Json(flow)).into_response(),
    }
}

/// Fetching a browser flow needs the browser's CSRF cookie, and a settings flow the session
/// of its identity, as in Kratos: a flow id alone reveals nothing.
async fn fetch(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    Query(q): Query<IdParam>,
    kind: FlowKind,
) -> Result<Json<Value>, ApiError> {
    let id =
        q.id.filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::bad_request("the `id` query parameter is required"))?;
    let flow = flow_access::readable(&app, &headers, &id, kind).await?;
    Ok(Json(flows::flow_json(&app, &flow).await?))
}
