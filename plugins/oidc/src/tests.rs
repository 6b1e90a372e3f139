//! The whole sign-in natively, against a provider scripted into the SDK's fake environment: a
//! discovery document, a key set with a freshly generated RSA key, a token endpoint answering
//! with ID tokens signed here by hand (RS256), so that nothing of the crate under test signs
//! what it verifies.

use crate::redirect::Pending;
use crate::settings::Settings;
use crate::{callback, flows};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use latchkey_plugin_sdk::env::HttpError;
use latchkey_plugin_sdk::testing::{FakeEnv, json_response};
use latchkey_plugin_sdk::types::{
    Aal, Credential, FlowContext, FlowKind, Identity, NodeAttributes, Rejection, SubmitOutcome,
    UiNode,
};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::sync::OnceLock;

const ISSUER: &str = "https://op.example";
const DISCOVERY: &str = "https://op.example/.well-known/openid-configuration";
const JWKS: &str = "https://op.example/jwks";
const TOKEN: &str = "https://op.example/token";
const CLIENT_ID: &str = "latchkey-client";
const CLIENT_SECRET: &str = "client secret/with:odd chars";
const PUBLIC: &str = "https://id.example";
const NOW: i64 = 1_700_000_000;

/// Two keys: the provider's, and a stranger's for forged signatures. RSA key generation is slow,
/// so it happens once per test run.
fn keys() -> &'static [RsaPrivateKey; 2] {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        [(); 2].map(|_| RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key"))
    })
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// A compact JWS over `claims`, signed RS256 with `key` under the key id `kid`.
fn sign(claims: &Value, key: &RsaPrivateKey, kid: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn settings_json() -> String {
    json!({"providers": [
        {"id": "example", "provider": "generic", "issuer_url": ISSUER, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET, "scope": ["openid", "email", "profile"],
         "claims_mapping": {"email": "email", "name.first": "given_name"}, "label": "Example"},
        {"id": "other", "issuer_url": "https://other.example", "client_id": "c"},
    ]})
    .to_string()
}

fn settings() -> Settings {
    Settings::parse(&settings_json()).unwrap().0
}

fn discovery(auth_methods: Option<Value>) -> Value {
    let mut doc = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://op.example/auth",
        "token_endpoint": TOKEN,
        "jwks_uri": JWKS,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if let Some(methods) = auth_methods {
        doc["token_endpoint_auth_methods_supported"] = methods;
    }
    doc
}

/// A fake environment whose provider publishes its discovery document and its key.
fn env() -> FakeEnv {
    let env = FakeEnv::at(NOW).with_settings(&settings_json());
    env.respond("GET", DISCOVERY, Ok(json_response(200, &discovery(None))));
    publish_keys(&env, &[jwk(&keys()[0], "k1")]);
    env
}

fn publish_keys(env: &FakeEnv, keys: &[Value]) {
    env.respond(
        "GET",
        JWKS,
        Ok(json_response(200, &json!({ "keys": keys }))),
    );
}

fn ctx(kind: FlowKind, credential: Option<Credential>) -> FlowContext {
    let path = match kind {
        FlowKind::Login => "login",
        FlowKind::Registration => "registration",
        FlowKind::Settings => "settings",
        FlowKind::Recovery => "recovery",
        FlowKind::Verification => "verification",
    };
    FlowContext {
        flow_id: "f1".into(),
        kind,
        variant: "browser".into(),
        action_url: format!("{PUBLIC}/self-service/{path}?flow=f1"),
        refresh: false,
        requested_aal: Aal::Aal1,
        identity: (kind == FlowKind::Settings).then(|| Identity {
            id: "id-1".into(),
            schema_id: "default".into(),
            traits_json: "{}".into(),
            marked_traits: vec![],
        }),
        credential,
        looked_up: None,
        plugin_state: None,
    }
}

fn linked(providers: &[(&str, &str)]) -> Credential {
    let config = crate::credential::Config {
        providers: providers
            .iter()
            .map(|(p, s)| crate::credential::Link::new(p, s, NOW - 100))
            .collect(),
    };
    let w = config.write().unwrap();
    Credential {
        identifiers: w.identifiers,
        config_json: w.config_json,
        version: 1,
    }
}

/// Presses a provider button; the redirect URL's query and the state kept in the flow.
fn redirect(env: &FakeEnv, ctx: &FlowContext, input: Value) -> (Vec<(String, String)>, String) {
    match flows::submit(ctx, &input.to_string(), &settings(), env) {
        Ok(SubmitOutcome::Redirect(r)) => {
            let url = openidconnect::url::Url::parse(&r.url).unwrap();
            assert_eq!(
                url.as_str().split('?').next(),
                Some("https://op.example/auth")
            );
            let query = url
                .query_pairs()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            (query, r.plugin_state)
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn get<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The claims a well-behaved provider puts in the ID token for this sign-in.
fn good_claims(pending: &Pending) -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": "user-1", "nonce": pending.nonce,
        "iat": NOW - 5, "exp": NOW + 300,
        "email": "ada@example.org", "given_name": "Ada", "email_verified": true,
    })
}

fn token_answer(id_token: &str) -> Value {
    json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})
}

