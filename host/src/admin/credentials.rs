//! `DELETE /admin/identities/{id}/credentials/{type}`.

use super::identity_not_found;
use crate::app::App;
use crate::domain_error::DomainError;
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

/// Deletes the identity's credential of type `kind`. Kratos reads `identifier` for `oidc`
/// and `saml` only (identity/handler.go deleteIdentityCredentials) and ignores it otherwise;
/// for those the credential must hold that identifier. Latchkey removes whole credentials
/// only, because their config belongs to the plugin.
///
/// A first factor (its plugin's role is `first`) is only removed while another first-factor
/// credential that its plugin counts (`credential-aal`) remains; checking and deleting happen
/// in one transaction.
pub async fn delete(
    app: &App,
    identity_id: Uuid,
    kind: &str,
    identifier: Option<&str>,
) -> Result<(), DomainError> {
    if app.store.get_identity(identity_id).await?.is_none() {
        return Err(identity_not_found(identity_id).into());
    }
    let credentials = app.store.credentials_of(identity_id).await?;
    let no_such = || {
        ApiError::not_found(format!(
            "The identity `{identity_id}` has no {kind} credential."
        ))
    };
    let credential = credentials
        .iter()
        .find(|c| c.method == kind)
        .ok_or_else(no_such)?;
    let identifier = identifier.filter(|i| !i.is_empty() && matches!(kind, "oidc" | "saml"));
    if let Some(identifier) = identifier {
        if !credential.identifiers.iter().any(|i| i == identifier) {
            return Err(ApiError::not_found(format!(
                "The identity's {kind} credential has no identifier `{identifier}`."
            ))
            .into());
        }
        if credential.identifiers.len() > 1 {
            return Err(ApiError::bad_request(format!(
                "The identity's {kind} credential holds {} identifiers; Latchkey removes whole credentials only, so delete it without `identifier`.",
                credential.identifiers.len()
            )).into());
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
            return Err(last_first_factor(kind).into());
        }
    }
    match app
        .store
        .delete_credential_keeping(identity_id, kind, &keep)
        .await?
    {
        CredentialDeletion::Deleted => Ok(()),
        CredentialDeletion::NotFound => Err(no_such().into()),
        CredentialDeletion::WouldLeaveNone => Err(last_first_factor(kind).into()),
    }
}
