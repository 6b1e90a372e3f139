//! The plugin runtime as the server builds it, hosted in the bench process so that plugin
//! calls can be timed without HTTP around them.

use crate::argon2_side_by_side::Argon2Params;
use anyhow::Context;
use latchkey::clock::SystemClock;
use latchkey::model::{Aal, Credential, FlowKind, FlowVariant};
use latchkey::plugin::{
    Factor, FlowContext, FlowIdentity, PluginRuntime, Rejection, SubmitOutcome,
};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

pub struct PluginHost {
    runtime: PluginRuntime,
    /// `Factor::submit` hands the call to tokio's blocking pool, as in the server.
    tokio: tokio::runtime::Runtime,
    // Compiled artifacts go to a private directory: the first load is a real compile, and the
    // developer's own cache is neither used nor touched.
    _cache: tempfile::TempDir,
}

impl PluginHost {
    pub fn new() -> anyhow::Result<PluginHost> {
        let cache = tempfile::tempdir()?;
        let cache_dir = cache.path().to_string_lossy().into_owned();
        let env = move |key: &str| (key == "LATCHKEY_CACHE_DIR").then(|| cache_dir.clone());
        // The embedded defaults plus nothing else: the same memory cap and deadline the server
        // runs plugins with.
        let config = latchkey::config::load(&[], &env)?.config;
        let runtime = latchkey::plugin::plugin_runtime(&config, Arc::new(SystemClock))?;
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(PluginHost {
            runtime,
            tokio,
            _cache: cache,
        })
    }

    /// Compiles and links a factor component, handing it the hasher settings the server would.
    pub fn load(&self, path: &Path, params: Argon2Params) -> anyhow::Result<Arc<Factor>> {
        let (component, _) = self.runtime.compile(path)?;
        let factor = self
            .runtime
            .prepare(&component, path, settings_json(params))
            .with_context(|| format!("preparing {}", path.display()))?;
        Ok(Arc::new(factor))
    }

    pub fn submit(
        &self,
        factor: &Arc<Factor>,
        ctx: FlowContext,
        input_json: String,
    ) -> anyhow::Result<Result<SubmitOutcome, Rejection>> {
        Ok(self.tokio.block_on(factor.submit(ctx, input_json))?)
    }
}

/// The `settings.get` document the host builds from Kratos' `hashers` section.
fn settings_json(p: Argon2Params) -> String {
    json!({
        "hashers": {
            "algorithm": "argon2",
            "argon2": {
                "memory": format!("{}KiB", p.memory_kib),
                "iterations": p.iterations,
                "parallelism": p.parallelism,
                "salt_length": 16,
                "key_length": 32,
            },
        },
    })
    .to_string()
}

/// The context of the second `submit` of a password login: the host has looked the identifier
/// up and hands over the identity's stored credential, so the plugin verifies the hash.
pub fn login_context(email: &str, phc_hash: &str) -> FlowContext {
    let identity_id = Uuid::from_u128(0x00000000_0000_4000_8000_000000000002);
    let now = chrono::Utc::now();
    FlowContext {
        flow_id: Uuid::from_u128(0x00000000_0000_4000_8000_000000000001),
        kind: FlowKind::Login,
        variant: FlowVariant::Api,
        action_url: "http://127.0.0.1/self-service/login?flow=00000000-0000-4000-8000-000000000001"
            .into(),
        refresh: false,
        requested_aal: Aal::Aal1,
        identity: Some(FlowIdentity {
            id: identity_id,
            schema_id: "default".into(),
            traits_json: json!({ "email": email }).to_string(),
            marked_traits: vec![("identifier".into(), email.into())],
        }),
        credential: Some(Credential {
            identity_id,
            method: "password".into(),
            identifiers: vec![email.into()],
            config: json!({ "hashed_password": phc_hash }).to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        }),
        looked_up: Some(email.into()),
        plugin_state: None,
    }
}

pub fn login_input(email: &str, password: &str) -> String {
    json!({ "identifier": email, "password": password }).to_string()
}
