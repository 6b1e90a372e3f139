//! Listing identities: a page, or those `ids` or `credentials_identifier` select.

use super::super::pagination::PageRequest;
use super::*;
use crate::http::query::QueryParams;

/// A page of identities, and the id the next page starts after. `credentials_identifier`
/// and `ids` select identities directly and are not paginated.
pub async fn list(
    app: &App,
    query: &QueryParams,
    page: PageRequest,
) -> Result<(Vec<IdentityView>, Option<Uuid>), DomainError> {
    let with_credentials = !included_credentials(app, query)?.is_empty();
    let identifier = query
        .first_given("credentials_identifier")
        .map(str::to_owned);
    let ids = query
        .list("ids")
        .iter()
        .map(|s| {
            Uuid::parse_str(s).map_err(|_| {
                ApiError::bad_request(format!("Invalid UUID value `{s}` for parameter `ids`."))
            })
        })
        .collect::<Result<Vec<Uuid>, ApiError>>()?;
    // Latchkey has no organizations: a valid organization id selects nobody.
    let organization = query
        .first_given("organization_id")
        .map(|s| {
            Uuid::parse_str(s).map_err(|_| {
                ApiError::bad_request(format!(
                    "Invalid UUID value `{s}` for parameter `organization_id`."
                ))
            })
        })
        .transpose()?;
    let filters = [
        !ids.is_empty(),
        organization.is_some(),
        identifier.is_some(),
        query
            .first_given("preview_credentials_identifier_similar")
            .is_some(),
    ];
    if filters.iter().filter(|f| **f).count() > 1 {
        return Err(
            ApiError::bad_request("You cannot combine multiple filters in this API").into(),
        );
    }
    if organization.is_some() {
        return Ok((Vec::new(), None));
    }
    let selected = identifier.is_some() || !ids.is_empty();
    let identities = if let Some(identifier) = identifier {
        let lowered = identifier.trim().to_lowercase();
        let mut found = app.store.identities_by_identifier(&lowered).await?;
        if lowered != identifier {
            for extra in app.store.identities_by_identifier(&identifier).await? {
                if !found.iter().any(|i| i.id == extra.id) {
                    found.push(extra);
                }
            }
        }
        found
    } else if selected {
        let mut found = Vec::new();
        for id in ids {
            if let Some(identity) = app.store.get_identity(id).await?
                && !found.iter().any(|i: &Identity| i.id == identity.id)
            {
                found.push(identity);
            }
        }
        found
    } else {
        app.store
            .list_identities(page.fetch_size(), page.after)
            .await?
    };
    let (identities, next) = if selected {
        (identities, None)
    } else {
        page.cut(identities, |i| i.id)
    };
    let mut views = Vec::with_capacity(identities.len());
    for identity in identities {
        let credentials = if with_credentials {
            Some(app.store.credentials_of(identity.id).await?)
        } else {
            None
        };
        views.push(IdentityView {
            identity,
            credentials,
        });
    }
    Ok((views, next))
}

/// The credential types `include_credential` asks for. Each must be a type Kratos knows
/// (identity/credentials.go ParseCredentialsType) or a loaded factor's; anything else is the
/// 400 Kratos answers.
pub fn included_credentials(app: &App, query: &QueryParams) -> Result<Vec<String>, ApiError> {
    const KRATOS_TYPES: &[&str] = &[
        "password",
        "oidc",
        "saml",
        "totp",
        "lookup_secret",
        "webauthn",
        "code",
        "link_recovery",
        "code_recovery",
        "deviceauthn",
        "passkey",
    ];
    let types = query.list("include_credential");
    match types
        .iter()
        .find(|t| !KRATOS_TYPES.contains(&t.as_str()) && app.factors.get(t).is_none())
    {
        Some(bad) => Err(ApiError::bad_request(format!(
            "Invalid value `{bad}` for parameter `include_credential`."
        ))),
        None => Ok(types),
    }
}
