//! Settings: `method=profile` changes traits; any other method hands the submission to its
//! plugin (a new password, a TOTP device…). Credential changes need a privileged session, and
//! submissions for one credential are evaluated one at a time (see
//! [`lock_credential`](crate::store::CredentialRepository::lock_credential)).

use super::outcome::Submitted;
use super::{keep_rejected_update, plugin_context, plugin_input, reject, reject_for_plugin};
use crate::app::App;
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::identity::schema::{IdentitySchema, traits_from_input};
use crate::model::{Credential, Flow, FlowKind, FlowState, Identity};
use crate::plugin::{CredentialWrite, FactorRole, SubmitOutcome};
use crate::policy::Hook;
use crate::sessions::ActiveSession;
use crate::store::StoreError;
use crate::ui;
use serde_json::{Map, Value, json};

/// The profile form: every trait, prefilled, in the `profile` group, and its save button.
pub fn profile_nodes(schema: &IdentitySchema, traits: &Value) -> Vec<Value> {
    let mut nodes = schema.trait_nodes(Some(traits));
    for node in &mut nodes {
        node["group"] = json!("profile");
    }
    nodes.push(json!({
        "type": "input",
        "group": "profile",
        "attributes": {
            "name": "method", "type": "submit", "value": "profile",
            "disabled": false, "node_type": "input",
        },
        "messages": [],
        "meta": { "label": ui::message(1070003, "Save", "info", None) },
    }));
    nodes
}

fn saved(flow: &mut Flow) {
    flow.state = FlowState::Success;
    ui::set_messages(
        &mut flow.ui,
        vec![ui::message(
            1050001,
            "Your changes have been saved!",
            "success",
            None,
        )],
        vec![],
    );
}

/// Whether the session authenticated recently enough to change credentials.
fn is_privileged(app: &App, active: &ActiveSession) -> bool {
    let max_age = chrono::Duration::from_std(
        app.config
            .selfservice
            .flows
            .settings
            .privileged_session_max_age,
    )
    .unwrap_or_else(|_| chrono::Duration::hours(1));
    active.session.authenticated_at + max_age > app.now()
}

/// 403 `session_refresh_required`, pointing the browser at a `refresh=true` login that comes
/// back to this settings flow.
fn refresh_required(app: &App, flow: &Flow) -> ApiError {
    let back = super::ui_url(app, flow);
    let mut login = url::Url::parse(&app.public_url("/self-service/login/browser"))
        .expect("the public base URL is absolute");
    login
        .query_pairs_mut()
        .append_pair("refresh", "true")
        .append_pair("return_to", &back);
    ApiError::forbidden(
        "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
    )
    .with_id("session_refresh_required")
    .with_extra("redirect_browser_to", login.to_string())
}

pub async fn submit(
    app: &App,
    mut flow: Flow,
    input: Map<String, Value>,
    active: &ActiveSession,
) -> Result<Submitted, DomainError> {
    if flow.identity_id != Some(active.identity.id) {
        return Err(ApiError::forbidden(
            "This settings flow belongs to another identity; initialize a new one.",
        )
        .with_id("security_identity_mismatch")
        .into());
    }
    let method = input
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("the submission has no `method` field"))?
        .to_string();
    if method == "profile" {
        return update_profile(app, flow, input, &active.identity).await;
    }
    let factor = app
        .factors
        .get(&method)
        .filter(|f| f.joins(FlowKind::Settings))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Could not find a strategy to handle method `{method}` in a settings flow"
            ))
        })?
        .clone();
    // With settings policies, they decide how recent a sign-in credential changes need
    // (the default policy applies `privileged_session_max_age`); they were asked already.
    let policies_decide = app.policies.get().want(Hook::Settings);
    if !policies_decide && !is_privileged(app, active) {
        return Err(refresh_required(app, &flow).into());
    }
    let identity = &active.identity;
    let identity_id = identity.id;
    let _turn = app.store.lock_credential(identity_id, &method).await?;
    let credential = app.store.credential(identity_id, &method).await?;
    let ctx = plugin_context(app, &flow, factor.id(), Some(identity), credential.as_ref());
    match factor.submit(ctx, plugin_input(&input)).await? {
        Ok(SubmitOutcome::CredentialSet(write)) => {
            if !replace_credential(app, identity_id, &method, write, credential.as_ref()).await? {
                return Ok(Submitted::Rejected {
                    flow: reject(app, flow, &input, vec![ui::duplicate_identifier()], vec![])
                        .await?,
                });
            }
            // Setting up a second factor proves it on the spot: the session that did it is
            // aal2 at once, as in Kratos.
            if factor.info.role == FactorRole::Second {
                let mut session = active.session.clone();
                crate::aal::record(&mut session, &method, factor.info.aal, app.now());
                app.store.update_session(&session).await?;
            }
        }
        Ok(SubmitOutcome::Redirect(to)) => {
            return super::external::redirect(app, flow, &factor, to).await;
        }
        Ok(SubmitOutcome::CredentialRemoved) => {
            if factor.info.role == FactorRole::First
                && !has_other_first_factor(app, identity_id, &method).await?
            {
                return Ok(Submitted::Rejected {
                    flow: reject(app, flow, &input, vec![last_sign_in_method()], vec![]).await?,
                });
            }
            app.store.delete_credential(identity_id, &method).await?;
        }
        Ok(SubmitOutcome::Rerender(rendering)) => {
            // The plugin moved to its next step (codes to confirm, a pending secret): the form
            // is rebuilt from every plugin so its nodes show that step.
            super::keep_plugin_state(&mut flow, &method, rendering.plugin_state);
            super::render(app, &mut flow, Some(identity)).await?;
            app.store.update_flow(&flow).await?;
            return Ok(Submitted::FlowUpdated {
                flow: Box::new(flow),
            });
        }
        Ok(_) => {
            return Err(ApiError::internal(format!(
                "plugin `{}` answered a settings submission with an outcome settings does not support",
                factor.name()
            )).into());
        }
        Err(mut rejection) => {
            let update = rejection.credential_update.take();
            keep_rejected_update(app, &factor, credential.as_ref(), update).await?;
            return Ok(Submitted::Rejected {
                flow: reject_for_plugin(app, &factor, flow, &input, &rejection).await?,
            });
        }
    }
    show_saved(app, flow, identity).await
}