/// A sign-in up to the callback: the flow context with the stored state, and the state sent.
struct Started {
    ctx: FlowContext,
    pending: Pending,
}

fn start(env: &FakeEnv, kind: FlowKind, credential: Option<Credential>) -> Started {
    let mut ctx = ctx(kind, credential);
    let input = if kind == FlowKind::Settings {
        json!({"link": "example"})
    } else {
        json!({"method": "oidc", "provider": "example"})
    };
    let (_, plugin_state) = redirect(env, &ctx, input);
    let pending = Pending::parse(&plugin_state).unwrap();
    ctx.plugin_state = Some(plugin_state);
    Started { ctx, pending }
}

impl Started {
    /// The provider answers the token request with an ID token over `claims`.
    fn token(&self, env: &FakeEnv, claims: &Value) {
        let id_token = sign(claims, &keys()[0], "k1");
        env.respond(
            "POST",
            TOKEN,
            Ok(json_response(200, &token_answer(&id_token))),
        );
    }

    fn back(&self, env: &FakeEnv, params: &[(&str, &str)]) -> Result<SubmitOutcome, Rejection> {
        let query: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        callback::finish(&self.ctx, "example", &query, &settings(), env)
    }

    fn back_with_code(&self, env: &FakeEnv) -> Result<SubmitOutcome, Rejection> {
        self.back(env, &[("code", "the-code"), ("state", &self.pending.state)])
    }
}

