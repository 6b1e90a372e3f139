//! Replacing the plugins while serving: on SIGHUP and on `POST /admin/plugins/reload`.
//!
//! The new factors and policies are built completely — every file read and compiled, every
//! script parsed, every component's `describe` run — before they replace the old ones, both at
//! once; anything wrong leaves the old sets serving and is reported. A decision takes the
//! policy set once and a plugin call holds its own factor, so work in flight finishes on what
//! it started with.

use super::Policies;
use crate::app::App;
use std::sync::{Arc, RwLock};

pub struct PolicySlot {
    current: RwLock<Arc<Policies>>,
}

impl PolicySlot {
    pub fn new(policies: Policies) -> PolicySlot {
        PolicySlot {
            current: RwLock::new(Arc::new(policies)),
        }
    }

    pub fn get(&self) -> Arc<Policies> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn replace(&self, policies: Policies) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policies);
    }
}

/// What a reload put in place: the factor method ids and the policy names.
pub struct Reloaded {
    pub factors: Vec<String>,
    pub policies: Vec<String>,
}

/// Loads the configured factors and policies again from their files, or says why the old
/// ones stay.
pub fn reload(app: &App) -> anyhow::Result<Reloaded> {
    let factors = crate::plugin::load_factors(&app.config, &app.runtime)?;
    let policies = crate::plugin::load_policies(&app.config, &app.runtime)?;
    let reloaded = Reloaded {
        factors: factors.all.iter().map(|f| f.id().to_string()).collect(),
        policies: policies.all.iter().map(|p| p.name().to_string()).collect(),
    };
    app.factors.replace(factors);
    app.policies.replace(policies);
    Ok(reloaded)
}

/// Reloads on every SIGHUP for as long as the server runs.
pub fn on_sighup(app: Arc<App>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        tracing::warn!("cannot listen for SIGHUP; reload policies through the admin API");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let app = app.clone();
            let outcome = tokio::task::spawn_blocking(move || reload(&app)).await;
            match outcome {
                Ok(Ok(done)) => tracing::info!(
                    factors = ?done.factors,
                    policies = ?done.policies,
                    "plugins reloaded on SIGHUP"
                ),
                Ok(Err(err)) => tracing::error!(
                    error = %format!("{err:#}"),
                    "plugin reload failed; the previous plugins stay"
                ),
                Err(err) => tracing::error!(%err, "policy reload task failed"),
            }
        }
    });
}
