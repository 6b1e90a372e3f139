//! A test fixture that misbehaves on purpose, to prove that a hostile plugin fails only its own
//! request. Its settings choose how `submit` misbehaves: `{"mode": "trap"}` panics, `"loop"`
//! spins forever, `"hog"` allocates without bound; `"id"` names the method, so one file can be
//! loaded several times. Every other export answers at once: `describe` runs at load time and
//! must succeed for the fixture to be loaded at all.

wit_bindgen::generate!({
    path: "../../wit/factor",
    world: "plugin",
    // The host capabilities live in another package (`deps/host`), and wit-bindgen only
    // generates foreign packages when told to.
    generate_all,
});

use exports::latchkey::factor::factor::Guest;
use latchkey::factor::types::{
    Aal, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, InputAttributes,
    MethodInfo, NodeAttributes, Rejection, Rendering, SubmitOutcome, UiNode,
};
use latchkey::host::settings;

/// A string value of the settings object. A scan instead of a JSON parser keeps the fixture
/// tiny; the host writes the settings, so their shape is known.
fn setting(key: &str) -> Option<String> {
    let json = settings::get();
    let quoted = format!("\"{key}\"");
    let after_key = &json[json.find(&quoted)? + quoted.len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

fn method_id() -> String {
    setting("id").unwrap_or_else(|| "hostile".into())
}

fn refuse() -> Rejection {
    Rejection {
        messages: vec![],
        node_messages: vec![],
    }
}

// Exported only in the component build: native builds cannot carry the component export
// names.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Hostile;

impl Guest for Hostile {
    fn describe() -> MethodInfo {
        MethodInfo {
            id: method_id(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Login],
            node_group: "hostile".into(),
        }
    }

    fn render(_ctx: FlowContext) -> Result<Rendering, Rejection> {
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

    fn submit(_ctx: FlowContext, _input_json: String) -> Result<SubmitOutcome, Rejection> {
        match setting("mode").as_deref() {
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
        _config_json: String,
        _marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        Err(refuse())
    }
}

#[cfg(target_arch = "wasm32")]
export!(Hostile);
