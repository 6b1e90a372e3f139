//! `DELETE /admin/identities/{id}/credentials/{type}`.

use super::identity_not_found;
use crate::app::App;
use crate::error::ApiError;
use crate::plugin::FactorRole;
use crate::store::CredentialDeletion;
use uuid::Uuid;

fn is_first_factor(app: &App, method: &str) -> bool {
    app.factors
        .get(method)
        .is_some_and(|f| f.info.role == FactorRole::First)
}

fn last_first_factor(kind: &str) -> ApiError {
    ApiError::bad_request(format!(
        "The {kind} credential is the identity's last first-factor credential; without it the identity could not sign in."
    ))
}

/// Deletes the identity's credential of type `kind`. With `identifier` (Kratos requires one
/// for `oidc` and `saml`) the credential must hold that identifier; Latchkey removes whole
/// credentials only, because their config belongs to the plugin.
///
/// A first factor (its plugin's role is `first`) is only removed while another first-factor
/// credential that its plugin counts (`credential-aal`) remains; checking and deleting happen
/// in one transaction.
pub async fn delete(
    app: &App,
    identity_id: Uuid,
    kind: &str,
    identifier: Option<&str>,
) -> Result<(), ApiError> {
    let (identity, credentials) = app
        .db(move |s| {
            let identity = s.get_identity(identity_id)?;
            let credentials = match identity {
                Some(_) => s.credentials_of(identity_id)?,
                None => Vec::new(),
            };
            Ok((identity, credentials))
        })
        .await?;
    if identity.is_none() {
        return Err(identity_not_found(identity_id));
    }
    let no_such = || {
        ApiError::not_found(format!(
            "The identity `{identity_id}` has no {kind} credential."
        ))
    };
    let credential = credentials
        .iter()
        .find(|c| c.method == kind)
        .ok_or_else(no_such)?;
    if let Some(identifier) = identifier.filter(|i| !i.is_empty()) {
        if !credential.identifiers.iter().any(|i| i == identifier) {
            return Err(ApiError::not_found(format!(
                "The identity's {kind} credential has no identifier `{identifier}`."
            )));
        }
        if credential.identifiers.len() > 1 {
            return Err(ApiError::bad_request(format!(
                "The identity's {kind} credential holds {} identifiers; Latchkey removes whole credentials only, so delete it without `identifier`.",
                credential.identifiers.len()
            )));
        }
    }

    let mut keep = Vec::new();
    if is_first_factor(app, kind) {
        for other in credentials
            .iter()
            .filter(|c| c.method != kind && is_first_factor(app, &c.method))
        {
            let factor = app
                .factors
                .get(&other.method)
                .expect("is_first_factor found the plugin");
            if factor.credential_aal(other).await?.is_some() {
                keep.push(other.method.clone());
            }
        }
        if keep.is_empty() {
            return Err(last_first_factor(kind));
        }
    }
    let method = kind.to_string();
    match app
        .db(move |s| s.delete_credential_keeping(identity_id, &method, &keep))
        .await?
    {
        CredentialDeletion::Deleted => Ok(()),
        CredentialDeletion::NotFound => Err(no_such()),
        CredentialDeletion::WouldLeaveNone => Err(last_first_factor(kind)),
    }
}
