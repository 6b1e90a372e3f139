//! A test fixture that misbehaves on purpose. Its settings choose how: `{"mode": "trap"}`
//! panics, `"loop"` spins forever, `"hog"` allocates without bound. It proves that a hostile
//! plugin fails only its own request.

wit_bindgen::generate!({
    path: "../../wit/factor",
    world: "latchkey:factor/plugin@0.1.0",
    generate_all,
});

use exports::latchkey::factor::factor::Guest;
use latchkey::factor::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, InputAttributes,
    MethodInfo, NodeAttributes, Rejection, Rendering, SubmitOutcome, UiNode,
};
use latchkey::host::settings;

// Exported only in the component build: a native build (for unit tests) must not carry
// component export names, which native linkers reject.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Hostile;

/// Reads `"key": "value"` from the settings without a JSON parser, to keep the fixture tiny.
fn setting(key: &str) -> Option<String> {
    let json = settings::get();
    let at = json.find(&format!("\"{key}\""))?;
    let rest = &json[at + key.len() + 2..];
    let start = rest.find('"')? + 1;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].to_string())
}

fn no() -> Rejection {
    Rejection {
        messages: vec![],
        node_messages: vec![],
    }
}

impl Guest for Hostile {
    fn describe() -> MethodInfo {
        MethodInfo {
            id: setting("id").unwrap_or_else(|| "hostile".into()),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Login],
            node_group: "hostile".into(),
        }
    }

    fn render(_ctx: FlowContext) -> Result<Rendering, Rejection> {
        Ok(Rendering {
            nodes: vec![UiNode {
                group: "hostile".into(),
                attributes: NodeAttributes::Input(InputAttributes {
                    name: "method".into(),
                    type_: "submit".into(),
                    value_json: Some(format!("\"{}\"", Self::describe().id)),
                    required: false,
                    disabled: false,
                    autocomplete: None,
                    pattern: None,
                    maxlength: None,
                }),
                messages: vec![],
                label: None,
            }],
            plugin_state: None,
        })
    }

    fn submit(_ctx: FlowContext, _input: String) -> Result<SubmitOutcome, Rejection> {
        match setting("mode").as_deref() {
            Some("trap") => panic!("hostile fixture: trapping on purpose"),
            Some("loop") => loop {
                std::hint::black_box(());
            },
            Some("hog") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Touch every page so the memory is really committed.
                    hoard.push(vec![0xA5; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            _ => Err(no()),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(no())
    }

    fn credential_aal(_credential: Credential) -> Option<Aal> {
        None
    }

    fn import_credential(
        _config: String,
        _marked: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        Err(no())
    }
}

#[cfg(target_arch = "wasm32")]
export!(Hostile);