fn reason(r: &Rejection) -> String {
    r.messages
        .iter()
        .chain(r.node_messages.iter().map(|(_, m)| m))
        .map(|m| {
            assert_eq!(m.id, 4000001, "{m:?}");
            m.text.clone()
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn refused(outcome: Result<SubmitOutcome, Rejection>) -> String {
    match outcome {
        Err(r) => reason(&r),
        Ok(o) => panic!("expected a rejection, got {o:?}"),
    }
}

fn subject(outcome: Result<SubmitOutcome, Rejection>) -> (String, Value, Vec<String>, Value) {
    match outcome {
        Ok(SubmitOutcome::ExternalSubject(s)) => (
            s.identifier,
            serde_json::from_str(&s.traits_json).unwrap(),
            s.credential.identifiers,
            serde_json::from_str(&s.credential.config_json).unwrap(),
        ),
        other => panic!("expected a subject, got {other:?}"),
    }
}

// ---- settings and nodes --------------------------------------------------------------------

#[test]
fn buttons_for_each_flow() {
    let s = settings();
    let button = |n: &UiNode| match &n.attributes {
        NodeAttributes::Input(a) => {
            assert_eq!((n.group.as_str(), a.type_.as_str()), ("oidc", "submit"));
            let label = n.label.as_ref().unwrap();
            (
                a.name.clone(),
                a.value_json.clone().unwrap(),
                label.id,
                label.text.clone(),
            )
        }
        _ => panic!("an input"),
    };
    let login: Vec<_> = flows::render(&ctx(FlowKind::Login, None), &s)
        .iter()
        .map(button)
        .collect();
    assert_eq!(
        login,
        [
            (
                "provider".into(),
                r#""example""#.into(),
                1010002,
                "Sign in with Example".into()
            ),
            (
                "provider".into(),
                r#""other""#.into(),
                1010002,
                "Sign in with other".into()
            ),
        ]
    );
    let nodes = flows::render(&ctx(FlowKind::Registration, None), &s);
    assert_eq!(button(&nodes[0]).2, 1040002);
    assert_eq!(button(&nodes[0]).3, "Sign up with Example");
    let context: Value = serde_json::from_str(
        nodes[0]
            .label
            .as_ref()
            .unwrap()
            .context_json
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        context,
        json!({"provider": "Example", "provider_id": "example"})
    );

    let mut step_up = ctx(FlowKind::Login, None);
    step_up.requested_aal = Aal::Aal2;
    assert!(flows::render(&step_up, &s).is_empty());

    let settings_nodes: Vec<_> = flows::render(
        &ctx(FlowKind::Settings, Some(linked(&[("other", "9")]))),
        &s,
    )
    .iter()
    .map(button)
    .collect();
    assert_eq!(
        settings_nodes,
        [
            (
                "link".into(),
                r#""example""#.into(),
                1050002,
                "Link Example".into()
            ),
            (
                "unlink".into(),
                r#""other""#.into(),
                1050003,
                "Unlink other".into()
            ),
        ]
    );

    // Proving again who you are offers only the providers you are linked to.
    let mut refresh = ctx(FlowKind::Login, Some(linked(&[("other", "9")])));
    refresh.refresh = true;
    refresh.identity = ctx(FlowKind::Settings, None).identity;
    let values: Vec<_> = flows::render(&refresh, &s).iter().map(button).collect();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].1, r#""other""#);
}

#[test]
fn unknown_or_missing_provider_is_refused_on_its_node() {
    let env = env();
    let c = ctx(FlowKind::Login, None);
    let r = flows::submit(
        &c,
        r#"{"method":"oidc","provider":"nope"}"#,
        &settings(),
        &env,
    )
    .unwrap_err();
    assert_eq!(r.node_messages[0].0, "provider");
    assert!(
        reason(&r).contains("`nope` is not a provider"),
        "{}",
        reason(&r)
    );
    let r = flows::submit(&c, r#"{"method":"oidc"}"#, &settings(), &env).unwrap_err();
    assert_eq!(r.node_messages[0].0, "provider");
    assert_eq!(r.node_messages[0].1.id, 4000002);
    assert!(env.http_requests.borrow().is_empty());
}

// ---- the redirect --------------------------------------------------------------------------

#[test]
fn the_redirect_carries_the_code_flow_with_pkce_and_keeps_its_secrets() {
    let env = env();
    let c = ctx(FlowKind::Registration, None);
    let (query, state) = redirect(&env, &c, json!({"method": "oidc", "provider": "example"}));
    let pending = Pending::parse(&state).unwrap();

    assert_eq!(get(&query, "response_type"), Some("code"));
    assert_eq!(get(&query, "client_id"), Some(CLIENT_ID));
    assert_eq!(
        get(&query, "redirect_uri"),
        Some("https://id.example/self-service/methods/oidc/callback/example")
    );
    assert_eq!(get(&query, "scope"), Some("openid email profile"));
    assert_eq!(get(&query, "state"), Some(pending.state.as_str()));
    assert_eq!(get(&query, "nonce"), Some(pending.nonce.as_str()));
    assert_eq!(get(&query, "code_challenge_method"), Some("S256"));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.pkce_verifier.as_bytes()));
    assert_eq!(get(&query, "code_challenge"), Some(challenge.as_str()));
    assert_eq!(pending.redirect_uri, get(&query, "redirect_uri").unwrap());
    assert_eq!(pending.provider, "example");
    assert!(get(&query, "code_verifier").is_none());
    assert!(!state.contains(CLIENT_SECRET));

    // 32 random bytes each, from the host, all different; other randomness, other secrets.
    let secrets = [&pending.state, &pending.nonce, &pending.pkce_verifier];
    for s in secrets {
        assert_eq!(URL_SAFE_NO_PAD.decode(s).unwrap().len(), 32, "{s}");
    }
    assert!(secrets[0] != secrets[1] && secrets[1] != secrets[2] && secrets[0] != secrets[2]);
    let other = FakeEnv {
        seed: 9,
        ..crate::tests::env()
    };
    let (_, state2) = redirect(&other, &c, json!({"provider": "example"}));
    let pending2 = Pending::parse(&state2).unwrap();
    assert_ne!(pending2.state, pending.state);
    assert_ne!(pending2.nonce, pending.nonce);
    assert_ne!(pending2.pkce_verifier, pending.pkce_verifier);

    // The discovery document and the keys were fetched through the host, and are kept.
    assert_eq!(env.requests_to(DISCOVERY).len(), 1);
    assert_eq!(env.requests_to(JWKS).len(), 1);
    assert_eq!(pending.metadata().jwks().keys().len(), 1);
}

#[test]
fn an_unreachable_or_broken_provider_is_a_message() {
    let env = env();
    let c = ctx(FlowKind::Login, None);
    let press = |env: &FakeEnv| {
        refused(flows::submit(
            &c,
            r#"{"provider":"example"}"#,
            &settings(),
            env,
        ))
    };
    env.respond(
        "GET",
        DISCOVERY,
        Err(HttpError::NotAllowed("https://op.example".into())),
    );
    let why = press(&env);
    assert!(why.starts_with("Example cannot be used right now"), "{why}");
    assert!(why.contains("https://op.example is not allowed"), "{why}");

    env.respond("GET", DISCOVERY, Err(HttpError::Timeout));
    assert!(press(&env).contains("no answer in time"));

    env.respond("GET", DISCOVERY, Ok(json_response(500, &json!({}))));
    assert!(press(&env).contains("500"), "{}", press(&env));

    let mut wrong_issuer = discovery(None);
    wrong_issuer["issuer"] = json!("https://evil.example");
    env.respond("GET", DISCOVERY, Ok(json_response(200, &wrong_issuer)));
    assert!(press(&env).contains("evil.example"), "{}", press(&env));

    let mut implicit_only = discovery(None);
    implicit_only["response_types_supported"] = json!(["id_token"]);
    env.respond("GET", DISCOVERY, Ok(json_response(200, &implicit_only)));
    assert!(
        press(&env).contains("authorization code"),
        "{}",
        press(&env)
    );
    let events = env.events.borrow();
    assert!(
        events.iter().any(|e| e.contains("discovery failed")),
        "{events:?}"
    );
}

// ---- the callback --------------------------------------------------------------------------

#[test]
fn a_good_answer_names_the_subject_with_mapped_traits() {
    let env = env();
    let started = start(&env, FlowKind::Registration, None);
    started.token(&env, &good_claims(&started.pending));
    let (identifier, traits, identifiers, config) = subject(started.back_with_code(&env));
    assert_eq!(identifier, "example:user-1");
    assert_eq!(
        traits,
        json!({"email": "ada@example.org", "name": {"first": "Ada"}})
    );
    assert_eq!(identifiers, ["example:user-1"]);
    assert_eq!(
        config,
        json!({"providers": [{"provider": "example", "subject": "user-1",
                              "linked_at": "2023-11-14T22:13:20Z"}]})
    );

    // The code went to the token endpoint with the PKCE verifier and the client's secret.
    let requests = env.requests_to(TOKEN);
    assert_eq!(requests.len(), 1);
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    let form: Vec<(String, String)> = openidconnect::url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(get(&form, "grant_type"), Some("authorization_code"));
    assert_eq!(get(&form, "code"), Some("the-code"));
    assert_eq!(
        get(&form, "code_verifier"),
        Some(started.pending.pkce_verifier.as_str())
    );
    assert_eq!(
        get(&form, "redirect_uri"),
        Some(started.pending.redirect_uri.as_str())
    );
    assert_eq!(get(&form, "client_secret"), None);
    let basic = requests[0]
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let decoded = String::from_utf8(
        STANDARD
            .decode(basic.strip_prefix("Basic ").unwrap())
            .unwrap(),
    )
    .unwrap();
    let (id, secret) = decoded.split_once(':').unwrap();
    let unescape = |s: &str| {
        openidconnect::url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .unwrap()
            .1
            .to_string()
    };
    assert_eq!(
        (unescape(id), unescape(secret)),
        (CLIENT_ID.into(), CLIENT_SECRET.into())
    );
    // The keys kept from the redirect were enough.
    assert_eq!(env.requests_to(JWKS).len(), 1);
}

#[test]
fn client_secret_post_when_the_provider_takes_only_that() {
    let env = env();
    env.respond(
        "GET",
        DISCOVERY,
        Ok(json_response(
            200,
            &discovery(Some(json!(["client_secret_post", "private_key_jwt"]))),
        )),
    );
    let started = start(&env, FlowKind::Login, None);
    started.token(&env, &good_claims(&started.pending));
    subject(started.back_with_code(&env));
    let request = &env.requests_to(TOKEN)[0];
    let body = String::from_utf8(request.body.clone()).unwrap();
    let form: Vec<(String, String)> = openidconnect::url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(get(&form, "client_id"), Some(CLIENT_ID));
    assert_eq!(get(&form, "client_secret"), Some(CLIENT_SECRET));
    assert!(
        !request
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    );
}

#[test]
fn a_rotated_key_is_fetched_again() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    // Since the redirect the provider signs with a new key under a new id.
    publish_keys(&env, &[jwk(&keys()[1], "k2")]);
    let id_token = sign(&good_claims(&started.pending), &keys()[1], "k2");
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(200, &token_answer(&id_token))),
    );
    let (identifier, ..) = subject(started.back_with_code(&env));
    assert_eq!(identifier, "example:user-1");
    assert_eq!(env.requests_to(JWKS).len(), 2);
}

