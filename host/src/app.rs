//! Everything a request handler needs, built once at start-up.

use crate::clock::Clock;
use crate::config::Config;
use crate::identity::schema::Schemas;
use crate::model::{FlowKind, Identity, Session};
pub use crate::plugin::Factors;
use crate::plugin::{Factor, FactorRole};
use crate::read_cache::ReadCache;
use crate::store::{Invalidate, Store};
use axum::extract::FromRef;
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

pub struct App {
    pub config: Config,
    pub cookies: crate::browser::cookies::CookieSigner,
    pub store: Arc<dyn Store>,
    /// Swapped whole by a reload; see [`FactorSlot`].
    pub factors: FactorSlot,
    pub schemas: Arc<Schemas>,
    pub clock: Arc<dyn Clock>,
    pub public_base: Url,
    /// Subscribed to `store`'s invalidations.
    pub hot: Arc<HotReads>,
    pub policies: crate::policy::reload::PolicySlot,
    /// Kept for reloading policies.
    pub runtime: Arc<crate::plugin::PluginRuntime>,
    /// Renders and queues outgoing mail and SMS.
    pub courier: Arc<crate::courier::Courier>,
}

/// The reads every authenticated request makes, cached while no write intervenes.
#[derive(Default)]
pub struct HotReads {
    /// Session token hash → the session and its identity (`None`: no such token).
    pub sessions: ReadCache<[u8; 32], Option<(Session, Identity)>>,
    /// Identity id → what its credentials add up to.
    pub credentials: ReadCache<Uuid, crate::aal::CredentialSummary>,
}

impl Invalidate for HotReads {
    fn invalidate(&self) {
        self.sessions.invalidate();
        self.credentials.invalidate();
    }
}

pub type SharedApp = Arc<App>;

// The parts of the App a handler can take on their own (axum's `FromRef`), so that one that
// only reads the database, the clock or the schemas says so in its signature. Handlers that
// run the flow engine take the whole App: that is what the engine's entry points take.

/// The storage port.
#[derive(Clone)]
pub struct Storage(pub Arc<dyn Store>);

impl FromRef<SharedApp> for Storage {
    fn from_ref(app: &SharedApp) -> Storage {
        Storage(app.store.clone())
    }
}

/// The clock every "now" comes from.
#[derive(Clone)]
pub struct Time(pub Arc<dyn Clock>);

impl FromRef<SharedApp> for Time {
    fn from_ref(app: &SharedApp) -> Time {
        Time(app.clock.clone())
    }
}

/// The configured identity schemas.
#[derive(Clone)]
pub struct IdentitySchemas(pub Arc<Schemas>);

impl FromRef<SharedApp> for IdentitySchemas {
    fn from_ref(app: &SharedApp) -> IdentitySchemas {
        IdentitySchemas(app.schemas.clone())
    }
}

impl App {
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
