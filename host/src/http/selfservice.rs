//! Self-service flows over HTTP: `/self-service/<flow>/{api,browser}` to start, `POST
//! /self-service/<flow>?flow=` to submit, `GET /self-service/<flow>/flows?id=` to fetch — for
//! login, registration and settings, answering API clients, browsers and SPAs each their way.

use super::body;
use super::flow_json;
use crate::aal;
use crate::app::{App, SharedApp};
use crate::browser::client::{self, Mode, see_other, with_cookies};
use crate::browser::{continuity, csrf, error_flow, flow_access, return_to};
use crate::config::RequiredAal;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::flows::outcome::Submitted;
use crate::flows::{self, FlowStart, login, registration, settings};
use crate::http::PeerIp;
use crate::http::query::QueryParams;
use crate::http::request_facts;
use crate::model::{Aal, FlowKind, FlowVariant};
use crate::policy::{self, Hook, RequestFacts};
use crate::sessions::{self, ActiveSession, ClientInfo};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<SharedApp> {
    let mut router = Router::new();
    for kind in [FlowKind::Login, FlowKind::Registration, FlowKind::Settings] {
        let name = kind.as_str();
        router = router
            .route(
                &format!("/self-service/{name}/api"),
                get(
                    move |s: State<SharedApp>, p: PeerIp, h: HeaderMap, u: Uri, q: QueryParams| {
                        init(s, p, h, u, q, kind, FlowVariant::Api)
                    },
                ),
            )
            .route(
                &format!("/self-service/{name}/browser"),
                get(
                    move |s: State<SharedApp>, p: PeerIp, h: HeaderMap, u: Uri, q: QueryParams| {
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

/// What an init URL says, read as Kratos reads it: empty values are absent, `refresh` is
/// true only for Go's spellings of true, and `organization`, `via` and parameters Kratos does
/// not know are ignored (organizations exist only in the Ory Network; `via` is deprecated).
struct InitParams {
    refresh: bool,
    aal: Option<String>,
    return_to: Option<String>,
    identity_schema: Option<String>,
    /// Present at all, empty or not.
    login_challenge: bool,
}

impl InitParams {
    fn of(q: &QueryParams) -> InitParams {
        InitParams {
            refresh: q.flag("refresh"),
            aal: q.get_owned("aal"),
            return_to: q.get_owned("return_to"),
            identity_schema: q.get_owned("identity_schema"),
            login_challenge: q.has("login_challenge"),
        }
    }
}

/// Where a browser goes after it signed in or up: the flow's `return_to`, made absolute
/// against the configured after-URL for the method (else `selfservice.default_browser_return_url`)
/// as Kratos does, else that URL itself. A `return_to` that the allow-list no longer admits
/// (the configuration changed while the flow ran) falls back to the default.
pub(super) fn after_url(
    app: &App,
    kind: FlowKind,
    return_to: Option<&str>,
    method: &str,
) -> String {
    let after = app
        .config
        .selfservice
        .flows
        .of(kind)
        .after
        .return_url(method);
    let default = after.unwrap_or(&app.config.selfservice.default_browser_return_url);
    match return_to.map(|rt| return_to::secure(app, rt, default)) {
        Some(Ok(url)) => url.to_string(),
        Some(Err(err)) => {
            tracing::warn!(reason = %err.reason, "the flow's return_to is no longer allowed");
            default.to_string()
        }
        None => default.to_string(),
    }
}

/// Kratos lower-cases `aal` and knows `aal1` and `aal2`.
fn parse_aal(aal: Option<&str>) -> Result<Aal, ApiError> {
    let aal = aal.unwrap_or("aal1").to_lowercase();
    Aal::parse(&aal).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got {aal}"
        ))
    })
}

/// Latchkey does not act as the login provider of an OAuth2 server (Ory Hydra), so it answers
/// a `login_challenge` as Kratos does without `oauth2_provider.url`: whenever the parameter is
/// there, even empty (hydra/hydra.go GetLoginChallengeID checks `Query().Has`).
fn refuse_login_challenge(present: bool) -> Result<(), ApiError> {
    if !present {
        return Ok(());
    }
    Err(
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Invalid configuration")
            .with_id("invalid_configuration")
            .with_reason(
                "refusing to parse login_challenge query parameter because oauth2_provider.url is invalid or unset",
            ),
    )
}

/// Kratos checks a flow's `return_to` when the flow starts, made absolute against
/// `selfservice.default_browser_return_url`; the flow keeps it as given.
pub(super) fn check_return_to(app: &App, return_to: Option<&str>) -> Result<(), ApiError> {
    match return_to {
        Some(rt) => {
            return_to::secure(app, rt, &app.config.selfservice.default_browser_return_url).map(drop)
        }
        None => Ok(()),
    }
}

async fn init(
    State(app): State<SharedApp>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    uri: Uri,
    query: QueryParams,
    kind: FlowKind,
    variant: FlowVariant,
) -> Response {
    let params = InitParams::of(&query);
    let mode = match variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => client::browser_mode(&headers),
    };
    match init_flow(&app, &headers, &uri, params, kind, variant, mode, peer).await {
        Ok(resp) => resp,
        Err(err) => error_flow::respond(&app, err, mode).await,
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
    // Kratos reads `aal` and `refresh` for login only, and `identity_schema` for a first-factor
    // login or a registration.
    let requested_aal = match kind {
        FlowKind::Login => parse_aal(params.aal.as_deref())?,
        _ => Aal::Aal1,
    };
    check_return_to(app, params.return_to.as_deref())?;
    if kind != FlowKind::Settings {
        refuse_login_challenge(params.login_challenge)?;
    }
    let schema_id = match kind {
        FlowKind::Settings => None,
        FlowKind::Login if requested_aal != Aal::Aal1 => None,
        _ => params.identity_schema,
    };
    if let Some(id) = schema_id.as_deref()
        && app.schemas.get(id).is_none()
    {
        return Err(ApiError::bad_request(format!(
            "identity schema `{id}` does not exist"
        )));
    }
    let current = request_facts::current_session(app, headers).await?;
    // Without a session there is nothing to refresh, so Kratos drops the flag.
    let refresh = kind == FlowKind::Login && params.refresh && current.is_some();

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
                // Kratos hands the `return_to` on to the login (`TakeOverReturnToParameter`).
                let mut login = url::Url::parse(&app.public_url("/self-service/login/browser"))
                    .expect("the public base URL is absolute");
                if let Some(rt) = params.return_to.as_deref() {
                    login.query_pairs_mut().append_pair("return_to", rt);
                }
                return Ok(see_other(login.as_str()));
            }
            return Err(ApiError::session_inactive());
        };
        let required = app.config.selfservice.flows.settings.required_aal;
        let facts = request_facts::policy_facts(app, "GET", uri.path(), peer, headers);
        let return_to = params.return_to.as_deref();
        policy::check(app, Hook::Settings, active, &facts, required, return_to).await?;
    }

    let (csrf_token, cookies) = new_flow_csrf(app, headers, variant);
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
            schema_id,
        },
    )
    .await?;
    let resp = match mode {
        Mode::Browser => see_other(&flows::ui_url(app, &flow)),
        Mode::Api | Mode::Spa => Json(flow_json::flow_json(app, &flow).await?).into_response(),
    };
    Ok(with_cookies(resp, &cookies))
}

