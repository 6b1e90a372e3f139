//! The flow engine in process, on an in-memory store and a clock the test moves: what a flow
//! is created as, how it is found, what expiry and completion do to it, and what a rejection
//! keeps. No plugin is loaded, so these are the engine's own rules.

use super::*;
use crate::clock::Clock;
use crate::config::{Loaded, load};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The embedded configuration on an in-memory database, without plugins; settings flows live
/// longer than the others so that a test can tell the kinds' lifespans apart.
async fn engine() -> (App, Arc<ManualClock>, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let Loaded { mut config, .. } = load(&[], &|_| None).unwrap();
    config.dsn = "memory".into();
    config.plugins.factors.clear();
    config.plugins.policies.clear();
    config.plugins.cache_dir = cache.path().to_path_buf();
    config.selfservice.flows.settings.lifespan = Duration::from_secs(7200);
    let mut app = crate::server::build_app(config).await.unwrap();
    let clock = Arc::new(ManualClock(Mutex::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
    )));
    app.clock = clock.clone();
    (app, clock, cache)
}

fn start(kind: FlowKind) -> FlowStart {
    FlowStart {
        kind,
        variant: FlowVariant::Browser,
        request_url: format!(
            "http://127.0.0.1:4433/self-service/{}/browser",
            kind.as_str()
        ),
        return_to: Some("http://127.0.0.1:4433/after".into()),
        requested_aal: Aal::Aal1,
        refresh: false,
        identity: None,
        session_id: None,
        csrf_token: Some("csrf".into()),
        schema_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_new_flow_starts_in_its_kinds_state_and_lives_its_kinds_lifespan() {
    let (app, _clock, _cache) = engine().await;
    let login = create(&app, start(FlowKind::Login)).await.unwrap();
    assert_eq!(login.state, FlowState::ChooseMethod);
    assert_eq!(
        login.expires_at - login.issued_at,
        chrono::Duration::hours(1)
    );
    assert_eq!(
        app.store.get_flow(login.id).await.unwrap(),
        Some(login.clone())
    );

    let settings = create(&app, start(FlowKind::Settings)).await.unwrap();
    assert_eq!(settings.state, FlowState::ShowForm);
    assert_eq!(
        settings.expires_at - settings.issued_at,
        chrono::Duration::hours(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_flow_is_found_only_by_its_id_and_kind() {
    let (app, _clock, _cache) = engine().await;
    let flow = create(&app, start(FlowKind::Registration)).await.unwrap();
    let id = flow.id.to_string();
    assert_eq!(find(&app, &id, FlowKind::Registration).await.unwrap(), flow);
    for (id, kind) in [
        (id.as_str(), FlowKind::Login),
        ("not-a-uuid", FlowKind::Registration),
        (
            "00000000-0000-4000-8000-000000000000",
            FlowKind::Registration,
        ),
    ] {
        let err = ApiError::from(find(&app, id, kind).await.unwrap_err());
        assert_eq!(err.status.as_u16(), 404, "{id} as {kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_expired_flow_names_a_fresh_one_like_it() {
    let (app, clock, _cache) = engine().await;
    let flow = create(&app, start(FlowKind::Login)).await.unwrap();
    clock.advance(chrono::Duration::minutes(59));
    assert!(ensure_fresh(&app, flow.clone()).await.is_ok());

    clock.advance(chrono::Duration::minutes(2));
    let Err(DomainError::FlowExpired {
        fresh, expired_at, ..
    }) = ensure_fresh(&app, flow.clone()).await
    else {
        panic!("an expired flow passed");
    };
    assert_eq!(expired_at, flow.expires_at);
    let fresh = app.store.get_flow(fresh).await.unwrap().unwrap();
    assert_ne!(fresh.id, flow.id);
    assert_eq!(fresh.kind, FlowKind::Login);
    assert_eq!(fresh.return_to, flow.return_to);
    assert_eq!(fresh.csrf_token, flow.csrf_token);
    assert!(fresh.expires_at > app.now());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_completed_flow_cannot_be_submitted_again() {
    let (app, _clock, _cache) = engine().await;
    let mut flow = create(&app, start(FlowKind::Login)).await.unwrap();
    assert!(ensure_submittable(&app, flow.clone()).await.is_ok());
    flow.state = FlowState::PassedChallenge;
    let err = ApiError::from(ensure_submittable(&app, flow).await.unwrap_err());
    assert_eq!(err.status.as_u16(), 400);
    assert_eq!(err.id, Some("self_service_flow_completed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_rejection_keeps_what_was_typed_with_the_messages() {
    let (app, _clock, _cache) = engine().await;
    let flow = create(&app, start(FlowKind::Registration)).await.unwrap();
    let mut input = serde_json::Map::new();
    input.insert("traits.email".into(), json!("typed@example.com"));
    let message = ui::message(4000007, "taken", "error", None);
    let shown = reject(&app, flow.clone(), &input, vec![message.clone()], vec![])
        .await
        .unwrap();
    let stored = app.store.get_flow(flow.id).await.unwrap().unwrap();
    assert_eq!(stored, *shown);
    assert_eq!(stored.ui["messages"], json!([message]));
    let email = stored.ui["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "traits.email")
        .expect("the schema's email trait is a node");
    assert_eq!(email["attributes"]["value"], "typed@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_browser_sees_a_flow_in_its_kinds_ui_or_as_json() {
    let (mut app, _clock, _cache) = engine().await;
    let flow = create(&app, start(FlowKind::Settings)).await.unwrap();
    app.config.selfservice.flows.settings.ui_url =
        Some("http://127.0.0.1:4455/settings".parse().unwrap());
    assert_eq!(
        ui_url(&app, &flow),
        format!("http://127.0.0.1:4455/settings?flow={}", flow.id)
    );
    app.config.selfservice.flows.settings.ui_url = None;
    assert_eq!(
        ui_url(&app, &flow),
        app.public_url(&format!("/self-service/settings/flows?id={}", flow.id))
    );
}

/// What `f` logs, as the text format writes it.
fn logged(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

#[test]
fn a_plugin_message_moved_to_the_flow_is_warned_about_with_its_node_and_id() {
    let moved = vec![(
        "pin_code".to_string(),
        ui::message(4000002, "wrong PIN", "error", None),
    )];
    let log = logged(|| warn_moved("pin (pin.wasm)", &moved));
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains(r#"plugin="pin (pin.wasm)""#), "{log}");
    assert!(log.contains(r#"node="pin_code""#), "{log}");
    assert!(log.contains("message_id=4000002"), "{log}");
    assert!(logged(|| warn_moved("pin (pin.wasm)", &[])).is_empty());
}
