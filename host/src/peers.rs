//! Nodes serving one database with different plugins. Each node announces the plugins it
//! runs when it starts and every ten seconds (so a reload is announced within ten seconds);
//! when another node's set differs, the log says so, naming both, until every node runs the
//! same set again.

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const EVERY: Duration = Duration::from_secs(10);
/// A node not heard from for this long has stopped.
const FORGET_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(35);

/// The plugins this node runs, as its log names them: each factor's method, version, file and
/// contract, and each policy's name and file, in a stable order.
pub fn plugin_set(app: &App) -> String {
    let mut parts: Vec<String> = app
        .factors
        .current()
        .all
        .iter()
        .map(|f| {
            format!(
                "{}@{} ({}, factor@{})",
                f.id(),
                f.info.version,
                f.name(),
                f.wit_version
            )
        })
        .collect();
    parts.extend(
        app.policies
            .get()
            .all
            .iter()
            .map(|p| format!("policy {}", p.plugin_name())),
    );
    parts.sort();
    parts.join("; ")
}

/// Announces this node until the server stops.
pub fn spawn_announcer(app: Arc<App>) {
    let node = Uuid::new_v4();
    tokio::spawn(async move {
        let mut reported: Vec<String> = Vec::new();
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let ours = plugin_set(&app);
            let now = app.clock.now();
            let others = match app
                .store
                .announce_node(node, &ours, now, now - FORGET_AFTER)
                .await
            {
                Ok(others) => others,
                Err(err) => {
                    tracing::debug!(error = %err, "could not announce this node");
                    continue;
                }
            };
            let differing: Vec<String> = others.into_iter().filter(|set| *set != ours).collect();
            if !differing.is_empty() && differing != reported {
                tracing::warn!(
                    this_node = %ours,
                    other_nodes = ?differing,
                    "another node serving this database runs a different set of plugins; reload every node (docs/deployment.md)"
                );
            } else if differing.is_empty() && !reported.is_empty() {
                tracing::info!("every node serving this database runs the same plugins again");
            }
            reported = differing;
        }
    });
}
