//! The example scripts in `policies/examples`, loaded and evaluated the way `describe` and
//! `evaluate` do it, plus load errors and evaluation errors.

use crate::engine::{Policy, Verdict, Warning};
use crate::input::{AuthMethod, Device, Identity, Input, Request, Session};
use crate::script::{Aal, Decision, Hook};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

fn settings(path: &str, script: &str) -> String {
    json!({ "script": script, "script_path": path, "headers": ["x-forwarded-for"] }).to_string()
}

fn example(file: &str) -> Policy {
    let text = match file {
        "admins.cel" => include_str!("../../examples/admins.cel"),
        "billing.cel" => include_str!("../../examples/billing.cel"),
        "new-device.cel" => include_str!("../../examples/new-device.cel"),
        "distinct-factors.cel" => include_str!("../../examples/distinct-factors.cel"),
        other => panic!("no example {other}"),
    };
    Policy::load(&settings(&format!("policies/examples/{file}"), text))
        .unwrap_or_else(|e| panic!("{file}:{e}"))
}

fn method(name: &str, aal: Aal, ago: i64) -> AuthMethod {
    AuthMethod {
        method: name.into(),
        aal,
        completed_at: NOW - ago,
        provider: None,
    }
}

/// An aal1 password session, signed in a minute ago from 192.0.2.1 with "Firefox", of an
/// identity with no role that holds a password and TOTP.
fn input(hook: Hook) -> Input {
    Input {
        hook,
        session: Session {
            id: "s1".into(),
            aal: Aal::Aal1,
            methods: vec![method("password", Aal::Aal1, 60)],
            authenticated_at: NOW - 60,
            issued_at: NOW - 60,
            expires_at: NOW + 86_400,
            devices: vec![Device {
                ip: Some("192.0.2.1".into()),
                user_agent: Some("Firefox".into()),
            }],
        },
        identity: Identity {
            id: "i1".into(),
            schema_id: "default".into(),
            traits_json: json!({"email": "ada@example.com"}).to_string(),
            metadata_public_json: "null".into(),
            available_aal: Aal::Aal2,
            credential_types: vec!["password".into(), "totp".into()],
        },
        request: Request {
            method: "GET".into(),
            path: "/sessions/whoami".into(),
            ip: Some("192.0.2.1".into()),
            user_agent: Some("Firefox".into()),
            headers: vec![],
            submitted_method: None,
        },
        now: NOW,
    }
}

fn aal2(mut input: Input) -> Input {
    input.session.aal = Aal::Aal2;
    input.session.methods.push(method("totp", Aal::Aal2, 30));
    input.session.authenticated_at = NOW - 30;
    input
}

fn run(policy: &Policy, input: &Input) -> (Verdict, Vec<Warning>) {
    let mut warnings = Vec::new();
    let verdict = policy.evaluate(input, &mut |w| warnings.push(w));
    (verdict, warnings)
}

fn decide(policy: &Policy, input: &Input) -> Decision {
    let (verdict, warnings) = run(policy, input);
    assert!(warnings.is_empty(), "unexpected warnings: {warnings:?}");
    verdict.decision
}

#[test]
fn admins_need_aal2() {
    let policy = example("admins.cel");
    assert_eq!(policy.name(), "scripted:admins");
    assert_eq!(policy.hooks(), &Hook::ALL);

    let mut by_trait = input(Hook::Whoami);
    by_trait.identity.traits_json = json!({"email": "a@example.com", "role": "admin"}).to_string();
    assert_eq!(decide(&policy, &by_trait), Decision::RequireAal(Aal::Aal2));
    let (verdict, _) = run(&policy, &by_trait);
    assert_eq!(
        verdict.message.as_deref(),
        Some("Administrators must sign in with a second factor.")
    );
    assert_eq!(decide(&policy, &aal2(by_trait.clone())), Decision::Abstain);

    let mut by_metadata = input(Hook::RouteCheck);
    by_metadata.identity.metadata_public_json = json!({"roles": ["staff", "admin"]}).to_string();
    assert_eq!(
        decide(&policy, &by_metadata),
        Decision::RequireAal(Aal::Aal2)
    );

    // Not an admin: no trait, other roles, metadata without roles.
    assert_eq!(decide(&policy, &input(Hook::Whoami)), Decision::Abstain);
    let mut staff = input(Hook::Whoami);
    staff.identity.traits_json = json!({"role": "staff"}).to_string();
    staff.identity.metadata_public_json = json!({"roles": ["staff"]}).to_string();
    assert_eq!(decide(&policy, &staff), Decision::Abstain);
    let mut other_metadata = input(Hook::Whoami);
    other_metadata.identity.metadata_public_json = json!({"plan": "pro"}).to_string();
    assert_eq!(decide(&policy, &other_metadata), Decision::Abstain);

    // An admin without a second factor may still log in and open settings to add one.
    let mut no_second_factor = by_trait.clone();
    no_second_factor.identity.available_aal = Aal::Aal1;
    no_second_factor.hook = Hook::Settings;
    assert_eq!(decide(&policy, &no_second_factor), Decision::Abstain);
    no_second_factor.hook = Hook::LoginCompletion;
    assert_eq!(decide(&policy, &no_second_factor), Decision::Abstain);
    no_second_factor.hook = Hook::Whoami;
    assert_eq!(
        decide(&policy, &no_second_factor),
        Decision::RequireAal(Aal::Aal2)
    );
}

