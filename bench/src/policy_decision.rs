//! Row 11: one decision of the scripted policy (three rules: the billing example and the
//! administrators' rule), hosted in this process as the server hosts it: a warm instance,
//! called on the caller's thread. Every sample has an input the policy has not seen in that
//! second, so the component really decides; row 11b is the same input asked again within the
//! second, answered from the verdicts the host keeps.

use crate::paths::Paths;
use crate::report::{self, Row, Verdict};
use chrono::{DateTime, Utc};
use latchkey::clock::SystemClock;
use latchkey::model::{Aal, AuthMethod, Identity, IdentityState, Session};
use latchkey::plugin::{Hook, Policy, PolicyInput, PreparedInput, RequestFacts};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const WARM_UP: usize = 2_000;
const CALLS: usize = 20_000;
const TIME_LIMIT: Duration = Duration::from_secs(20);
const TARGET_P50: Duration = Duration::from_micros(5);
const TARGET_P99: Duration = Duration::from_micros(50);

const SCRIPT: &str = r#"
rule billing-needs-aal2
  hooks   route-check
  when    request.path == "/billing" || request.path.startsWith("/billing/")
  then    require_aal("aal2")
  message "Billing needs a second factor."

rule billing-needs-recent-sign-in
  hooks   route-check
  when    request.path == "/billing" || request.path.startsWith("/billing/")
  then    require_reauth_within("10m")
  message "Please confirm it is you to open billing."

rule admins-need-aal2
  hooks   route-check
  when    identity.metadata_public != null
          && has(identity.metadata_public.roles)
          && "admin" in identity.metadata_public.roles
  then    require_aal("aal2")
  message "Administrators must sign in with a second factor."
"#;

pub fn rows(paths: &Paths) -> Vec<Row> {
    let what = "one scripted policy decision (3 rules), warm instance";
    match measure(paths) {
        Ok((fresh, cached)) => {
            let mut rows = quantile_rows("11", &format!("{what}, new input"), fresh, true);
            rows.extend(quantile_rows(
                "11b",
                &format!("{what}, same input within the second"),
                cached,
                false,
            ));
            rows
        }
        Err(err) => vec![Row::skipped("11", what, format!("{err:#}"))],
    }
}

fn quantile_rows(
    id: &'static str,
    what: &str,
    mut samples: Vec<Duration>,
    judged: bool,
) -> Vec<Row> {
    let n = samples.len();
    let p50 = report::quantile(&mut samples, 0.50);
    let p99 = report::quantile(&mut samples, 0.99);
    [("p50", p50, TARGET_P50), ("p99", p99, TARGET_P99)]
        .into_iter()
        .map(|(q, value, target)| Row {
            id,
            what: format!("{what}, {q} of {n}"),
            measured: report::us(value),
            baseline: String::new(),
            ratio: None,
            target: if judged {
                format!("≤ {}", report::us(target))
            } else {
                String::new()
            },
            verdict: if judged {
                Verdict::of(value <= target)
            } else {
                Verdict::Info
            },
        })
        .collect()
}

fn load(paths: &Paths, dir: &std::path::Path) -> anyhow::Result<Arc<Policy>> {
    let script = dir.join("decision.cel");
    std::fs::write(&script, SCRIPT)?;
    let config = dir.join("policies.yml");
    std::fs::write(
        &config,
        format!(
            "plugins:\n  policies:\n    - path: {}\n      config:\n        script: {}\n",
            paths.plugin("scripted_policy").display(),
            script.display()
        ),
    )?;
    let cache = dir.join("cache").to_string_lossy().into_owned();
    let env = move |key: &str| (key == "LATCHKEY_CACHE_DIR").then(|| cache.clone());
    let config = latchkey::config::load(&[config], &env)?.config;
    let runtime = latchkey::plugin::plugin_runtime(&config, Arc::new(SystemClock))?;
    let policies = latchkey::plugin::load_policies(&config, &runtime)?;
    policies
        .for_hook(Hook::RouteCheck)
        .next()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the scripted policy did not ask for route-check"))
}

fn measure(paths: &Paths) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let dir = tempfile::tempdir()?;
    let policy = load(paths, dir.path())?;
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started_at = Utc::now();
    let (session, identity) = session_and_identity(started_at);
    let types = vec!["password".to_string(), "totp".to_string()];
    let request = RequestFacts {
        method: "GET".into(),
        path: "/billing/invoices".into(),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        headers: vec![],
        submitted_method: None,
    };
    // A new second for every sample: nothing is answered from remembered verdicts.
    let prepared_at = |second: usize| {
        PreparedInput::from(&PolicyInput {
            hook: Hook::RouteCheck,
            session: &session,
            identity: &identity,
            available_aal: Aal::Aal2,
            credential_types: &types,
            request: &request,
            now: started_at + chrono::Duration::seconds(second as i64),
        })
    };
    let inputs: Vec<PreparedInput> = (0..WARM_UP + CALLS).map(prepared_at).collect();
    let ask = |input: &PreparedInput| -> anyhow::Result<()> {
        tokio.block_on(policy.evaluate(input))?;
        Ok(())
    };
    for input in &inputs[..WARM_UP] {
        ask(input)?;
    }
    let mut fresh = Vec::with_capacity(CALLS);
    let started = Instant::now();
    for input in &inputs[WARM_UP..] {
        if started.elapsed() > TIME_LIMIT {
            break;
        }
        let call = Instant::now();
        ask(input)?;
        fresh.push(call.elapsed());
    }
    let same = inputs.last().expect("inputs were made");
    let mut cached = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let call = Instant::now();
        ask(same)?;
        cached.push(call.elapsed());
    }
    Ok((fresh, cached))
}

fn session_and_identity(now: DateTime<Utc>) -> (Session, Identity) {
    let identity_id = Uuid::new_v4();
    let method = |method: &str, aal| AuthMethod {
        method: method.into(),
        aal,
        completed_at: now,
        provider: None,
    };
    let session = Session {
        id: Uuid::new_v4(),
        token_hash: [0; 32],
        identity_id,
        active: true,
        aal: Aal::Aal2,
        authenticated_at: now,
        issued_at: now,
        expires_at: now + chrono::Duration::hours(24),
        methods: vec![method("password", Aal::Aal1), method("totp", Aal::Aal2)],
        devices: vec![],
    };
    let identity = Identity {
        id: identity_id,
        schema_id: "default".into(),
        state: IdentityState::Active,
        traits: json!({ "email": "someone@example.com", "name": { "first": "Ada" } }),
        metadata_public: Some(json!({ "roles": ["billing"] })),
        metadata_admin: None,
        verifiable_addresses: vec![],
        recovery_addresses: vec![],
        created_at: now,
        updated_at: now,
    };
    (session, identity)
}
