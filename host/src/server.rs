//! Start-up: storage, plugins and both listeners.

use crate::app::{App, HotReads};
use crate::browser::cookies::CookieSigner;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::identity::schema::Schemas;
use crate::model::FlowKind;
use crate::plugin::{load_factors, load_policies, plugin_runtime};
use crate::store::Store;
use anyhow::Context;
use axum::serve::ListenerExt;
use std::sync::Arc;
use std::time::Instant;

/// Opens and migrates the database, then loads the plugins, policies and identity schemas.
pub async fn build_app(config: Config) -> anyhow::Result<App> {
    let store = crate::store::open(&config.dsn).context("opening the database")?;
    let applied = store
        .migrate()
        .await
        .context("applying database migrations")?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    // Compiling plugins blocks for a while.
    tokio::task::block_in_place(|| assemble(config, store))
}

/// An enabled recovery or verification flow needs its `use` method loaded, enabled and taking
/// part in that flow; otherwise every request would fail, so start-up does.
fn check_challenge_methods(
    config: &Config,
    factors: &crate::plugin::Factors,
) -> anyhow::Result<()> {
    for kind in [FlowKind::Recovery, FlowKind::Verification] {
        let Some(flow) = config.selfservice.flows.challenge(kind) else {
            continue;
        };
        if !flow.enabled {
            continue;
        }
        let method = flow.method.as_str();
        let usable = factors
            .all
            .iter()
            .any(|f| f.id() == method && f.joins(kind));
        anyhow::ensure!(
            usable,
            "selfservice.flows.{}.use: `{method}` is not a loaded and enabled method that takes part in {} flows (enable it with selfservice.methods.{method}.enabled, or load its plugin under plugins.factors)",
            kind.as_str(),
            kind.as_str()
        );
    }
    Ok(())
}

fn assemble(config: Config, store: Arc<dyn Store>) -> anyhow::Result<App> {
    let hot = Arc::new(HotReads::default());
    store.subscribe(hot.clone());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = Arc::new(plugin_runtime(&config, clock.clone())?);
    let factors = load_factors(&config, &runtime)?;
    check_challenge_methods(&config, &factors)?;
    let policies = load_policies(&config, &runtime)?;
    let schemas = Schemas::from_config(&config)?;
    let public_base = config.public_base_url();
    let secrets: Vec<&str> = config.cookie_secrets().iter().map(|s| s.expose()).collect();
    if secrets.is_empty() {
        tracing::warn!(
            "no secrets.cookie or secrets.default configured: using a random secret, so browser sessions end at restart"
        );
    }
    let cookies = CookieSigner::new(&secrets);
    let courier = crate::courier::Courier::new(&config.courier, clock.clone())
        .context("loading the courier's message templates")?;
    Ok(App {
        cookies,
        config,
        store,
        factors: crate::app::FactorSlot::new(factors),
        schemas: Arc::new(schemas),
        clock,
        public_base,
        hot,
        policies: crate::policy::reload::PolicySlot::new(policies),
        runtime,
        courier: Arc::new(courier),
    })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let public_addr = format!("{}:{}", config.serve.public.host, config.serve.public.port);
    let admin_addr = format!("{}:{}", config.serve.admin.host, config.serve.admin.port);
    let app = Arc::new(build_app(config).await?);
    let pages = crate::pages::load(&app.config)?;
    // Compiling plugins on a cold cache leaves tens of MiB of freed heap behind.
    crate::heap::return_freed_memory();
    crate::policy::reload::on_sighup(app.clone());
    crate::peers::spawn_announcer(app.clone());
    crate::cleanup::spawn_sweeper(
        app.store.clone(),
        app.clock.clone(),
        app.config.database.cleanup.clone(),
        app.config.selfservice.flows.login.throttle.forget_after,
    );
    let courier = crate::courier::worker::Worker {
        store: app.store.clone(),
        deliveries: Arc::new(
            crate::courier::delivery::Deliveries::new(&app.config.courier)
                .context("setting up the courier's delivery")?,
        ),
        clock: app.clock.clone(),
        settings: app.config.courier.worker.clone(),
        message_retries: app.config.courier.message_retries,
    }
    .spawn();

    let public = tokio::net::TcpListener::bind(&public_addr)
        .await
        .with_context(|| format!("binding the public listener to {public_addr}"))?;
    let admin = tokio::net::TcpListener::bind(&admin_addr)
        .await
        .with_context(|| format!("binding the admin listener to {admin_addr}"))?;
    tracing::info!(
        public = %public.local_addr()?,
        admin = %admin.local_addr()?,
        ready_ms = started.elapsed().as_millis() as u64,
        "latchkey is ready"
    );
    // Without TCP_NODELAY a response written in two segments waits for the client's delayed
    // ACK: a 40 ms stall on every such request.
    let public = public.tap_io(no_delay);
    let admin = admin.tap_io(no_delay);
    let public_app =
        crate::pages::attach(crate::http::public_router(app.clone()), app.clone(), pages);
    let admin_app = crate::http::admin_router(app);
    let public_srv = axum::serve(
        public,
        public_app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal());
    let admin_srv = axum::serve(admin, admin_app).with_graceful_shutdown(shutdown_signal());
    let served = tokio::try_join!(public_srv.into_future(), admin_srv.into_future());
    // The message being sent when the signal came is recorded before the process ends.
    courier.stop().await;
    served?;
    Ok(())
}

fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(%err, "could not set TCP_NODELAY");
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
