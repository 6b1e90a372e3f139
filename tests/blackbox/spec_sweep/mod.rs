//! The whole API against Kratos' OpenAPI document: every operation of the spec is either
//! served — and then probed parameter by parameter, header by header, field by field, each
//! answer checked for Kratos' status and error id, for JSON, and against the spec's schema —
//! or listed as not served and checked to answer a Kratos-format 404.
//!
//! The probes come from the spec at test time (`probes.rs`), what Kratos answers from a
//! generic rule and a table of exceptions (`expect.rs`), and the working request each
//! operation starts from from `cases.rs`. A new operation needs a baseline there; a new
//! exception a row in the table, citing Kratos' source.

mod cases;
mod expect;
mod probes;
mod request;
mod spec;
mod validate;
mod world;

use cases::{CASES, Case, NOT_SERVED};
use expect::{Expect, Id, Status};
use probes::Probe;
use request::{Answer, Listener, Request};
use spec::{Operation, Spec};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use validate::Validators;
use world::{ADMIN_KEY, World};

/// Cases run on this many threads against the one server.
const WORKERS: usize = 4;

#[test]
fn every_operation_of_the_spec_is_probed_or_listed_as_not_served() {
    let spec = Spec::load();
    let ops = spec.operations();
    let mut problems = Vec::new();
    for op in &ops {
        let served = CASES.iter().any(|c| c.op == op.id);
        let listed = NOT_SERVED.contains(&op.id.as_str());
        match (served, listed) {
            (false, false) => problems.push(format!(
                "{} ({} {}) is new in the spec: give it a case in spec_sweep/cases.rs, or list it in NOT_SERVED",
                op.id, op.method, op.path
            )),
            (true, true) => problems.push(format!("{} is both served and not served", op.id)),
            _ => {}
        }
    }
    for case in CASES {
        if !ops.iter().any(|o| o.id == case.op) {
            problems.push(format!("case {} is no operation of the spec", case.op));
        }
    }
    for id in NOT_SERVED {
        if !ops.iter().any(|o| o.id == *id) {
            problems.push(format!("{id} in NOT_SERVED is no operation of the spec"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn served_operations_answer_every_probe_as_kratos_does() {
    let spec = Spec::load();
    let ops = spec.operations();
    let validators = Validators::new(&spec);
    let world = World::start();
    let failures = Mutex::new(Vec::new());
    let probed = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(case) = CASES.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let op = ops
                        .iter()
                        .find(|o| o.id == case.op)
                        .unwrap_or_else(|| panic!("{} is no operation of the spec", case.op));
                    let found = sweep_case(&world, &spec, &validators, op, case, &probed);
                    failures.lock().unwrap().extend(found);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "spec sweep: {} probes over {} ways of calling {} operations",
        probed.load(Ordering::Relaxed),
        CASES.len(),
        ops.iter()
            .filter(|o| CASES.iter().any(|c| c.op == o.id))
            .count()
    );
    assert!(
        failures.is_empty(),
        "{} of {} probes answered unlike Kratos:\n{}",
        failures.len(),
        probed.load(Ordering::Relaxed),
        failures.join("\n")
    );
}

/// Every probe of one case, each from a fresh baseline (a probe may use its state up: log a
/// session out, delete an identity).
fn sweep_case(
    world: &World,
    spec: &Spec,
    validators: &Validators,
    op: &Operation,
    case: &Case,
    probed: &AtomicUsize,
) -> Vec<String> {
    let public = world.server.public.clone();
    let first = (case.setup)(world);
    assert_eq!(
        (first.req.method.as_str(), first.req.path.as_str()),
        (op.method.as_str(), op.path.as_str()),
        "{}: the baseline must call the operation",
        case.op
    );
    let labels: Vec<String> = probes::generate(spec, op, &first, &public)
        .iter()
        .map(Probe::label)
        .collect();
    let mut failures = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let base = if i == 0 {
            first.clone()
        } else {
            (case.setup)(world)
        };
        let probe = probes::generate(spec, op, &base, &public).swap_remove(i);
        assert_eq!(
            &probe.label(),
            label,
            "{}: every baseline must make the same probes",
            case.op
        );
        probed.fetch_add(1, Ordering::Relaxed);
        let name = if case.variant.is_empty() {
            case.op.to_string()
        } else {
            format!("{}[{}]", case.op, case.variant)
        };
        let Some(expected) = expect::expect(
            case.op,
            case.variant,
            &probe.target,
            probe.kind,
            probe.in_baseline,
            probe.required,
        ) else {
            failures.push(format!(
                "{name} {}: no expectation; read Kratos' handler and add a row to spec_sweep/expect.rs",
                probe.label()
            ));
            continue;
        };
        let answer = world.send(&probe.req);
        if let Err(why) = check(validators, op, base.status, expected, &answer) {
            failures.push(format!(
                "{name} {}: {} → {}: {why}\n    {}",
                probe.label(),
                probe.req.describe(),
                answer.status,
                excerpt(&answer.text),
            ));
        }
    }
    failures
}

fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(300).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// One answer: the expected status and error id, JSON whenever there is a body (never
/// `text/plain`), Kratos' error envelope on errors, and the spec's schema for the status.
fn check(
    validators: &Validators,
    op: &Operation,
    baseline_status: u16,
    expected: Expect,
    answer: &Answer,
) -> Result<(), String> {
    let status = match expected.status {
        Status::Baseline => baseline_status,
        Status::Code(code) => code,
    };
    if answer.status != status {
        return Err(format!("Kratos answers {status}"));
    }
    let is_json = answer.content_type.starts_with("application/json") && answer.json.is_some();
    if !answer.text.is_empty() && !is_json {
        return Err(format!("the body is `{}`, not JSON", answer.content_type));
    }
    if answer.status >= 400 {
        if let Some(error) = answer.json.as_ref().and_then(|j| j.get("error"))
            && error["code"] != answer.status
        {
            return Err(format!("error.code is {}, not the status", error["code"]));
        }
        match expected.id {
            Id::Any => {}
            Id::None if answer.error_id().is_some() => {
                return Err(format!(
                    "Kratos' error has no id, this one is `{}`",
                    answer.error_id().unwrap()
                ));
            }
            Id::None => {}
            Id::Is(id) if answer.error_id() != Some(id) => {
                return Err(format!("Kratos' error id is `{id}`"));
            }
            Id::Is(_) => {}
        }
    }
    validators.check(&op.id, answer.status, answer.json.as_ref())
}

#[test]
fn operations_not_served_answer_a_kratos_404() {
    let spec = Spec::load();
    let ops = spec.operations();
    let validators = Validators::new(&spec);
    let world = World::start();
    let served: Vec<&Operation> = ops
        .iter()
        .filter(|o| CASES.iter().any(|c| c.op == o.id))
        .collect();
    let mut failures = Vec::new();
    for op in ops.iter().filter(|o| NOT_SERVED.contains(&o.id.as_str())) {
        let path = fill_path(&op.path);
        // A path that a served operation also matches (another method) is a 405.
        let status = if served.iter().any(|s| template_matches(&s.path, &path)) {
            405
        } else {
            404
        };
        let listener = if op.path.starts_with("/admin") {
            Listener::Admin
        } else {
            Listener::Public
        };
        let mut req = Request::new(listener, &op.method, path)
            .header("Authorization", format!("Bearer {ADMIN_KEY}"));
        for p in op
            .params
            .iter()
            .filter(|p| p.required && p.place == spec::In::Query)
        {
            req = req.query(&p.name, uuid::Uuid::new_v4().to_string());
        }
        if op.body.is_some() {
            req = req.json(serde_json::json!({}));
        }
        let answer = world.send(&req);
        let verdict = if answer.status != status {
            Err(format!(
                "expected {status}: now served? move it from NOT_SERVED into CASES"
            ))
        } else if !answer.content_type.starts_with("application/json") {
            Err(format!("the body is `{}`, not JSON", answer.content_type))
        } else {
            validators.check_error(&answer)
        };
        if let Err(why) = verdict {
            failures.push(format!(
                "{}: {} → {} {}: {why}",
                op.id,
                req.describe(),
                answer.status,
                excerpt(&answer.text)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn fill_path(template: &str) -> String {
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

/// What the HTTP framework answers by itself — a path segment that is no UTF-8, a body over
/// the size limit — is Kratos' JSON too, on both listeners.
#[test]
fn the_frameworks_own_rejections_are_kratos_errors() {
    let spec = Spec::load();
    let validators = Validators::new(&spec);
    let world = World::start();
    // Just over axum's 2 MiB limit: the few bytes the server leaves unread fit in the socket
    // buffers, so the client finishes sending before it reads the answer.
    let big = format!(
        "{{\"password\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024 + 1024)
    );
    let cases = [
        (Request::new(Listener::Public, "GET", "/schemas/%FF"), 400),
        (
            Request::new(Listener::Public, "GET", "/self-service/route-check/%FF"),
            400,
        ),
        (
            Request::new(Listener::Admin, "GET", "/admin/sessions/%FF")
                .header("Authorization", format!("Bearer {ADMIN_KEY}")),
            400,
        ),
        (
            Request::new(Listener::Public, "POST", "/self-service/login")
                .query("flow", uuid::Uuid::new_v4().to_string())
                .header("Content-Type", "application/json")
                .json(serde_json::from_str(&big).unwrap()),
            413,
        ),
    ];
    let mut failures = Vec::new();
    for (req, status) in cases {
        let answer = world.send(&req);
        let verdict = if answer.status != status {
            Err(format!("expected {status}"))
        } else if !answer.content_type.starts_with("application/json") {
            Err(format!("the body is `{}`, not JSON", answer.content_type))
        } else {
            validators.check_error(&answer)
        };
        if let Err(why) = verdict {
            failures.push(format!(
                "{} → {} {}: {why}",
                req.describe(),
                answer.status,
                excerpt(&answer.text)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