/// The flow rebuilt for the identity as it is now, with "Your changes have been saved!".
pub async fn show_saved(
    app: &App,
    mut flow: Flow,
    identity: &Identity,
) -> Result<Submitted, DomainError> {
    super::render(app, &mut flow, Some(identity)).await?;
    saved(&mut flow);
    app.store.update_flow(&flow).await?;
    Ok(Submitted::FlowUpdated {
        flow: Box::new(flow),
    })
}

/// Stores `write` as the identity's `method` credential in place of `existing`, checking that
/// nobody changed it meanwhile. `false` when an identifier belongs to another identity.
pub async fn replace_credential(
    app: &App,
    identity_id: uuid::Uuid,
    method: &str,
    write: CredentialWrite,
    existing: Option<&Credential>,
) -> Result<bool, DomainError> {
    let now = app.now();
    let expected = existing.map(|c| c.version).unwrap_or(0);
    let new = Credential {
        identity_id,
        method: method.to_string(),
        identifiers: write.identifiers,
        config: write.config_json,
        version: expected,
        created_at: existing.map(|c| c.created_at).unwrap_or(now),
        updated_at: now,
    };
    match app.store.put_credential(&new, Some(expected)).await {
        Ok(_) => Ok(true),
        Err(StoreError::DuplicateIdentifier { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Whether the identity keeps a usable way to sign in without its `method` credential: a
/// credential of another first factor that its plugin counts toward an AAL.
async fn has_other_first_factor(
    app: &App,
    identity_id: uuid::Uuid,
    method: &str,
) -> Result<bool, DomainError> {
    let credentials = app.store.credentials_of(identity_id).await?;
    for credential in credentials.iter().filter(|c| c.method != method) {
        let Some(factor) = app.factors.get(&credential.method) else {
            continue;
        };
        if factor.info.role == FactorRole::First
            && factor.credential_aal(credential).await?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn last_sign_in_method() -> Value {
    ui::message(
        4000001,
        "This is the last way you can sign in. Set a password or link another account before removing it.",
        "error",
        None,
    )
}

/// New traits: validated by the schema, then the login identifiers derived from them are
/// moved along, so a changed email is the one that logs in.
async fn update_profile(
    app: &App,
    mut flow: Flow,
    input: Map<String, Value>,
    identity: &Identity,
) -> Result<Submitted, DomainError> {
    let schema = app
        .schemas
        .get(&identity.schema_id)
        .unwrap_or_else(|| app.schemas.default_schema());
    let traits = traits_from_input(&input);
    let errors = schema.validate(&traits);
    if !errors.is_empty() {
        let node_messages = errors.into_iter().map(|e| (e.node, e.message)).collect();
        return Ok(Submitted::Rejected {
            flow: reject(app, flow, &input, vec![], node_messages).await?,
        });
    }
    let mut updated = identity.clone();
    updated.traits = traits;
    updated.updated_at = app.now();
    crate::identity::addresses::sync(&mut updated, schema);
    let identifiers_by_method: Vec<(String, Vec<String>)> = app
        .factors
        .current()
        .all
        .iter()
        .map(|f| {
            let ids: Vec<String> = schema
                .marked_traits(f.id(), &updated.traits)
                .into_iter()
                .filter(|(k, _)| k == "identifier")
                .map(|(_, v)| v.trim().to_lowercase())
                .collect();
            (f.id().to_string(), ids)
        })
        .collect();
    let clash = save_profile(app, &updated, identifiers_by_method).await?;
    if clash.is_some() {
        return Ok(Submitted::Rejected {
            flow: reject(app, flow, &input, vec![ui::duplicate_identifier()], vec![]).await?,
        });
    }
    super::render(app, &mut flow, Some(&updated)).await?;
    saved(&mut flow);
    app.store.update_flow(&flow).await?;
    Ok(Submitted::FlowUpdated {
        flow: Box::new(flow),
    })
}

/// Moves each credential's login identifiers to the new traits, then stores the identity.
/// An identifier another identity holds stops it, and is returned.
async fn save_profile(
    app: &App,
    updated: &Identity,
    identifiers_by_method: Vec<(String, Vec<String>)>,
) -> Result<Option<String>, StoreError> {
    for (method, ids) in identifiers_by_method {
        let Some(mut c) = app.store.credential(updated.id, &method).await? else {
            continue;
        };
        if c.identifiers.is_empty() || c.identifiers == ids {
            continue;
        }
        let expected = c.version;
        c.identifiers = ids;
        match app.store.put_credential(&c, Some(expected)).await {
            Ok(_) => {}
            Err(StoreError::DuplicateIdentifier { identifier, .. }) => {
                return Ok(Some(identifier));
            }
            Err(e) => return Err(e),
        }
    }
    app.store.update_identity(updated).await?;
    Ok(None)
}
