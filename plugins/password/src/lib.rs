//! The password factor: argon2id hashes in PHC strings, identifiers taken from the identity
//! schema's `credentials.password.identifier` traits.

pub mod hashing;
pub mod nodes;
pub mod settings;

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/factor",
        world: "latchkey:factor/plugin@0.1.0",
        generate_all,
    });
}

use bindings::exports::latchkey::factor::factor::Guest;
use bindings::latchkey::factor::types::{
    Aal, Authenticated, Credential, CredentialWrite, FactorRole, FlowContext, FlowKind, MethodInfo,
    Rejection, Rendering, SubmitOutcome, UiText,
};
use bindings::latchkey::host::{random, settings as host_settings};
use hashing::Verdict;
use serde::{Deserialize, Serialize};
use settings::Settings;

// Exported only in the component build: a native build (for unit tests) must not carry
// component export names, which native linkers reject.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Password;

/// The credential config, in Kratos' own format so that exported Kratos data imports as is.
#[derive(Serialize, Deserialize)]
struct Config {
    hashed_password: String,
}

#[derive(Deserialize, Default)]
struct Input {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
}

fn reject(messages: Vec<UiText>, node_messages: Vec<(String, UiText)>) -> Rejection {
    Rejection {
        messages,
        node_messages,
    }
}

fn failure(reason: impl Into<String>) -> Rejection {
    reject(vec![nodes::generic(reason)], vec![])
}

fn load_settings() -> Result<Settings, Rejection> {
    Settings::parse(&host_settings::get()).map_err(failure)
}

/// Login identifiers are compared case-insensitively, as Kratos does.
fn normalise(identifier: &str) -> String {
    identifier.trim().to_lowercase()
}

fn identifiers(marked: &[(String, String)]) -> Vec<String> {
    let mut ids: Vec<String> = marked
        .iter()
        .filter(|(k, _)| k == "identifier")
        .map(|(_, v)| normalise(v))
        .filter(|v| !v.is_empty())
        .collect();
    ids.dedup();
    ids
}

fn new_hash(password: &str, settings: &Settings) -> Result<String, Rejection> {
    let salt = random::bytes(settings.argon2.salt_length);
    hashing::hash(password, &salt, &settings.argon2).map_err(failure)
}

fn parse_input(json: &str) -> Input {
    serde_json::from_str(json).unwrap_or_default()
}

fn login(ctx: &FlowContext, input: Input, settings: &Settings) -> Result<SubmitOutcome, Rejection> {
    let mut missing = Vec::new();
    if input.identifier.trim().is_empty() {
        missing.push(("identifier".to_string(), nodes::missing("identifier")));
    }
    if input.password.is_empty() {
        missing.push(("password".to_string(), nodes::missing("password")));
    }
    if !missing.is_empty() {
        return Err(reject(vec![], missing));
    }
    if ctx.looked_up.is_none() {
        return Ok(SubmitOutcome::NeedCredential(normalise(&input.identifier)));
    }
    let stored = ctx
        .credential
        .as_ref()
        .and_then(|c| serde_json::from_str::<Config>(&c.config_json).ok())
        .map(|c| c.hashed_password);
    // No account (or no usable hash): verify against the decoy anyway so the answer takes as
    // long as for a wrong password.
    let target = stored
        .clone()
        .unwrap_or_else(|| hashing::decoy(&settings.argon2));
    match (
        hashing::verify(&input.password, &target, &settings.argon2),
        &ctx.credential,
    ) {
        (Verdict::Match { needs_rehash }, Some(credential)) if stored.is_some() => {
            let credential_update = if needs_rehash {
                Some(CredentialWrite {
                    identifiers: credential.identifiers.clone(),
                    config_json: encode_config(new_hash(&input.password, settings)?),
                })
            } else {
                None
            };
            Ok(SubmitOutcome::Authenticated(Authenticated {
                credential_update,
            }))
        }
        _ => Err(reject(vec![nodes::invalid_credentials()], vec![])),
    }
}

fn encode_config(hashed_password: String) -> String {
    serde_json::to_string(&Config { hashed_password }).expect("config serialises")
}

