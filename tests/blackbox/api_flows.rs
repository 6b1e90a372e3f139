//! The API flows as a native app drives them.

use crate::harness::*;
use serde_json::json;

#[test]
fn register_whoami_logout_then_whoami_is_401() {
    let work = Workdir::new();
    let server = Server::start(&work);

    let reg = server.register("ada@example.com", "correct horse battery staple");
    assert_eq!(reg.status, 200, "{}", reg.body);
    assert_eq!(reg.body["identity"]["traits"]["email"], "ada@example.com");
    let token = reg.body["session_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ory_st_"));

    let me = server.get_with_token("/sessions/whoami", &token);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["id"], reg.body["identity"]["id"]);
    assert_eq!(me.body["authenticator_assurance_level"], "aal1");
    assert_eq!(me.body["authentication_methods"][0]["method"], "password");
    assert_eq!(me.body["active"], true);

    // Bearer works as well as X-Session-Token.
    let bearer = send(
        ureq::get(&server.url("/sessions/whoami")).set("Authorization", &format!("Bearer {token}")),
        None,
    );
    assert_eq!(bearer.status, 200);

    let logout = send(
        ureq::delete(&server.url("/self-service/logout/api")),
        Some(&json!({ "session_token": token })),
    );
    assert_eq!(logout.status, 204);

    let after = server.get_with_token("/sessions/whoami", &token);
    assert_kratos_error(&after, 401);
    assert_eq!(after.body["error"]["id"], "session_inactive");
}

#[test]
fn login_with_password_gives_a_new_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    assert_eq!(
        server
            .register("Grace@Example.com", "a long enough secret")
            .status,
        200
    );

    // Identifiers are case-insensitive, as in Kratos.
    let login = server.login("grace@example.com", "a long enough secret");
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["session_token"].as_str().unwrap();
    let me = server.get_with_token("/sessions/whoami", token);
    assert_eq!(me.status, 200);
    assert_eq!(me.body["identity"]["traits"]["email"], "Grace@Example.com");
}

#[test]
fn wrong_password_and_unknown_identifier_both_give_4000006_and_no_session() {
    let work = Workdir::new();
    let server = Server::start(&work);
    assert_eq!(
        server
            .register("bob@example.com", "the right password")
            .status,
        200
    );

    for (identifier, password) in [
        ("bob@example.com", "the wrong password"),
        ("nobody@example.com", "the right password"),
    ] {
        let resp = server.login(identifier, password);
        assert_eq!(resp.status, 400, "{}", resp.body);
        assert!(resp.body.get("session_token").is_none());
        assert!(resp.body.get("session").is_none());
        assert_eq!(message_ids(&resp.body), vec![4000006], "{}", resp.body);
        // The identifier the user typed is kept, the password is not echoed.
        let nodes = resp.body["ui"]["nodes"].as_array().unwrap();
        let ident = nodes
            .iter()
            .find(|n| n["attributes"]["name"] == "identifier")
            .unwrap();
        assert_eq!(ident["attributes"]["value"], identifier);
        let pw = nodes
            .iter()
            .find(|n| n["attributes"]["name"] == "password")
            .unwrap();
        assert!(pw["attributes"].get("value").is_none());
    }
}

#[test]
fn duplicate_registration_gives_4000007() {
    let work = Workdir::new();
    let server = Server::start(&work);
    assert_eq!(
        server.register("dup@example.com", "first password!").status,
        200
    );
    let again = server.register("dup@example.com", "second password!");
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(message_ids(&again.body), vec![4000007]);
    assert!(again.body.get("session_token").is_none());
}

#[test]
fn invalid_traits_become_node_messages() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let flow = server.get("/self-service/registration/api");
    let id = flow.body["id"].as_str().unwrap();
    let resp = server.post_json(
        &format!("/self-service/registration?flow={id}"),
        &json!({ "method": "password", "traits": { "email": "not an email" }, "password": "long enough pw" }),
    );
    assert_eq!(resp.status, 400, "{}", resp.body);
    let nodes = resp.body["ui"]["nodes"].as_array().unwrap();
    let email = nodes
        .iter()
        .find(|n| n["attributes"]["name"] == "traits.email")
        .unwrap();
    assert_eq!(email["messages"][0]["id"], 4000001, "{}", resp.body);
}

#[test]
fn flows_carry_the_plugin_nodes_as_kratos_renders_them() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200);
    assert_eq!(flow.body["type"], "api");
    assert_eq!(flow.body["state"], "choose_method");
    assert_eq!(flow.body["requested_aal"], "aal1");
    let names: Vec<_> = flow.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["group"].as_str().unwrap().to_string(),
                n["attributes"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |g: &str, n: &str| (g.to_string(), n.to_string());
    assert_eq!(
        names,
        vec![
            expect("default", "identifier"),
            expect("default", "csrf_token"),
            expect("password", "password"),
            expect("password", "method"),
        ]
    );
    let fetched = server.get(&format!(
        "/self-service/login/flows?id={}",
        flow.body["id"].as_str().unwrap()
    ));
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["id"], flow.body["id"]);
}

