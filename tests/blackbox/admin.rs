//! The admin API on the admin listener: API keys, identities, credential import, sessions,
//! the `identities import` command and the Kratos Python SDK's `IdentityApi`.

use crate::harness::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;

const PASSWORD: &str = "correct horse battery staple";
const ADMIN_KEY: &str = "admin-key-0123456789-abcdef";
const OTHER_KEY: &str = "second-admin-key-0123456789";

fn with_password(email: &str, password: &str) -> Value {
    json!({
        "schema_id": "default",
        "traits": { "email": email },
        "credentials": { "password": { "config": { "password": password } } },
    })
}

fn with_hash(email: &str, hash: &str) -> Value {
    json!({
        "traits": { "email": email },
        "credentials": { "password": { "config": { "hashed_password": hash } } },
    })
}

/// Creates an identity and returns its JSON.
fn create(server: &Server, body: &Value) -> Value {
    let resp = server.admin_post("/admin/identities", body);
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn stored_hash(server: &Server, id: &str) -> String {
    let resp = server.admin_get(&format!(
        "/admin/identities/{id}?include_credential=password"
    ));
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap()
        .to_string()
}

fn token_of(resp: &Resp) -> String {
    resp.body["session_token"].as_str().unwrap().to_string()
}

/// The admin-relative path of the `rel="next"` link, if there is one.
fn next_link(server: &Server, resp: &FullResp) -> Option<String> {
    resp.header_values("link").iter().find_map(|link| {
        let (target, rel) = link.split_once(';')?;
        if rel.trim() != "rel=\"next\"" {
            return None;
        }
        let url = target.trim().trim_start_matches('<').trim_end_matches('>');
        Some(url.strip_prefix(&server.admin).unwrap().to_string())
    })
}

/// Follows `rel="next"` from `first` and returns every page's items.
fn collect_pages(server: &Server, first: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut path) = (Vec::new(), 0, Some(first.to_string()));
    while let Some(p) = path {
        let resp = server.admin_send("GET", &p, None, None);
        assert_eq!(resp.status, 200, "{}", resp.body);
        assert!(
            resp.header_values("link")
                .iter()
                .any(|l| l.ends_with("rel=\"first\"")),
            "{:?}",
            resp.headers
        );
        items.extend(resp.body.as_array().unwrap().iter().cloned());
        pages += 1;
        assert!(pages < 20, "pagination does not end");
        path = next_link(server, &resp);
    }
    (items, pages)
}

#[test]
fn api_keys_guard_the_admin_api_but_not_health() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![(
                "SERVE_ADMIN_API_KEYS",
                format!(r#"["{ADMIN_KEY}", "{OTHER_KEY}"]"#),
            )],
            ..Default::default()
        },
    );
    let without = server.admin_send("GET", "/admin/identities", None, None);
    assert_kratos_error(&Resp::from(without), 401);
    let without = server.admin_send("GET", "/admin/identities", None, None);
    assert_eq!(without.body["error"]["id"], "unauthorized");
    assert_eq!(without.header_values("www-authenticate"), ["Bearer"]);

    for wrong in ["admin-key-0123456789-abcdeX", "admin-key", ""] {
        let resp = server.admin_send("GET", "/admin/identities", Some(wrong), None);
        assert_eq!(resp.status, 401, "key {wrong:?}: {}", resp.body);
    }
    let basic = send(
        ureq::get(&server.admin_url("/admin/identities"))
            .set("Authorization", &format!("Basic {ADMIN_KEY}")),
        None,
    );
    assert_eq!(basic.status, 401);
    // Unknown admin paths do not tell a stranger what exists.
    let probe = server.admin_send("DELETE", "/admin/nothing-here", None, None);
    assert_eq!(probe.status, 401);

    for key in [ADMIN_KEY, OTHER_KEY] {
        let resp = server.admin_send("GET", "/admin/identities", Some(key), None);
        assert_eq!(resp.status, 200, "{}", resp.body);
        assert_eq!(resp.body, json!([]));
    }
    let created = server.admin_send(
        "POST",
        "/admin/identities",
        Some(ADMIN_KEY),
        Some(&json!({ "traits": { "email": "keyed@example.com" } })),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let refused = server.admin_send(
        "POST",
        "/admin/identities",
        None,
        Some(&json!({ "traits": { "email": "sneaky@example.com" } })),
    );
    assert_eq!(refused.status, 401);

    for open in ["/health/alive", "/health/ready", "/version"] {
        let resp = server.admin_send("GET", open, None, None);
        assert_eq!(resp.status, 200, "{open}: {}", resp.body);
    }
    // The public listener does not serve the admin API at all.
    assert_eq!(server.get("/admin/identities").status, 404);
}