#[test]
fn no_state_in_the_flow_means_no_sign_in_in_progress() {
    let env = env();
    let mut started = start(&env, FlowKind::Login, None);
    started.token(&env, &good_claims(&started.pending));
    // The host spends the state on the first callback: a replay arrives without one.
    started.ctx.plugin_state = None;
    let why = refused(started.back_with_code(&env));
    assert!(
        why.contains("No sign-in with this provider is in progress"),
        "{why}"
    );
    started.ctx.plugin_state = Some("{not json".into());
    assert!(refused(started.back_with_code(&env)).contains("No sign-in"));
    assert!(env.requests_to(TOKEN).is_empty());
}

#[test]
fn a_wrong_or_missing_state_is_refused_before_the_code_is_used() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    started.token(&env, &good_claims(&started.pending));
    let mut forged = started.pending.state.clone();
    forged.pop();
    forged.push('x');
    for params in [
        vec![("code", "the-code"), ("state", forged.as_str())],
        vec![("code", "the-code")],
        vec![("code", "the-code"), ("state", "")],
    ] {
        let why = refused(started.back(&env, &params));
        assert!(why.contains("does not belong to this sign-in"), "{why}");
    }
    assert!(env.requests_to(TOKEN).is_empty());
}

#[test]
fn a_callback_for_another_provider_is_refused() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    let query = vec![
        ("code".to_string(), "c".to_string()),
        ("state".to_string(), started.pending.state.clone()),
    ];
    let why = refused(callback::finish(
        &started.ctx,
        "other",
        &query,
        &settings(),
        &env,
    ));
    assert!(why.contains("another provider"), "{why}");
}