/// A new browser flow's CSRF token: the one the browser's cookie carries, or a new one with
/// the cookie that sets it. API flows have none.
pub(super) fn new_flow_csrf(
    app: &App,
    headers: &HeaderMap,
    variant: FlowVariant,
) -> (Option<String>, Vec<String>) {
    let mut cookies = Vec::new();
    let token = match variant {
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
    (token, cookies)
}

/// The `flow` query parameter of a submission (selfservice/flow/flow.go GetFlowID): a missing,
/// malformed or nil id is a 400.
pub(super) fn submitted_flow_id(q: &QueryParams) -> Result<String, ApiError> {
    q.get("flow")
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .filter(|id| !id.is_nil())
        .map(|id| id.to_string())
        .ok_or_else(|| ApiError::bad_request("The flow query parameter is missing or malformed."))
}

/// A submission must come the way its flow was started: an API flow from no browser, a
/// browser flow with the CSRF token of its cookie.
pub(super) fn check_submitter(
    app: &App,
    headers: &HeaderMap,
    flow: &crate::model::Flow,
    input: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    match flow.variant {
        FlowVariant::Api => reject_browser_signals(headers),
        FlowVariant::Browser => {
            let cookie = csrf::from_cookie(headers, &app.cookies);
            let submitted = input.get("csrf_token").and_then(Value::as_str);
            if csrf::matches(submitted, flow.csrf_token.as_deref(), cookie.as_deref()) {
                Ok(())
            } else {
                Err(csrf::violation())
            }
        }
    }
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
    q: QueryParams,
    bytes: Bytes,
    kind: FlowKind,
) -> Response {
    let client_info = request_facts::client_info(&app, peer, &headers);
    match submit_flow(&app, &headers, q, &bytes, kind, &client_info).await {
        Ok(resp) => resp,
        Err((err, flow_mode)) => {
            // An expired flow, or one submitted too often, names the flow that replaces it:
            // a browser goes on there, as Kratos sends it on from an expired one.
            if flow_mode == Mode::Browser
                && err.status == StatusCode::GONE
                && let Some(fresh) = err.extra.get("use_flow_id").and_then(Value::as_str)
            {
                return see_other(&flows::ui_url_of(&app, kind, fresh));
            }
            error_flow::respond(&app, err, flow_mode).await
        }
    }
}

async fn submit_flow(
    app: &App,
    headers: &HeaderMap,
    q: QueryParams,
    bytes: &[u8],
    kind: FlowKind,
    client_info: &ClientInfo,
) -> Result<Response, (ApiError, Mode)> {
    let request_mode = client::browser_mode(headers);
    // Settings need a session before anything else is looked at (Kratos wraps the handler
    // in `IsAuthenticated`, whose JSON answer is a 401 without an id).
    if kind == FlowKind::Settings
        && let Err(err) = settings_session(app, headers).await
    {
        if request_mode == Mode::Browser
            && !sends_json(headers)
            && err.status == StatusCode::UNAUTHORIZED
        {
            return Ok(to_sign_in(app));
        }
        return Err((err, request_mode));
    }
    // selfservice/flow/flow.go GetFlowID: a missing, malformed or nil id is a 400.
    let id = submitted_flow_id(&q).map_err(|e| (e, request_mode))?;
    let mut input = body::parse(headers, bytes).map_err(|e| (e, request_mode))?;
    let flow = flows::find(app, &id, kind)
        .await
        .map_err(|e| (e.into(), request_mode))?;
    flows::infer_method(app, &flow, &mut input);
    let mode = match flow.variant {
        FlowVariant::Api => Mode::Api,
        FlowVariant::Browser => request_mode,
    };
    let fail = |e: DomainError| (ApiError::from(e), mode);
    let flow = flows::ensure_submittable(app, flow).await.map_err(fail)?;
    check_submitter(app, headers, &flow, &input).map_err(|e| fail(e.into()))?;
    let flow = flows::submissions::count(app, flow).await.map_err(fail)?;
    let return_to = flow.return_to.clone();
    let (variant, csrf_token) = (flow.variant, flow.csrf_token.clone());
    let ui = flows::ui_url(app, &flow);
    let method = input
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let outcome = match kind {
        FlowKind::Login => {
            let current = request_facts::current_session(app, headers)
                .await
                .map_err(fail)?;
            login::submit(app, flow, input, client_info, current).await
        }
        FlowKind::Registration => registration::submit(app, flow, input, client_info).await,
        FlowKind::Settings => {
            let Some(active) = request_facts::current_session(app, headers)
                .await
                .map_err(fail)?
            else {
                if mode == Mode::Browser {
                    return Ok(to_sign_in(app));
                }
                return Err(fail(ApiError::session_inactive().into()));
            };
            let required = app.config.selfservice.flows.settings.required_aal;
            let ip = client_info.ip;
            let mut facts =
                request_facts::policy_facts(app, "POST", "/self-service/settings", ip, headers);
            facts.submitted_method = input
                .get("method")
                .and_then(Value::as_str)
                .map(str::to_owned);
            policy::check(app, Hook::Settings, &active, &facts, required, None)
                .await
                .map_err(fail)?;
            settings::submit(app, flow, input, &active).await
        }
        FlowKind::Recovery | FlowKind::Verification => {
            unreachable!("recovery and verification have routes of their own")
        }
    }
    .map_err(fail)?;
    let facts = request_facts::policy_facts(
        app,
        "POST",
        &format!("/self-service/{}", kind.as_str()),
        client_info.ip,
        headers,
    );
    let mut step_up = step_up_url(app, &outcome, kind, return_to.as_deref(), &facts)
        .await
        .map_err(|e| fail(e.into()))?;
    let mut continue_with = Vec::new();
    if let (FlowKind::Registration, Submitted::SessionStarted { identity, .. }) = (kind, &outcome) {
        continue_with =
            flows::challenge::verify_after_sign_up(app, identity, variant, csrf_token, client_info)
                .await
                .map_err(fail)?;
        // `show_verification_ui` sends a browser on to verify instead of where it was going.
        let shows = app
            .config
            .selfservice
            .flows
            .registration
            .after
            .has_hook(&method, "show_verification_ui");
        if shows && mode == Mode::Browser {
            step_up = continue_with
                .first()
                .and_then(|c| c["flow"]["url"].as_str())
                .map(str::to_owned);
        }
    }
    respond(
        app,
        outcome,
        mode,
        kind,
        return_to.as_deref(),
        &ui,
        &method,
        step_up,
        continue_with,
    )
    .await
    .map_err(fail)
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
        token: String::new(),
    };
    let needs_aal2 = match policy::decide(app, Hook::LoginCompletion, &completed, facts).await? {
        Some(policy::combine::Decision::Allow) => false,
        Some(policy::combine::Decision::Require(needs)) => needs.aal == Some(Aal::Aal2),
        Some(denied @ policy::combine::Decision::Deny { .. }) => {
            let id = session.id;
            app.store.deactivate_session(id).await?;
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
pub(super) async fn respond(
    app: &App,
    outcome: Submitted,
    mode: Mode,
    kind: FlowKind,
    return_to: Option<&str>,
    ui: &str,
    method: &str,
    step_up: Option<String>,
    continue_with: Vec<Value>,
) -> Result<Response, DomainError> {
    if let (
        Submitted::SessionStarted {
            token, identity, ..
        },
        Some(to),
        Mode::Browser | Mode::Spa,
    ) = (&outcome, &step_up, mode)
    {
        let cookies = session_cookies(app, token, identity.id);
        let resp = if mode == Mode::Browser {
            see_other(to)
        } else {
            ApiError::browser_location_change_required(to.clone()).into_response()
        };
        return Ok(with_cookies(resp, &cookies));
    }
    Ok(match (outcome, mode) {
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
                token,
                session,
                identity,
            },
            Mode::Api,
        ) => {
            let mut body = flow_json::session_started(app, kind, &session, &identity);
            body["session_token"] = json!(token);
            let mut items =
                vec![json!({ "action": "set_ory_session_token", "ory_session_token": token })];
            items.extend(continue_with);
            body["continue_with"] = Value::Array(items);
            Json(body).into_response()
        }
        (
            Submitted::SessionStarted {
                token,
                session,
                identity,
            },
            mode,
        ) => {
            let cookies = session_cookies(app, &token, identity.id);
            let resp = if mode == Mode::Browser {
                see_other(&after_url(app, kind, return_to, method))
            } else {
                let mut body = flow_json::session_started(app, kind, &session, &identity);
                if !continue_with.is_empty() {
                    body["continue_with"] = Value::Array(continue_with);
                }
                Json(body).into_response()
            };
            with_cookies(resp, &cookies)
        }
        (Submitted::FlowUpdated { .. } | Submitted::Rejected { .. }, Mode::Browser) => {
            see_other(ui)
        }
        (Submitted::FlowUpdated { flow }, _) => {
            Json(flow_json::flow_json(app, &flow).await?).into_response()
        }
        (Submitted::Rejected { flow }, _) => (
            StatusCode::BAD_REQUEST,
            Json(flow_json::flow_json(app, &flow).await?),
        )
            .into_response(),
    })
}

/// The known-device cookie that lets this browser past the login throttle of its identity
/// later, then the session cookie. The session cookie comes last because some clients keep
/// only the last `Set-Cookie` of a response (the official Python SDK's `*_with_http_info`
/// headers are a plain dict).
pub(super) fn session_cookies(app: &App, token: &str, identity: uuid::Uuid) -> [String; 2] {
    [
        client::known_device_cookie(app).set(&sessions::known_device_value(app, identity)),
        client::session_cookie(app).set(&sessions::cookie_value(app, token)),
    ]
}

/// Fetching a browser flow needs the browser's CSRF cookie, and a settings flow the session
/// of its identity, as in Kratos: a flow id alone reveals nothing. A missing id is an unknown
/// one (404), as in Kratos.
async fn fetch(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    q: QueryParams,
    kind: FlowKind,
) -> Result<Json<Value>, ApiError> {
    if kind == FlowKind::Settings {
        settings_session(&app, &headers).await?;
    }
    let id = q.get("id").unwrap_or_default();
    let flow = flow_access::readable(&app, &headers, id, kind).await?;
    Ok(Json(flow_json::flow_json(&app, &flow).await?))
}

/// Kratos' `IsJSONRequest` also counts a JSON body, not only an `Accept` asking for JSON.
pub(super) fn sends_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Kratos sends a browser that submits settings without a session to the login UI.
fn to_sign_in(app: &App) -> Response {
    let login = app.config.selfservice.flows.login.ui_url.as_ref();
    see_other(
        &login
            .map(|u| u.to_string())
            .unwrap_or_else(|| app.public_url("/self-service/login/browser")),
    )
}

/// The session a settings flow is fetched or submitted with; without one, the 401 Kratos'
/// `OnUnauthenticated` gives a JSON request (flow/settings/strategy_helper.go).
async fn settings_session(app: &App, headers: &HeaderMap) -> Result<ActiveSession, ApiError> {
    let reason = "A valid Ory Session Cookie or Ory Session Token is missing.";
    super::sessions_api::session_or_unauthorized(app, headers, reason).await
}
