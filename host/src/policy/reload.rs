//! Replacing the policy set while serving: on SIGHUP and on `POST /admin/policies/reload`.
//!
//! The new set is built completely — every file read and compiled, every script parsed,
//! every policy's `describe` run — before it replaces the old one; anything wrong leaves the
//! old set serving and is reported. A decision takes the set once, so requests in flight
//! finish on the set they started with.

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

/// Loads the configured policies again from their files; the names of the new set, or why
/// the old set stays.
pub fn reload(app: &App) -> anyhow::Result<Vec<String>> {
    let fresh = crate::server::load_policies(&app.config, &app.runtime)?;
    let names = fresh.all.iter().map(|p| p.name().to_string()).collect();
    app.policies.replace(fresh);
    Ok(names)
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
                Ok(Ok(names)) => tracing::info!(?names, "policies reloaded on SIGHUP"),
                Ok(Err(err)) => {
                    tracing::error!(error = %format!("{err:#}"), "policy reload failed; the previous policies stay")
                }
                Err(err) => tracing::error!(%err, "policy reload task failed"),
            }
        }
    });
}