#[test]
fn billing_needs_aal2_and_a_recent_sign_in() {
    let policy = example("billing.cel");
    assert_eq!(policy.hooks(), &[Hook::RouteCheck]);

    let mut billing = input(Hook::RouteCheck);
    billing.request.path = "/billing/invoices".into();
    assert_eq!(decide(&policy, &billing), Decision::RequireAal(Aal::Aal2));

    // aal2 and signed in 30 seconds ago: nothing to ask.
    let fresh = aal2(billing.clone());
    assert_eq!(decide(&policy, &fresh), Decision::Abstain);

    // aal2 but signed in 11 minutes ago: sign in again within ten minutes.
    let mut stale = fresh.clone();
    stale.session.authenticated_at = NOW - 660;
    assert_eq!(decide(&policy, &stale), Decision::RequireReauthWithin(600));

    // Exactly /billing counts, /billingfoo and other routes do not.
    stale.request.path = "/billing".into();
    assert_eq!(decide(&policy, &stale), Decision::RequireReauthWithin(600));
    stale.request.path = "/billingfoo".into();
    assert_eq!(decide(&policy, &stale), Decision::Abstain);
    let mut elsewhere = input(Hook::RouteCheck);
    elsewhere.request.path = "/profile".into();
    assert_eq!(decide(&policy, &elsewhere), Decision::Abstain);
}

#[test]
fn a_new_device_needs_a_fresh_second_factor() {
    let policy = example("new-device.cel");
    assert_eq!(
        policy.hooks(),
        &[Hook::Whoami, Hook::Settings, Hook::RouteCheck]
    );

    // The device the session was created on.
    assert_eq!(decide(&policy, &input(Hook::Whoami)), Decision::Abstain);

    let mut new_ip = input(Hook::Whoami);
    new_ip.request.ip = Some("203.0.113.9".into());
    assert_eq!(decide(&policy, &new_ip), Decision::RequireAal(Aal::Aal2));
    let mut new_agent = input(Hook::RouteCheck);
    new_agent.request.user_agent = Some("curl/8.0".into());
    assert_eq!(decide(&policy, &new_agent), Decision::RequireAal(Aal::Aal2));

    // At aal2, a sign-in older than five minutes is asked again, a fresher one passes.
    let mut stepped_up = aal2(new_ip.clone());
    assert_eq!(decide(&policy, &stepped_up), Decision::Abstain);
    stepped_up.session.authenticated_at = NOW - 301;
    assert_eq!(
        decide(&policy, &stepped_up),
        Decision::RequireReauthWithin(300)
    );

    // Without a second factor the identity is asked to sign in again, not to reach aal2.
    let mut password_only = new_ip.clone();
    password_only.identity.available_aal = Aal::Aal1;
    password_only.session.authenticated_at = NOW - 600;
    assert_eq!(
        decide(&policy, &password_only),
        Decision::RequireReauthWithin(300)
    );

    // Unknown client facts are not "new".
    let mut unknown = input(Hook::Whoami);
    unknown.request.ip = None;
    unknown.request.user_agent = None;
    assert_eq!(decide(&policy, &unknown), Decision::Abstain);
}