/// Registration and settings: a new password for the flow's identity.
fn set_password(
    ctx: &FlowContext,
    input: Input,
    settings: &Settings,
) -> Result<SubmitOutcome, Rejection> {
    if input.password.is_empty() {
        return Err(reject(
            vec![],
            vec![("password".into(), nodes::missing("password"))],
        ));
    }
    let length = input.password.chars().count();
    if length < settings.min_password_length {
        return Err(reject(
            vec![],
            vec![(
                "password".into(),
                nodes::too_short(settings.min_password_length, length),
            )],
        ));
    }
    let ids = ctx
        .identity
        .as_ref()
        .map(|i| identifiers(&i.marked_traits))
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(failure(
            "Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.",
        ));
    }
    if ids.iter().any(|id| *id == normalise(&input.password)) {
        return Err(reject(
            vec![],
            vec![("password".into(), nodes::similar_to_identifier())],
        ));
    }
    Ok(SubmitOutcome::CredentialSet(CredentialWrite {
        identifiers: ids,
        config_json: encode_config(new_hash(&input.password, settings)?),
    }))
}

impl Guest for Password {
    fn describe() -> MethodInfo {
        MethodInfo {
            id: "password".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            role: FactorRole::First,
            aal: Aal::Aal1,
            flows: vec![FlowKind::Login, FlowKind::Registration, FlowKind::Settings],
            node_group: "password".into(),
        }
    }

    fn render(ctx: FlowContext) -> Result<Rendering, Rejection> {
        let nodes = match ctx.kind {
            FlowKind::Login if ctx.requested_aal == Aal::Aal2 => vec![],
            FlowKind::Login => {
                let prefill = ctx
                    .identity
                    .as_ref()
                    .filter(|_| ctx.refresh)
                    .and_then(|i| identifiers(&i.marked_traits).into_iter().next());
                vec![
                    nodes::identifier(prefill.as_deref()),
                    nodes::password("current-password"),
                    nodes::submit(1010022, "Sign in with password"),
                ]
            }
            FlowKind::Registration => vec![
                nodes::password("new-password"),
                nodes::submit(1040001, "Sign up"),
            ],
            FlowKind::Settings => vec![
                nodes::password("new-password"),
                nodes::submit(1070003, "Save"),
            ],
        };
        Ok(Rendering {
            nodes,
            plugin_state: None,
        })
    }

    fn submit(ctx: FlowContext, input_json: String) -> Result<SubmitOutcome, Rejection> {
        let settings = load_settings()?;
        let input = parse_input(&input_json);
        match ctx.kind {
            FlowKind::Login => login(&ctx, input, &settings),
            FlowKind::Registration | FlowKind::Settings => set_password(&ctx, input, &settings),
        }
    }

    fn callback(
        _ctx: FlowContext,
        _key: String,
        _query: Vec<(String, String)>,
    ) -> Result<SubmitOutcome, Rejection> {
        Err(failure("the password method has no callback"))
    }

    fn credential_aal(credential: Credential) -> Option<Aal> {
        serde_json::from_str::<Config>(&credential.config_json)
            .ok()
            .filter(|c| !c.hashed_password.is_empty())
            .map(|_| Aal::Aal1)
    }

    fn import_credential(
        config_json: String,
        marked_traits: Vec<(String, String)>,
    ) -> Result<CredentialWrite, Rejection> {
        #[derive(Deserialize)]
        struct Import {
            password: Option<String>,
            hashed_password: Option<String>,
        }
        let settings = load_settings()?;
        let import: Import = serde_json::from_str(&config_json)
            .map_err(|e| failure(format!("invalid password import: {e}")))?;
        let ids = identifiers(&marked_traits);
        if ids.is_empty() {
            return Err(failure(
                "the identity's traits contain no password identifier",
            ));
        }
        let hashed = match (import.password, import.hashed_password) {
            (Some(p), None) if !p.is_empty() => new_hash(&p, &settings)?,
            (None, Some(h)) if hashing::is_supported_hash(&h) => h,
            (None, Some(_)) => {
                return Err(failure(
                    "hashed_password must be an argon2id, argon2i, argon2d or bcrypt hash in PHC form",
                ));
            }
            _ => {
                return Err(failure(
                    "give exactly one of `password` or `hashed_password`",
                ));
            }
        };
        Ok(CredentialWrite {
            identifiers: ids,
            config_json: encode_config(hashed),
        })
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Password with_types_in bindings);