#[test]
fn create_answers_201_409_and_400() {
    let work = Workdir::new();
    let server = Server::start(&work);

    let full = server.admin_send(
        "POST",
        "/admin/identities",
        None,
        Some(&json!({
            "schema_id": "default",
            "traits": { "email": "Ada@Example.com" },
            "state": "active",
            "metadata_public": { "plan": "pro" },
            "metadata_admin": { "note": "vip" },
            "credentials": { "password": { "config": { "password": PASSWORD } } },
        })),
    );
    assert_eq!(full.status, 201, "{}", full.body);
    let ada = full.body.clone();
    let id = id_of(&ada);
    assert_eq!(
        full.header_values("location"),
        [server.admin_url(&format!("/admin/identities/{id}"))]
    );
    assert_eq!(ada["schema_id"], "default");
    assert_eq!(ada["state"], "active");
    assert_eq!(ada["traits"], json!({ "email": "Ada@Example.com" }));
    assert_eq!(ada["metadata_public"], json!({ "plan": "pro" }));
    assert_eq!(ada["metadata_admin"], json!({ "note": "vip" }));
    let password = &ada["credentials"]["password"];
    assert_eq!(password["type"], "password");
    assert_eq!(password["identifiers"], json!(["ada@example.com"]));
    assert!(
        password.get("config").is_none(),
        "no hash without include_credential: {ada}"
    );
    assert!(
        ada["schema_url"]
            .as_str()
            .unwrap()
            .starts_with(&server.public)
    );

    let got = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(got.status, 200);
    assert_eq!(got.body["traits"], ada["traits"]);
    assert_eq!(got.body["metadata_admin"], json!({ "note": "vip" }));
    assert_eq!(
        server.login("ada@example.com", PASSWORD).status,
        200,
        "an imported cleartext password logs in"
    );

    // The same login identifier again, in any case: 409, and nothing is stored.
    let dup = server.admin_post(
        "/admin/identities",
        &with_password("ADA@example.com", "another password!"),
    );
    assert_kratos_error(&dup, 409);
    let listed = server.admin_get("/admin/identities");
    assert_eq!(listed.body.as_array().unwrap().len(), 1);

    let invalid = server.admin_post(
        "/admin/identities",
        &json!({ "traits": { "email": "not an email" } }),
    );
    assert_kratos_error(&invalid, 400);
    let messages = &invalid.body["error"]["details"]["messages"];
    assert_eq!(messages[0]["path"], "traits.email", "{}", invalid.body);
    assert_eq!(messages[0]["message"]["id"], 4000001);
    assert!(
        invalid.body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("traits.email")
    );

    let missing = server.admin_post("/admin/identities", &json!({ "traits": {} }));
    assert_kratos_error(&missing, 400);
    assert_eq!(
        missing.body["error"]["details"]["messages"][0]["message"]["id"],
        4000002
    );
    for (body, reason) in [
        (json!({ "schema_id": "default" }), "`traits` is required"),
        (
            json!({ "schema_id": "nope", "traits": { "email": "x@example.com" } }),
            "There is no identity schema `nope`.",
        ),
        (
            json!({ "traits": { "email": "x@example.com" }, "state": "paused" }),
            "`state` must be",
        ),
    ] {
        let resp = server.admin_post("/admin/identities", &body);
        assert_kratos_error(&resp, 400);
        assert!(
            resp.body["error"]["reason"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{}",
            resp.body
        );
    }
    let not_json = send(
        ureq::post(&server.admin_url("/admin/identities")).set("Content-Type", "application/json"),
        None,
    );
    assert_kratos_error(&not_json, 400);

    // Without credentials an identity is created but cannot sign in.
    let bare = create(
        &server,
        &json!({ "traits": { "email": "bare@example.com" } }),
    );
    assert_eq!(bare["credentials"], json!({}));
    assert_eq!(bare["metadata_public"], Value::Null);
    assert_eq!(server.login("bare@example.com", PASSWORD).status, 400);
}

#[test]
fn list_paginates_by_link_headers_and_filters_by_identifier() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let created: BTreeSet<String> = (0..5)
        .map(|i| {
            id_of(&create(
                &server,
                &with_hash(&format!("user{i}@example.com"), &hash),
            ))
        })
        .collect();

    let (items, pages) = collect_pages(&server, "/admin/identities?page_size=2");
    assert_eq!(pages, 3);
    let listed: Vec<String> = items.iter().map(id_of).collect();
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), 5, "duplicates: {listed:?}");
    assert_eq!(unique, created);
    assert!(items.iter().all(|i| i.get("credentials").is_none()));

    let first = server.admin_send("GET", "/admin/identities?page_size=2", None, None);
    let links = first.header_values("link");
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(
        links[0],
        format!(
            "<{}/admin/identities?page_size=2>; rel=\"first\"",
            server.admin
        )
    );
    let all = server.admin_send("GET", "/admin/identities", None, None);
    assert_eq!(all.body.as_array().unwrap().len(), 5);
    assert_eq!(all.header_values("link").len(), 1, "no next page");

    let found = server.admin_get("/admin/identities?credentials_identifier=USER3@example.com");
    assert_eq!(found.status, 200);
    let found = found.body.as_array().unwrap().clone();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["traits"]["email"], "user3@example.com");
    let none = server.admin_get("/admin/identities?credentials_identifier=nobody@example.com");
    assert_eq!(none.body, json!([]));

    let with_creds = server.admin_get("/admin/identities?page_size=10&include_credential=password");
    for identity in with_creds.body.as_array().unwrap() {
        assert_eq!(
            identity["credentials"]["password"]["config"]["hashed_password"],
            json!(hash)
        );
    }

    let forged = server.admin_get("/admin/identities?page_token=forged");
    assert_kratos_error(&forged, 400);
    let zero = server.admin_get("/admin/identities?page_size=0");
    assert_kratos_error(&zero, 400);
}