#[test]
fn the_providers_own_error_is_shown() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    let state = started.pending.state.as_str();
    let why = refused(started.back(&env, &[("error", "access_denied"), ("state", state)]));
    assert_eq!(why, "The sign-in was cancelled at Example.");
    let why = refused(started.back(
        &env,
        &[
            ("error", "server_error"),
            ("error_description", "database down"),
            ("state", state),
        ],
    ));
    assert_eq!(
        why,
        "Example refused the sign-in: server_error (database down)."
    );
    let why = refused(started.back(&env, &[("state", state)]));
    assert!(why.contains("without an authorization code"), "{why}");
    let why = refused(started.back(
        &env,
        &[
            ("code", "c"),
            ("state", state),
            ("iss", "https://evil.example"),
        ],
    ));
    assert!(why.contains("evil.example"), "{why}");
    assert!(env.requests_to(TOKEN).is_empty());
}

#[test]
fn the_token_endpoint_refusing_or_failing_is_a_message() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(
            400,
            &json!({"error": "invalid_grant", "error_description": "code expired"}),
        )),
    );
    let why = refused(started.back_with_code(&env));
    assert_eq!(
        why,
        "Example did not accept the sign-in: invalid_grant (code expired)."
    );

    env.respond(
        "POST",
        TOKEN,
        Err(HttpError::Transport("connection refused".into())),
    );
    let why = refused(started.back_with_code(&env));
    assert!(
        why.starts_with("Example could not complete the sign-in"),
        "{why}"
    );
    assert!(why.contains("connection refused"), "{why}");

    env.respond("POST", TOKEN, Ok(json_response(502, &json!("bad gateway"))));
    assert!(refused(started.back_with_code(&env)).contains("could not complete"));

    // An unreadable answer is reported by where it broke, without quoting it.
    let answer = json!({"access_token": "secret-token", "token_type": "Bearer", "id_token": 7});
    env.respond("POST", TOKEN, Ok(json_response(200, &answer)));
    let why = refused(started.back_with_code(&env));
    assert!(why.contains("its answer is unreadable"), "{why}");
    assert!(!why.contains("secret-token"), "{why}");

    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(
            200,
            &json!({"access_token": "at", "token_type": "Bearer"}),
        )),
    );
    assert_eq!(
        refused(started.back_with_code(&env)),
        "Example sent no ID token."
    );
}

