//! Setting a password: registration, the settings flow, and admin imports.

use crate::breached::{self, Finding};
use crate::credential::{Config, identifiers};
use crate::form::Form;
use crate::hashing::{self, BCRYPT_MAX_PASSWORD_BYTES};
use crate::messages;
use crate::settings::{Hasher, Settings};
use crate::similarity;
use latchkey_plugin_sdk::types::{CredentialWrite, FlowContext, Rejection, SubmitOutcome};
use latchkey_plugin_sdk::{Env, Level};
use serde_json::Value;

/// Registration and settings: a new password for the flow's identity, checked against the
/// policy in Kratos' order (identifiers, length, similarity, breaches).
pub fn submit(
    ctx: &FlowContext,
    form: &Form,
    settings: &Settings,
    env: &dyn Env,
) -> Result<SubmitOutcome, Rejection> {
    let password = form.password.as_str();
    if password.is_empty() {
        return Err(Rejection::on_node(
            "password",
            messages::missing("password"),
        ));
    }
    let ids = ctx
        .identity
        .as_ref()
        .map(|i| identifiers(&i.marked_traits))
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(Rejection::flow(messages::identifier_missing()));
    }
    let length = password.chars().count();
    if length < settings.min_password_length {
        return Err(Rejection::on_node(
            "password",
            messages::too_short(settings.min_password_length, length),
        ));
    }
    if matches!(settings.hasher, Hasher::Bcrypt { .. })
        && password.len() > BCRYPT_MAX_PASSWORD_BYTES
    {
        return Err(Rejection::on_node(
            "password",
            messages::too_long(BCRYPT_MAX_PASSWORD_BYTES, password.len()),
        ));
    }
    // An identifier is public, so a password close to one protects little.
    if settings.identifier_similarity_check_enabled
        && ids.iter().any(|id| similarity::too_similar(id, password))
    {
        return Err(Rejection::on_node("password", messages::too_similar()));
    }
    // Last, as in Kratos: it is the only check that may leave the server.
    match breached::check(password, &settings.breaches, env) {
        Finding::Clean => {}
        Finding::Common => {
            return Err(Rejection::on_node("password", messages::breached(None)));
        }
        Finding::Breached(count) => {
            return Err(Rejection::on_node(
                "password",
                messages::breached(Some(count)),
            ));
        }
        Finding::Unchecked => {
            return Err(Rejection::on_node(
                "password",
                messages::breach_check_unavailable(),
            ));
        }
    }
    Ok(SubmitOutcome::CredentialSet(CredentialWrite {
        identifiers: ids,
        config_json: new_config(password, settings, env),
    }))
}

fn new_config(password: &str, settings: &Settings, env: &dyn Env) -> String {
    let salt = env.random(hashing::salt_length(&settings.hasher));
    // The settings were validated at load time and the length checked above, so a failure
    // here is a defect: let the call fail as a server error instead of blaming the user.
    let hashed_password = hashing::hash(env, password, &settings.hasher, &salt)
        .unwrap_or_else(|reason| panic!("password hashing failed: {reason}"));
    Config { hashed_password }.to_json()
}