#[test]
fn bad_requests_get_kratos_error_shapes() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let flow = server.get("/self-service/login/api");
    let id = flow.body["id"].as_str().unwrap();

    let malformed = send(
        ureq::post(&server.url(&format!("/self-service/login?flow={id}")))
            .set("Content-Type", "application/json"),
        None,
    );
    assert_kratos_error(&malformed, 400);
    let malformed = {
        let r = ureq::post(&server.url(&format!("/self-service/login?flow={id}")))
            .set("Content-Type", "application/json")
            .send_string("{\"method\": \"password\", ");
        let r = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        Resp {
            status: r.status(),
            body: r.into_json().unwrap(),
        }
    };
    assert_kratos_error(&malformed, 400);
    assert!(
        malformed.body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );

    let unknown = server.post_json(
        "/self-service/login?flow=8f2e4a3c-0000-4000-8000-000000000000",
        &json!({ "method": "password", "identifier": "x", "password": "y" }),
    );
    assert_kratos_error(&unknown, 404);
    let not_uuid = server.get("/self-service/login/flows?id=nope");
    assert_kratos_error(&not_uuid, 404);

    let unknown_method = server.post_json(
        &format!("/self-service/login?flow={id}"),
        &json!({ "method": "carrier-pigeon" }),
    );
    assert_kratos_error(&unknown_method, 400);

    let bad_aal = server.get("/self-service/login/api?aal=aal7");
    assert_kratos_error(&bad_aal, 400);

    // The flow survived all of that and still works.
    assert_eq!(
        server
            .register("still@example.com", "works fine here")
            .status,
        200
    );
}

#[test]
fn an_expired_flow_gives_410_with_a_fresh_flow_id() {
    let work = Workdir::new();
    let server = Server::start_with(
        &work,
        Options {
            env: vec![("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", "1s".into())],
            ..Default::default()
        },
    );
    let flow = server.get("/self-service/login/api");
    let id = flow.body["id"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let resp = server.post_json(
        &format!("/self-service/login?flow={id}"),
        &json!({ "method": "password", "identifier": "x@example.com", "password": "whatever1" }),
    );
    assert_kratos_error(&resp, 410);
    assert_eq!(resp.body["error"]["id"], "self_service_flow_expired");
    let fresh = resp.body["use_flow_id"].as_str().expect("use_flow_id");
    assert_ne!(fresh, id);
    let fetched = server.get(&format!("/self-service/login/flows?id={fresh}"));
    assert_eq!(fetched.status, 200, "{}", fetched.body);
}

#[test]
fn a_session_blocks_a_second_login_flow_and_health_answers() {
    let work = Workdir::new();
    let server = Server::start(&work);
    let reg = server.register("solo@example.com", "single session pw");
    let token = reg.body["session_token"].as_str().unwrap();
    let again = server.get_with_token("/self-service/login/api", token);
    assert_kratos_error(&again, 400);
    assert_eq!(again.body["error"]["id"], "session_already_available");

    assert_eq!(server.get("/health/alive").body["status"], "ok");
    assert_eq!(server.get("/health/ready").body["status"], "ok");
    assert!(server.get("/version").body["version"].is_string());
    let admin = send(ureq::get(&format!("{}/health/ready", server.admin)), None);
    assert_eq!(admin.status, 200);
}

#[test]
fn registration_can_pick_one_of_several_identity_schemas() {
    let work = Workdir::new();
    work.write(
        "employee.schema.json",
        r#"{
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "properties": { "traits": { "type": "object", "properties": {
            "email": { "type": "string", "format": "email", "title": "Work e-mail",
              "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } },
            "department": { "type": "string", "title": "Department", "minLength": 2 }
          }, "required": ["email", "department"], "additionalProperties": false } }
        }"#,
    );
    let cfg = work.write(
        "kratos.yml",
        "identity:\n  default_schema_id: default\n  schemas:\n    - id: default\n      url: base64://eyJ0eXBlIjoib2JqZWN0IiwicHJvcGVydGllcyI6eyJ0cmFpdHMiOnsidHlwZSI6Im9iamVjdCIsInByb3BlcnRpZXMiOnsiZW1haWwiOnsidHlwZSI6InN0cmluZyIsIm9yeS5zaC9rcmF0b3MiOnsiY3JlZGVudGlhbHMiOnsicGFzc3dvcmQiOnsiaWRlbnRpZmllciI6dHJ1ZX19fX19fX19\n    - id: employee\n      url: file://employee.schema.json\n",
    );
    let server = Server::with_config(&work, &cfg);
    assert_kratos_error(
        &server.get("/self-service/registration/api?identity_schema=nope"),
        400,
    );

    let flow = server.get("/self-service/registration/api?identity_schema=employee");
    assert_eq!(flow.status, 200, "{}", flow.body);
    let dept = flow.body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "traits.department")
        .expect("department node")
        .clone();
    assert_eq!(dept["meta"]["label"]["text"], "Department");
    let action = format!(
        "/self-service/registration?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    let missing = server.post_json(&action, &json!({ "method": "password", "traits": { "email": "e@corp.example" }, "password": "employee pw 12" }));
    assert_eq!(missing.status, 400);
    assert_eq!(
        message_ids(&missing.body),
        vec![4000002],
        "{}",
        missing.body
    );
    let ok = server.post_json(&action, &json!({ "method": "password", "traits": { "email": "e@corp.example", "department": "ops" }, "password": "employee pw 12" }));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["identity"]["schema_id"], "employee");
    assert_eq!(server.login("e@corp.example", "employee pw 12").status, 200);
    let schemas = server.get("/schemas");
    assert_eq!(schemas.body.as_array().unwrap().len(), 2);
}