#[test]
fn unknown_identities_are_404() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let ghost = "2c9a4e4e-9bd8-4a4e-8d1c-0f6f3a5e0c11";
    for path in [
        format!("/admin/identities/{ghost}"),
        "/admin/identities/not-a-uuid".to_string(),
    ] {
        let resp = server.admin_get(&path);
        assert_kratos_error(&resp, 404);
    }
    let body = json!({ "schema_id": "default", "state": "active", "traits": { "email": "g@example.com" } });
    assert_kratos_error(
        &server.admin_put(&format!("/admin/identities/{ghost}"), &body),
        404,
    );
    assert_kratos_error(
        &server.admin_patch(&format!("/admin/identities/{ghost}"), &json!([])),
        404,
    );
    assert_kratos_error(
        &server.admin_delete(&format!("/admin/identities/{ghost}")),
        404,
    );
    // Kratos lists sessions by identity id without looking the identity up.
    let sessions = server.admin_get(&format!("/admin/identities/{ghost}/sessions"));
    assert_eq!((sessions.status, sessions.body), (200, json!([])));
    // And deleting none is its 404.
    assert_kratos_error(
        &server.admin_delete(&format!("/admin/identities/{ghost}/sessions")),
        404,
    );
}

#[test]
fn put_replaces_the_identity_but_never_creates_credentials() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let bare = create(
        &server,
        &json!({ "traits": { "email": "nopw@example.com" }, "metadata_public": { "a": 1 } }),
    );
    let id = id_of(&bare);

    let put = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({
            "schema_id": "default",
            "state": "active",
            "traits": { "email": "still-nopw@example.com" },
            "metadata_admin": { "b": 2 },
            "credentials": { "password": { "config": { "password": PASSWORD } } },
        }),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["traits"]["email"], "still-nopw@example.com");
    assert_eq!(
        put.body["metadata_public"],
        Value::Null,
        "replaced, not merged"
    );
    assert_eq!(put.body["metadata_admin"], json!({ "b": 2 }));
    assert_eq!(put.body["credentials"], json!({}));
    assert_eq!(put.body["created_at"], bare["created_at"]);
    assert_ne!(put.body["updated_at"], bare["updated_at"]);

    for email in ["nopw@example.com", "still-nopw@example.com"] {
        let login = server.login(email, PASSWORD);
        assert_eq!(login.status, 400, "{}", login.body);
        assert_eq!(message_ids(&login.body), vec![4000006]);
    }
    let got = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(got.body["credentials"], json!({}));

    let invalid = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({ "schema_id": "default", "state": "active", "traits": { "email": "nope" } }),
    );
    assert_kratos_error(&invalid, 400);
    let bad_state = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({ "schema_id": "default", "state": "gone", "traits": { "email": "x@example.com" } }),
    );
    assert_kratos_error(&bad_state, 400);
}

