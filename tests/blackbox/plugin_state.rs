//! When the host calls `render` and which plugin-state it keeps, path by path: the table in
//! docs/plugins.md ("Plugin-state and the credential across calls"), one test per row. The
//! hostile fixture's `lifecycle` mode appends `r` to its state on every render and shows the
//! result in a hidden input `lifecycle_state`; a rejected submission says which state it was
//! given (`state …`).

use crate::harness::*;
use serde_json::{Value, json};

const METHOD: &str = "lifecycle";

fn server(work: &Workdir) -> Server {
    let config = work.write(
        "kratos.yml",
        &format!(
            "plugins:\n  extra_factors:\n    - path: {}\n      config: {{ id: {METHOD}, mode: lifecycle }}\n",
            plugin("hostile").display(),
        ),
    );
    Server::with_config(work, &config)
}

/// The state the last rendering showed.
fn shown(flow: &Value) -> String {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "lifecycle_state")
        .unwrap_or_else(|| panic!("no lifecycle node: {flow}"))["attributes"]["value"]
        .as_str()
        .unwrap()
        .to_string()
}

fn submit(server: &Server, flow: &Value, token: Option<&str>, action: &str) -> Resp {
    let target = flow["ui"]["action"].as_str().unwrap();
    let kind = if target.contains("/self-service/settings") {
        "settings"
    } else {
        "login"
    };
    let path = format!("/self-service/{kind}?flow={}", flow["id"].as_str().unwrap());
    let mut req = ureq::post(&server.url(&path));
    if let Some(token) = token {
        req = req.set("X-Session-Token", token);
    }
    send(req, Some(&json!({ "method": METHOD, "action": action })))
}

/// The state a rejected submission says it was given.
fn given(resp: &Resp) -> String {
    assert_eq!(resp.status, 400, "{}", resp.body);
    resp.body["ui"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["text"].as_str()?.strip_prefix("state ").map(String::from))
        .unwrap_or_else(|| panic!("no state message: {}", resp.body))
}

/// The plugin-state the host stored for `flow`, read from the database.
fn stored(work: &Workdir, flow: &Value) -> Option<String> {
    let id = flow["id"].as_str().unwrap();
    let map: Value = if crate::database::on_postgres() {
        let rows = crate::database::run_sql(
            crate::database::name_of(work.dsn()),
            &format!("SELECT plugin_state::text FROM flows WHERE id = '{id}'"),
        );
        serde_json::from_str(&rows[0]).unwrap()
    } else {
        let db = rusqlite::Connection::open(work.path().join("latchkey.db")).unwrap();
        let text: String = db
            .query_row(
                "SELECT plugin_state FROM flows WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    map.get(METHOD).and_then(Value::as_str).map(String::from)
}

fn token_of(resp: &Resp) -> String {
    resp.body["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no session token: {}", resp.body))
        .to_string()
}

#[test]
fn a_created_flow_is_rendered_and_its_state_kept() {
    let work = Workdir::new();
    let server = server(&work);
    let flow = server.get("/self-service/login/api");
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(shown(&flow.body), "r", "render ran once, given no state");
    assert_eq!(stored(&work, &flow.body).as_deref(), Some("r"));
    assert_eq!(given(&submit(&server, &flow.body, None, "reject")), "r");
}

#[test]
fn fetching_a_flow_does_not_render_it() {
    let work = Workdir::new();
    let server = server(&work);
    let flow = server.get("/self-service/login/api").body;
    let id = flow["id"].as_str().unwrap();
    for _ in 0..2 {
        let fetched = server.get(&format!("/self-service/login/flows?id={id}"));
        assert_eq!(fetched.status, 200, "{}", fetched.body);
        assert_eq!(shown(&fetched.body), "r");
    }
    assert_eq!(given(&submit(&server, &flow, None, "reject")), "r");
}

#[test]
fn a_rejection_shows_the_flow_again_without_rendering_or_changing_the_state() {
    let work = Workdir::new();
    let server = server(&work);
    let flow = server.get("/self-service/login/api").body;
    let rejected = submit(&server, &flow, None, "reject");
    assert_eq!(given(&rejected), "r");
    assert_eq!(shown(&rejected.body), "r", "not rendered again");
    // Rejected by the host for another method (a wrong password): the same.
    server.register("state@example.com", "state password 123");
    let wrong = server.post_json(
        &format!("/self-service/login?flow={}", flow["id"].as_str().unwrap()),
        &json!({"method": "password", "identifier": "state@example.com", "password": "wrong one 123"}),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(shown(&wrong.body), "r");
    assert_eq!(given(&submit(&server, &flow, None, "reject")), "r");
    assert_eq!(stored(&work, &flow).as_deref(), Some("r"));
}

#[test]
fn a_settings_change_renders_every_plugin_again_with_the_state_so_far() {
    let work = Workdir::new();
    let server = server(&work);
    let token = token_of(&server.register("settings@example.com", "settings password 1"));
    let flow = server.get_with_token("/self-service/settings/api", &token);
    assert_eq!(flow.status, 200, "{}", flow.body);
    assert_eq!(shown(&flow.body), "r");

    let saved = submit(&server, &flow.body, Some(&token), "set");
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        shown(&saved.body),
        "rr",
        "rendered again, given the stored state"
    );
    assert_eq!(
        given(&submit(&server, &flow.body, Some(&token), "reject")),
        "rr"
    );

    // A change by another method (the password) renders this one again too.
    let path = format!(
        "/self-service/settings?flow={}",
        flow.body["id"].as_str().unwrap()
    );
    let password = send(
        ureq::post(&server.url(&path)).set("X-Session-Token", &token),
        Some(&json!({"method": "password", "password": "another password 22"})),
    );
    assert_eq!(password.status, 200, "{}", password.body);
    assert_eq!(shown(&password.body), "rrr");

    // `rerender`: its state is kept, then every plugin renders, this one given that state.
    let next = submit(&server, &flow.body, Some(&token), "rerender");
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(shown(&next.body), "xr");
    assert_eq!(stored(&work, &flow.body).as_deref(), Some("xr"));
}

#[test]
fn a_completed_flow_is_never_rendered_again_and_its_state_is_dropped() {
    let work = Workdir::new();
    let server = server(&work);
    server.register("done@example.com", "done password 123");
    let flow = server.get("/self-service/login/api").body;
    assert_eq!(stored(&work, &flow).as_deref(), Some("r"));
    let id = flow["id"].as_str().unwrap();
    let done = server.post_json(
        &format!("/self-service/login?flow={id}"),
        &json!({"method": "password", "identifier": "done@example.com", "password": "done password 123"}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        stored(&work, &flow),
        None,
        "dropped when the flow completed"
    );
    let fetched = server.get(&format!("/self-service/login/flows?id={id}"));
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    assert_eq!(fetched.body["state"], "passed_challenge");
    assert_eq!(shown(&fetched.body), "r", "shown as it was, not rendered");
    let again = submit(&server, &flow, None, "reject");
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.body["error"]["id"], "self_service_flow_completed");
}