#[test]
fn aal2_needs_two_different_methods() {
    let policy = example("distinct-factors.cel");

    // password + totp is fine, and so is an aal1 session.
    assert_eq!(
        decide(&policy, &aal2(input(Hook::Whoami))),
        Decision::Abstain
    );
    assert_eq!(decide(&policy, &input(Hook::Whoami)), Decision::Abstain);

    // A security key used as both factors.
    let mut same = input(Hook::LoginCompletion);
    same.session.aal = Aal::Aal2;
    same.session.methods = vec![
        method("webauthn", Aal::Aal1, 60),
        method("webauthn", Aal::Aal2, 10),
    ];
    assert_eq!(
        decide(&policy, &same),
        Decision::Deny("the second factor must be a different method from the first".into())
    );

    // A different aal1 method alongside makes it two methods again.
    same.session
        .methods
        .insert(0, method("password", Aal::Aal1, 90));
    assert_eq!(decide(&policy, &same), Decision::Abstain);
}

#[test]
fn syntax_errors_are_reported_with_line_and_column() {
    let script = "# comment\n\
                  rule broken\n\
                  \x20 hooks whoami\n\
                  \x20 when  session.aal == \"aal2\"\n\
                  \x20        && request.path.startsWith(\"/x\"\n\
                  \x20 then  allow\n";
    let err = Policy::load(&settings("broken.cel", script)).err().unwrap();
    // The missing `)` is reported where the condition ends: after `"/x"` on line 5.
    assert_eq!((err.line, err.column), (Some(5), Some(41)), "{err}");
    assert!(err.message.contains("rule `broken`"), "{err}");

    // An error on the first line of a condition is offset by the clause keyword.
    let script = "rule r\n  hooks whoami\n  when  session.aal === 1\n  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert_eq!((err.line, err.column), (Some(3), Some(23)), "{err}");

    // An error on a continuation line keeps the file's column.
    let script = "rule r\n  hooks whoami\n  when  true\n     && (1 +)\n  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert_eq!((err.line, err.column), (Some(4), Some(13)), "{err}");
}

#[test]
fn unknown_names_are_load_errors() {
    let script = "rule r\n  hooks whoami\n  when  sesion.aal == \"aal2\"\n  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert_eq!((err.line, err.column), (Some(3), Some(9)), "{err}");
    assert!(err.message.contains("unknown variable `sesion`"), "{err}");

    let script = "rule r\n  hooks whoami\n  when  true &&\n    nope(now)\n  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert_eq!(err.line, Some(4), "{err}");
    assert!(err.message.contains("unknown function `nope`"), "{err}");

    let script = "rule r\n  hooks whoami\n  when  request.path.startswith(\"/x\")\n  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(
        err.message.contains("unknown function `startswith`"),
        "{err}"
    );

    // Macro variables are bound only inside their macro.
    let script = "rule r\n  hooks whoami\n  when  session.devices.exists(d, d.ip == null) && d\n  \
                  then allow\n";
    let err = Policy::load(&settings("r.cel", script)).err().unwrap();
    assert!(err.message.contains("unknown variable `d`"), "{err}");
}

#[test]
fn settings_errors_have_no_position() {
    let err = Policy::load("{}").err().unwrap();
    assert_eq!((err.line, err.column), (None, None));
    assert!(err.message.contains("script"));
    assert!(Policy::load("not json").is_err());
}

#[test]
fn a_failing_condition_does_not_match_and_warns_without_values() {
    let script = "rule by-role\n  hooks whoami\n  when  identity.traits.role == \"admin\"\n  \
                  then deny(\"no\")\n\
                  rule fallback\n  hooks whoami\n  when  identity.traits.email == \"x\" \
                  || true\n  then allow\n";
    let policy = Policy::load(&settings("p.cel", script)).unwrap();
    let (verdict, warnings) = run(&policy, &input(Hook::Whoami));
    assert_eq!(verdict.decision, Decision::Allow);
    assert_eq!(verdict.rule.as_deref(), Some("fallback"));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("by-role"));
    assert!(warnings[0].message.contains("no such key `role`"));
    let logged = format!("{warnings:?}");
    assert!(!logged.contains("ada@example.com"), "{logged}");

    // A non-bool condition is an error too.
    let script = "rule r\n  hooks whoami\n  when identity.traits.email\n  then allow\n";
    let policy = Policy::load(&settings("p.cel", script)).unwrap();
    let (verdict, warnings) = run(&policy, &input(Hook::Whoami));
    assert_eq!(verdict.decision, Decision::Abstain);
    assert_eq!(warnings.len(), 1);
    assert!(!format!("{warnings:?}").contains("ada@"));
}