#[test]
fn put_with_a_new_email_moves_the_login_to_it() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let ada = create(&server, &with_password("old@example.com", PASSWORD));
    let id = id_of(&ada);
    let other = create(&server, &with_password("taken@example.com", PASSWORD));

    let put = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({ "schema_id": "default", "state": "active", "traits": { "email": "New@Example.com" } }),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.body["credentials"]["password"]["identifiers"],
        json!(["new@example.com"])
    );
    assert_eq!(server.login("old@example.com", PASSWORD).status, 400);
    let login = server.login("new@example.com", PASSWORD);
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["session"]["identity"]["id"], json!(id));

    // Another identity's email: 409, and neither identity changes.
    let clash = server.admin_put(
        &format!("/admin/identities/{id}"),
        &json!({ "schema_id": "default", "state": "active", "traits": { "email": "taken@example.com" } }),
    );
    assert_kratos_error(&clash, 409);
    let got = server.admin_get(&format!("/admin/identities/{id}"));
    assert_eq!(got.body["traits"]["email"], "New@Example.com");
    assert_eq!(server.login("new@example.com", PASSWORD).status, 200);
    let login = server.login("taken@example.com", PASSWORD);
    assert_eq!(login.body["session"]["identity"]["id"], other["id"]);
}

#[test]
fn patch_applies_a_json_patch_and_guards_read_only_fields() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let ada = create(&server, &with_password("patch@example.com", PASSWORD));
    let id = id_of(&ada);
    let path = format!("/admin/identities/{id}");

    let patched = server.admin_patch(
        &path,
        &json!([
            { "op": "test", "path": "/traits/email", "value": "patch@example.com" },
            { "op": "replace", "path": "/traits/email", "value": "patched@example.com" },
            { "op": "add", "path": "/metadata_public", "value": { "plan": "pro" } },
            { "op": "copy", "from": "/metadata_public", "path": "/metadata_admin" },
        ]),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["traits"]["email"], "patched@example.com");
    assert_eq!(patched.body["metadata_public"], json!({ "plan": "pro" }));
    assert_eq!(patched.body["metadata_admin"], json!({ "plan": "pro" }));
    assert_eq!(
        patched.body["credentials"]["password"]["identifiers"],
        json!(["patched@example.com"])
    );
    assert_eq!(server.login("patched@example.com", PASSWORD).status, 200);
    assert_eq!(server.login("patch@example.com", PASSWORD).status, 400);

    for (ops, why) in [
        (
            json!([{ "op": "replace", "path": "/id", "value": "x" }]),
            "`/id`",
        ),
        (
            json!([{ "op": "add", "path": "/credentials/password/config", "value": {} }]),
            "`/credentials`",
        ),
        (
            json!([{ "op": "replace", "path": "/created_at", "value": "2020-01-01T00:00:00Z" }]),
            "`/created_at`",
        ),
        (
            json!([{ "op": "replace", "path": "/traits/email", "value": "not an email" }]),
            "traits.email",
        ),
        (
            json!([{ "op": "test", "path": "/state", "value": "inactive" }]),
            "JSON Patch",
        ),
        (json!({ "op": "replace" }), "array"),
    ] {
        let resp = server.admin_patch(&path, &ops);
        assert_kratos_error(&resp, 400);
        let reason = resp.body["error"]["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{why}: {reason}");
    }
    let unchanged = server.admin_get(&path);
    assert_eq!(unchanged.body["id"], json!(id));
    assert_eq!(unchanged.body["traits"]["email"], "patched@example.com");

    let disabled = server.admin_patch(
        &path,
        &json!([{ "op": "replace", "path": "/state", "value": "inactive" }]),
    );
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["state"], "inactive");
}