/// An administrator's import (`credentials.password` of `POST /admin/identities`). As in
/// Kratos, a cleartext password skips the policy (the point is that people keep the password
/// they have) and wins over a hash given alongside it.
pub fn import(
    config_json: &str,
    marked_traits: &[(String, String)],
    settings: &Settings,
    env: &dyn Env,
) -> Result<CredentialWrite, Rejection> {
    let value: Value = serde_json::from_str(config_json).map_err(|_| {
        Rejection::flow(messages::generic(
            "The password credential to import is not valid JSON.",
        ))
    })?;
    // Kratos' admin API nests the fields as `credentials.password.config`; accept the object
    // with or without that level.
    let fields = value
        .get("config")
        .filter(|c| c.is_object())
        .unwrap_or(&value);
    let text = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };

    let ids = identifiers(marked_traits);
    if ids.is_empty() {
        return Err(Rejection::flow(messages::identifier_missing()));
    }
    let (config_json, scheme) = match (text("password"), text("hashed_password")) {
        (Some(password), _) => {
            if matches!(settings.hasher, Hasher::Bcrypt { .. })
                && password.len() > BCRYPT_MAX_PASSWORD_BYTES
            {
                return Err(Rejection::flow(messages::too_long(
                    BCRYPT_MAX_PASSWORD_BYTES,
                    password.len(),
                )));
            }
            (new_config(password, settings, env), "cleartext")
        }
        (None, Some(hashed)) => match hashing::scheme(hashed) {
            Some(scheme) => {
                hashing::within(hashed, &settings.limits)
                    .map_err(|reason| Rejection::flow(messages::generic(&reason)))?;
                (
                    Config {
                        hashed_password: hashed.into(),
                    }
                    .to_json(),
                    scheme.name(),
                )
            }
            None => {
                return Err(Rejection::flow(messages::generic(
                    "The imported hashed_password is not in a supported format: use an \
                     argon2id, argon2i or argon2d PHC string or a bcrypt hash.",
                )));
            }
        },
        (None, None) => {
            return Err(Rejection::flow(messages::generic(
                "A password credential needs either `password` (cleartext) or \
                 `hashed_password` (an argon2 or bcrypt hash).",
            )));
        }
    };
    env.log(
        Level::Info,
        "password credential imported",
        &[("from", scheme)],
    );
    Ok(CredentialWrite {
        identifiers: ids,
        config_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::Verdict;
    use crate::settings::Argon2Params;
    use latchkey_plugin_sdk::testing::FakeEnv;
    use latchkey_plugin_sdk::types::{Aal, FlowKind, Identity};
    use serde_json::json;

    fn settings() -> Settings {
        Settings {
            hasher: Hasher::Argon2id(Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
                salt_length: 16,
                key_length: 32,
            }),
            ..Settings::default()
        }
    }

    fn marked(ids: &[&str]) -> Vec<(String, String)> {
        ids.iter()
            .map(|v| ("identifier".to_string(), v.to_string()))
            .collect()
    }

    fn ctx(ids: &[&str]) -> FlowContext {
        FlowContext {
            flow_id: "f".into(),
            kind: FlowKind::Registration,
            variant: "api".into(),
            action_url: "http://localhost/self-service/registration?flow=f".into(),
            refresh: false,
            requested_aal: Aal::Aal1,
            identity: Some(Identity {
                id: "i".into(),
                schema_id: "default".into(),
                traits_json: "{}".into(),
                marked_traits: marked(ids),
            }),
            credential: None,
            looked_up: None,
            plugin_state: None,
        }
    }

    fn set(ids: &[&str], password: &str) -> Result<SubmitOutcome, Rejection> {
        let form = Form {
            identifier: String::new(),
            password: password.into(),
            not_strings: Vec::new(),
        };
        submit(&ctx(ids), &form, &settings(), &FakeEnv::default())
    }

    fn node_error(out: Result<SubmitOutcome, Rejection>) -> (String, u32, Value) {
        let r = out.expect_err("a rejection");
        let (node, m) = &r.node_messages[0];
        let context = m.context_json.as_deref().map_or(Value::Null, |c| {
            serde_json::from_str(c).expect("context is JSON")
        });
        (node.clone(), m.id, context)
    }

    #[test]
    fn a_good_password_becomes_a_credential() {
        let Ok(SubmitOutcome::CredentialSet(w)) = set(&["Ann@Example.com"], "a calm password")
        else {
            panic!("expected a credential")
        };
        assert_eq!(w.identifiers, ["ann@example.com"]);
        let c = Config::parse(&w.config_json).unwrap();
        assert_eq!(
            hashing::verify(
                &FakeEnv::default(),
                "a calm password",
                &c.hashed_password,
                &settings().hasher
            ),
            Verdict::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn the_policy_in_kratos_terms() {
        assert_eq!(
            node_error(set(&["a@b.c"], "")),
            (
                "password".into(),
                4000002,
                json!({ "property": "password" })
            )
        );
        assert_eq!(
            node_error(set(&["a@b.c"], "short")),
            (
                "password".into(),
                4000032,
                json!({ "min_length": 8, "actual_length": 5 })
            )
        );
        assert_eq!(
            node_error(set(&["ann@example.com"], "ANN@example.com")).1,
            4000031
        );
        let r = set(&[], "a calm password").err().unwrap();
        assert_eq!(r.messages[0].id, 4000009);
    }

    #[test]
    fn common_and_breached_passwords_are_refused_last() {
        assert_eq!(node_error(set(&["a@b.c"], "12345678")).1, 4000034);
        assert_eq!(node_error(set(&["a@b.c"], "PASSWORD")).1, 4000034);
        // Too short wins over common, as length is checked first.
        assert_eq!(node_error(set(&["a@b.c"], "1234")).1, 4000032);
        // A similar password is refused as similar, before any lookup.
        assert_eq!(
            node_error(set(&["ann@example.com"], "ann@example.org")).1,
            4000031
        );

        let env = FakeEnv::default();
        let form = Form {
            identifier: String::new(),
            password: "a calm password".into(),
            not_strings: Vec::new(),
        };
        // No range answer scripted: the lookup fails, which the default setting ignores.
        assert!(submit(&ctx(&["a@b.c"]), &form, &settings(), &env).is_ok());
        let strict = Settings {
            breaches: crate::settings::BreachCheck {
                ignore_network_errors: false,
                ..settings().breaches
            },
            ..settings()
        };
        let (node, id, _) = node_error(submit(&ctx(&["a@b.c"]), &form, &strict, &env));
        assert_eq!((node.as_str(), id), ("password", 4000005));
        let sent = env.http_requests.borrow();
        assert!(
            sent[0]
                .url
                .starts_with("https://api.pwnedpasswords.com/range/")
        );
        assert_eq!(
            sent[0].url.len(),
            "https://api.pwnedpasswords.com/range/".len() + 5
        );
    }

    #[test]
    fn the_similarity_check_can_be_turned_off() {
        let lax = Settings {
            identifier_similarity_check_enabled: false,
            ..settings()
        };
        let form = Form {
            identifier: String::new(),
            password: "ann@example.org".into(),
            not_strings: Vec::new(),
        };
        assert!(submit(&ctx(&["ann@example.com"]), &form, &lax, &FakeEnv::default()).is_ok());
    }

    #[test]
    fn imported_hashes_above_the_cost_limits_are_refused() {
        let limits = settings().limits;
        let claiming = |m: u32, t: u32| {
            format!(
                "$argon2id$v=19$m={m},t={t},p=1$c2FsdHNhbHRzYWx0c2FsdA$\
                 NWL4bW2uwk5d4GsyFvZt2FaCi87/05aNaLEuZq0qYJw"
            )
        };
        let reason = |hash: &str| {
            let r = import_with(&json!({ "hashed_password": hash }).to_string()).expect_err(hash);
            r.messages[0].text.clone()
        };
        let memory = reason(&claiming(limits.argon2_memory_kib + 1, 1));
        assert!(memory.contains("hashers.limits.argon2.memory"), "{memory}");
        let passes = reason(&claiming(1024, limits.argon2_iterations + 1));
        assert!(
            passes.contains("hashers.limits.argon2.iterations"),
            "{passes}"
        );
        let bcrypt = bcrypt::hash_with_salt("x", 4, [2; 16])
            .unwrap()
            .to_string()
            .replacen("$04$", &format!("${}$", limits.bcrypt_cost + 1), 1);
        assert!(reason(&bcrypt).contains("hashers.limits.bcrypt.cost"));
        // At the limits exactly is fine.
        let at = claiming(limits.argon2_memory_kib, limits.argon2_iterations);
        assert!(import_with(&json!({ "hashed_password": at }).to_string()).is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(set(&["a@b.c"], "ääääääää").is_ok());
    }

    fn import_with(json: &str) -> Result<CredentialWrite, Rejection> {
        import(json, &marked(&["a@b.c"]), &settings(), &FakeEnv::default())
    }

    #[test]
    fn imports_cleartext_and_known_hashes() {
        let w = import_with(r#"{"password":"x"}"#).unwrap();
        let c = Config::parse(&w.config_json).unwrap();
        assert!(c.hashed_password.starts_with("$argon2id$"));
        assert_eq!(w.identifiers, ["a@b.c"]);

        let bcrypt = bcrypt::hash_with_salt("x", 4, [2; 16]).unwrap().to_string();
        for hash in [
            bcrypt.as_str(),
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$\
             NWL4bW2uwk5d4GsyFvZt2FaCi87/05aNaLEuZq0qYJw",
        ] {
            let nested = json!({ "config": { "hashed_password": hash } });
            for json in [
                json!({ "hashed_password": hash }).to_string(),
                nested.to_string(),
            ] {
                let w = import_with(&json).unwrap();
                assert_eq!(Config::parse(&w.config_json).unwrap().hashed_password, hash);
            }
        }
    }

    #[test]
    fn refuses_imports_it_cannot_use() {
        for bad in [
            "nope",
            "{}",
            r#"{"password":""}"#,
            r#"{"hashed_password":"plaintext"}"#,
            r#"{"hashed_password":"$md5$x$y"}"#,
        ] {
            let r = import_with(bad).expect_err(bad);
            assert_eq!(r.messages[0].id, 4000001, "{bad}");
        }
        let r = import(r#"{"password":"x"}"#, &[], &settings(), &FakeEnv::default())
            .err()
            .unwrap();
        assert_eq!(r.messages[0].id, 4000009);
    }
}
