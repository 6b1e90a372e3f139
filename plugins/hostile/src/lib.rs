//! A test fixture that misbehaves on purpose, to prove that a hostile plugin fails only its own
//! request. Its settings choose how `submit` misbehaves: `{"mode": "trap"}` panics, `"loop"`
//! spins forever, `"hog"` allocates without bound; `"id"` names the method, so one file can be
//! loaded several times. Every other export answers at once: `describe` runs at load time and
//! must succeed for the fixture to be loaded at all, except in `"panic-in-describe"` mode,
//! which panics there to show what an operator sees when a plugin fails to load.
//!
//! `"fetch"` probes the outbound HTTP capability instead: `submit` sends a GET to the `url` of
//! its input and always rejects, with one message saying what came back (`status 200 …` or
//! `error not-allowed …`).
//!
//! `"count"` probes credential updates on rejected attempts (`latchkey:factor@0.2.0`): in a
//! login it asks for the credential of the submitted `identifier`, in settings it takes the
//! identity's own; then it always rejects with `failed N`, N being one more than the count in
//! that credential, and asks the host to store N. It asks even when nobody has the identifier,
//! which the host must ignore. An administrator imports its credential as
//! `{"identifier": "…"}`.
//!
//! `"lifecycle"` shows when the host renders and what plugin-state it keeps: `render` appends
//! `r` to the state it is given and returns that as the new state, also shown as the value of a
//! hidden input `lifecycle_state`. `submit` with `action`: `reject` rejects with the message
//! `state <what it was given>` (`none` for no state), `set` sets a credential (settings),
//! `rerender` answers `rerender` with the state `x`.

wit_bindgen::generate!({
    path: "../../wit/factor@0.2.0",
    world: "plugin",
    // The host capabilities live in another package (`deps/host@0.1.0`), and wit-bindgen only
    // generates foreign packages when told to.
    generate_all,
});

use exports::latchkey::factor::factor::Guest;
use latchkey::factor::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, InputAttributes,
    MethodInfo, NodeAttributes, Rejection, Rendering, SubmitOutcome, UiNode,
};
use latchkey::factor::types::{MessageType, UiText};
use latchkey::host::{outbound_http, settings};

/// A string value of the settings object. A scan instead of a JSON parser keeps the fixture
/// tiny; the host writes the settings, so their shape is known.
fn setting(key: &str) -> Option<String> {
    string_field(&settings::get(), key)
}

/// A string value without escapes in a flat JSON object.
fn string_field(json: &str, key: &str) -> Option<String> {
    let quoted = format!("\"{key}\"");
    let after_key = &json[json.find(&quoted)? + quoted.len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

/// Sends a GET to `url` and describes the outcome in one line.
fn fetch(url: &str) -> String {
    let request = outbound_http::Request {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("Accept".into(), "text/plain".into())],
        body: vec![],
    };
    match outbound_http::send(&request) {
        Ok(resp) => {
            let location = resp
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("location"))
                .map(|(_, value)| value.as_str())
                .unwrap_or("-");
            format!(
                "status {} location {location} bytes {} body {}",
                resp.status,
                resp.body.len(),
                String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)])
            )
        }
        Err(outbound_http::Error::NotAllowed(origin)) => format!("error not-allowed {origin}"),
        Err(outbound_http::Error::Timeout) => "error timeout".into(),
        Err(outbound_http::Error::TooLarge) => "error too-large".into(),
        Err(outbound_http::Error::Transport(message)) => format!("error transport {message}"),
        Err(outbound_http::Error::InvalidRequest(message)) => {
            format!("error invalid-request {message}")
        }
    }
}

fn method_id() -> String {
    setting("id").unwrap_or_else(|| "hostile".into())
}

/// `"count"` mode: the first call asks for the credential, the second counts a failure in it.
fn count(ctx: &FlowContext, input_json: &str) -> Result<SubmitOutcome, Rejection> {
    let submitted = string_field(input_json, "identifier").unwrap_or_default();
    if ctx.kind == FlowKind::Login && ctx.looked_up.is_none() {
        return Ok(SubmitOutcome::NeedCredential(submitted));
    }
    let identifier = ctx
        .credential
        .as_ref()
        .and_then(|c| c.identifiers.first().cloned())
        .unwrap_or(submitted);
    let failed = ctx
        .credential
        .as_ref()
        .and_then(|c| string_field(&c.config_json, "failed"))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    Err(Rejection {
        messages: vec![UiText {
            id: 9_000_002,
            text: format!("failed {failed}"),
            type_: MessageType::Error,
            context_json: None,
        }],
        node_messages: vec![],
        credential_update: Some(counted(identifier, failed)),
    })
}