#[test]
fn deleting_an_identity_ends_its_sessions() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("gone@example.com", PASSWORD);
    assert_eq!(reg.status, 200, "{}", reg.body);
    let token = token_of(&reg);
    let id = reg.body["identity"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        server.get_with_token("/sessions/whoami", &token).status,
        200
    );

    let deleted = server.admin_delete(&format!("/admin/identities/{id}"));
    assert_eq!(deleted.status, 204);
    let me = server.get_with_token("/sessions/whoami", &token);
    assert_kratos_error(&me, 401);
    assert_kratos_error(&server.admin_get(&format!("/admin/identities/{id}")), 404);
    assert_kratos_error(
        &server.admin_delete(&format!("/admin/identities/{id}")),
        404,
    );
    assert_eq!(server.admin_get("/admin/sessions").body, json!([]));
    // The identifier is free again.
    assert_eq!(server.register("gone@example.com", PASSWORD).status, 200);
}

#[test]
fn an_inactive_identity_cannot_log_in_and_its_sessions_stop_working() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("paused@example.com", PASSWORD);
    let token = token_of(&reg);
    let id = reg.body["identity"]["id"].as_str().unwrap().to_string();
    let session_id = reg.body["session"]["id"].as_str().unwrap().to_string();
    let put = |state: &str| {
        server.admin_put(
            &format!("/admin/identities/{id}"),
            &json!({ "schema_id": "default", "state": state, "traits": { "email": "paused@example.com" } }),
        )
    };

    assert_eq!(put("inactive").status, 200);
    let me = server.get_with_token("/sessions/whoami", &token);
    assert_kratos_error(&me, 401);
    let login = server.login("paused@example.com", PASSWORD);
    assert_kratos_error(&login, 401);
    assert!(login.body.get("session_token").is_none());
    assert_eq!(login.body["error"]["reason"], "This account was disabled.");
    let session = server.admin_get(&format!("/admin/sessions/{session_id}"));
    assert_eq!(session.body["active"], false);
    assert_eq!(
        server.admin_get("/admin/sessions?active=true").body,
        json!([])
    );
    // A wrong password still reads as a wrong password.
    assert_eq!(
        server.login("paused@example.com", "wrong password!").status,
        400
    );

    assert_eq!(put("active").status, 200);
    assert_eq!(
        server.get_with_token("/sessions/whoami", &token).status,
        200
    );
    assert_eq!(server.login("paused@example.com", PASSWORD).status, 200);
}

