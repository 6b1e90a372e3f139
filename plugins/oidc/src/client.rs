//! One provider's OpenID Connect client, built the same way for the redirect and the callback.

use crate::outbound::{Outbound, chain};
use crate::settings::Provider;
use latchkey_plugin_sdk::Env;
use openidconnect::core::{
    CoreClient, CoreClientAuthMethod, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    RedirectUrl,
};

pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Fetches the provider's discovery document and its keys, and checks that it can do the
/// authorization code flow.
pub fn discover(provider: &Provider, env: &dyn Env) -> Result<CoreProviderMetadata, String> {
    let issuer = IssuerUrl::new(provider.issuer_url.clone()).map_err(|e| e.to_string())?;
    let metadata =
        CoreProviderMetadata::discover(&issuer, &Outbound(env)).map_err(|e| chain(&e))?;
    if metadata.token_endpoint().is_none() {
        return Err("its discovery document names no token endpoint".into());
    }
    let code = CoreResponseType::Code;
    if !metadata
        .response_types_supported()
        .iter()
        .any(|types| types.as_slice() == [code.clone()])
    {
        return Err("it does not support the authorization code flow (response_type=code)".into());
    }
    Ok(metadata)
}

pub fn client(
    provider: &Provider,
    metadata: CoreProviderMetadata,
    redirect_uri: RedirectUrl,
) -> Client {
    let auth_type = auth_type(&metadata);
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        provider.client_secret.clone().map(ClientSecret::new),
    )
    .set_auth_type(auth_type)
    .set_redirect_uri(redirect_uri)
}

/// `client_secret_basic` unless the provider lists the methods it takes and basic is not
/// among them but `client_secret_post` is (RFC 8414: absent means basic).
fn auth_type(metadata: &CoreProviderMetadata) -> AuthType {
    match metadata.token_endpoint_auth_methods_supported() {
        Some(methods)
            if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
        {
            AuthType::RequestBody
        }
        _ => AuthType::BasicAuth,
    }
}