/// The ID token with one change is refused, with `why` in the message.
fn refused_token(change: impl Fn(&mut Value, &Pending), why: &str) {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    let mut claims = good_claims(&started.pending);
    change(&mut claims, &started.pending);
    started.token(&env, &claims);
    let reason = refused(started.back_with_code(&env));
    assert!(
        reason.starts_with("The ID token from Example is not valid"),
        "{reason}"
    );
    assert!(reason.contains(why), "{why}: {reason}");
}

#[test]
fn id_tokens_are_verified() {
    refused_token(|c, _| c["iss"] = json!("https://evil.example"), "issuer");
    refused_token(|c, _| c["aud"] = json!("someone-else"), "audience");
    refused_token(
        |c, _| c["aud"] = json!([CLIENT_ID, "someone-else"]),
        "audience",
    );
    refused_token(|c, _| c["exp"] = json!(NOW - 1), "Expired");
    refused_token(|c, _| c["nonce"] = json!("another-nonce"), "nonce");
    refused_token(
        |c, _| {
            c.as_object_mut().unwrap().remove("nonce");
        },
        "nonce",
    );
}

#[test]
fn expiry_follows_the_host_clock() {
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    started.token(&env, &good_claims(&started.pending));
    env.advance(301);
    let reason = refused(started.back_with_code(&env));
    assert!(reason.contains("Expired"), "{reason}");
    env.advance(-2);
    subject(started.back_with_code(&env));
}