#[test]
fn imported_legacy_hashes_log_in_and_are_upgraded_to_argon2id() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let work = Workdir::new();
    let server = Server::start(&work);

    let bcrypt_hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let argon2i = argon2::Argon2::new(
        argon2::Algorithm::Argon2i,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 2, 1, None).unwrap(),
    );
    let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
    let argon2i_hash = argon2i
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    assert!(argon2i_hash.starts_with("$argon2i$"));

    for (email, hash, prefix) in [
        ("bcrypt@example.com", &bcrypt_hash, "$2b$"),
        ("argon2i@example.com", &argon2i_hash, "$argon2i$"),
    ] {
        let id = id_of(&create(&server, &with_hash(email, hash)));
        assert_eq!(&stored_hash(&server, &id), hash, "stored as imported");
        assert!(hash.starts_with(prefix));

        let wrong = server.login(email, "not the password");
        assert_eq!(wrong.status, 400);
        assert_eq!(
            &stored_hash(&server, &id),
            hash,
            "a failed login changes nothing"
        );

        let login = server.login(email, PASSWORD);
        assert_eq!(login.status, 200, "{email}: {}", login.body);
        let upgraded = stored_hash(&server, &id);
        assert!(upgraded.starts_with("$argon2id$"), "{email}: {upgraded}");
        assert_eq!(server.login(email, PASSWORD).status, 200, "{email}");
        let credential = server.admin_get(&format!("/admin/identities/{id}"));
        assert_eq!(credential.body["credentials"]["password"]["version"], 2);
    }
}

#[test]
fn rejected_imports_answer_400_with_the_plugins_reason_and_store_nothing() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let import = |credentials: Value| {
        server.admin_post(
            "/admin/identities",
            &json!({ "traits": { "email": "rejected@example.com" }, "credentials": credentials }),
        )
    };

    // The password plugin refuses these; its message texts become the reason.
    for config in [
        json!({ "hashed_password": "$md5$not-a-real-hash" }),
        json!({ "hashed_password": "garbage" }),
        json!({}),
    ] {
        let resp = import(json!({ "password": { "config": config } }));
        assert_kratos_error(&resp, 400);
        let reason = resp.body["error"]["reason"].as_str().unwrap();
        let details = &resp.body["error"]["details"];
        assert_eq!(details["credential_type"], "password", "{}", resp.body);
        let texts: Vec<&str> = details["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap())
            .collect();
        assert!(!texts.is_empty(), "{}", resp.body);
        assert_eq!(reason, texts.join("; "), "{}", resp.body);
        if config.get("hashed_password").is_some() {
            assert!(reason.contains("hashed_password"), "{reason}");
        }
    }

    // The host refuses these before any plugin sees them.
    for (credentials, reason) in [
        (
            json!({ "password": {} }),
            "`credentials.password.config` is required",
        ),
        (
            json!({ "totp": { "config": { "totp_url": "otpauth://totp/x" } } }),
            "the otpauth URL has no secret parameter",
        ),
        (
            json!({ "oidc": { "config": { "providers": [] } } }),
            "no plugin is loaded for credential type oidc",
        ),
        (
            json!({ "lookup_secret": { "config": {} } }),
            "a lookup_secret credential needs `codes` (a list of recovery codes) or Kratos' `recovery_codes`",
        ),
        (
            json!({ "webauthn": { "config": {} } }),
            "no plugin is loaded for credential type webauthn",
        ),
    ] {
        let resp = import(credentials.clone());
        assert_kratos_error(&resp, 400);
        assert_eq!(
            resp.body["error"]["reason"], reason,
            "{credentials}: {}",
            resp.body
        );
    }
    assert_eq!(server.admin_get("/admin/identities").body, json!([]));
}

#[test]
fn the_last_first_factor_credential_cannot_be_deleted() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let ada = create(&server, &with_password("last@example.com", PASSWORD));
    let id = id_of(&ada);

    let refused = server.admin_delete(&format!("/admin/identities/{id}/credentials/password"));
    assert_kratos_error(&refused, 400);
    assert!(
        refused.body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("last first-factor credential"),
        "{}",
        refused.body
    );
    assert_eq!(server.login("last@example.com", PASSWORD).status, 200);

    let missing = server.admin_delete(&format!("/admin/identities/{id}/credentials/totp"));
    assert_kratos_error(&missing, 404);
    // Kratos reads `identifier` for oidc and saml only: here it changes nothing.
    let with_identifier = server.admin_delete(&format!(
        "/admin/identities/{id}/credentials/password?identifier=other@example.com"
    ));
    assert_kratos_error(&with_identifier, 400);
    let ghost = server.admin_delete(
        "/admin/identities/2c9a4e4e-9bd8-4a4e-8d1c-0f6f3a5e0c11/credentials/password",
    );
    assert_kratos_error(&ghost, 404);
}

