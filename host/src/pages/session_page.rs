//! `/`: the session a browser has — who, at which assurance level, by which methods, since
//! when — or, without one, the way to sign in. When whoami would refuse the session (a second
//! factor is due, or a policy wants a fresh sign-in) the page says so and links to the login
//! that resolves it. With verification on, an unverified address gets a notice and a link to
//! verify it.

use super::html::{render, to_value};
use super::{PageState, link};
use crate::app::App;
use crate::browser::client::see_other;
use crate::browser::logout;
use crate::config::RequiredAal;
use crate::error::ApiError;
use crate::http::PeerIp;
use crate::http::request_facts;
use crate::model::Aal;
use crate::policy::{self, Hook};
use crate::sessions::ActiveSession;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub struct SessionSummary {
    /// What to call the user: an email or other string trait, else the identity id.
    pub name: String,
    pub identity_id: String,
    pub traits: Vec<TraitRow>,
    pub aal: &'static str,
    pub aal_meaning: &'static str,
    pub methods: Vec<MethodRow>,
    pub authenticated_at: String,
    pub authenticated_at_text: String,
    pub expires_at: String,
    pub expires_at_text: String,
}

#[derive(Serialize)]
pub struct TraitRow {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct MethodRow {
    pub method: String,
    pub aal: &'static str,
    pub completed_at: String,
    pub completed_at_text: String,
}

#[derive(Serialize)]
struct StepUp {
    url: String,
    label: &'static str,
    reason: String,
}

fn text_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn humanize(key: &str) -> String {
    let words = key.replace(['_', '.'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Scalar traits as rows, nested objects flattened (`name.first` → "Name first").
fn trait_rows(prefix: &str, value: &Value, out: &mut Vec<TraitRow>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                trait_rows(&key, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push(TraitRow {
            name: humanize(prefix),
            value: s.clone(),
        }),
        Value::Array(items) => out.push(TraitRow {
            name: humanize(prefix),
            value: items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
        }),
        other => out.push(TraitRow {
            name: humanize(prefix),
            value: other.to_string(),
        }),
    }
}

pub fn summary(active: &ActiveSession) -> SessionSummary {
    let session = &active.session;
    let identity = &active.identity;
    let mut traits = Vec::new();
    trait_rows("", &identity.traits, &mut traits);
    let name = identity
        .traits
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| traits.first().map(|t| t.value.clone()))
        .unwrap_or_else(|| identity.id.to_string());
    SessionSummary {
        name,
        identity_id: identity.id.to_string(),
        traits,
        aal: session.aal.as_str(),
        aal_meaning: match session.aal {
            Aal::Aal1 => "one factor",
            Aal::Aal2 => "two factors",
        },
        methods: session
            .methods
            .iter()
            .map(|m| MethodRow {
                method: m.method.clone(),
                aal: m.aal.as_str(),
                completed_at: m.completed_at.to_rfc3339(),
                completed_at_text: text_time(m.completed_at),
            })
            .collect(),
        authenticated_at: session.authenticated_at.to_rfc3339(),
        authenticated_at_text: text_time(session.authenticated_at),
        expires_at: session.expires_at.to_rfc3339(),
        expires_at_text: text_time(session.expires_at),
    }
}

/// What whoami would say about this session, as a step the user can take.
async fn step_up(
    app: &App,
    active: &ActiveSession,
    ip: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> Result<Option<StepUp>, ApiError> {
    let facts = request_facts::policy_facts(app, "GET", "/sessions/whoami", ip, headers);
    let required: RequiredAal = app.config.session.whoami.required_aal;
    let Err(err) = policy::check(app, Hook::Whoami, active, &facts, required, None).await else {
        return Ok(None);
    };
    let err = ApiError::from(err);
    let Some(url) = err.extra.get("redirect_browser_to").and_then(Value::as_str) else {
        // A denial has nothing to resolve it; the error page explains it.
        return Err(err);
    };
    let label = match err.id {
        Some("session_aal2_required") => "Confirm with your authenticator",
        _ => "Sign in again",
    };
    Ok(Some(StepUp {
        url: url.to_string(),
        label,
        reason: err.reason.clone(),
    }))
}

pub async fn show(
    State(state): State<PageState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
) -> Response {
    let app = &state.app;
    let active = match request_facts::current_session(app, &headers).await {
        Ok(Some(active)) => active,
        Ok(None) => return see_other(&link(app, "/self-service/login/browser")),
        Err(err) => return super::error_page::render_error(&state, &err.into()),
    };
    let step_up = match step_up(app, &active, ip, &headers).await {
        Ok(step_up) => step_up,
        Err(err) => return super::error_page::render_error(&state, &err),
    };
    // An unverified address is worth a word when the user can do something about it.
    let unverified: Vec<String> = if app.config.selfservice.flows.verification.enabled {
        active
            .identity
            .verifiable_addresses
            .iter()
            .filter(|a| !a.verified)
            .map(|a| a.value.clone())
            .collect()
    } else {
        Vec::new()
    };
    let context = minijinja::context! {
        page => "session",
        title => "You are signed in",
        session => to_value(summary(&active)),
        step_up => step_up.map(to_value),
        unverified => unverified,
        links => minijinja::context! {
            settings => link(app, "/self-service/settings/browser"),
            verification => link(app, "/self-service/verification/browser"),
            logout => logout::url(app, active.session.id, None),
        },
    };
    render(&state.pages, app, StatusCode::OK, "session.html", context)
}
