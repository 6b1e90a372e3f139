//! The built-in self-service pages: sign-in, sign-up, settings, errors and a "you are signed
//! in" page, rendered on the server from any flow's `ui.nodes`, as plain HTML forms that post to
//! the flow's `ui.action`. They are the default `ui_url`s, so `latchkey serve` alone gives a
//! working self-service UI; `ui.enabled: false` turns them off for a deployment with its own.

mod error_page;
mod flow_page;
mod html;
mod session_page;
mod templates;
mod view;

use crate::app::{App, SharedApp};
use crate::config::Config;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;

pub use templates::Templates;

/// What the pages need besides the app: their compiled templates.
pub struct Pages {
    templates: Templates,
}

#[derive(Clone)]
struct PageState {
    app: SharedApp,
    pages: Arc<Pages>,
}

/// The compiled pages, or `None` when `ui.enabled` is off. Fails on a broken template.
pub fn load(config: &Config) -> anyhow::Result<Option<Arc<Pages>>> {
    if !config.ui.enabled {
        return Ok(None);
    }
    let templates = Templates::load(config.ui.templates_dir.as_deref())?;
    Ok(Some(Arc::new(Pages { templates })))
}

/// Adds the pages' routes to the public router.
pub fn attach(public: Router, app: SharedApp, pages: Option<Arc<Pages>>) -> Router {
    let Some(pages) = pages else {
        return public;
    };
    let state = PageState { app, pages };
    let routes = Router::new()
        .route("/", get(session_page::show))
        .route(crate::config::LOGIN_PATH, get(flow_page::login))
        .route(
            crate::config::REGISTRATION_PATH,
            get(flow_page::registration),
        )
        .route(crate::config::SETTINGS_PATH, get(flow_page::settings))
        .route(crate::config::RECOVERY_PATH, get(flow_page::recovery))
        .route(
            crate::config::VERIFICATION_PATH,
            get(flow_page::verification),
        )
        .route(crate::config::ERROR_PATH, get(error_page::show))
        .route("/ui/style.css", get(html::stylesheet))
        .with_state(state);
    public
        .merge(routes)
        .layer(axum::middleware::from_fn(crate::http::kratos_errors))
}

/// Links every page offers, absolute on the public listener.
fn link(app: &App, path: &str) -> String {
    app.public_url(path)
}