#[test]
fn admin_sessions_list_get_disable_and_extend() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let ada = server.register("ada@example.com", PASSWORD);
    let ada_id = ada.body["identity"]["id"].as_str().unwrap().to_string();
    let ada_tokens = [
        token_of(&ada),
        token_of(&server.login("ada@example.com", PASSWORD)),
    ];
    let grace = server.register("grace@example.com", PASSWORD);
    let grace_token = token_of(&grace);
    let grace_session = grace.body["session"]["id"].as_str().unwrap().to_string();

    let all = server.admin_get("/admin/sessions");
    assert_eq!(all.status, 200, "{}", all.body);
    let all = all.body.as_array().unwrap().clone();
    assert_eq!(all.len(), 3);
    for s in &all {
        assert_eq!(s["active"], true);
        assert!(s.get("identity").is_none(), "not expanded: {s}");
        assert!(s.get("devices").is_none(), "not expanded: {s}");
        assert_eq!(s["authentication_methods"][0]["method"], "password");
    }
    let expanded = server.admin_get("/admin/sessions?expand=identity&expand=devices");
    for s in expanded.body.as_array().unwrap() {
        assert!(s["identity"]["id"].is_string(), "{s}");
        assert!(s["devices"].is_array(), "{s}");
    }
    let (paged, pages) = collect_pages(&server, "/admin/sessions?page_size=1&expand=identity");
    assert_eq!(pages, 3);
    let ids: BTreeSet<&str> = paged.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(
        paged.iter().all(|s| s["identity"].is_object()),
        "expand is kept"
    );
    assert_kratos_error(&server.admin_get("/admin/sessions?expand=tokens"), 400);
    assert_kratos_error(&server.admin_get("/admin/sessions?active=maybe"), 400);

    let one = server.admin_get(&format!("/admin/sessions/{grace_session}?expand=identity"));
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["identity"]["traits"]["email"], "grace@example.com");
    assert_kratos_error(
        &server.admin_get("/admin/sessions/2c9a4e4e-9bd8-4a4e-8d1c-0f6f3a5e0c11"),
        404,
    );
    assert_kratos_error(&server.admin_get("/admin/sessions/not-a-uuid"), 400);

    // Extending moves the expiry to now + session.lifespan.
    let before: chrono::DateTime<chrono::Utc> =
        one.body["expires_at"].as_str().unwrap().parse().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let extended = server.admin_patch(
        &format!("/admin/sessions/{grace_session}/extend"),
        &json!({}),
    );
    assert_eq!(extended.status, 200, "{}", extended.body);
    let after: chrono::DateTime<chrono::Utc> = extended.body["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(after > before, "{before} → {after}");
    assert_eq!(extended.body["id"], json!(grace_session));

    // Disabling ends the session but keeps its record.
    let disabled = server.admin_delete(&format!("/admin/sessions/{grace_session}"));
    assert_eq!(disabled.status, 204);
    assert_kratos_error(
        &server.get_with_token("/sessions/whoami", &grace_token),
        401,
    );
    let record = server.admin_get(&format!("/admin/sessions/{grace_session}"));
    assert_eq!(record.body["active"], false);
    assert_eq!(
        server
            .admin_delete(&format!("/admin/sessions/{grace_session}"))
            .status,
        204,
        "disabling twice is fine"
    );
    assert_kratos_error(
        &server.admin_patch(
            &format!("/admin/sessions/{grace_session}/extend"),
            &json!({}),
        ),
        404,
    );
    let active = server.admin_get("/admin/sessions?active=true");
    assert_eq!(active.body.as_array().unwrap().len(), 2);
    let inactive = server.admin_get("/admin/sessions?active=false");
    let inactive = inactive.body.as_array().unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0]["id"], json!(grace_session));

    // An identity's sessions: listed with the identity, then all deleted.
    let path = format!("/admin/identities/{ada_id}/sessions");
    let listed = server.admin_get(&path);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s["identity"]["id"] == json!(ada_id)));
    assert_eq!(server.admin_delete(&path).status, 204);
    for token in &ada_tokens {
        assert_kratos_error(&server.get_with_token("/sessions/whoami", token), 401);
    }
    assert_eq!(server.admin_get(&path).body, json!([]));
    assert_eq!(
        server
            .admin_get("/admin/sessions")
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn cli_import_creates_good_records_and_reports_bad_ones() {
    let work = Workdir::new();
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let lines = [
        with_password("one@example.com", PASSWORD),
        json!({ "traits": { "email": "not an email" } }),
        with_hash("two@example.com", &hash),
        with_password("one@example.com", "the same email again"),
        with_hash("garbage@example.com", "garbage"),
        json!({ "traits": { "email": "three@example.com" }, "state": "inactive" }),
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str("{ this is not json\n");
    let file = work.write("identities.jsonl", &text);

    let out = Command::new(binary())
        .args(["identities", "import", file.to_str().unwrap()])
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .env("DSN", work.dsn())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{stdout}{stderr}");
    let report: Vec<&str> = stdout.lines().collect();
    assert_eq!(report.len(), 7, "{stdout}{stderr}");
    for (n, line) in report.iter().enumerate() {
        let record = n + 1;
        if [1, 3, 6].contains(&record) {
            let id = line.strip_prefix("ok ").unwrap_or_else(|| panic!("{line}"));
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{line}");
        } else {
            assert!(
                line.starts_with(&format!("failed record {record}: ")),
                "{line}"
            );
        }
    }
    assert!(report[1].contains("traits.email"), "{}", report[1]);
    assert!(
        report[3].contains("conflicts with another identity"),
        "{}",
        report[3]
    );
    assert!(report[4].contains("hashed_password"), "{}", report[4]);
    assert!(
        report[6].contains("line 7 is not valid JSON"),
        "{}",
        report[6]
    );
    assert!(stderr.contains("4 of 7 records failed"), "{stderr}");

    let server = Server::start(&work);
    let listed = server.admin_get("/admin/identities");
    let emails: BTreeSet<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["traits"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        BTreeSet::from(["one@example.com", "two@example.com", "three@example.com"])
    );
    assert_eq!(server.login("one@example.com", PASSWORD).status, 200);
    assert_eq!(server.login("two@example.com", PASSWORD).status, 200);
}

#[test]
fn cli_import_reads_a_json_array_and_succeeds_when_every_record_does() {
    let work = Workdir::new();
    let records = json!([
        { "traits": { "email": "a@example.com" } },
        { "traits": { "email": "b@example.com" }, "metadata_public": { "from": "import" } },
    ]);
    let file = work.write("identities.json", &records.to_string());
    let out = Command::new(binary())
        .args(["identities", "import", file.to_str().unwrap()])
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCHKEY_PLUGIN_DIR", plugin_dir())
        .env("LATCHKEY_CACHE_DIR", work.path().join("cache"))
        .env("DSN", work.dsn())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        2,
        "{stdout}"
    );
}

#[test]
fn the_kratos_python_sdk_manages_identities_and_sessions() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![("SERVE_ADMIN_API_KEYS", ADMIN_KEY.to_string())],
            ..Default::default()
        },
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk/admin_api.py");
    let out = python()
        .arg(&script)
        .arg(&server.public)
        .arg(&server.admin)
        .arg(ADMIN_KEY)
        .output()
        .expect("python3 must be installed (`make test` prepares it)");
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sdk admin: ok"));
}