#[test]
fn forged_signatures_are_refused() {
    // Signed by a stranger under the provider's key id.
    let env = env();
    let started = start(&env, FlowKind::Login, None);
    let forged = sign(&good_claims(&started.pending), &keys()[1], "k1");
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(200, &token_answer(&forged))),
    );
    let reason = refused(started.back_with_code(&env));
    assert!(reason.contains("Signature verification failed"), "{reason}");

    // The provider's signature over other claims than these.
    let genuine = sign(&good_claims(&started.pending), &keys()[0], "k1");
    let mut claims = good_claims(&started.pending);
    claims["sub"] = json!("admin");
    let other = sign(&claims, &keys()[0], "k1");
    let spliced = format!(
        "{}.{}",
        other.rsplit_once('.').unwrap().0,
        genuine.rsplit_once('.').unwrap().1
    );
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(200, &token_answer(&spliced))),
    );
    assert!(refused(started.back_with_code(&env)).contains("Signature verification failed"));

    // Signed by an unknown key id, still unknown after fetching the keys again.
    let unknown = sign(&good_claims(&started.pending), &keys()[1], "k9");
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(200, &token_answer(&unknown))),
    );
    assert!(refused(started.back_with_code(&env)).contains("No matching key"));

    // No signature at all.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
    let body = URL_SAFE_NO_PAD.encode(good_claims(&started.pending).to_string());
    let unsigned = format!("{header}.{body}.");
    env.respond(
        "POST",
        TOKEN,
        Ok(json_response(200, &token_answer(&unsigned))),
    );
    let reason = refused(started.back_with_code(&env));
    assert!(reason.contains("No signature found"), "{reason}");
}

// ---- linking and unlinking -----------------------------------------------------------------

#[test]
fn linking_adds_to_the_providers_already_linked() {
    let env = env();
    let started = start(&env, FlowKind::Settings, Some(linked(&[("other", "9")])));
    started.token(&env, &good_claims(&started.pending));
    let (identifier, _, identifiers, config) = subject(started.back_with_code(&env));
    assert_eq!(identifier, "example:user-1");
    assert_eq!(identifiers, ["other:9", "example:user-1"]);
    assert_eq!(config["providers"][0]["subject"], "9");
    assert_eq!(config["providers"][1]["provider"], "example");
}

#[test]
fn a_provider_links_once() {
    let env = env();
    let c = ctx(FlowKind::Settings, Some(linked(&[("example", "user-0")])));
    let r = flows::submit(&c, r#"{"link":"example"}"#, &settings(), &env).unwrap_err();
    assert_eq!(r.node_messages[0].0, "link");
    assert!(reason(&r).contains("already linked"));

    // Linked from elsewhere while this settings flow was at the provider.
    let mut started = start(&env, FlowKind::Settings, None);
    started.ctx.credential = Some(linked(&[("example", "user-0")]));
    started.token(&env, &good_claims(&started.pending));
    assert!(refused(started.back_with_code(&env)).contains("already linked"));
}

#[test]
fn unlinking_keeps_the_others_and_removes_the_last() {
    let env = env();
    let s = settings();
    let two = ctx(
        FlowKind::Settings,
        Some(linked(&[("example", "1"), ("other", "2")])),
    );
    match flows::submit(&two, r#"{"unlink":"example"}"#, &s, &env) {
        Ok(SubmitOutcome::CredentialSet(w)) => {
            assert_eq!(w.identifiers, ["other:2"]);
            assert!(!w.config_json.contains("example"));
        }
        other => panic!("{other:?}"),
    }
    let one = ctx(FlowKind::Settings, Some(linked(&[("other", "2")])));
    assert!(matches!(
        flows::submit(&one, r#"{"unlink":"other"}"#, &s, &env),
        Ok(SubmitOutcome::CredentialRemoved)
    ));
    let r = flows::submit(&one, r#"{"unlink":"example"}"#, &s, &env).unwrap_err();
    assert_eq!(r.node_messages[0].0, "unlink");
    assert_eq!(reason(&r), "Example is not linked to this account.");
    let none = ctx(FlowKind::Settings, None);
    assert!(flows::submit(&none, r#"{"unlink":"other"}"#, &s, &env).is_err());
    assert!(flows::submit(&none, "{}", &s, &env).is_err());
}
