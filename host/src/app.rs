//! Everything a request handler needs, built once at start-up.

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::identity::schema::Schemas;
use crate::model::{Aal, FlowKind, Identity, Session};
pub use crate::plugin::Factors;
use crate::plugin::{Factor, FactorRole};
use crate::read_cache::ReadCache;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

pub struct App {
    pub config: Config,
    pub cookies: crate::browser::cookies::CookieSigner,
    pub store: Arc<Store>,
    /// Swapped whole by a reload; see [`FactorSlot`].
    pub factors: FactorSlot,
    pub schemas: Schemas,
    pub clock: Arc<dyn Clock>,
    pub public_base: Url,
    pub hot: HotReads,
    /// Submissions that may write a credential evaluate it one at a time.
    pub credential_turns: crate::flows::turns::CredentialTurns,
    pub policies: crate::policy::reload::PolicySlot,
    /// Kept for reloading policies.
    pub runtime: Arc<crate::plugin::PluginRuntime>,
}

/// The reads every authenticated request makes, cached while no write intervenes.
#[derive(Default)]
pub struct HotReads {
    /// Session token hash → the session and its identity (`None`: no such token).
    pub sessions: ReadCache<[u8; 32], Option<(Session, Identity)>>,
    pub available_aal: ReadCache<Uuid, Aal>,
}

pub type SharedApp = Arc<App>;

impl App {
    /// Runs a storage call on the blocking pool: SQLite calls block, and a slow disk must not
    /// stall the async workers.
    pub async fn db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|_| ApiError::internal("storage task was cancelled"))?
            .map_err(|err| {
                tracing::error!(%err, "storage error");
                ApiError::internal("the storage backend failed")
            })
    }

    /// Runs an indexed point read on the calling task's thread. Readers never wait for the
    /// writer in WAL mode and such a query takes microseconds, less than the hop to a
    /// blocking thread that [`App::db`] makes; the hot paths (the session of a request, its
    /// available AAL) use this. Anything that writes or scans goes through [`App::db`].
    pub fn read_now<R>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, StoreError>,
    ) -> Result<R, ApiError> {
        f(&self.store).map_err(|err| {
            tracing::error!(%err, "storage error");
            ApiError::internal("the storage backend failed")
        })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// An absolute URL on the public listener for `path_and_query`.
    pub fn public_url(&self, path_and_query: &str) -> String {
        self.public_base
            .join(path_and_query.trim_start_matches('/'))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| path_and_query.to_string())
    }
}

/// The factor set currently serving. A reload replaces it whole; a plugin call in flight holds
/// its own factor and finishes on it.
pub struct FactorSlot {
    current: std::sync::RwLock<Arc<Factors>>,
}

impl FactorSlot {
    pub fn new(factors: Factors) -> FactorSlot {
        FactorSlot {
            current: std::sync::RwLock::new(Arc::new(factors)),
        }
    }

    pub fn current(&self) -> Arc<Factors> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn replace(&self, factors: Factors) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(factors);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Factor>> {
        self.current().get(id)
    }

    pub fn for_flow(&self, kind: FlowKind, role: Option<FactorRole>) -> Vec<Arc<Factor>> {
        self.current().for_flow(kind, role)
    }
}