/// `"lifecycle"` mode's rendering: the state it was given with one more `r`.
fn lifecycle_render(ctx: &FlowContext) -> Rendering {
    let state = format!("{}r", ctx.plugin_state.as_deref().unwrap_or(""));
    let shown = InputAttributes {
        name: "lifecycle_state".into(),
        type_: "hidden".into(),
        value_json: Some(format!("\"{state}\"")),
        required: false,
        disabled: false,
        autocomplete: None,
        pattern: None,
        maxlength: None,
    };
    Rendering {
        nodes: vec![UiNode {
            group: "hostile".into(),
            attributes: NodeAttributes::Input(shown),
            messages: vec![],
            label: None,
        }],
        plugin_state: Some(state),
    }
}

fn lifecycle_submit(ctx: &FlowContext, input_json: &str) -> Result<SubmitOutcome, Rejection> {
    match string_field(input_json, "action").as_deref() {
        Some("set") => Ok(SubmitOutcome::CredentialSet(CredentialWrite {
            identifiers: vec![],
            config_json: "{}".into(),
        })),
        Some("rerender") => Ok(SubmitOutcome::Rerender(Rendering {
            nodes: vec![],
            plugin_state: Some("x".into()),
        })),
        _ => Err(Rejection {
            messages: vec![UiText {
                id: 9_000_003,
                text: format!("state {}", ctx.plugin_state.as_deref().unwrap_or("none")),
                type_: MessageType::Info,
                context_json: None,
            }],
            node_messages: vec![],
            credential_update: None,
        }),
    }
}

fn counted(identifier: String, failed: u32) -> CredentialWrite {
    CredentialWrite {
        identifiers: vec![identifier],
        config_json: format!("{{\"failed\":\"{failed}\"}}"),
    }
}

fn refuse() -> Rejection {
    Rejection {
        messages: vec![],
        node_messages: vec![],
        credential_update: None,
    }
}

// Exported only in the component build: native builds cannot carry the component export
// names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Hostile;

impl Guest for Hostile {
    fn describe() -> MethodInfo {
        if setting("mode").as_deref() == Some("panic-in-describe") {
            panic!("hostile fixture: refusing to describe myself");
        }
        MethodInfo {
            id: method_id(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: match setting("mode").as_deref() {
                Some("count" | "lifecycle") => vec![FlowKind::Login, FlowKind::Settings],
                _ => vec![FlowKind::Login],
            },
            node_group: "hostile".into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        if setting("mode").as_deref() == Some("lifecycle") {
            return Ok(lifecycle_render(&ctx));
        }
        let submit = InputAttributes {
            name: "method".into(),
            type_: "submit".into(),
            value_json: Some(format!("\"{}\"", method_id())),
            required: false,
            disabled: false,
            autocomplete: None,
            pattern: None,
            maxlength: None,
        };
        Ok(Rendering {
            nodes: vec![UiNode {
                group: "hostile".into(),
                attributes: NodeAttributes::Input(submit),
                messages: vec![],
                label: None,
            }],
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        match setting("mode").as_deref() {
            Some("fetch") => {
                let url = string_field(&input_json, "url").unwrap_or_default();
                Err(Rejection {
                    messages: vec![UiText {
                        id: 9_000_001,
                        text: fetch(&url),
                        type_: MessageType::Info,
                        context_json: None,
                    }],
                    node_messages: vec![],
                    credential_update: None,
                })
            }
            Some("count") => count(&ctx, &input_json),
            Some("lifecycle") => lifecycle_submit(&ctx, &input_json),
            Some("trap") => panic!("hostile fixture: trapping on purpose"),
            Some("loop") => loop {
                std::hint::black_box(());
            },
            Some("hog") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // A non-zero fill writes every byte, so each block is really committed
                    // rather than left as untouched zero pages.
                    hoard.push(vec![0xA5; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            _ => Err(refuse()),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(refuse())
    }

    fn credential_aal(_credential: Credential) -> Option<Aal> {
        None
    }

    fn import_credential(
        config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        match (
            setting("mode").as_deref(),
            string_field(&config_json, "identifier"),
        ) {
            (Some("count"), Some(identifier)) => Ok(counted(identifier, 0)),
            _ => Err(refuse()),
        }
    }
}

#[cfg(target_arch = "wasm32")]
export!(Hostile);