#[test]
fn rules_run_in_order_only_at_their_hooks() {
    let script = "rule first\n  hooks route-check\n  when true\n  then deny(\"first\")\n\
                  rule second\n  hooks whoami\n  when true\n  then deny(\"second\")\n\
                  rule third\n  hooks whoami\n  when true\n  then allow\n";
    let policy = Policy::load(&settings("p.cel", script)).unwrap();
    assert_eq!(policy.hooks(), &[Hook::Whoami, Hook::RouteCheck]);
    assert_eq!(
        decide(&policy, &input(Hook::Whoami)),
        Decision::Deny("second".into())
    );
    assert_eq!(
        decide(&policy, &input(Hook::RouteCheck)),
        Decision::Deny("first".into())
    );
}

#[test]
fn helpers_headers_and_times() {
    let script = "rule r\n  hooks whoami\n  \
                  when age(session.authenticated_at) < seconds(\"2m\")\n    \
                  && now - session.issued_at == 60\n    \
                  && request.headers[\"x-forwarded-for\"] == \"10.0.0.1, 10.0.0.2\"\n    \
                  && hook == \"whoami\"\n    \
                  && \"totp\" in identity.credential_types\n    \
                  && session.methods[0].completed_at == now - 60\n    \
                  && request.path.matches(\"^/sessions/\")\n  \
                  then allow\n";
    let policy = Policy::load(&settings("p.cel", script)).unwrap();
    let mut whoami = input(Hook::Whoami);
    whoami.request.headers = vec![
        ("X-Forwarded-For".into(), "10.0.0.1".into()),
        ("x-forwarded-for".into(), "10.0.0.2".into()),
    ];
    assert_eq!(decide(&policy, &whoami), Decision::Allow);
}

