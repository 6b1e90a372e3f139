//! The cost of imported password hashes: above `hashers.limits` an import is refused, since
//! every login would pay for it; within them it logs in and is rehashed to the configured cost.

use crate::harness::*;
use argon2::password_hash::{PasswordHasher, SaltString};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "imported and still good";

fn with_hash(email: &str, hash: &str) -> Value {
    json!({
        "traits": { "email": email },
        "credentials": { "password": { "config": { "hashed_password": hash } } },
    })
}

fn argon2id(memory_kib: u32, iterations: u32) -> String {
    let params = argon2::Params::new(memory_kib, iterations, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(
            PASSWORD.as_bytes(),
            &SaltString::encode_b64(b"sixteen byte salt").unwrap(),
        )
        .unwrap()
        .to_string()
}

/// A well-formed argon2id string with these parameters; no work is done to make it.
fn argon2id_claiming(memory_kib: u32, iterations: u32) -> String {
    format!(
        "$argon2id$v=19$m={memory_kib},t={iterations},p=1$c2l4dGVlbiBieXRlIHNhbHQ$\
         aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
    )
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

fn refused_naming(resp: &Resp, key: &str) {
    assert_kratos_error(resp, 400);
    let reason = resp.body["error"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(key), "{}", resp.body);
}

#[test]
fn imports_above_the_cost_limits_are_refused_naming_the_limit() {
    let work = Workdir::new();
    let server = Server::start(&work);
    // A cost-4 bcrypt hash relabelled: the cost is all the check reads.
    let bcrypt_13 = bcrypt::hash(PASSWORD, 4)
        .unwrap()
        .replacen("$04$", "$13$", 1);
    for (hash, key) in [
        (
            argon2id_claiming(4 * 1024 * 1024, 3),
            "hashers.limits.argon2.memory",
        ),
        (
            argon2id_claiming(256 * 1024, 32),
            "hashers.limits.argon2.memory",
        ),
        (
            argon2id_claiming(19_456, 32),
            "hashers.limits.argon2.iterations",
        ),
        (bcrypt_13, "hashers.limits.bcrypt.cost"),
    ] {
        let resp = server.admin_post("/admin/identities", &with_hash("big@example.com", &hash));
        refused_naming(&resp, key);
    }
    assert_eq!(server.admin_get("/admin/identities").body, json!([]));
    drop(server);

    // `latchkey identities import` goes through the same check.
    let file = work.write(
        "identities.jsonl",
        &format!(
            "{}\n{}\n",
            with_hash("small@example.com", &argon2id(19_456, 2)),
            with_hash("big@example.com", &argon2id_claiming(4 * 1024 * 1024, 1)),
        ),
    );
    let out = std::process::Command::new(binary())
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
    let report: Vec<&str> = stdout.lines().collect();
    assert_eq!(report.len(), 2, "{stdout}");
    assert!(report[0].starts_with("ok "), "{stdout}");
    assert!(
        report[1].starts_with("failed record 2: ")
            && report[1].contains("hashers.limits.argon2.memory"),
        "{stdout}"
    );
}

#[test]
fn the_cost_limits_can_be_raised() {
    let work = Workdir::new();
    let cfg = work.write(
        "kratos.yml",
        "hashers:\n  limits:\n    argon2:\n      memory: 256MB\n      iterations: 32\n",
    );
    let server = Server::with_config(&work, &cfg);
    let resp = server.admin_post(
        "/admin/identities",
        &with_hash("big@example.com", &argon2id_claiming(256 * 1024, 32)),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    // Within the operator's limits but far beyond what one call may take: the host refuses
    // the work up front instead of running six seconds past the deadline.
    let started = Instant::now();
    let login = server.login("big@example.com", PASSWORD);
    assert_eq!(login.status, 400, "{}", login.body);
    let took = started.elapsed();
    eprintln!("login refused up front in {took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        server.log().contains("more than the") && server.log().contains("plugins.call_timeout"),
        "{}",
        server.log()
    );
}

#[test]
fn an_import_within_the_limits_logs_in_and_is_rehashed_to_the_configured_cost() {
    let work = Workdir::new();
    let server = Server::start(&work);
    // Above and below the configured cost (m=19456, t=2), in both algorithms, all within the
    // limits. (At the limits exactly, m=77824, t=4 and bcrypt 12, a login takes about half a
    // second here: measured, not asserted, as a loaded machine could stretch it.)
    for (email, hash) in [
        ("costly@example.com", argon2id(2 * 19_456, 3)),
        ("cheap@example.com", argon2id(8_192, 1)),
        ("bcrypt@example.com", bcrypt::hash(PASSWORD, 10).unwrap()),
    ] {
        let created = server.admin_post("/admin/identities", &with_hash(email, &hash));
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        assert_eq!(stored_hash(&server, &id), hash);

        let started = Instant::now();
        let login = server.login(email, PASSWORD);
        let took = started.elapsed();
        assert_eq!(
            login.status,
            200,
            "{email}: {}\n{}",
            login.body,
            server.log()
        );
        eprintln!("login against {hash:.40}: {took:?}");

        // Whatever was imported, the next good login leaves the configured argon2id.
        let rehashed = stored_hash(&server, &id);
        assert!(
            rehashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{email}: {rehashed}"
        );
        let started = Instant::now();
        assert_eq!(server.login(email, PASSWORD).status, 200);
        eprintln!("login after the rehash: {:?}", started.elapsed());
    }
}