/// The direct evaluator (`fast`) answers only where it agrees with the `cel` interpreter: every
/// condition below, on every input below, is either left to the interpreter or gives the
/// interpreter's answer.
#[test]
fn the_direct_evaluator_agrees_with_the_interpreter() {
    const CONDITIONS: &[&str] = &[
        r#"request.path == "/billing" || request.path.startsWith("/billing/")"#,
        r#"identity.metadata_public != null && has(identity.metadata_public.roles) && "admin" in identity.metadata_public.roles"#,
        r#"has(identity.traits.role) && identity.traits.role == "admin""#,
        r#"identity.traits.role == "admin""#,
        r#"identity.traits.role == "admin" || true"#,
        r#"false && identity.traits.role == "admin""#,
        r#"session.methods.exists(m, m.aal == "aal2")"#,
        r#"session.aal == "aal2" && !session.methods.exists(first, first.aal == "aal1" && session.methods.exists(second, second.aal == "aal2" && second.method != first.method))"#,
        r#"session.devices.exists(d, d.ip == request.ip)"#,
        r#"session.methods.all(m, m.completed_at > now - 45)"#,
        r#"session.methods.exists_one(m, m.method == "password")"#,
        r#"session.methods.filter(m, m.aal == "aal1").size() == 1"#,
        r#"session.methods.map(m, m.method).size() == 2"#,
        r#"age(session.authenticated_at) < seconds("10m")"#,
        r#"now - session.authenticated_at <= 45"#,
        r#"size(session.methods) >= 2"#,
        r#"session.methods.size() == 1"#,
        r#""totp" in identity.credential_types"#,
        r#"request.method in ["POST", "PUT"]"#,
        r#"request.headers["x-forwarded-for"] == "203.0.113.7""#,
        r#""x-forwarded-for" in request.headers"#,
        r#"has(request.headers.accept)"#,
        r#"request.headers.accept == "text/html""#,
        r#"hook == "route-check" ? request.path.endsWith("/invoices") : false"#,
        r#"request.ip != null && request.ip.startsWith("192.0.2.")"#,
        r#"request.user_agent == null"#,
        r#"identity.traits.email.endsWith("@example.com")"#,
        r#"identity.traits.email.contains("ada")"#,
        r#"size(identity.traits.email) > 3"#,
        r#"session.methods[0].method == "password""#,
        r#"session.methods[5].method == "password""#,
        r#"session.methods[-1].method == "password""#,
        r#"session.expires_at > now && -session.issued_at < 0"#,
        r#"request.path + "x" == "/billing/invoicesx""#,
        r#"identity.available_aal == "aal2" && ((request.ip != null && !session.devices.exists(d, d.ip == request.ip)) || (request.user_agent != null && !session.devices.exists(d, d.user_agent == request.user_agent)))"#,
        r#"size(identity.traits) == 1"#,
        r#"identity.metadata_public.roles.exists(r, r == "admin")"#,
        r#"identity.metadata_public.level > 2"#,
        r#"identity.metadata_public.level == 3"#,
        r#"identity.metadata_public.level == 3.0"#,
        r#"identity.metadata_public.big == 18446744073709551615u"#,
        r#"identity.metadata_public.ratio < 0.5"#,
        r#"identity.metadata_public == null"#,
        r#"identity.metadata_public.roles == ["admin"]"#,
        r#"1 == 1.0"#,
        r#"1 == "1""#,
        r#"request.submitted_method == null"#,
        r#"request.path.matches("^/billing")"#,
        r#"session.id == "s1" && identity.id == "i1" && identity.schema_id == "default""#,
        r#"session.methods[0].provider == null && has(session.methods[0].provider)"#,
        r#"has(session.nothing)"#,
        r#"session.nothing == 1"#,
        r#"9223372036854775807 + session.issued_at > 0"#,
        r#"seconds("soon") > 0"#,
        r#"request.path"#,
        r#"{"a": 1}.a == 1"#,
        r#"[1, 2].exists(x, x == 2) && !(2 in [1, 3])"#,
        r#"request.path < "/c" && "b" >= "a" && true > false"#,
    ];
    let script: String = CONDITIONS
        .iter()
        .enumerate()
        .map(|(i, when)| format!("rule r{i}\n  hooks route-check\n  when {when}\n  then allow\n"))
        .collect();
    let policy = Policy::load(&settings("p.cel", &script)).unwrap();

    let mut inputs = Vec::new();
    let mut billing = input(Hook::RouteCheck);
    billing.request.path = "/billing/invoices".into();
    inputs.push(billing.clone());
    let mut admin = aal2(billing.clone());
    admin.identity.metadata_public_json =
        json!({"roles": ["staff", "admin"], "level": 3, "ratio": 0.25, "big": u64::MAX})
            .to_string();
    admin.identity.traits_json = json!({"email": "ada@example.com", "role": "admin"}).to_string();
    admin.request.headers = vec![
        ("X-Forwarded-For".into(), "203.0.113.7".into()),
        ("Accept".into(), "text/html".into()),
        ("accept".into(), "application/json".into()),
    ];
    admin.request.method = "POST".into();
    inputs.push(admin.clone());
    let mut odd = admin.clone();
    odd.identity.metadata_public_json = json!({"roles": [1, "admin"], "level": "x"}).to_string();
    odd.identity.traits_json = "{not json".into();
    odd.request.ip = None;
    odd.request.user_agent = None;
    odd.session.devices.clear();
    odd.request.submitted_method = Some("password".into());
    inputs.push(odd);
    let mut staff = input(Hook::RouteCheck);
    staff.identity.metadata_public_json = json!({"roles": "staff"}).to_string();
    staff.request.ip = Some("198.51.100.1".into());
    inputs.push(staff);

    let mut direct = 0;
    for (n, input) in inputs.iter().enumerate() {
        for (when, fast, interpreted) in policy.both_ways(input) {
            if let Some(fast) = fast {
                direct += 1;
                assert_eq!(Some(fast), interpreted, "input {n}: {when}");
            }
        }
    }
    // Most of them are decided directly.
    assert!(direct > CONDITIONS.len() * inputs.len() / 2, "{direct}");
}

#[test]
fn the_examples_run_in_the_direct_evaluator() {
    for file in [
        "admins.cel",
        "billing.cel",
        "new-device.cel",
        "distinct-factors.cel",
    ] {
        assert!(example(file).all_direct(), "{file}");
    }
}
